"""The context every part of the Workspace shares: config, store, clock, adapters, the job
list, listeners, and the places on disk.

The parts (`workspace_lookups`, `workspace_money`, `workspace_results`, `workspace_send`,
`workspace_queue`, `workspace_submit`, `workspace_clean`) each take this context and the
parts they call, explicitly; `batchtui.core.workspace.Workspace` wires them and is what front
ends hold.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.core.clock import Clock, SystemClock
from batchtui.core.config import Config, ConfigError, Profile, provider_kwargs, submitter
from batchtui.core.models import BatchJob
from batchtui.core.paths import ensure_private_dir
from batchtui.core.poller import Poller, PollSettings
from batchtui.core.profiles import request_defaults
from batchtui.core.provider import (
    BatchtuiError,
    ProgressCallback,
    Provider,
    ProviderError,
)
from batchtui.core.store import JobRecord, JobStore

if TYPE_CHECKING:
    from batchtui.core.inputs import ValidationReport
    from batchtui.core.results import ResultIndex, ResultsFile
    from batchtui.core.workspace_team import TeamSync

JobListener = Callable[[JobRecord], None]
ErrorListener = Callable[[str, str | None, Exception], None]
ProviderFactory = Callable[[Profile], Provider]


def _default_factory(profile: Profile) -> Provider:
    from batchtui.providers import make_provider  # the core names no adapter at import time

    kwargs = provider_kwargs(profile)
    if not kwargs.get("api_key"):
        raise ConfigError(
            f"profile {profile.name!r} has no API key: set {profile.key_env}"
            + (f" or check {profile.api_key_file}" if profile.api_key_file else "")
        )
    # The profile's retry budget bounds how long one command retries 429s, 5xx and an
    # unreachable server before it gives up (docs/ARCHITECTURE.md "Headless JSON contract").
    kwargs.setdefault("retry_budget", profile.retry_budget_s)
    return make_provider(profile.provider, **kwargs)


def _poll_factory(profile: Profile) -> Provider:
    """An adapter for the poller: no retries of its own, so a 429 or 5xx goes straight back
    to the poller, which holds the profile for its Retry-After instead of a slot waiting."""
    from batchtui.providers import make_provider

    kwargs = provider_kwargs(profile)
    if not kwargs.get("api_key"):
        raise ConfigError(f"profile {profile.name!r} has no API key: set {profile.key_env}")
    kwargs["max_retries"] = 0
    return make_provider(profile.provider, **kwargs)


def poll_settings(profile: Profile) -> PollSettings:
    """The poller's settings for a profile, from its config."""
    return PollSettings(
        min_interval_s=profile.poll_min_s,
        max_interval_s=max(profile.poll_max_s, profile.poll_min_s),
        max_concurrency=profile.max_concurrency,
        list_interval_s=profile.list_interval_s,
        max_requests_per_minute=profile.max_requests_per_minute,
    )


