"""The headless subcommands: each takes the parsed arguments and an open Workspace."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from batchtui.cli.output import emit_json, job_details, job_line, usd
from batchtui.core.budget import BudgetExceeded
from batchtui.core.config import dumps_config, write_default_config
from batchtui.core.models import BatchStatus
from batchtui.core.paths import config_path
from batchtui.core.provider import ProviderError
from batchtui.core.store import JobRecord
from batchtui.core.workspace import Workspace

# Input validation, notifications and results are imported by the commands that use them:
# `list`, the command scripts run most, needs none of them.


def _err(message: str) -> None:
    print(f"batchtui: {message}", file=sys.stderr, flush=True)


def _estimate_json(guess: Any) -> dict[str, Any]:
    """The `estimate` object of `submit --dry-run --json`."""
    return guess.run.as_dict()


async def cmd_submit(ws: Workspace, args: argparse.Namespace) -> int:
    from batchtui.cli.validate import csv_options

    _report_background_errors(ws)
    if args.dry_run:
        return await _dry_run(ws, args)
    records = await ws.submit_file(
        args.file,
        args.profile,
        model=args.model,
        max_tokens=args.max_tokens,
        endpoint=args.endpoint,
        label=args.label,
        split=args.split,
        again=args.again,
        max_cost_usd=args.max_cost,
        **csv_options(args),
    )
    return await _made(ws, records, args)


async def _made(ws: Workspace, records: list[JobRecord], args: argparse.Namespace) -> int:
    """Report the jobs a submit, retry or recover made; with --wait, watch them to the end.

    Under --json each job is one object on its own line, the same for one job as for several;
    with --wait only the final states are printed (the submitted ones go to stderr as text).
    """
    if args.json and args.wait:
        for record in records:
            _err(f"submitted {record.display_id}; waiting for it to end")
    else:
        _print_records(ws, records, args.json)
    _note_queued(ws, records)
    if args.wait:
        return await _watch(ws, [r.local_id for r in records], args, quiet=args.json)
    return 0


def _as_records(made: JobRecord | list[JobRecord]) -> list[JobRecord]:
    """The jobs a retry or recover made (one today; a list when it splits)."""
    return list(made) if isinstance(made, list | tuple) else [made]


async def _dry_run(ws: Workspace, args: argparse.Namespace) -> int:
    """Validate and estimate (and check budgets) without recording or sending anything."""
    from batchtui.cli.validate import (
        batch_count,
        csv_options,
        print_report_issues,
        request_defaults,
    )

    report = ws.validate(
        args.file,
        args.profile,
        defaults=request_defaults(args),
        split=args.split,
        **csv_options(args),
    )
    summary = report.summary
    guess = await asyncio.to_thread(ws.estimate_report, report) if report.ok else None
    refusal = None
    if guess is not None:
        try:
            ws.check_budget(guess, args.profile, max_cost_usd=args.max_cost)
        except BudgetExceeded as exc:
            refusal = str(exc)
    if args.json:
        estimate = {
            "requests": summary.requests,
            "input_tokens": summary.input_tokens,
            "max_output_tokens": summary.max_tokens_total,
        }
        if guess is not None:
            estimate.update(_estimate_json(guess))
        parts: list[dict[str, Any]] = [p.as_dict() for p in summary.parts]
        if guess is not None and len(guess.parts) == len(parts):
            for part, part_guess in zip(parts, guess.parts, strict=True):
                part["estimate"] = part_guess.as_dict()
        emit_json(
            {
                "ok": report.ok and refusal is None,
                "dry_run": True,
                "profile": ws.profile(args.profile).name,
                "issues": [str(i) for i in report.issues],
                "estimate": estimate,
                "budget": refusal,
                "parts": parts,
            }
        )
    else:
        print_report_issues(report)
        money = ""
        if guess is not None:
            run = guess.run
            if run.priced:
                money = f", est. {usd(run.cost_usd_low)} - {usd(run.cost_usd_high)} at batch prices"
            else:
                money = f", no price for {', '.join(run.unpriced_models)}"
        print(
            f"dry run: {summary.requests} requests in {batch_count(summary)} batch(es), "
            f"~{summary.input_tokens} input tokens{money}; nothing was sent"
        )
        if refusal:
            _err(refusal)
    return 0 if report.ok and refusal is None else 1


def _note_queued(ws: Workspace, records: list[JobRecord]) -> None:
    """Say on stderr that some jobs wait in the local queue, and what makes them go."""
    queued = [r for r in records if r.status is BatchStatus.QUEUED]
    if queued:
        profile = queued[0].profile
        _err(
            f"{len(queued)} job(s) queued on profile {profile!r} ({ws.queue_text(profile)}); "
            "they go out by themselves as earlier jobs end while `batchtui watch`, "
            "`batchtui list --refresh` or the dashboard runs"
        )


def _report_background_errors(ws: Workspace) -> None:
    """Print errors of work the command set going in the background (e.g. queued sends)."""
    ws.subscribe_errors(lambda profile, batch_id, exc: _err(f"{batch_id or profile}: {exc}"))


def record_json(ws: Workspace, record: JobRecord) -> dict[str, Any]:
    """A job's `--json` object: the store's, plus ``stale_since`` (null unless stale)."""
    data = record.to_json()
    since = ws.stale_since(record)
    data["stale_since"] = since.isoformat() if since else None
    return data


def _print_records(ws: Workspace, records: list[JobRecord], as_json: bool) -> None:
    """One line per job: a JSON object each under --json (never an array), else text."""
    if as_json:
        for record in records:
            emit_json(record_json(ws, record))
    else:
        now = ws.clock.now()
        for record in records:
            print(job_line(record, now, stale=ws.stale_since(record, now) is not None))


async def _settle(ws: Workspace, profile: str | None) -> int:
    """Settle open submissions (one list call per profile that has any, none otherwise).

    A profile whose provider cannot be listed is reported in one line on stderr and the
    others are still settled; returns how many profiles failed.
    """
    failed: list[str] = []

    def report(name: str, exc: ProviderError) -> None:
        failed.append(name)
        _err(f"{name}: open submissions not settled (the provider's list failed): {exc}")

    if profile is None or profile in ws.usable_profiles():
        await ws.reconcile(profile, on_error=report)
    return len(failed)


async def cmd_list(ws: Workspace, args: argparse.Namespace) -> int:
    # Every job read becomes long-lived objects and the process ends right after printing:
    # the cyclic garbage collector would only walk them over and over (a fifth of the time
    # at 10,000 jobs), so it is off for the command.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return await _list(ws, args)
    finally:
        if collecting:
            gc.enable()


async def _list(ws: Workspace, args: argparse.Namespace) -> int:
    failed = 0
    if not args.cached:
        failed += await _settle(ws, args.profile)
    if args.refresh:
        _report_background_errors(ws)
        for record in ws.jobs(brief=True):
            if record.id and not record.is_terminal:
                try:
                    await ws.refresh(record.local_id)
                except ProviderError as exc:
                    failed += 1
                    _err(f"{record.display_id}: {exc}")
        await ws.dispatch_queued(args.profile)
    records = [r for r in ws.jobs(brief=True) if not args.profile or r.profile == args.profile]
    if args.json:
        _emit_list_json(ws, records)
    elif not records:
        print("no jobs yet: `batchtui submit FILE` sends one")
    else:
        now = ws.clock.now()
        lines = [job_line(r, now, stale=ws.stale_since(r, now) is not None) for r in records]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
    return 2 if failed else 0  # the list is printed from the store either way


_LIST_JSON_CHUNK = 500
"""Jobs encoded at a time by `list --json`: the array is written a slice at a time, so the
JSON objects of every job (~2 KB each) and the whole encoded array never sit in memory at
once (at 10,000 jobs, ~30 MB less and a tenth fewer page faults)."""


def _emit_list_json(ws: Workspace, records: list[JobRecord]) -> None:
    """`list --json`: the array as one compact JSON line (what `emit_json` prints, without
    the spaces after separators), encoded by msgspec: several times faster than `json` for
    10,000 jobs; anything it cannot encode is written as its ``str``, as `emit_json` does."""
    import msgspec

    encoder = msgspec.json.Encoder(enc_hook=str)
    out = sys.stdout
    out.flush()
    binary = getattr(out, "buffer", None)

    def write(data: bytes | memoryview) -> None:
        if binary is None:  # a text-only stream (a test's StringIO)
            out.write(bytes(data).decode())
        else:
            binary.write(data)

    opening = b"["
    for start in range(0, len(records), _LIST_JSON_CHUNK):
        chunk = records[start : start + _LIST_JSON_CHUNK]
        encoded = encoder.encode([record_json(ws, record) for record in chunk])
        write(opening)
        write(memoryview(encoded)[1:-1])  # the slice's objects, without its brackets
        opening = b","
    write(b"[]\n" if opening == b"[" else b"]\n")
    if binary is None:
        out.flush()
    else:
        binary.flush()


async def cmd_costs(ws: Workspace, args: argparse.Namespace) -> int:
    totals = ws.cost_totals(ws.profile(args.profile).name if args.profile else None)
    if args.json:
        emit_json([t.as_dict() for t in totals])
        return 0
    if not totals:
        print("no jobs yet")
        return 0
    print(
        f"{'PROFILE':<12} {'DAY':<10} {'JOBS':>5} {'COST':>10} {'SYNC':>10} {'SAVED':>10} "
        f"{'PENDING<=':>10}"
    )
    for t in totals:
        print(
            f"{t.profile:<12} {t.day or 'all days':<10} {t.jobs:>5} {usd(t.cost_usd):>10} "
            f"{usd(t.sync_cost_usd):>10} {usd(t.saved_usd):>10} {usd(t.pending_usd_high):>10}"
            + (f"  ({t.unpriced_jobs} job(s) without a price)" if t.unpriced_jobs else "")
        )
    return 0


async def cmd_clean(ws: Workspace, args: argparse.Namespace) -> int:
    cleaning = ws.clean_plan(args.profile)
    if args.json and (args.dry_run or not cleaning):
        emit_json({"dry_run": args.dry_run, **cleaning.as_dict(), "deleted": [], "failed": []})
        return 0
    if not cleaning:
        print("nothing to clean: no ended job with fully cached results has provider files left")
        return 0
    if not args.json:
        for item in cleaning.items:
            print(item.describe())
    if args.dry_run:
        print(f"dry run: {len(cleaning)} object(s) would be deleted; nothing was deleted")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            _err(f"{len(cleaning)} object(s) would be deleted; pass --yes to delete them")
            return 1
        question = f"delete these {len(cleaning)} object(s) at the provider? [y/N] "
        if args.json:  # stdout holds only the summary object: ask on stderr
            for item in cleaning.items:
                print(item.describe(), file=sys.stderr)
            print(question, end="", file=sys.stderr, flush=True)
            answer = input()
        else:
            answer = input(question)
        if answer.strip().lower() not in ("y", "yes"):
            if args.json:
                _err("nothing was deleted")
                emit_json({"dry_run": False, **cleaning.as_dict(), "deleted": [], "failed": []})
            else:
                print("nothing was deleted")
            return 0
    report = await ws.clean(cleaning)
    if args.json:
        emit_json({"dry_run": False, **cleaning.as_dict(), **report.as_dict()})
    else:
        print(f"deleted {len(report.deleted)} object(s)")
    for item, message in report.failed:
        _err(f"{item.describe()}: {message}")
    return 2 if report.failed else 0


async def cmd_show(ws: Workspace, args: argparse.Namespace) -> int:
    record = ws.store.get(args.id)
    if record is None or not args.cached:
        record = await ws.refresh(args.id, args.profile)
    if args.json:
        data = record_json(ws, record)
        data["children"] = [record_json(ws, c) for c in ws.children(record.local_id)]
        emit_json(data)
    else:
        children = ws.children(record.local_id)
        print("\n".join(job_details(record, children, stale_since=ws.stale_since(record))))
    return 0


class _WatchEnds:
    """What `batchtui watch` does when a job ends besides printing its line: the profile's
    `on_end` and `notify_urls` (in tasks, awaited before watch returns), and with --notify on
    a terminal the desktop notification's escape sequence and the bell (docs/notifications.md).
    """

    def __init__(self, ws: Workspace, notify: bool, env: Mapping[str, str] | None = None) -> None:
        from batchtui.core.notify import EndNotifier, claim_dir, pick_mode

        ui = ws.config.ui
        self.tty = notify and sys.stdout.isatty()
        self.mode = pick_mode(ui.desktop_notify, os.environ if env is None else env)
        self.bell = ui.bell or self.mode == "off"  # --notify asked: the bell at least
        self.hooks = EndNotifier(ws.config.profiles, _err, claim_dir=claim_dir(ws.store))
        self.tasks: set[asyncio.Task[None]] = set()
        self.ended: set[tuple[str, str]] = set()
        self.stale: set[str] = set()
        warning = self.hooks.missing_extra()
        if warning:
            _err(warning)

    def _terminal(self, title: str, body: str) -> None:
        if self.tty:
            from batchtui.core.notify import BEL, notification_sequence

            text = notification_sequence(self.mode, title, body) + (BEL if self.bell else "")
            sys.stdout.write(text)
            sys.stdout.flush()

    def job_ended(self, record: JobRecord) -> None:
        key = (record.local_id, record.status.value)
        if key in self.ended:
            return
        self.ended.add(key)
        from batchtui.core.notify import end_text

        self._terminal(*end_text(record))
        if self.hooks.wants(record):
            task = asyncio.create_task(self.hooks.job_ended(record))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def job_stale(self, record: JobRecord) -> None:
        if record.local_id not in self.stale:
            self.stale.add(record.local_id)
            from batchtui.core.notify import stale_text

            self._terminal(*stale_text(record))

    async def finish(self) -> None:
        """Wait for the hooks still running (each is bounded by its timeout)."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


