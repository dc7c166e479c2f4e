"""The Workspace: the one object a front end holds (config, store, adapters, poller, results).

The TUI and the headless CLI both call these methods, so anything one can do the other can.
Network work is async; store calls are short synchronous SQLite transactions. The Workspace
is a thin facade over parts with explicit dependencies, each constructible alone:
`WorkspaceContext` (config, store, adapters, job list, listeners; `workspace_base`),
`Money` (estimates, budgets, costs, totals, stale jobs), `Lookups` (fresh snapshots,
adoption), `Results` (results cache, run view, joins), `Sender` (one submission to its
provider), `Queue` (the local queue's dispatcher), `Submissions` (submit, retry, recover,
cancel) and `Hygiene` (provider file clean-up). This module wires them, forwards their public
methods, and adds opening, polling and closing.

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
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from batchtui.core.clock import Clock
from batchtui.core.config import Config, load_config, resolve_store_url
from batchtui.core.models import BatchJob, BatchStatus
from batchtui.core.paths import data_dir, ensure_private_dir
from batchtui.core.poller import Poller
from batchtui.core.provider import SubmitOptions
from batchtui.core.store import JobRecord, JobStore, open_store
from batchtui.core.workspace_base import (
    ErrorListener,
    JobListener,
    ProviderFactory,
    WorkspaceContext,
    _default_factory,
    poll_settings,
)
from batchtui.core.workspace_clean import Hygiene
from batchtui.core.workspace_lookups import Lookups
from batchtui.core.workspace_money import BudgetExceeded, Money
from batchtui.core.workspace_queue import Queue
from batchtui.core.workspace_results import NoResults, Results
from batchtui.core.workspace_send import Sender
from batchtui.core.workspace_submit import Submissions

if TYPE_CHECKING:
    from batchtui.core.costs import Estimate
    from batchtui.core.estimates import SubmissionEstimate

P = ParamSpec("P")
R = TypeVar("R")


class _Forward(Generic[P, R]):
    """A facade method: the same method of one of the Workspace's parts (typed as it)."""

    def __init__(self, part: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self.part = part
        self.method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Callable[Concatenate[Any, P], R]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self.method  # on the class: the part's function (signature, coroutine-ness)
        return getattr(getattr(obj, self.part), self.method.__name__)


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
        poll_factory: ProviderFactory | None = None,
    ) -> None:
        ctx = WorkspaceContext(
            config,
            store,
            home=home,
            clock=clock,
            provider_factory=provider_factory,
            poll_factory=poll_factory,
        )
        self.ctx = ctx
        self.config = ctx.config
        self.store = ctx.store
        self.home = ctx.home
        self.clock = ctx.clock
        self.money = Money(ctx)
        self.lookups = Lookups(ctx, self.money)
        self.cache = Results(ctx, self.lookups, self.money)
        self.sender = Sender(ctx)
        self.queue = Queue(ctx, self.sender)
        self.submissions = Submissions(
            ctx,
            lookups=self.lookups,
            money=self.money,
            cache=self.cache,
            sender=self.sender,
            queue=self.queue,
        )
        self.hygiene = Hygiene(ctx)
        self._tasks: set[asyncio.Task[object]] = set()
        self._poll_task: asyncio.Task[None] | None = None

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
        store = open_store(home, resolve_store_url(config), clock=clock)
        return cls(
            config,
            store,
            home=home,
            clock=clock,
            provider_factory=provider_factory,
            poll_factory=poll_factory,
        )

    # --- the parts' methods ------------------------------------------------------------------

    @property
    def results_dir(self) -> Path:
        return self.ctx.results_dir

    @property
    def staging_dir(self) -> Path:
        return self.ctx.staging_dir

    @property
    def _poller(self) -> Poller | None:
        return self.ctx.poller

    profiles = _Forward("ctx", WorkspaceContext.profiles)
    profile = _Forward("ctx", WorkspaceContext.profile)
    provider = _Forward("ctx", WorkspaceContext.provider)
    poll_provider = _Forward("ctx", WorkspaceContext.poll_provider)
    usable_profiles = _Forward("ctx", WorkspaceContext.usable_profiles)
    jobs = _Forward("ctx", WorkspaceContext.jobs)
    job = _Forward("ctx", WorkspaceContext.job)
    children = _Forward("ctx", WorkspaceContext.children)
    run_jobs = _Forward("ctx", WorkspaceContext.run_jobs)
    subscribe = _Forward("ctx", WorkspaceContext.subscribe)
    subscribe_errors = _Forward("ctx", WorkspaceContext.subscribe_errors)
    reconcile = _Forward("ctx", WorkspaceContext.reconcile)
    validate = _Forward("ctx", WorkspaceContext.validate)
    defaults = _Forward("ctx", WorkspaceContext.defaults)
    poll_now = _Forward("ctx", WorkspaceContext.poll_now)
    follows = _Forward("ctx", WorkspaceContext.follows)

    refresh = _Forward("lookups", Lookups.refresh)
    resolve = _Forward("lookups", Lookups.resolve)
    adopt = _Forward("lookups", Lookups.adopt)

    estimate_file = _Forward("money", Money.estimate_file)
    estimate_report = _Forward("money", Money.estimate_report)

    def check_budget(
        self,
        source: Path | str | Estimate | SubmissionEstimate,
        profile: str | None = None,
        *,
        max_cost_usd: float | None = None,
        **estimate_options: Any,
    ) -> SubmissionEstimate:
        """See `Money.check_budget` (written out: a ``**`` signature cannot be forwarded)."""
        return self.money.check_budget(
            source, profile, max_cost_usd=max_cost_usd, **estimate_options
        )

    spent_today = _Forward("money", Money.spent_today)
    compute_cost = _Forward("money", Money.compute_cost)
    cost_totals = _Forward("money", Money.cost_totals)
    run_money = _Forward("money", Money.run_money)
    stale_after = _Forward("money", Money.stale_after)
    stale_since = _Forward("money", Money.stale_since)

    results = _Forward("cache", Results.results)
    results_preview = _Forward("cache", Results.results_preview)
    fetch_results = _Forward("cache", Results.fetch_results)
    join_source = _Forward("cache", Results.join_source)
    parse_fn = _Forward("cache", Results.parse_fn)
    run_view = _Forward("cache", Results.run_view)

    queued = _Forward("queue", Queue.queued)
    queue_text = _Forward("queue", Queue.queue_text)
    dispatch_queued = _Forward("queue", Queue.dispatch_queued)

    submit_file = _Forward("submissions", Submissions.submit_file)
    retry = _Forward("submissions", Submissions.retry)
    recover = _Forward("submissions", Submissions.recover)
    cancel = _Forward("submissions", Submissions.cancel)

    clean_plan = _Forward("hygiene", Hygiene.clean_plan)
    clean = _Forward("hygiene", Hygiene.clean)

    # --- polling --------------------------------------------------------------------------

    def _make_poller(self) -> Poller:
        ctx = self.ctx
        profiles = ctx.usable_profiles()
        providers = {name: ctx.poll_provider(name) for name in profiles}
        settings = {name: poll_settings(ctx.config.profile(name)) for name in profiles}

        def on_snapshot(profile: str, job: BatchJob) -> None:
            record = ctx.remember(job, profile)
            if record.is_terminal:
                self._spawn(self._after_terminal(record))

        poller = Poller(
            providers,
            clock=ctx.clock,
            on_snapshot=on_snapshot,
            on_error=ctx.report,
            on_discovered=on_snapshot,
            settings=settings,
        )
        team = ctx.team
        for name in profiles:
            poller.mark_known(name, [r.id for r in ctx.store.list_jobs(profile=name) if r.id])
            live = ctx.store.live_jobs(name)
            # On a team store, only the jobs whose poll lease this process holds.
            mine = team.claim(live) if team is not None else None
            for record in live:
                if record.id and (mine is None or record.local_id in mine):
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
            await self.money.cost_when_terminal(record)
        if self.store.queued_intents(record.profile):
            await self.queue.dispatch_queued(record.profile)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run background work of the polling loop (cancelled by ``stop_polling``)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start_polling(self) -> None:
        """Settle crash leftovers, send queued work that fits, then poll every live job until
        ``stop_polling``. A job turning terminal lets queued submissions of its profile go."""
        # A profile that cannot be listed now is reported; polling starts for all the same.
        await self.ctx.reconcile(on_error=lambda name, exc: self.ctx.report(name, None, exc))
        if self.store.shared and self.ctx.team is None:
            from batchtui.core.workspace_team import TeamSync

            self.ctx.team = TeamSync(self.ctx)
        poller = self.ctx.poller = self._make_poller()
        self._spawn(self.queue.dispatch_queued())
        if self.ctx.team is not None:
            self._spawn(self.ctx.team.run())
        await poller.run()

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
        if self.ctx.poller is not None:
            await self.ctx.poller.stop()
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poll_task
            self._poll_task = None

    async def aclose(self) -> None:
        """Stop polling and close every adapter and index."""
        await self.stop_polling()
        await self.ctx.aclose()


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
