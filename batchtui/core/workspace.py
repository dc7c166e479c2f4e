"""The Workspace: the one object a front end holds (config, store, adapters, poller, results).

The TUI and the headless CLI both call these methods, so anything one can do the other can.
Network work is async; store calls are short synchronous SQLite transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from batchtui.core.clock import Clock, SystemClock
from batchtui.core.config import Config, ConfigError, Profile, load_config, provider_kwargs
from batchtui.core.inputs import ValidationReport, validate_file, write_native
from batchtui.core.models import BatchJob, BatchStatus, Capability, ResultFlag
from batchtui.core.paths import data_dir, ensure_private_dir
from batchtui.core.poller import Poller, PollSettings
from batchtui.core.provider import (
    BatchtuiError,
    NotFoundError,
    ProgressCallback,
    Provider,
    ProviderError,
    SubmitOptions,
)
from batchtui.core.recovery import (
    retry_ids,
    submitted_ids,
    unfinished_ids,
    write_subset,
)
from batchtui.core.results import ResultIndex, ResultsFile, RunMerge, download_results, merge_run
from batchtui.core.store import LABEL_METADATA_KEY, JobRecord, JobStore
from batchtui.core.submit import (
    DuplicateInput,
    keep_part,
    reconcile_profile,
    send_intent,
)

JobListener = Callable[[JobRecord], None]
ErrorListener = Callable[[str, str | None, Exception], None]
ProviderFactory = Callable[[Profile], Provider]


class NoResults(BatchtuiError):
    """The job has no results to fetch (yet)."""


def _default_factory(profile: Profile) -> Provider:
    from batchtui.providers import make_provider  # the core names no adapter at import time

    kwargs = provider_kwargs(profile)
    if not kwargs.get("api_key"):
        raise ConfigError(
            f"profile {profile.name!r} has no API key: set {profile.key_env}"
            + (f" or check {profile.api_key_file}" if profile.api_key_file else "")
        )
    # The profile's retry budget bounds how long one command retries 429s, 5xx and an
    # unreachable server before it gives up (DESIGN.md "Headless CLI contract").
    kwargs.setdefault("retry_budget", profile.retry_budget_s)
    return make_provider(profile.provider, **kwargs)


def poll_settings(profile: Profile) -> PollSettings:
    """The poller's settings for a profile, from its config."""
    return PollSettings(
        min_interval_s=profile.poll_min_s,
        max_interval_s=max(profile.poll_max_s, profile.poll_min_s),
        max_concurrency=profile.max_concurrency,
        list_interval_s=profile.list_interval_s,
    )