async def _watch(
    ws: Workspace,
    idents: list[str],
    args: argparse.Namespace,
    *,
    quiet: bool = False,
    ends: _WatchEnds | None = None,
) -> int:
    """Poll the given jobs until each ends, printing a line whenever one changes; `ends`
    acts on each job that ends while watched (not on jobs that had ended before)."""
    interval = getattr(args, "interval", None) or 2.0
    watched = [ws.job(i).local_id for i in idents]
    ended_before = {i for i in watched if ws.job(i).is_terminal}
    last: dict[str, str] = {}
    as_json = getattr(args, "json", False) and not quiet
    while True:
        pending = False
        if any(ws.job(i).status is BatchStatus.QUEUED for i in watched):
            await ws.dispatch_queued()
        for local_id in watched:
            record = ws.job(local_id)
            if record.id and not record.is_terminal:
                try:
                    record = await ws.refresh(local_id)
                except ProviderError as exc:
                    if not exc.retryable:
                        raise  # a wrong key or a deleted job will not get better by waiting
                    _err(f"{record.display_id}: {exc} (will retry)")
            stale = ws.stale_since(record) is not None
            line = job_line(record, ws.clock.now(), stale=stale)
            key = f"{record.status.value}|{record.counts}|{stale}|{record.id}"
            if last.get(local_id) != key:
                last[local_id] = key
                if as_json:
                    emit_json(record_json(ws, record))
                elif not quiet:
                    print(line, flush=True)
            if ends is not None and local_id not in ended_before:
                if record.is_terminal:
                    ends.job_ended(record)
                elif stale:
                    ends.job_stale(record)
            pending = pending or not record.is_terminal
        if not pending:
            break
        await asyncio.sleep(interval)
    if ends is not None:
        await ends.finish()
    if quiet:
        _print_records(ws, [ws.job(i) for i in watched], True)
    return 0