class WorkspaceContext:
    """Config, job store, one adapter per profile, the job list and listeners."""

    def __init__(
        self,
        config: Config,
        store: JobStore,
        *,
        home: Path,
        clock: Clock | None = None,
        provider_factory: ProviderFactory | None = None,
        poll_factory: ProviderFactory | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.home = home
        self.clock: Clock = clock or SystemClock()
        self._factory = provider_factory or _default_factory
        # A custom provider factory (tests, benchmarks) also serves the poller unless a poll
        # factory is given; the default one gets adapters without retries for polling.
        self._poll_factory = poll_factory or (None if provider_factory else _poll_factory)
        self._providers: dict[str, Provider] = {}
        self._poll_providers: dict[str, Provider] = {}
        self._listeners: list[JobListener] = []
        self._error_listeners: list[ErrorListener] = []
        self.in_flight: set[str] = set()
        """Submissions this process is sending now (reconcile leaves them alone)."""
        self.poller: Poller | None = None
        """The running poller, while the Workspace polls."""
        self.indexes: dict[str, ResultIndex] = {}
        """Open result indexes by local id."""
        self.team: TeamSync | None = None
        """Leases and the change feed, while polling on a shared (team) store."""

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

    def submitted_by(self) -> str | None:
        """Who this process's submissions are recorded as: on a team store the config's
        ``submitted_by`` or user@host; on this machine's own store only an explicit one."""
        if self.store.shared or self.config.submitted_by:
            return submitter(self.config)
        return None

    def profile(self, name: str | None = None) -> Profile:
        return self.config.profile(name)

    def provider(self, profile: str) -> Provider:
        """The adapter of a profile, built on first use (ConfigError without a key)."""
        if profile not in self._providers:
            self._providers[profile] = self._factory(self.config.profile(profile))
        return self._providers[profile]

    def poll_provider(self, profile: str) -> Provider:
        """The adapter the poller uses for a profile (no retries of its own; see __init__)."""
        if self._poll_factory is None:
            return self.provider(profile)
        if profile not in self._poll_providers:
            self.provider(profile)  # the same key check and error as the main adapter
            self._poll_providers[profile] = self._poll_factory(self.config.profile(profile))
        return self._poll_providers[profile]

    def usable_profiles(self) -> list[str]:
        """Profiles whose adapter can be built (a key is set)."""
        return [name for name in self.config.profiles if self._usable(name)]

    def _usable(self, name: str) -> bool:
        try:
            self.provider(name)
        except BatchtuiError:
            return False
        return True

    # --- jobs -----------------------------------------------------------------------------

    def jobs(self, *, brief: bool = False) -> list[JobRecord]:
        """Every job, newest run first, each parent followed by its retries (``brief``:
        snapshots without the provider's raw object and metadata, as `JobStore.list_jobs`)."""
        records = self.store.list_jobs(brief=brief)
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

    def emit(self, record: JobRecord | None) -> None:
        """Tell every listener that a job changed."""
        if record is None:
            return
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener(record)

    def remember(self, job: BatchJob, profile: str) -> JobRecord:
        """Store a fresh snapshot; tell listeners if it changed and follow it while it runs."""
        record, changed = self.store.upsert_snapshot(job, profile)
        if changed:
            self.emit(record)
        if not record.is_terminal:
            self.track(record)
        return record

    def follows(self, profile: str, batch_id: str | None) -> bool:
        """Whether the running poller follows this job (its unchanged polls are made but not
        stored): a dict lookup, for screens that ask it of many jobs."""
        poller = self.poller
        return bool(
            poller is not None
            and batch_id
            and profile in poller.profiles
            and poller.is_tracked(profile, batch_id)
        )

    def track(self, record: JobRecord) -> None:
        """Have the running poller follow a job it does not follow yet."""
        poller = self.poller
        if poller is None or not record.id or record.profile not in poller.profiles:
            return
        if not poller.is_tracked(record.profile, record.id):
            if self.team is not None and not self.team.may_poll(record):
                return  # another process holds its lease: its changes arrive by the feed
            poller.track(record.profile, record.id, submitted_at=record.times.created_at)

    async def reconcile(
        self,
        profile: str | None = None,
        *,
        on_error: Callable[[str, ProviderError], None] | None = None,
    ) -> list[JobRecord]:
        """Settle submissions a crash or an ambiguous create left open (one list call per
        profile that has any). With ``on_error`` a profile whose list fails is reported there
        and the others are still settled; without it the error is raised."""
        from batchtui.core.submit import reconcile_profile

        changed: list[JobRecord] = []
        names = [profile] if profile else list(self.config.profiles)
        for name in names:
            if not self.store.unsettled_intents(name):
                continue
            if profile is None and not self._usable(name):  # adapters built only when needed
                continue
            try:
                changed += await reconcile_profile(
                    self.store,
                    self.provider(name),
                    name,
                    clock=self.clock,
                    on_change=self.emit,
                    skip=self.in_flight,
                )
            except ProviderError as exc:
                if on_error is None:
                    raise
                on_error(name, exc)
        return changed

    def report(self, profile: str, batch_id: str | None, exc: Exception) -> None:
        """Tell the error listeners of a failure in background work."""
        for listener in list(self._error_listeners):
            with contextlib.suppress(Exception):
                listener(profile, batch_id, exc)

    def results_file(self, record: JobRecord) -> ResultsFile:
        """The cached results files of a job the provider has."""
        from batchtui.core.results import ResultsFile

        assert record.id is not None
        return ResultsFile.open(self.results_dir, record.id, provider=record.provider)

    def run_jobs(self, ident: str) -> list[JobRecord]:
        """The jobs of a job's run: parts, then retries oldest first."""
        return self.store.run_jobs(self.job(ident).run_id)

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
        from batchtui.core.inputs import validate_file

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
        return request_defaults(prof, given)

    def poll_now(self, ident: str | None = None) -> None:
        """Ask the poller for an immediate poll of one job, or of every live job."""
        if self.poller is None:
            return
        if ident is None:
            for name in self.poller.profiles:
                self.poller.poll_now(name)
            return
        record = self.job(ident)
        if record.id:
            self.track(record)
            self.poller.poll_now(record.profile, record.id)

    async def aclose(self) -> None:
        """Close every adapter and index, then the store."""
        for provider in [*self._providers.values(), *self._poll_providers.values()]:
            with contextlib.suppress(Exception):
                await provider.aclose()
        self._providers.clear()
        self._poll_providers.clear()
        for index in self.indexes.values():
            index.close()
        self.indexes.clear()
        self.store.close()
