"""The headless subcommands: each takes the parsed arguments and an open Workspace."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from batchtui.cli.output import emit_json, job_details, job_line
from batchtui.core.config import dumps_config, write_default_config
from batchtui.core.inputs import InputValidationError
from batchtui.core.paths import config_path
from batchtui.core.provider import BatchtuiError, ProviderError
from batchtui.core.results import (
    RequestLookup,
    by_error_type,
    by_flag,
    by_outcome,
    export_rows,
)
from batchtui.core.store import JobRecord
from batchtui.core.workspace import Workspace


def _err(message: str) -> None:
    print(f"batchtui: {message}", file=sys.stderr, flush=True)


def _defaults(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if getattr(args, "model", None):
        out["model"] = args.model
    if getattr(args, "max_tokens", None):
        out["max_tokens"] = args.max_tokens
    if getattr(args, "endpoint", None):
        out["endpoint"] = args.endpoint
    return out


def _csv(args: argparse.Namespace) -> dict[str, Any]:
    """The CSV/TSV template options of `submit` and `validate`."""
    return {
        "csv_template": getattr(args, "template", None),
        "csv_id_column": getattr(args, "id_column", None),
        "csv_system": getattr(args, "system", None),
    }


def _batches(summary: Any) -> int:
    """How many batches the input makes (none when it holds no request)."""
    return len(summary.parts) or (1 if summary.requests else 0)


def print_report_issues(report: Any) -> None:
    """Every issue of a validation report on stderr, FILE:LINE: field: message."""
    for line in report.lines():
        print(line, file=sys.stderr)


def cmd_validate(ws: Workspace, args: argparse.Namespace) -> int:
    report = ws.validate(args.file, args.profile, defaults=_defaults(args), **_csv(args))
    if args.json:
        emit_json(
            {
                "ok": report.ok,
                "errors": report.error_count,
                "warnings": report.warning_count,
                "issues": [str(i) for i in report.issues],
                "total_issues": report.total_issues,
                "summary": report.summary.as_dict(),
            }
        )
    else:
        print_report_issues(report)
        s = report.summary
        verdict = "ok" if report.ok else f"{report.error_count} error(s)"
        print(
            f"{args.file}: {verdict}; {s.requests} requests, {len(s.models)} model(s), "
            f"~{s.input_tokens} input tokens, {_batches(s)} batch(es) for {s.provider}"
        )
    return 0 if report.ok else 1


async def cmd_submit(ws: Workspace, args: argparse.Namespace) -> int:
    if args.dry_run:
        report = ws.validate(
            args.file, args.profile, defaults=_defaults(args), split=args.split, **_csv(args)
        )
        summary = report.summary
        if args.json:
            emit_json(
                {
                    "ok": report.ok,
                    "dry_run": True,
                    "profile": ws.profile(args.profile).name,
                    "issues": [str(i) for i in report.issues],
                    "estimate": {
                        "requests": summary.requests,
                        "input_tokens": summary.input_tokens,
                        "max_output_tokens": summary.max_tokens_total,
                    },
                    "parts": [p.as_dict() for p in summary.parts],
                }
            )
        else:
            print_report_issues(report)
            print(
                f"dry run: {summary.requests} requests in {_batches(summary)} batch(es), "
                f"~{summary.input_tokens} input tokens; nothing was sent"
            )
        return 0 if report.ok else 1
    if args.max_cost is not None:
        check_max_cost(ws, args)
    records = await ws.submit_file(
        args.file,
        args.profile,
        model=args.model,
        max_tokens=args.max_tokens,
        endpoint=args.endpoint,
        label=args.label,
        split=args.split,
        again=args.again,
        **_csv(args),
    )
    _print_records(ws, records, args.json)
    if args.wait:
        return await _watch(ws, [r.local_id for r in records], args, quiet=args.json)
    return 0


def check_max_cost(ws: Workspace, args: argparse.Namespace) -> None:
    """Refuse (before anything is recorded or uploaded) when the high estimate tops --max-cost.

    A request without max_tokens has no output ceiling and a model without a price has no
    price, so either makes the estimate unbounded: refused too, saying why.
    """
    from batchtui.core.costs import estimate, format_usd

    report = ws.validate(
        args.file, args.profile, defaults=_defaults(args), split=args.split, **_csv(args)
    )
    if not report.ok:
        raise InputValidationError(report)
    summary = report.summary
    provider = ws.profile(args.profile).provider
    missing = sum(t.max_tokens_missing for t in summary.models.values())
    if missing:
        raise BatchtuiError(
            f"--max-cost: {missing} request(s) set no max_tokens, so the cost has no ceiling; "
            "set max_tokens (or --max-tokens) to bound it"
        )
    per_model = {
        name: (t.requests, t.input_tokens, t.max_tokens) for name, t in summary.models.items()
    }
    guess = estimate(provider, per_model)
    if guess.cost_usd_high is None:
        raise BatchtuiError(
            f"--max-cost: no price known for {', '.join(guess.unpriced_models)}; "
            "cannot tell whether the batch stays under the limit"
        )
    if guess.cost_usd_high > args.max_cost:
        raise BatchtuiError(
            f"--max-cost: the high estimate is {format_usd(guess.cost_usd_high)} (low "
            f"{format_usd(guess.cost_usd_low)}), over the limit of {format_usd(args.max_cost)}; "
            "nothing was sent"
        )


def _print_records(ws: Workspace, records: list[JobRecord], as_json: bool) -> None:
    if as_json:
        data = [r.to_json() for r in records]
        emit_json(data[0] if len(data) == 1 else data)
    else:
        now = ws.clock.now()
        for record in records:
            print(job_line(record, now))


async def cmd_list(ws: Workspace, args: argparse.Namespace) -> int:
    failed = 0
    if args.refresh:
        await ws.reconcile()
        for record in ws.jobs():
            if record.id and not record.is_terminal:
                try:
                    await ws.refresh(record.local_id)
                except ProviderError as exc:
                    failed += 1
                    _err(f"{record.display_id}: {exc}")
    records = [r for r in ws.jobs() if not args.profile or r.profile == args.profile]
    if args.json:
        emit_json([r.to_json() for r in records])
    elif not records:
        print("no jobs yet: `batchtui submit FILE` sends one")
    else:
        _print_records(ws, records, False)
    return 2 if failed else 0  # the list is printed from the store either way


async def cmd_show(ws: Workspace, args: argparse.Namespace) -> int:
    record = ws.store.get(args.id)
    if record is None or not args.cached:
        record = await ws.refresh(args.id, args.profile)
    if args.json:
        data = record.to_json()
        data["children"] = [c.to_json() for c in ws.children(record.local_id)]
        emit_json(data)
    else:
        print("\n".join(job_details(record, ws.children(record.local_id))))
    return 0


async def _watch(
    ws: Workspace, idents: list[str], args: argparse.Namespace, *, quiet: bool = False
) -> int:
    """Poll the given jobs until each ends, printing a line whenever one changes."""
    interval = getattr(args, "interval", None) or 2.0
    watched = [ws.job(i).local_id for i in idents]
    last: dict[str, str] = {}
    as_json = getattr(args, "json", False) and not quiet
    while True:
        pending = False
        for local_id in watched:
            record = ws.job(local_id)
            if record.id and not record.is_terminal:
                try:
                    record = await ws.refresh(local_id)
                except ProviderError as exc:
                    if not exc.retryable:
                        raise  # a wrong key or a deleted job will not get better by waiting
                    _err(f"{record.display_id}: {exc} (will retry)")
            line = job_line(record, ws.clock.now())
            key = f"{record.status.value}|{record.counts}"
            if last.get(local_id) != key:
                last[local_id] = key
                if as_json:
                    print(__import__("json").dumps(record.to_json()), flush=True)
                elif not quiet:
                    print(line, flush=True)
            pending = pending or not record.is_terminal
        if not pending:
            break
        await asyncio.sleep(interval)
    if quiet:
        _print_records(ws, [ws.job(i) for i in watched], True)
    return 0


async def cmd_watch(ws: Workspace, args: argparse.Namespace) -> int:
    idents = args.ids or [r.local_id for r in ws.jobs() if not r.is_terminal and r.id is not None]
    if not idents:
        print("no live jobs to watch")
        return 0
    for ident in args.ids:
        if ws.store.get(ident) is None:
            await ws.adopt(ident, args.profile)
    return await _watch(ws, idents, args)


async def cmd_cancel(ws: Workspace, args: argparse.Namespace) -> int:
    record = await ws.cancel(args.id)
    _print_records(ws, [record], args.json)
    return 0


async def cmd_results(ws: Workspace, args: argparse.Namespace) -> int:
    record = await ws.resolve(args.id, args.profile)
    out: Any = args.output or sys.stdout
    join = RequestLookup(record.input_path) if args.join and record.input_path else None
    if args.join and join is None:
        raise BatchtuiError(f"job {record.display_id} has no kept input to join results to")
    parse = ws.parse_fn(record.local_id)
    if args.run:
        merged = await ws.run_view(record.local_id)
        count = merged.export(out, parse=parse, format=args.format, join=join)
        missing = len(merged.missing)
        _err(f"{count} results written; {missing} custom_id(s) still without a success")
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
        index, rows, out, parse=parse, format=args.format, job_id=record.id, join=join
    )
    if args.output:
        _err(f"{count} results written to {args.output}")
    return 0


async def cmd_retry(ws: Workspace, args: argparse.Namespace) -> int:
    record = await ws.retry(
        args.id,
        error_types=args.error_type,
        custom_ids=args.custom_id,
        flag=args.flag,
        max_tokens=args.max_tokens,
    )
    _print_records(ws, [record], args.json)
    if args.wait:
        return await _watch(ws, [record.local_id], args, quiet=args.json)
    return 0


async def cmd_recover(ws: Workspace, args: argparse.Namespace) -> int:
    record = await ws.recover(args.id)
    _print_records(ws, [record], args.json)
    if args.wait:
        return await _watch(ws, [record.local_id], args, quiet=args.json)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from batchtui.core.config import load_config

    path = config_path()
    if args.action == "path":
        print(path)
        return 0
    if args.action == "init":
        if path.exists() and not args.force:
            _err(f"{path} exists; use --force to overwrite it")
            return 1
        write_default_config(path)
        print(f"wrote {path}")
        return 0
    config = load_config()
    if args.json:
        emit_json({"path": str(config.path) if config.path else None, **config.as_dict()})
    else:
        where = config.path or f"{path} (not present: built-in defaults from the environment)"
        print(f"# {where}")
        print(dumps_config(config), end="")
    return 0


ASYNC_COMMANDS = {
    "submit": cmd_submit,
    "list": cmd_list,
    "show": cmd_show,
    "watch": cmd_watch,
    "cancel": cmd_cancel,
    "results": cmd_results,
    "retry": cmd_retry,
    "recover": cmd_recover,
}


def report_validation_error(exc: InputValidationError) -> None:
    print_report_issues(exc.report)
    _err(str(exc))


def output_path(value: str | None) -> Path | None:
    return Path(value) if value else None