async def cmd_watch(ws: Workspace, args: argparse.Namespace) -> int:
    _report_background_errors(ws)
    idents = args.ids or [
        r.local_id
        for r in ws.jobs()
        if not r.is_terminal and (r.id is not None or r.status is BatchStatus.QUEUED)
    ]
    if not idents:
        if args.json:
            _err("no live jobs to watch")
        else:
            print("no live jobs to watch")
        return 0
    for ident in args.ids:
        if ws.store.get(ident) is None:
            await ws.adopt(ident, args.profile)
    return await _watch(ws, idents, args, ends=_WatchEnds(ws, getattr(args, "notify", False)))


async def cmd_cancel(ws: Workspace, args: argparse.Namespace) -> int:
    record = await ws.cancel(args.id)
    _print_records(ws, [record], args.json)
    return 0


async def cmd_results(ws: Workspace, args: argparse.Namespace) -> int:
    if args.json and args.format == "csv" and not args.output:
        _err("--json with --format csv needs -o FILE (CSV rows are not JSON lines)")
        return 1
    record = await ws.resolve(args.id, args.profile)
    out: Any = args.output or sys.stdout
    join = ws.join_source(record.local_id) if args.join else None
    joined = join.export_kwargs() if join is not None else {}
    try:
        return await _export_results(ws, record, args, out, joined)
    finally:
        if join is not None:
            join.close()


