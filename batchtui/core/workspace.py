"""The Workspace: the one object a front end holds (config, store, adapters, poller, results).

The TUI and the headless CLI both call these methods, so anything one can do the other can.
Network work is async; store calls are short synchronous SQLite transactions. The methods
live in small modules by subject: `workspace_base` (config, adapters, lookups, adoption),
`workspace_submit` (submission, retry, recovery, cancel), `workspace_results` (results cache,
run view, joins), `workspace_money` (estimates, budgets, costs, totals, stale jobs),
`workspace_queue` (the local queue's dispatcher), `workspace_clean` (provider file hygiene);
this module adds opening, polling and closing.

Money and hygiene for front ends (issue 7)::

    ws.estimate_file(path, profile, model=..., max_tokens=...) -> SubmissionEstimate
        # .run / .parts: Estimate(requests, input_tokens, max_output_tokens, cost_usd_low,
        # cost_usd_high, unpriced_models, uncapped_requests); costs None = "no price"
    ws.check_budget(path_or_estimate, profile, max_cost_usd=None) -> SubmissionEstimate
        # raises BudgetExceeded (one line naming the estimate and the budget)
    await ws.submit_file(..., max_cost_usd=None)   # budgets checked before anything is kept;
        # over a profile's max_in_flight / max_enqueued_tokens the jobs come back QUEUED
    await ws.dispatch_queued(profile=None)         # send queued jobs that fit now
    ws.queued(profile=None), ws.queue_text(profile)
    await ws.cancel(id)                             # a QUEUED job is withdrawn (CANCELLED)
    await ws.compute_cost(id); ws.cost_totals(profile=None) -> [CostTotal]
    ws.run_money(id) -> dict; ws.spent_today(profile) -> float
    ws.stale_since(record) -> datetime | None      # None unless stale now
    ws.clean_plan(profile=None) -> CleanPlan; await ws.clean(plan) -> CleanReport
    ws.join_source(id) -> JoinSource               # .export_kwargs() for joined exports

    JobRecord: .estimate / .cost (dicts, see their docstrings), .cost_usd,
    .estimate_usd_high, .limit_error ({code, message} of a provider limit or quota refusal),
    .cleaned, .progress_at; status QUEUED (id None) while waiting in the local queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from batchtui.core.clock import Clock
from batchtui.core.config import Config, load_config
from batchtui.core.models import BatchJob, BatchStatus
from batchtui.core.paths import data_dir, ensure_private_dir
from batchtui.core.poller import Poller
from batchtui.core.provider import SubmitOptions
from batchtui.core.store import JobRecord, JobStore
from batchtui.core.workspace_base import (
    ErrorListener,
    JobListener,
    ProviderFactory,
    _default_factory,
    poll_settings,
)
from batchtui.core.workspace_clean import CleanMixin
from batchtui.core.workspace_money import BudgetExceeded, MoneyMixin
from batchtui.core.workspace_queue import QueueMixin
from batchtui.core.workspace_results import NoResults, ResultsMixin
from batchtui.core.workspace_submit import SubmitMixin


class Workspace(SubmitMixin, ResultsMixin, MoneyMixin, QueueMixin, CleanMixin):
    """Config, job store, one adapter per profile, the poller, and the results cache."""

    @classmethod
    def open(
        cls,
        home: Path | None = None,
        *,
        clock: Clock | None = None,
        config: Config | None = None,
        provider_factory: ProviderFactory | None = None,
        poll_factory: ProviderFactory | None = None,
    ) -> Workspace:
        """Open the user's workspace (or the one under ``home``)."""
        home = ensure_private_dir(Path(home) if home else data_dir())
        config = config or load_config()
        store = JobStore(home / "batchtui.db", clock=clock)
        return cls(
            config,
            store,
            home=home,
            clock=clock,
            provider_factory=provider_factory,
            poll_factory=poll_factory,
        )

    # --- polling --------------------------------------------------------------------------

    def _make_poller(self) -> Poller:
        profiles = self.usable_profiles()
        providers = {name: self.poll_provider(name) for name in profiles}
        settings = {name: poll_settings(self.config.profile(name)) for name in profiles}

        def on_snapshot(profile: str, job: BatchJob) -> None:
            record = self._remember(job, profile)
            if record.is_terminal:
                self._spawn(self._after_terminal(record))

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
                    poller.track(
                        name,
                        record.id,
                        submitted_at=record.times.created_at,
                        last_snapshot=record.snapshot,
                    )
        return poller

    async def _after_terminal(self, record: JobRecord) -> None:
        """A job ended: give it a cost from the provider's usage, and let queued work go."""
        with contextlib.suppress(Exception):
            await self._cost_when_terminal(record)
        if self.store.queued_intents(record.profile):
            await self.dispatch_queued(record.profile)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run background work of the polling loop (cancelled by ``stop_polling``)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start_polling(self) -> None:
        """Settle crash leftovers, send queued work that fits, then poll every live job until
        ``stop_polling``. A job turning terminal lets queued submissions of its profile go."""
        # A profile that cannot be listed now is reported; polling starts for all the same.
        await self.reconcile(on_error=lambda name, exc: self._report(name, None, exc))
        self._poller = self._make_poller()
        self._spawn(self.dispatch_queued())
        await self._poller.run()

    def start_polling_task(self) -> asyncio.Task[None]:
        """Start polling in a background task of the running loop."""
        if self._poll_task is None or self._poll_task.done():
            self._poll_task = asyncio.create_task(self.start_polling(), name="batchtui-poller")
        return self._poll_task

    async def stop_polling(self) -> None:
        """Stop the poller and its background work (a send cut short is settled later)."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
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
        for provider in [*self._providers.values(), *self._poll_providers.values()]:
            with contextlib.suppress(Exception):
                await provider.aclose()
        self._providers.clear()
        self._poll_providers.clear()
        for index in self._indexes.values():
            index.close()
        self._indexes.clear()
        self.store.close()


__all__ = [
    "BatchStatus",
    "BudgetExceeded",
    "ErrorListener",
    "JobListener",
    "NoResults",
    "ProviderFactory",
    "SubmitOptions",
    "Workspace",
    "_default_factory",
    "poll_settings",
]
