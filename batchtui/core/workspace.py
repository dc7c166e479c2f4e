"""The Workspace: the one object a front end holds (config, store, adapters, poller, results).

The TUI and the headless CLI both call these methods, so anything one can do the other can.
Network work is async; store calls are short synchronous SQLite transactions. The methods
live in small modules by subject: `workspace_base` (config, adapters, lookups, adoption),
`workspace_submit` (submission, retry, recovery, cancel), `workspace_results` (results cache
and run view); this module adds opening, polling and closing.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from batchtui.core.clock import Clock
from batchtui.core.config import Config, load_config
from batchtui.core.models import BatchJob, BatchStatus
from batchtui.core.paths import data_dir, ensure_private_dir
from batchtui.core.poller import Poller
from batchtui.core.provider import SubmitOptions
from batchtui.core.store import JobStore
from batchtui.core.workspace_base import (
    ErrorListener,
    JobListener,
    ProviderFactory,
    _default_factory,
    poll_settings,
)
from batchtui.core.workspace_results import NoResults, ResultsMixin
from batchtui.core.workspace_submit import SubmitMixin


class Workspace(SubmitMixin, ResultsMixin):
    """Config, job store, one adapter per profile, the poller, and the results cache."""

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


__all__ = [
    "BatchStatus",
    "ErrorListener",
    "JobListener",
    "NoResults",
    "ProviderFactory",
    "SubmitOptions",
    "Workspace",
    "_default_factory",
    "poll_settings",
]