async def _export_results(
    ws: Workspace, record: JobRecord, args: argparse.Namespace, out: Any, joined: dict[str, Any]
) -> int:
    from batchtui.core.results import by_error_type, by_flag, by_outcome, export_rows

    parse = ws.parse_fn(record.local_id)
    if args.run:
        merged = await ws.run_view(record.local_id)
        count = merged.export(out, parse=parse, format=args.format, **joined)
        missing = len(merged.missing)
        _err(f"{count} results written; {missing} custom_id(s) still without a success")
        if args.json and args.output:
            emit_json(_written(record, args, count) | {"run": True, "missing": missing})
        return 0
    index = await ws.fetch_results(record.local_id)
    rows: Any = range(index.count)
    if args.outcome:
        rows = by_outcome(index, [args.outcome])
    if args.flag:
        rows = by_flag(index, [args.flag], within=rows if args.outcome else None)
    if args.error_type:
        filtered = args.outcome or args.flag
        rows = by_error_type(index, [args.error_type], within=rows if filtered else None)
    count = export_rows(
        index, rows, out, parse=parse, format=args.format, job_id=record.id, **joined
    )
    if args.output:
        _err(f"{count} results written to {args.output}")
        if args.json:
            emit_json(_written(record, args, count) | {"run": False})
    return 0


