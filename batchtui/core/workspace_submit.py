"""Submission, retry, recovery and cancel: the Workspace's half that sends work to providers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.core.models import Capability, ResultFlag
from batchtui.core.provider import BatchtuiError, ProgressCallback
from batchtui.core.queue import check_fits_alone, is_limited
from batchtui.core.store import LABEL_METADATA_KEY, InputAlreadySent, JobRecord
from batchtui.core.workspace_base import WorkspaceContext
from batchtui.core.workspace_lookups import Lookups
from batchtui.core.workspace_money import Money, check_usd
from batchtui.core.workspace_queue import Queue
from batchtui.core.workspace_results import NoResults, Results
from batchtui.core.workspace_send import Sender

if TYPE_CHECKING:
    from batchtui.core.results import ResultIndex


class Submissions:
    """Submit inputs; retry, recover and cancel jobs."""

    def __init__(
        self,
        ctx: WorkspaceContext,
        *,
        lookups: Lookups,
        money: Money,
        cache: Results,
        sender: Sender,
        queue: Queue,
    ) -> None:
        self.ctx = ctx
        self.lookups = lookups
        self.money = money
        self.cache = cache
        self.sender = sender
        self.queue = queue

    async def submit_file(
        self,
        path: Path | str,
        profile: str | None = None,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        endpoint: str | None = None,
        label: str | None = None,
        split: bool = True,
        again: bool = False,
        progress: ProgressCallback | None = None,
        csv_template: str | None = None,
        csv_id_column: str | None = None,
        csv_system: str | None = None,
        max_cost_usd: float | None = None,
    ) -> list[JobRecord]:
        """Validate, keep, and submit an input (split into parts of one run when over limits).

        ``csv_template``, ``csv_id_column`` and ``csv_system`` apply to CSV/TSV inputs (their
        rows are kept for joined exports). Each part's cost estimate is kept on its job. The
        high estimate is checked against ``max_cost_usd`` and the profile's ``max_cost_usd``
        and ``max_cost_usd_per_day`` before anything is kept, recorded or uploaded
        (BudgetExceeded). When the profile limits its queue (``max_in_flight``,
        ``max_enqueued_tokens``) every part is recorded QUEUED and those that fit go out at
        once, oldest queued first; the others are returned QUEUED and go out as earlier jobs
        end (`dispatch_queued`).
        """
        from batchtui.core.costs import sum_estimates, warm_prices
        from batchtui.core.estimates import part_estimates, summary_estimate
        from batchtui.core.inputs import InputFormat, write_native
        from batchtui.core.inputs.limits import limits_for
        from batchtui.core.inputs.native import provider_title
        from batchtui.core.inputs.validate import NO_MODEL
        from batchtui.core.submit import DuplicateInput, keep_part

        prof = self.ctx.profile(profile)
        self.ctx.provider(prof.name)  # no key, no intent: fail before anything is recorded
        check_usd(max_cost_usd)
        defaults = self.ctx.defaults(prof, {"model": model, "max_tokens": max_tokens})
        if endpoint:
            defaults["endpoint"] = endpoint
        # The price database loads while the input is validated and written (the estimate
        # after needs it; its import would otherwise come on top).
        warm_prices(prof.provider, [defaults.get("model")])
        # A folder of its own: part files are named after the input, so two submissions of
        # same-named files at once must not write over each other.
        workdir = Path(tempfile.mkdtemp(dir=self.ctx.staging_dir))
        try:
            parts = await asyncio.to_thread(
                functools.partial(
                    write_native,
                    path,
                    prof.provider,
                    workdir,
                    split=split,
                    defaults=defaults,
                    csv_template=csv_template,
                    csv_id_column=csv_id_column,
                    csv_system=csv_system,
                )
            )
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        summary = parts.report.summary
        limited = is_limited(prof)
        models = sorted(name for name in summary.models if name != NO_MODEL)
        try:
            if len(models) != 1 and limits_for(prof.provider).model_on_job:
                named = f"several ({', '.join(models)})" if models else "none"
                raise BatchtuiError(
                    f"{path}: a {provider_title(prof.provider)} batch runs one model, named when "
                    f"it is created, and this input names {named}: pass --model (or set the "
                    f"profile's default_model); nothing was sent"
                )
            todo = list(range(len(parts)))
            existing: dict[int, JobRecord] = {}
            run_id = None
            if not again:
                await self.ctx.reconcile(prof.name)
                existing, run_id = self._already_sent(prof.name, parts)
                todo = [i for i in todo if i not in existing]
            run_estimate = await asyncio.to_thread(summary_estimate, prof.provider, summary)
            estimates = part_estimates(run_estimate, parts)
            # Budgets and queue limits refuse before anything is kept, recorded or uploaded.
            self.money.check_budgets(prof, sum_estimates(estimates[i] for i in todo), max_cost_usd)
            if limited:
                check_fits_alone(prof, [estimates[i].input_tokens for i in todo])
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        kept = [keep_part(self.ctx.store, part.path, part.sha256) for part in parts]
        shutil.rmtree(workdir, ignore_errors=True)
        options: dict[str, Any] = {}
        if label:
            options["metadata"] = {LABEL_METADATA_KEY: label[:512]}
        if summary.format is InputFormat.CSV:
            from batchtui.core.joins import CSV_OPTION, write_csv_columns  # CSV inputs only

            sidecar, header = await asyncio.to_thread(
                write_csv_columns, Path(path), self.ctx.store.inputs_dir, id_column=csv_id_column
            )
            options[CSV_OPTION] = {"path": str(sidecar), "header": header}
        # Record every part before sending any, so a failure part-way leaves each unsent part
        # recorded (and then settled as not sent), never forgotten.
        intents: dict[int, JobRecord] = {}
        default_endpoint = limits_for(prof.provider).default_endpoint
        try:
            for number in todo:
                part, kept_path = parts[number], kept[number]
                native_endpoint = _endpoint_of(kept_path, prof.provider)
                part_endpoint = endpoint or native_endpoint or default_endpoint
                record = self.ctx.store.record_intent(
                    profile=prof.name,
                    provider=prof.provider,
                    input_path=kept_path,
                    sha256=part.sha256,
                    request_count=part.requests,
                    label=label
                    if len(parts) == 1
                    else f"{label or Path(path).stem} {number + 1}/{len(parts)}",
                    run_id=run_id,
                    part_index=number if len(parts) > 1 else None,
                    model=models[0] if len(models) == 1 else None,
                    endpoint=part_endpoint if native_endpoint else None,
                    options={
                        "endpoint": part_endpoint,
                        "model": models[0] if len(models) == 1 else None,
                        "metadata": {},
                        **options,
                    },
                    queued=limited,
                    estimate=estimates[number].as_dict(),
                    submitted_by=self.ctx.submitted_by(),
                    unique_input=not again,
                )
                run_id = record.run_id
                intents[number] = record
                self.ctx.emit(record)
        except InputAlreadySent as exc:
            # Another process (or machine, on a team store) recorded this input between the
            # look above and now: what this run recorded is dropped unsent.
            for record in intents.values():
                self.sender.drop_unsent(record.local_id)
            raise DuplicateInput(
                f"this input was already submitted on profile {prof.name!r} as "
                f"{exc.job.display_id} ({exc.job.status.value}"
                f"{', by ' + exc.job.submitted_by if exc.job.submitted_by else ''}); "
                "use --again to submit it anyway"
            ) from None
        sent: dict[int, JobRecord] = dict(existing)
        try:
            if limited:
                own = {intents[n].local_id for n in todo}
                await self.queue.dispatch_profile(prof.name, own=own, progress=progress)
            else:
                for number in todo:
                    sent[number] = await self.sender.send(
                        intents[number].local_id, progress=progress
                    )
        except BaseException:
            for number in todo:
                if number not in sent:
                    self.sender.drop_unsent(intents[number].local_id)
            raise
        out = []
        for number in range(len(parts)):
            done = sent.get(number) or self.ctx.store.get(intents[number].local_id)
            assert done is not None
            out.append(done)
        return out

    def _already_sent(
        self, profile: str, parts: list[Any]
    ) -> tuple[dict[int, JobRecord], str | None]:
        """Parts of this input that already have a job, and the run to add the others to.

        Raises DuplicateInput when every part has one (or when they cannot be one earlier
        split of the same input); a split input sent only in part is resumed instead, so the
        parts already paid for are not sent again.
        """
        from batchtui.core.submit import DuplicateInput

        found: dict[int, JobRecord] = {}
        for number, part in enumerate(parts):
            jobs = self.ctx.store.find_by_sha256(profile, part.sha256)
            if jobs:
                found[number] = jobs[0]
        if not found:
            return {}, None
        first = found[min(found)]
        refusal = DuplicateInput(
            f"this input was already submitted on profile {profile!r} as "
            f"{first.display_id} ({first.status.value}); use --again to submit it anyway"
        )
        if len(found) == len(parts):
            raise refusal
        runs = {job.run_id for job in found.values()}
        same_split = all(job.part_index == number for number, job in found.items())
        if len(runs) != 1 or not same_split:
            raise refusal
        return found, runs.pop()

    async def _submit_child(
        self,
        parent: JobRecord,
        custom_ids: list[str],
        *,
        max_tokens: int | None,
        note: str,
    ) -> JobRecord:
        from batchtui.core.estimates import native_estimate
        from batchtui.core.inputs.limits import limits_for
        from batchtui.core.recovery import write_subset
        from batchtui.core.submit import keep_part, remove_quietly

        self.ctx.provider(parent.profile)  # no key, no intent: fail before anything is recorded
        elsewhere = parent.input_path is not None and not parent.input_path.exists()
        if elsewhere and self.ctx.store.shared:
            by = f" (submitted by {parent.submitted_by})" if parent.submitted_by else ""
            raise BatchtuiError(
                f"job {parent.display_id}'s kept input is on the machine that submitted it"
                f"{by}, not on this one: retry it there"
            )
        if parent.input_path is None or not parent.input_path.exists():
            raise BatchtuiError(
                f"job {parent.display_id} has no kept input (adopted from elsewhere?), "
                "so its requests cannot be resubmitted"
            )
        staging = self.ctx.staging_dir / f"{parent.local_id}-retry.jsonl"
        count, sha, _size = await asyncio.to_thread(
            write_subset,
            parent.input_path,
            custom_ids,
            staging,
            parent.provider,
            max_tokens=max_tokens,
        )
        prof = self.ctx.profile(parent.profile)
        try:
            guess = await asyncio.to_thread(native_estimate, staging, parent.provider)
            self.money.check_budgets(prof, guess, None)
            limited = is_limited(prof)
            if limited:
                check_fits_alone(prof, [guess.input_tokens])
        except BaseException:
            remove_quietly(staging)
            raise
        kept = keep_part(self.ctx.store, staging, sha)
        intent = self.ctx.store.get_intent(parent.local_id)
        options = dict(intent.options) if intent else {}
        options.setdefault(
            "endpoint", parent.endpoint or limits_for(parent.provider).default_endpoint
        )
        options.setdefault("model", parent.model)
        label = f"{parent.label or parent.display_id} ({note})"
        if self.ctx.provider(parent.profile).capabilities & Capability.METADATA:
            options["metadata"] = {LABEL_METADATA_KEY: label[:512]}
        record = self.ctx.store.record_intent(
            profile=parent.profile,
            provider=parent.provider,
            input_path=kept,
            sha256=sha,
            request_count=count,
            label=label,
            parent=parent.local_id,
            model=parent.model,
            endpoint=parent.endpoint,
            options=options,
            queued=limited,
            estimate=guess.as_dict(),
            submitted_by=self.ctx.submitted_by(),
        )
        self.ctx.emit(record)
        if not limited:
            return await self.sender.send(record.local_id)
        try:
            await self.queue.dispatch_profile(prof.name, own={record.local_id})
        except BaseException:
            self.sender.drop_unsent(record.local_id)
            raise
        current = self.ctx.store.get(record.local_id)
        assert current is not None
        return current

    async def retry(
        self,
        ident: str,
        *,
        error_types: list[str] | None = None,
        custom_ids: list[str] | None = None,
        flag: ResultFlag | str | None = None,
        max_tokens: int | None = None,
    ) -> JobRecord:
        """Resubmit a job's errored (or flagged, or chosen) requests as a child job.

        Requests that an earlier retry of the job already answered, or that a retry still in
        flight holds, are left out unless named with ``custom_ids``.
        """
        from batchtui.core.recovery import retry_ids, unfinished_ids

        parent = await self.lookups.resolve(ident)
        index = await self.cache.fetch_results(parent.local_id)
        ids = retry_ids(index, error_types=error_types, custom_ids=custom_ids, flag=flag)
        if custom_ids:
            unknown = sorted(set(custom_ids) - set(ids))
            if unknown:
                shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
                raise BatchtuiError(
                    f"job {parent.display_id} has no result for custom_id(s) {shown}"
                )
        what = (
            f"flag {flag}"
            if flag
            else "errors" + (f" of type {', '.join(error_types)}" if error_types else "")
        )
        if not ids:
            raise BatchtuiError(f"job {parent.display_id} has no {what} to retry")
        if not custom_ids:
            later, pending = await self._descendants_outcome(parent)
            ids = [i for i in unfinished_ids(ids, later) if i not in pending]
            if not ids:
                raise BatchtuiError(
                    f"job {parent.display_id}: every one of its {what} was already retried "
                    "(answered or still in flight in a retry job)"
                )
        note = f"retry of {len(ids)}"
        return await self._submit_child(parent, ids, max_tokens=max_tokens, note=note)

    async def recover(self, ident: str) -> JobRecord:
        """Keep a stopped job's partial results and resubmit exactly its unfinished requests.

        Unfinished means: no success in the job nor in any retry made from it (their results
        are fetched as needed), and not held by a retry still in flight.
        """
        from batchtui.core.recovery import submitted_ids, unfinished_ids

        parent = await self.lookups.fresh(await self.lookups.resolve(ident))
        if not parent.is_terminal:
            hint = (
                "wait for it to end"
                if parent.status.value == "cancelling"
                else ("cancel it first or wait for it to end")
            )
            raise BatchtuiError(f"job {parent.display_id} is still {parent.status.value}; {hint}")
        if parent.input_path is None:
            raise BatchtuiError(f"job {parent.display_id} has no kept input to resubmit from")
        indexes = []
        if parent.results_available:
            indexes.append(await self.cache.fetch_results(parent.local_id))
        later, pending = await self._descendants_outcome(parent)
        submitted = await asyncio.to_thread(submitted_ids, parent.input_path, parent.provider)
        missing = [i for i in unfinished_ids(submitted, [*indexes, *later]) if i not in pending]
        if not missing:
            if pending:
                raise BatchtuiError(
                    f"job {parent.display_id}: every request has a success or is still in "
                    "flight in a retry job; wait for it to end"
                )
            raise BatchtuiError(f"job {parent.display_id}: every request already has a success")
        return await self._submit_child(
            parent, missing, max_tokens=None, note=f"recovery of {len(missing)}"
        )

    async def _descendants_outcome(self, record: JobRecord) -> tuple[list[ResultIndex], set[str]]:
        """The result indexes of a job's retry jobs (all generations, fetched when available),
        and the custom_ids those still in flight hold."""
        from batchtui.core.recovery import submitted_ids

        indexes: list[ResultIndex] = []
        pending: set[str] = set()
        queue = list(self.ctx.store.children(record.local_id))
        while queue:
            child = await self.lookups.fresh(queue.pop(0))
            queue.extend(self.ctx.store.children(child.local_id))
            dropped = child.intent_state is not None and child.intent_state.value in (
                "failed",
                "abandoned",
            )
            if dropped and child.id is None:
                continue
            if not child.is_terminal or child.id is None:
                if child.input_path is not None and child.input_path.exists():
                    pending.update(
                        await asyncio.to_thread(submitted_ids, child.input_path, child.provider)
                    )
                continue
            index = self.cache.results(child.local_id)
            if child.results_available and not child.results_complete:
                with contextlib.suppress(NoResults):
                    index = await self.cache.fetch_results(child.local_id)
            if index is not None:
                indexes.append(index)
        return indexes, pending

    async def cancel(self, ident: str) -> JobRecord:
        """Ask the provider to cancel a job; its finished part is kept. A job still QUEUED
        locally is withdrawn instead (status CANCELLED; nothing was sent)."""
        record = await self.lookups.resolve(ident)
        if record.status.value == "queued":
            if self.ctx.store.withdraw_queued(record.local_id):
                record = self.ctx.store.require(record.local_id)
                self.ctx.emit(record)
                return record
            record = self.ctx.store.require(record.local_id)  # released meanwhile: it is going out
        if record.id is None:
            raise BatchtuiError(f"job {record.display_id} is not at the provider yet")
        if record.is_terminal:
            raise BatchtuiError(f"job {record.display_id} already ended ({record.status.value})")
        provider = self.ctx.provider(record.profile)
        if not provider.capabilities & Capability.CANCEL:
            raise BatchtuiError(f"{record.provider} batches cannot be cancelled")
        job = await provider.cancel(record.id)
        record = self.ctx.remember(job, record.profile)
        self.ctx.track(record)
        self.ctx.poll_now(record.local_id)
        return record


def _endpoint_of(path: Path, provider: str) -> str | None:
    """The endpoint named by the first line of a native input of ``provider``, when its
    format's lines name one (its ``endpoint_key``), else None."""
    from batchtui.core.inputs.native import native_format

    key = native_format(provider).endpoint_key
    if key is None:
        return None
    with open(path, "rb") as handle:
        first = handle.readline()
    try:
        named = json.loads(first).get(key)
    except (ValueError, AttributeError):
        return None
    return named if isinstance(named, str) else None