class Workspace:
    """Config, job store, one adapter per profile, the poller, and the results cache."""

    def __init__(
        self,
        config: Config,
        store: JobStore,
        *,
        home: Path,
        clock: Clock | None = None,
        provider_factory: ProviderFactory | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.home = home
        self.clock: Clock = clock or SystemClock()
        self._factory = provider_factory or _default_factory
        self._providers: dict[str, Provider] = {}
        self._listeners: list[JobListener] = []
        self._error_listeners: list[ErrorListener] = []
        self._in_flight: set[str] = set()
        self._poller: Poller | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._indexes: dict[str, ResultIndex] = {}

    @classmethod
    def open(
        cls,
        home: Path | None = None,
        *,
        clock: Clock | None = None,
        config: Config | None = None,
        provider_factory: ProviderFactory | None = None,
    ) -> Workspace:
        """Open the user's workspace (or the one under ``home``)."""
        home = ensure_private_dir(Path(home) if home else data_dir())
        config = config or load_config()
        store = JobStore(home / "batchtui.db", clock=clock)
        return cls(config, store, home=home, clock=clock, provider_factory=provider_factory)

    # --- places ---------------------------------------------------------------------------

    @property
    def results_dir(self) -> Path:
        return ensure_private_dir(self.home / "results")

    @property
    def staging_dir(self) -> Path:
        return ensure_private_dir(self.store.inputs_dir / "staging")

    # --- profiles and adapters ------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        return list(self.config.profiles.values())

    def profile(self, name: str | None = None) -> Profile:
        return self.config.profile(name)

    def provider(self, profile: str) -> Provider:
        """The adapter of a profile, built on first use (ConfigError without a key)."""
        if profile not in self._providers:
            self._providers[profile] = self._factory(self.config.profile(profile))
        return self._providers[profile]

    def usable_profiles(self) -> list[str]:
        """Profiles whose adapter can be built (a key is set)."""
        names = []
        for name in self.config.profiles:
            try:
                self.provider(name)
            except BatchtuiError:
                continue
            names.append(name)
        return names

    # --- jobs -----------------------------------------------------------------------------

    def jobs(self) -> list[JobRecord]:
        """Every job, newest run first, each parent followed by its retries."""
        records = self.store.list_jobs()
        by_parent: dict[str | None, list[JobRecord]] = {}
        for record in reversed(records):  # oldest first inside each parent
            by_parent.setdefault(record.parent_local_id, []).append(record)
        known = {r.local_id for r in records}
        ordered: list[JobRecord] = []

        def walk(record: JobRecord) -> None:
            ordered.append(record)
            for child in by_parent.get(record.local_id, []):
                walk(child)

        for record in records:
            if record.parent_local_id is None or record.parent_local_id not in known:
                walk(record)
        return ordered

    def job(self, ident: str) -> JobRecord:
        """A job by provider id, local id or a unique local-id prefix."""
        return self.store.require(ident)

    def children(self, local_id: str) -> list[JobRecord]:
        return self.store.children(local_id)

    # --- listeners ------------------------------------------------------------------------

    def subscribe(self, callback: JobListener) -> Callable[[], None]:
        """Call ``callback(record)`` whenever a job changes; returns an unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def subscribe_errors(self, callback: ErrorListener) -> Callable[[], None]:
        """Call ``callback(profile, batch_id, error)`` for background polling errors."""
        self._error_listeners.append(callback)
        return lambda: (
            self._error_listeners.remove(callback) if callback in self._error_listeners else None
        )

    def _emit(self, record: JobRecord | None) -> None:
        if record is None:
            return
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener(record)

    def _remember(self, job: BatchJob, profile: str) -> JobRecord:
        record, changed = self.store.upsert_snapshot(job, profile)
        if changed:
            self._emit(record)
        if not record.is_terminal:
            self._track(record)
        return record

    # --- polling --------------------------------------------------------------------------

    def _make_poller(self) -> Poller:
        profiles = self.usable_profiles()
        providers = {name: self.provider(name) for name in profiles}
        settings = {name: poll_settings(self.config.profile(name)) for name in profiles}

        def on_snapshot(profile: str, job: BatchJob) -> None:
            self._remember(job, profile)

        def on_error(profile: str, batch_id: str | None, exc: Exception) -> None:
            for listener in list(self._error_listeners):
                with contextlib.suppress(Exception):
                    listener(profile, batch_id, exc)

        poller = Poller(
            providers,
            clock=self.clock,
            on_snapshot=on_snapshot,
            on_error=on_error,
            on_discovered=on_snapshot,
            settings=settings,
        )
        for name in profiles:
            poller.mark_known(name, [r.id for r in self.store.list_jobs(profile=name) if r.id])
            for record in self.store.live_jobs(name):
                if record.id:
                    poller.track(name, record.id, submitted_at=record.times.created_at)
        return poller

    async def start_polling(self) -> None:
        """Settle crash leftovers, then poll every live job until ``stop_polling``."""
        await self.reconcile()
        self._poller = self._make_poller()
        await self._poller.run()

    def start_polling_task(self) -> asyncio.Task[None]:
        """Start polling in a background task of the running loop."""
        if self._poll_task is None or self._poll_task.done():
            self._poll_task = asyncio.create_task(self.start_polling(), name="batchtui-poller")
        return self._poll_task

    async def stop_polling(self) -> None:
        if self._poller is not None:
            await self._poller.stop()
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poll_task
            self._poll_task = None

    def poll_now(self, ident: str | None = None) -> None:
        """Ask the poller for an immediate poll of one job, or of every live job."""
        if self._poller is None:
            return
        if ident is None:
            for name in self._poller.profiles:
                self._poller.poll_now(name)
            return
        record = self.job(ident)
        if record.id:
            self._track(record)
            self._poller.poll_now(record.profile, record.id)

    def _track(self, record: JobRecord) -> None:
        poller = self._poller
        if poller is None or not record.id or record.profile not in poller.profiles:
            return
        if not poller.is_tracked(record.profile, record.id):
            poller.track(record.profile, record.id, submitted_at=record.times.created_at)

    async def reconcile(self, profile: str | None = None) -> list[JobRecord]:
        """Settle submissions a crash or an ambiguous create left open."""
        changed: list[JobRecord] = []
        names = [profile] if profile else self.usable_profiles()
        for name in names:
            if not self.store.unsettled_intents(name):
                continue
            changed += await reconcile_profile(
                self.store,
                self.provider(name),
                name,
                clock=self.clock,
                on_change=self._emit,
                skip=self._in_flight,
            )
        return changed

    async def refresh(self, ident: str, profile: str | None = None) -> JobRecord:
        """A fresh snapshot from the provider (adopting a provider id the store lacks)."""
        record = self.store.get(ident)
        if record is None:
            return await self.adopt(ident, profile)
        if not record.id:
            return record
        job = await self.provider(record.profile).get(record.id)
        return self._remember(job, record.profile)

    async def resolve(self, ident: str, profile: str | None = None) -> JobRecord:
        """The stored job for an id, adopting a provider id the store does not know yet."""
        record = self.store.get(ident)
        if record is not None:
            return record
        return await self.adopt(ident, profile)

    async def adopt(self, batch_id: str, profile: str | None = None) -> JobRecord:
        """Fetch a batch created elsewhere and add it to the store.

        Every usable profile is asked (the provider the id looks like first). When none has
        it, the provider's own error is raised: NotFoundError when every profile answered
        404, else the first other failure (a wrong key, an unreachable server).
        """
        if profile:
            names = [self.profile(profile).name]
        else:
            names = self.usable_profiles()
            if not names:
                raise ConfigError(
                    f"no job {batch_id} in the local store, and no profile has an API key "
                    "to look for it at a provider"
                )
        guess = "anthropic" if batch_id.startswith("msgbatch_") else "openai"
        names.sort(key=lambda n: self.config.profile(n).provider != guess)
        failures: list[ProviderError] = []
        for name in names:
            try:
                job = await self.provider(name).get(batch_id)
            except ProviderError as exc:
                failures.append(exc)
                continue
            return self._remember(job, name)
        others = [e for e in failures if not isinstance(e, NotFoundError)]
        if others:
            raise others[0]
        first = failures[0]
        where = ", ".join(names)
        raise NotFoundError(
            f"no job {batch_id} in the local store or at profile(s) {where}: {first.message}",
            provider=first.provider,
            status_code=first.status_code,
            request_id=first.request_id,
            error_type=first.error_type,
        )

    # --- submission -----------------------------------------------------------------------

    def validate(
        self,
        path: Path | str,
        profile: str | None = None,
        *,
        defaults: Mapping[str, Any] | None = None,
        progress: ProgressCallback | None = None,
        split: bool = True,
        csv_template: str | None = None,
        csv_id_column: str | None = None,
        csv_system: str | None = None,
    ) -> ValidationReport:
        """Validate an input for a profile's provider (streams the whole file).

        ``csv_template`` (``{column}`` placeholders), ``csv_id_column`` and ``csv_system``
        apply to CSV/TSV inputs.
        """
        prof = self.profile(profile)
        return validate_file(
            path,
            prof.provider,
            defaults=self.defaults(prof, defaults),
            progress=progress,
            split=split,
            csv_template=csv_template,
            csv_id_column=csv_id_column,
            csv_system=csv_system,
        )

    def defaults(self, prof: Profile, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Request parameters a record may lack, from the caller then the profile."""
        out: dict[str, Any] = {}
        if prof.default_model:
            out["model"] = prof.default_model
        if prof.default_max_tokens:
            out["max_tokens"] = prof.default_max_tokens
        for key, value in (given or {}).items():
            if value is not None:
                out[key] = value
        return out

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
    ) -> list[JobRecord]:
        """Validate, keep, and submit an input (split into parts of one run when over limits).

        ``csv_template``, ``csv_id_column`` and ``csv_system`` apply to CSV/TSV inputs.
        """
        prof = self.profile(profile)
        self.provider(prof.name)  # no key, no intent: fail before anything is recorded
        defaults = self.defaults(prof, {"model": model, "max_tokens": max_tokens})
        if endpoint:
            defaults["endpoint"] = endpoint
        parts = await asyncio.to_thread(
            functools.partial(
                write_native,
                path,
                prof.provider,
                self.staging_dir,
                split=split,
                defaults=defaults,
                csv_template=csv_template,
                csv_id_column=csv_id_column,
                csv_system=csv_system,
            )
        )
        kept = [keep_part(self.store, part.path, part.sha256) for part in parts]
        todo = list(range(len(parts)))
        existing: dict[int, JobRecord] = {}
        run_id = None
        if not again:
            await self.reconcile(prof.name)
            existing, run_id = self._already_sent(prof.name, parts)
            todo = [i for i in todo if i not in existing]
        summary = parts.report.summary
        models = sorted(getattr(summary, "models", {}) or {})
        # Record every part before sending any, so a failure part-way leaves each unsent part
        # recorded (and then settled as not sent), never forgotten.
        intents: dict[int, JobRecord] = {}
        for number in todo:
            part, kept_path = parts[number], kept[number]
            part_endpoint = endpoint or _endpoint_of(kept_path) or "/v1/chat/completions"
            metadata = {LABEL_METADATA_KEY: label} if label else {}
            record = self.store.record_intent(
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
                endpoint=part_endpoint if prof.provider == "openai" else None,
                options={"endpoint": part_endpoint, "metadata": metadata},
            )
            run_id = record.run_id
            intents[number] = record
            self._emit(record)
        sent: dict[int, JobRecord] = dict(existing)
        try:
            for number in todo:
                sent[number] = await self._send(intents[number].local_id, progress=progress)
        except BaseException:
            for number in todo:
                if number not in sent:
                    self._drop_unsent(intents[number].local_id)
            raise
        return [sent[i] for i in range(len(parts))]

    def _already_sent(
        self, profile: str, parts: list[Any]
    ) -> tuple[dict[int, JobRecord], str | None]:
        """Parts of this input that already have a job, and the run to add the others to.

        Raises DuplicateInput when every part has one (or when they cannot be one earlier
        split of the same input); a split input sent only in part is resumed instead, so the
        parts already paid for are not sent again.
        """
        found: dict[int, JobRecord] = {}
        for number, part in enumerate(parts):
            jobs = self.store.find_by_sha256(profile, part.sha256)
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

    def _drop_unsent(self, local_id: str) -> None:
        """Settle a recorded part whose create was never sent (an earlier part failed)."""
        intent = self.store.get_intent(local_id)
        if intent is None or intent.state.value not in ("recorded", "queued"):
            return  # it got further: leave it to send_intent's own bookkeeping
        with contextlib.suppress(BatchtuiError):
            self.store.mark_abandoned(local_id, "not sent: an earlier part of the input failed")
            self._emit(self.store.get(local_id))

    async def _send(self, local_id: str, *, progress: ProgressCallback | None = None) -> JobRecord:
        intent = self.store.get_intent(local_id)
        assert intent is not None
        self._in_flight.add(local_id)
        try:
            record = await send_intent(
                self.store,
                self.provider(intent.profile),
                intent,
                clock=self.clock,
                progress=progress,
            )
        except BaseException:
            self._emit(self.store.get(local_id))
            raise
        finally:
            self._in_flight.discard(local_id)
        self._emit(record)
        self._track(record)
        return record

    async def _submit_child(
        self,
        parent: JobRecord,
        custom_ids: list[str],
        *,
        max_tokens: int | None,
        note: str,
    ) -> JobRecord:
        self.provider(parent.profile)  # no key, no intent: fail before anything is recorded
        if parent.input_path is None or not parent.input_path.exists():
            raise BatchtuiError(
                f"job {parent.display_id} has no kept input (adopted from elsewhere?), "
                "so its requests cannot be resubmitted"
            )
        staging = self.staging_dir / f"{parent.local_id}-retry.jsonl"
        count, sha, _size = await asyncio.to_thread(
            write_subset, parent.input_path, custom_ids, staging, max_tokens=max_tokens
        )
        kept = keep_part(self.store, staging, sha)
        intent = self.store.get_intent(parent.local_id)
        options = dict(intent.options) if intent else {}
        options.setdefault("endpoint", parent.endpoint or "/v1/chat/completions")
        label = f"{parent.label or parent.display_id} ({note})"
        if parent.provider == "openai":
            options["metadata"] = {LABEL_METADATA_KEY: label[:512]}
        record = self.store.record_intent(
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
        )
        self._emit(record)
        return await self._send(record.local_id)

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
        parent = await self.resolve(ident)
        index = await self.fetch_results(parent.local_id)
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
        parent = await self._fresh(await self.resolve(ident))
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
            indexes.append(await self.fetch_results(parent.local_id))
        later, pending = await self._descendants_outcome(parent)
        submitted = await asyncio.to_thread(submitted_ids, parent.input_path)
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
        indexes: list[ResultIndex] = []
        pending: set[str] = set()
        queue = list(self.store.children(record.local_id))
        while queue:
            child = await self._fresh(queue.pop(0))
            queue.extend(self.store.children(child.local_id))
            dropped = child.intent_state is not None and child.intent_state.value in (
                "failed",
                "abandoned",
            )
            if dropped and child.id is None:
                continue
            if not child.is_terminal or child.id is None:
                if child.input_path is not None and child.input_path.exists():
                    pending.update(await asyncio.to_thread(submitted_ids, child.input_path))
                continue
            index = self.results(child.local_id)
            if child.results_available and not child.results_complete:
                with contextlib.suppress(NoResults):
                    index = await self.fetch_results(child.local_id)
            if index is not None:
                indexes.append(index)
        return indexes, pending

    async def _fresh(self, record: JobRecord) -> JobRecord:
        if record.id and not record.is_terminal:
            with contextlib.suppress(BatchtuiError):
                return await self.refresh(record.local_id)
        return record

    async def cancel(self, ident: str) -> JobRecord:
        """Ask the provider to cancel a job; its finished part is kept."""
        record = await self.resolve(ident)
        if record.id is None:
            raise BatchtuiError(f"job {record.display_id} is not at the provider yet")
        if record.is_terminal:
            raise BatchtuiError(f"job {record.display_id} already ended ({record.status.value})")
        provider = self.provider(record.profile)
        if not provider.capabilities & Capability.CANCEL:
            raise BatchtuiError(f"{record.provider} batches cannot be cancelled")
        job = await provider.cancel(record.id)
        record = self._remember(job, record.profile)
        self._track(record)
        self.poll_now(record.local_id)
        return record

    # --- results --------------------------------------------------------------------------

    def _results_file(self, record: JobRecord) -> ResultsFile:
        assert record.id is not None
        return ResultsFile.open(self.results_dir, record.id, provider=record.provider)

    def results(self, ident: str) -> ResultIndex | None:
        """The cached results index of a job, or None when nothing is cached."""
        record = self.job(ident)
        if record.id is None:
            return None
        cached = self._indexes.get(record.local_id)
        if cached is not None:
            return cached
        results = self._results_file(record)
        if not results.sources:
            return None
        index = ResultIndex.open(results, update=True)
        self._indexes[record.local_id] = index
        return index

    async def fetch_results(
        self,
        ident: str,
        *,
        progress: ProgressCallback | None = None,
        on_lines: Callable[[list[Any]], None] | None = None,
        index: ResultIndex | None = None,
    ) -> ResultIndex:
        """Download (or resume) a job's results into the cache and return its index."""
        record = await self.resolve(ident)
        if record.id is None:
            raise NoResults(f"job {record.display_id} was never accepted by the provider")
        if record.results_complete:
            cached = self.results(record.local_id)
            if cached is not None:
                return cached
        provider = self.provider(record.profile)
        job = await provider.get(record.id)
        record = self._remember(job, record.profile)
        if not job.results_available:
            raise NoResults(
                f"job {record.display_id} has no results yet ({job.status.value}"
                f"{'' if job.is_terminal else '; they appear when it ends'})"
            )
        results = self._results_file(record)
        index = index or self._indexes.get(record.local_id) or ResultIndex.open(results)
        index.update()
        results = await download_results(
            provider, job, self.results_dir, progress=progress, on_lines=on_lines, index=index
        )
        self._indexes[record.local_id] = index
        record = self.store.set_results_state(
            record.local_id,
            path=str(self.results_dir),
            offsets=dict(results.offsets),
            complete=results.complete,
        )
        self._emit(record)
        return index

    def parse_fn(self, ident: str) -> Callable[[Any], Any]:
        """The adapter's result parser for a job (for exports and the detail pane)."""
        return self.provider(self.job(ident).profile).parse_result

    def run_jobs(self, ident: str) -> list[JobRecord]:
        """The jobs of a job's run: parts, then retries oldest first."""
        return self.store.run_jobs(self.job(ident).run_id)

    async def run_view(self, ident: str, *, fetch: bool = True) -> RunMerge:
        """The merged results of a job's run: latest success per custom_id, and what is missing."""
        jobs = self.run_jobs(ident)
        pairs: list[tuple[str, ResultIndex]] = []
        submitted: list[str] = []
        seen_inputs: set[Path] = set()
        for record in jobs:
            path = record.input_path
            first = record.parent_local_id is None and path is not None
            if first and path.exists() and path not in seen_inputs:
                seen_inputs.add(path)
                submitted += await asyncio.to_thread(submitted_ids, path)
            index = self.results(record.local_id)
            if fetch and record.id and not record.results_complete:
                record = await self._fresh(record)  # the stored snapshot may be stale
                if record.results_available:
                    with contextlib.suppress(NoResults):
                        index = await self.fetch_results(record.local_id)
            if index is not None and record.id:
                pairs.append((record.id, index))
        return merge_run(pairs, submitted or None)

    async def aclose(self) -> None:
        """Stop polling and close every adapter and index."""
        await self.stop_polling()
        for provider in self._providers.values():
            with contextlib.suppress(Exception):
                await provider.aclose()
        self._providers.clear()
        for index in self._indexes.values():
            index.close()
        self._indexes.clear()
        self.store.close()


def _endpoint_of(path: Path) -> str | None:
    """The url of the first line of an OpenAI native input (None for Anthropic inputs)."""
    import json

    with open(path, "rb") as handle:
        first = handle.readline()
    try:
        url = json.loads(first).get("url")
    except (ValueError, AttributeError):
        return None
    return url if isinstance(url, str) else None


__all__ = ["BatchStatus", "NoResults", "SubmitOptions", "Workspace", "poll_settings"]
