"""The Workspace's foundation: config, store, adapters, job lookups, listeners and adoption.

`batchtui.core.workspace.Workspace` builds on this with submission (`workspace_submit`),
results (`workspace_results`) and polling; front ends only ever hold a `Workspace`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from batchtui.core.clock import Clock, SystemClock
from batchtui.core.config import Config, ConfigError, Profile, provider_kwargs
from batchtui.core.models import BatchJob
from batchtui.core.paths import ensure_private_dir
from batchtui.core.poller import Poller, PollSettings
from batchtui.core.provider import BatchtuiError, NotFoundError, Provider, ProviderError
from batchtui.core.registry import provider_spec
from batchtui.core.results import ResultIndex
from batchtui.core.store import JobRecord, JobStore
from batchtui.core.submit import reconcile_profile

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
    # unreachable server before it gives up (DESIGN.md "Headless CLI contract").
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


class WorkspaceBase:
    """Config, job store, one adapter per profile, job lookups, listeners and adoption."""

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
        self._tasks: set[asyncio.Task[object]] = set()
        self._dispatch_locks: dict[str, asyncio.Lock] = {}
        self._listeners: list[JobListener] = []
        self._error_listeners: list[ErrorListener] = []
        self._in_flight: set[str] = set()
        self._poller: Poller | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._indexes: dict[str, ResultIndex] = {}

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

    def _track(self, record: JobRecord) -> None:
        poller = self._poller
        if poller is None or not record.id or record.profile not in poller.profiles:
            return
        if not poller.is_tracked(record.profile, record.id):
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
        changed: list[JobRecord] = []
        names = [profile] if profile else self.usable_profiles()
        for name in names:
            if not self.store.unsettled_intents(name):
                continue
            try:
                changed += await reconcile_profile(
                    self.store,
                    self.provider(name),
                    name,
                    clock=self.clock,
                    on_change=self._emit,
                    skip=self._in_flight,
                )
            except ProviderError as exc:
                if on_error is None:
                    raise
                on_error(name, exc)
        return changed

    async def refresh(self, ident: str, profile: str | None = None) -> JobRecord:
        """A fresh snapshot from the provider (adopting a provider id the store lacks)."""
        record = self.store.get(ident)
        if record is None:
            return await self.adopt(ident, profile)
        if not record.id:
            return record
        if (record.cleaned or {}).get("batch"):
            return record  # deleted at the provider by `clean`: the stored snapshot is final
        job = await self.provider(record.profile).get(record.id)
        record = self._remember(job, record.profile)
        return await self._cost_when_terminal(record)  # type: ignore[attr-defined]

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

        def owns(name: str) -> bool:
            prefix = provider_spec(self.config.profile(name).provider).id_prefix
            return bool(prefix) and batch_id.startswith(prefix)

        names.sort(key=lambda n: not owns(n))
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

    async def _fresh(self, record: JobRecord) -> JobRecord:
        if record.id and not record.is_terminal:
            with contextlib.suppress(BatchtuiError):
                return await self.refresh(record.local_id)
        return record