def _written(record: JobRecord, args: argparse.Namespace, count: int) -> dict[str, Any]:
    """The summary object of `results --json -o FILE` (without -o the rows are the output)."""
    return {
        "id": record.id,
        "local_id": record.local_id,
        "output": str(args.output),
        "format": args.format,
        "written": count,
    }


async def cmd_retry(ws: Workspace, args: argparse.Namespace) -> int:
    made = await ws.retry(
        args.id,
        error_types=args.error_type,
        custom_ids=args.custom_id,
        flag=args.flag,
        max_tokens=args.max_tokens,
    )
    return await _made(ws, _as_records(made), args)


async def cmd_recover(ws: Workspace, args: argparse.Namespace) -> int:
    return await _made(ws, _as_records(await ws.recover(args.id)), args)


def cmd_config(args: argparse.Namespace) -> int:
    from batchtui.core.config import load_config
    from batchtui.core.registry import provider_specs

    path = config_path()
    if args.action == "path":
        if args.json:
            emit_json({"path": str(path), "exists": path.exists()})
        else:
            print(path)
        return 0
    if args.action == "init":
        if path.exists() and not args.force:
            _err(f"{path} exists; use --force to overwrite it")
            return 1
        write_default_config(path)
        if args.json:
            emit_json({"path": str(path), "written": True})
        else:
            print(f"wrote {path}")
        return 0
    config = load_config()
    if args.json:
        providers = [spec.as_dict() for spec in provider_specs().values()]
        read = str(config.path) if config.path else None
        emit_json({"path": read, **config.as_dict(), "providers": providers})
    else:
        where = config.path or f"{path} (not present: built-in defaults from the environment)"
        print(f"# {where}")
        print(dumps_config(config), end="")
    return 0


async def _cmd_webhooks(ws: Workspace, args: argparse.Namespace) -> int:
    """`batchtui webhooks` (its receiver and service are imported only for this command)."""
    from batchtui.cli.webhooks import cmd_webhooks

    return await cmd_webhooks(ws, args)


ASYNC_COMMANDS = {
    "submit": cmd_submit,
    "list": cmd_list,
    "show": cmd_show,
    "watch": cmd_watch,
    "cancel": cmd_cancel,
    "results": cmd_results,
    "retry": cmd_retry,
    "recover": cmd_recover,
    "costs": cmd_costs,
    "clean": cmd_clean,
    "webhooks": _cmd_webhooks,
}


def output_path(value: str | None) -> Path | None:
    return Path(value) if value else None
