"""The async polling scheduler: per-job next-poll times, per-profile limits and discovery."""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import inspect
import itertools
import logging
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchtui.core.clock import Clock
from batchtui.core.models import BatchJob
from batchtui.core.poller.feed import SnapshotFeed
from batchtui.core.poller.settings import PollSettings, ProfileStats
from batchtui.core.poller.sweeps import pages_worth_reading
from batchtui.core.provider import NotFoundError, Provider, RateLimitedError, ServerError

log = logging.getLogger(__name__)

SnapshotCallback = Callable[[str, BatchJob], Awaitable[None] | None]
"""Called with (profile, snapshot) for every new snapshot; may be sync or async."""
ErrorCallback = Callable[[str, str | None, Exception], Awaitable[None] | None]
"""Called with (profile, batch id or None for a list call, error); may be sync or async."""
DiscoveredCallback = Callable[[str, BatchJob], Awaitable[None] | None]
"""Called with (profile, snapshot) for a job the list showed that nobody told the poller of."""
SleepFunction = Callable[[float], Awaitable[Any]]

_WINDOW_S = 60.0
_SLACK_S = 1e-3
"""Anything due within this much of now counts as due, so no wait is ever uselessly tiny."""


@dataclass(slots=True, eq=False)
class _Job:
    """The poller's bookkeeping for one tracked job."""

    batch_id: str
    started_at: float | None
    first_seen: float
    last: BatchJob | None = None
    due: float = 0.0
    gen: int = 0
    failures: int = 0
    busy: bool = False
    force_emit: bool = False
    unlisted: bool = False
    """A list sweep did not show the job: it is polled on its own."""
    rank: int | None = None
    """The job's position on the provider's list (0: newest) when a read last showed it."""
    solo: bool = False
    """Due too deep in the list for a sweep to pay: its next poll is a request of its own."""


class _Profile:
    """The poller's state for one profile: its jobs, schedule, limits and counters."""

    def __init__(self, name: str, provider: Provider, settings: PollSettings, now: float) -> None:
        self.name = name
        self.provider = provider
        self.settings = settings
        self.semaphore = asyncio.Semaphore(settings.max_concurrency)
        self.jobs: dict[str, _Job] = {}
        self.heap: list[tuple[float, int, str, int]] = []
        self.urgent: dict[str, None] = {}
        self.list_urgent = False
        self.live = True
        self.in_flight = 0
        self.blocked_until = 0.0
        self.rate_failures = 0
        self.window: deque[float] = deque()
        self.requests_total = 0
        self.errors_total = 0
        self.snapshots_total = 0
        self.next_list_at: float | None = now if settings.list_interval_s is not None else None
        self.listing = False
        self.last_list_at: float | None = None
        self.known: set[str] = set()
        self.covered_interval: float | None = None
        self.sweeping = False
        self.sweep_blocked_until = 0.0
        self.sweep_failures = 0
        self.sweeps_total = 0


def _timestamp(value: datetime | float | None) -> float | None:
    if value is None:
        return None
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _spread(batch_id: str) -> float:
    """A stable fraction in [0, 1) per batch id, to spread restored jobs over their interval."""
    return zlib.crc32(batch_id.encode()) / 2**32


async def _call(callback: Callable[..., Any], *args: Any) -> None:
    result = callback(*args)
    if inspect.isawaitable(result):
        await result


class Poller:
    """Polls the live jobs of several profiles, each on its own schedule, and reports snapshots.

    Scheduling decisions read the injected ``clock``; waiting goes through ``sleep`` (default
    ``asyncio.sleep``), so tests can drive time. Drive it with ``await run()`` (until
    ``stop()``), or step it with ``await tick()``. Every new snapshot goes to ``on_snapshot``
    and to every open ``snapshots()`` feed; unchanged snapshots are not re-emitted. Errors go to
    ``on_error`` (a Retry-After also holds the whole profile back); a failing callback is
    reported and retried, never fatal to the loop.
    """

    def __init__(
        self,
        providers: Mapping[str, Provider],
        *,
        clock: Clock,
        on_snapshot: SnapshotCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_discovered: DiscoveredCallback | None = None,
        settings: PollSettings | Mapping[str, PollSettings] | None = None,
        sleep: SleepFunction = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._on_snapshot = on_snapshot
        self._on_error = on_error
        self._on_discovered = on_discovered
        now = clock.time()
        self._profiles: dict[str, _Profile] = {}
        for name, provider in providers.items():
            if isinstance(settings, PollSettings):
                profile_settings = settings
            elif settings is not None and name in settings:
                profile_settings = settings[name]
            else:
                profile_settings = PollSettings()
            self._profiles[name] = _Profile(name, provider, profile_settings, now)
        self._seq = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._feeds: set[SnapshotFeed] = set()
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stop_requested = False
        self._running = False

    # ----------------------------------------------------------------- public control

    @property
    def profiles(self) -> list[str]:
        """The profile names this poller serves."""
        return list(self._profiles)

    @property
    def running(self) -> bool:
        """Whether ``run()`` is executing."""
        return self._running

    def settings(self, profile: str) -> PollSettings:
        """The polling settings of one profile."""
        return self._profile(profile).settings

    def track(
        self,
        profile: str,
        batch_id: str,
        *,
        submitted_at: datetime | float | None = None,
        last_snapshot: BatchJob | None = None,
    ) -> bool:
        """Start polling a job; returns False (and does nothing) for a terminal ``last_snapshot``.

        A job without a snapshot is polled at once; one restored with its last snapshot is first
        polled within its normal interval (spread by its id, so a restart does not burst). Tracking
        a job already tracked updates what is given and polls it now.
        """
        p = self._profile(profile)
        now = self._clock.time()
        p.known.add(batch_id)
        started = _timestamp(submitted_at)
        if started is None and last_snapshot is not None:
            started = _timestamp(last_snapshot.times.created_at)
        job = p.jobs.get(batch_id)
        if job is not None:
            if started is not None:
                job.started_at = started
            if last_snapshot is not None:
                job.last = self._stamp(p, last_snapshot)
            if not job.busy:
                p.urgent[batch_id] = None
            self._wake.set()
            return True
        if last_snapshot is not None and last_snapshot.is_terminal:
            return False
        job = _Job(batch_id=batch_id, started_at=started, first_seen=now)
        if last_snapshot is None:
            due = now
        else:
            job.last = self._stamp(p, last_snapshot)
            due = now + self._interval(p, job, now) * _spread(batch_id)
        p.jobs[batch_id] = job
        self._schedule(p, job, due)
        self._wake.set()
        return True

    def untrack(self, profile: str, batch_id: str) -> bool:
        """Stop polling a job; a request in flight for it is let finish and its answer dropped."""
        p = self._profile(profile)
        p.urgent.pop(batch_id, None)
        return p.jobs.pop(batch_id, None) is not None

    def mark_known(self, profile: str, batch_ids: Iterable[str]) -> None:
        """Tell discovery which jobs the caller already has (e.g. finished jobs in the store)."""
        self._profile(profile).known.update(batch_ids)

    def poll_now(self, profile: str, batch_id: str | None = None) -> None:
        """Poll one job (tracking it if needed), or all of a profile's jobs and its list, now.

        Immediate means ahead of the schedule and of any error backoff, and even while the profile
        is paused; a Retry-After hold, the request cap and the concurrency bound still apply. A
        single job asked for is emitted even if its snapshot did not change.
        """
        p = self._profile(profile)
        if batch_id is None:
            for job in p.jobs.values():
                if not job.busy:
                    p.urgent[job.batch_id] = None
            if p.settings.list_interval_s is not None:
                p.list_urgent = True
        else:
            found = p.jobs.get(batch_id)
            if found is None:
                self.track(profile, batch_id)
                found = p.jobs[batch_id]
            found.force_emit = True
            if not found.busy:
                p.urgent[batch_id] = None
        self._wake.set()

    def cover(self, profile: str, interval_s: float | None) -> None:
        """Say that webhooks now report the profile's job endings (``interval_s``), or no longer
        do (None). A covered profile's running jobs are polled at most every ``interval_s``
        (never more often than their normal schedule), from each job's next poll on; lifting
        the cover brings every job back within its normal interval. Polling stays as the
        fallback for a lost event, and ``poll_now`` is as immediate as ever.
        """
        if interval_s is not None and not interval_s > 0:
            raise ValueError("interval_s must be positive or None")
        p = self._profile(profile)
        p.covered_interval = interval_s
        now = self._clock.time()
        for job in p.jobs.values():  # no job waits longer than its interval says now
            if not job.busy and (sooner := now + self._interval(p, job, now)) < job.due:
                self._schedule(p, job, sooner)
        self._wake.set()

    def covered(self, profile: str) -> float | None:
        """The polling interval of a profile covered by webhooks, None when it is not."""
        return self._profile(profile).covered_interval

    def set_live(self, live: bool, profile: str | None = None) -> None:
        """Pause (False) or resume (True) scheduled polling and discovery, for one or all profiles.

        A paused profile keeps its jobs tracked and still answers ``poll_now``.
        """
        targets = self._profiles.values() if profile is None else [self._profile(profile)]
        for p in targets:
            p.live = live
        self._wake.set()

    def wake(self) -> None:
        """Make ``run()`` look at the schedule again (e.g. after a test advanced the clock)."""
        self._wake.set()

    def is_tracked(self, profile: str, batch_id: str) -> bool:
        """Whether a job is being polled."""
        return batch_id in self._profile(profile).jobs

    def tracked(self, profile: str) -> list[str]:
        """The batch ids being polled for one profile."""
        return list(self._profile(profile).jobs)

    def last_snapshot(self, profile: str, batch_id: str) -> BatchJob | None:
        """The newest snapshot delivered for a tracked job, if any."""
        job = self._profile(profile).jobs.get(batch_id)
        return job.last if job is not None else None

    def stats(self) -> dict[str, ProfileStats]:
        """Per-profile counters: requests in the last minute, totals, holds and next due time."""
        now = self._clock.time()
        out: dict[str, ProfileStats] = {}
        for name, p in self._profiles.items():
            self._prune(p, now)
            gate = self._gate(p, now)
            out[name] = ProfileStats(
                profile=name,
                live=p.live,
                tracked=len(p.jobs),
                in_flight=p.in_flight,
                requests_last_minute=len(p.window),
                requests_total=p.requests_total,
                errors_total=p.errors_total,
                snapshots_total=p.snapshots_total,
                blocked_until=gate if gate > now else None,
                next_due=self._ready_at(p, now),
                last_list_at=p.last_list_at,
            )
        return out

    def snapshots(self, maxsize: int = 10_000) -> SnapshotFeed:
        """A new async iterator of snapshots, coalesced per job; it ends when the poller stops.

        It receives every snapshot emitted from now on; close it (or use ``async with``) when done.
        """
        feed = SnapshotFeed(maxsize, on_close=self._feeds.discard)
        self._feeds.add(feed)
        return feed

    # ----------------------------------------------------------------- driving

    async def run(self) -> None:
        """Poll until ``stop()`` (or cancellation); one task that sleeps until the next due time."""
        if self._running:
            raise RuntimeError("Poller.run() is already running")
        self._running = True
        self._stopped.clear()
        try:
            while not self._stop_requested:
                self._wake.clear()
                started = self._dispatch_all()
                due = self._next_due()
                delay = None if due is None else due - self._clock.time()
                if delay is not None and delay <= _SLACK_S and not started:
                    delay = _SLACK_S  # never spin, whatever the arithmetic says
                await self._wait(delay)
        finally:
            self._running = False
            self._stop_requested = False
            await self._cancel_tasks()
            self._close_feeds()
            self._stopped.set()

    async def stop(self) -> None:
        """Stop ``run()`` promptly: requests in flight are cancelled, snapshot feeds end."""
        self._stop_requested = True
        self._wake.set()
        if self._running:
            await self._stopped.wait()
        else:
            await self._cancel_tasks()
            self._close_feeds()

    async def tick(self) -> float | None:
        """Do everything due at the clock's current time, wait for it, and return the next due time.

        For tests and one-shot callers that drive time themselves; not while ``run()`` runs.
        """
        if self._running:
            raise RuntimeError("tick() cannot be used while run() is running")
        while True:
            started = self._dispatch_all()
            if not started and not self._tasks:
                break
            if self._tasks:
                await asyncio.wait(set(self._tasks))
        return self._next_due()

    # ----------------------------------------------------------------- scheduling

    def _profile(self, name: str) -> _Profile:
        try:
            return self._profiles[name]
        except KeyError:
            raise KeyError(f"unknown profile {name!r}") from None

    def _stamp(self, p: _Profile, snap: BatchJob) -> BatchJob:
        return snap if snap.profile == p.name else dataclasses.replace(snap, profile=p.name)

    def _interval(self, p: _Profile, job: _Job, now: float) -> float:
        start = job.started_at if job.started_at is not None else job.first_seen
        interval = p.settings.interval_for_age(max(0.0, now - start))
        if p.covered_interval is not None:
            interval = max(interval, p.covered_interval)
        return interval

    def _schedule(self, p: _Profile, job: _Job, due: float) -> None:
        job.due = due
        job.gen = next(self._seq)
        heapq.heappush(p.heap, (due, next(self._seq), job.batch_id, job.gen))

    def _claim(self, job: _Job) -> None:
        job.busy = True
        job.gen = next(self._seq)  # any heap entry of the job is now stale

    def _peek_due(self, p: _Profile) -> float | None:
        while p.heap:
            due, _, batch_id, gen = p.heap[0]
            job = p.jobs.get(batch_id)
            if job is None or job.gen != gen or job.busy:
                heapq.heappop(p.heap)
                continue
            return due
        return None

    def _prune(self, p: _Profile, now: float) -> None:
        while p.window and p.window[0] + _WINDOW_S <= now + _SLACK_S:
            p.window.popleft()

    def _gate(self, p: _Profile, now: float) -> float:
        """The earliest time the profile may send a request (Retry-After and request cap)."""
        gate = p.blocked_until
        cap = p.settings.max_requests_per_minute
        if cap is not None:
            self._prune(p, now)
            if len(p.window) >= cap:
                gate = max(gate, p.window[len(p.window) - cap] + _WINDOW_S)
        return gate

    def _record_request(self, p: _Profile, now: float) -> None:
        p.window.append(now)
        p.requests_total += 1

    def _list_due(self, p: _Profile, now: float) -> bool:
        if p.listing:
            return False
        if p.list_urgent:
            return True
        return p.live and p.next_list_at is not None and p.next_list_at <= now + _SLACK_S

    def _ready_at(self, p: _Profile, now: float) -> float | None:
        """When the profile next has something to send, or None if it waits for an event."""
        if p.in_flight >= p.settings.max_concurrency:
            return None
        candidates: list[float] = []
        if any(not job.busy for job in self._urgent_jobs(p)):
            candidates.append(now)
        if p.list_urgent and not p.listing:
            candidates.append(now)
        if p.live:
            due = self._peek_due(p)
            if due is not None:
                candidates.append(due)
            if p.next_list_at is not None and not p.listing:
                candidates.append(p.next_list_at)
        if not candidates:
            return None
        return max(min(candidates), self._gate(p, now))

    def _urgent_jobs(self, p: _Profile) -> list[_Job]:
        for batch_id in list(p.urgent):
            job = p.jobs.get(batch_id)
            if job is None or job.busy:
                del p.urgent[batch_id]
        return [p.jobs[batch_id] for batch_id in p.urgent]

    def _next_due(self) -> float | None:
        now = self._clock.time()
        times = [t for p in self._profiles.values() if (t := self._ready_at(p, now)) is not None]
        return min(times) if times else None

    def _dispatch_all(self) -> int:
        now = self._clock.time()
        return sum(self._dispatch(p, now) for p in self._profiles.values())

    def _dispatch(self, p: _Profile, now: float) -> int:
        started = 0
        while p.in_flight < p.settings.max_concurrency and self._gate(p, now) <= now + _SLACK_S:
            urgent = self._urgent_jobs(p)
            if urgent:
                self._start_poll(p, urgent[0], now)
            elif self._list_due(p, now):
                self._start_list(p, now)
            elif p.live and (due := self._peek_due(p)) is not None and due <= now + _SLACK_S:
                if self._sweeps(p, p.jobs[p.heap[0][2]], now):
                    if p.sweeping:
                        break  # the running sweep takes the due jobs when it ends
                    if not self._start_sweep(p, now):
                        continue  # none worth a sweep: each is now polled on its own
                else:
                    _, _, batch_id, _ = heapq.heappop(p.heap)
                    self._start_poll(p, p.jobs[batch_id], now)
            else:
                break
            started += 1
        return started

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("poller task failed", exc_info=task.exception())
        self._wake.set()

    async def _wait(self, delay: float | None) -> None:
        waiter = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._sleep(delay)) if delay is not None else None
        pending = {waiter} if sleeper is None else {waiter, sleeper}
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pending:
                if not task.done():
                    task.cancel()

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _close_feeds(self) -> None:
        for feed in list(self._feeds):
            feed.close()

    # ----------------------------------------------------------------- list sweeps

    def _sweeps(self, p: _Profile, job: _Job, now: float) -> bool:
        """Whether due jobs of the profile are refreshed by a list sweep (many tracked jobs,
        the job has been seen on the list, no recent sweep failure)."""
        least = p.settings.sweep_min_jobs
        return (
            least is not None
            and len(p.jobs) >= least
            and not job.unlisted
            and not job.solo
            and now >= p.sweep_blocked_until
        )

    def _start_sweep(self, p: _Profile, now: float) -> bool:
        """Claim the due jobs a list read pays for (with the jobs on those pages that are
        nearly due), and read the list for them; a due job deeper down is marked to be polled
        on its own. False when no job was worth a sweep."""
        settings = p.settings
        longest = max(settings.max_interval_s, p.covered_interval or 0.0)
        horizon = now + _SLACK_S + longest * settings.sweep_early
        due_now: list[_Job] = []
        soon: list[_Job] = []
        later: list[_Job] = []
        while p.heap and p.heap[0][0] <= horizon:
            _, _, batch_id, gen = heapq.heappop(p.heap)
            job = p.jobs.get(batch_id)
            if job is None or job.gen != gen or job.busy:
                continue
            if job.unlisted or job.solo:
                later.append(job)
            elif job.due <= now + _SLACK_S:
                due_now.append(job)
            elif job.rank is not None and (
                job.due - now <= self._interval(p, job, now) * settings.sweep_early
            ):
                soon.append(job)
            else:
                later.append(job)
        size = settings.list_page_size
        depth = pages_worth_reading(
            (job.rank // size for job in due_now if job.rank is not None),
            (job.rank // size for job in soon if job.rank is not None),
            settings.sweep_page_cost,
        )
        reach = depth * size
        due: dict[str, _Job] = {}
        for job in due_now:
            if job.rank is None or job.rank < reach:  # never shown yet: read until it is
                due[job.batch_id] = job
            else:
                job.solo = True
                later.append(job)
        if due:
            for job in soon:
                if job.rank is not None and job.rank < reach:
                    due[job.batch_id] = job
                else:
                    later.append(job)
        else:
            later.extend(soon)
        for job in later:
            self._schedule(p, job, job.due)
        if not due:
            return False
        for job in due.values():
            self._claim(job)
        p.sweeping = True
        p.in_flight += 1
        p.sweeps_total += 1
        self._record_request(p, now)
        self._spawn(self._sweep(p, due))
        return True

    async def _sweep(self, p: _Profile, due: dict[str, _Job]) -> None:
        """Read the list, newest first, until every claimed job was seen (or the list ends, or
        the request budget would be exceeded); refresh every tracked job it shows. A claimed
        job it did not show is polled on its own from now on."""
        wanted = dict(due)
        seen: list[BatchJob] = []
        whole = False  # the list was read to its end
        try:
            try:
                async with p.semaphore:
                    seen, whole = await self._read_sweep(p, wanted)
            finally:
                p.in_flight -= 1
                self._wake.set()
        except asyncio.CancelledError:
            self._release(p, due.values())
            p.sweeping = False
            raise
        except Exception as exc:
            p.errors_total += 1
            now = self._clock.time()
            p.sweep_failures += 1
            p.sweep_blocked_until = now + p.settings.error_backoff(p.sweep_failures)
            if self._holds_profile(exc):
                self._push_back(p, now, exc)
            await self._report(p, None, exc)
        else:
            p.sweep_failures = 0
        try:
            now = self._clock.time()
            for rank, snap in enumerate(seen):
                job = p.jobs.get(snap.id)
                if job is not None:
                    job.rank = rank
                if job is not None and due.get(snap.id) is job:
                    await self._after_snapshot(p, job, self._stamp(p, snap), now)
                elif job is not None and not job.busy:  # not due yet: refreshed early, free
                    self._claim(job)
                    await self._after_snapshot(p, job, self._stamp(p, snap), now)
            if whole:  # shown nowhere on the list: polled on its own from now on
                for batch_id in wanted:
                    due[batch_id].unlisted = True
            self._release(p, (due[b] for b in wanted))
        finally:
            p.sweeping = False
            self._wake.set()

    async def _read_sweep(
        self, p: _Profile, wanted: dict[str, _Job]
    ) -> tuple[list[BatchJob], bool]:
        """(the jobs read, whether the list was read to its end); `wanted` loses each job seen."""

        def enough(snap: BatchJob, _seen: list[BatchJob]) -> bool:
            wanted.pop(snap.id, None)
            return not wanted

        return await self._read_pages(p, p.settings.list_page_size, enough)

    def _release(self, p: _Profile, jobs: Iterable[_Job]) -> None:
        """Give claimed jobs back, due now (a sweep that did not refresh them)."""
        now = self._clock.time()
        for job in jobs:
            if job.busy and p.jobs.get(job.batch_id) is job:
                job.busy = False
                self._schedule(p, job, now)

    # ----------------------------------------------------------------- polling

    def _start_poll(self, p: _Profile, job: _Job, now: float) -> None:
        p.urgent.pop(job.batch_id, None)
        job.solo = False
        self._claim(job)
        p.in_flight += 1
        self._record_request(p, now)
        self._spawn(self._poll(p, job))

    async def _poll(self, p: _Profile, job: _Job) -> None:
        try:
            try:
                async with p.semaphore:
                    snap = await p.provider.get(job.batch_id)
            finally:
                p.in_flight -= 1
                self._wake.set()
            now = self._clock.time()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._poll_failed(p, job, exc)
        else:
            if p.jobs.get(job.batch_id) is job:
                await self._after_snapshot(p, job, self._stamp(p, snap), now)
            else:  # untracked while the request was in flight: drop the answer
                job.busy = False
        finally:
            if job.busy:  # cancelled, or a handler broke: keep the job due
                job.busy = False
                if p.jobs.get(job.batch_id) is job:
                    self._schedule(p, job, self._clock.time())

    async def _after_snapshot(self, p: _Profile, job: _Job, snap: BatchJob, now: float) -> None:
        """Deliver a fresh snapshot of a claimed job and schedule (or stop) its next poll."""
        job.failures = 0
        job.solo = False
        p.rate_failures = 0
        if job.started_at is None:
            job.started_at = _timestamp(snap.times.created_at)
        delivered = await self._deliver(p, job, snap)
        if p.jobs.get(job.batch_id) is not job:
            job.busy = False
            return
        job.busy = False
        if not delivered:
            job.failures += 1
            backoff = p.settings.error_backoff(job.failures)
            self._schedule(p, job, now + max(backoff, self._interval(p, job, now)))
        elif snap.is_terminal:
            self._forget(p, job.batch_id)
        else:
            self._schedule(p, job, now + self._interval(p, job, now))

    async def _deliver(self, p: _Profile, job: _Job, snap: BatchJob) -> bool:
        """Emit the snapshot if it is new or was asked for; False if the callback failed."""
        if not (job.force_emit or job.last is None or snap != job.last):
            return True
        job.force_emit = False
        if not await self._emit(p, snap, job.batch_id):
            job.force_emit = True
            return False
        job.last = snap
        return True

    async def _emit(self, p: _Profile, snap: BatchJob, batch_id: str) -> bool:
        p.snapshots_total += 1
        for feed in list(self._feeds):
            feed.put(p.name, snap)
        if self._on_snapshot is None:
            return True
        try:
            await _call(self._on_snapshot, p.name, snap)
        except Exception as exc:
            await self._report(p, batch_id, exc)
            return False
        return True

    async def _poll_failed(self, p: _Profile, job: _Job, exc: Exception) -> None:
        now = self._clock.time()
        if p.jobs.get(job.batch_id) is not job:
            job.busy = False
            return
        p.errors_total += 1
        job.busy = False
        if isinstance(exc, NotFoundError):
            self._forget(p, job.batch_id)
        elif self._holds_profile(exc):
            self._push_back(p, now, exc)
            self._schedule(p, job, max(now, p.blocked_until))
        else:
            job.failures += 1
            backoff = p.settings.error_backoff(job.failures)
            self._schedule(p, job, now + max(backoff, self._interval(p, job, now)))
        await self._report(p, job.batch_id, exc)

    @staticmethod
    def _holds_profile(exc: Exception) -> bool:
        if isinstance(exc, RateLimitedError):
            return True
        return isinstance(exc, ServerError) and exc.retry_after is not None

    def _push_back(self, p: _Profile, now: float, exc: Exception) -> None:
        # Consecutive holds back off exponentially; a Retry-After, when given, is honoured
        # above that floor (so "retry-after: 0" cannot make the poller hammer the provider).
        p.rate_failures += 1
        delay = p.settings.error_backoff(p.rate_failures)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            delay = max(delay, min(float(retry_after), p.settings.max_retry_after_s))
        p.blocked_until = max(p.blocked_until, now + delay)
        self._wake.set()

    def _forget(self, p: _Profile, batch_id: str) -> None:
        p.jobs.pop(batch_id, None)
        p.urgent.pop(batch_id, None)

    async def _report(self, p: _Profile, batch_id: str | None, exc: Exception) -> None:
        if self._on_error is None:
            log.debug("poller error for %s %s: %s", p.name, batch_id, exc)
            return
        try:
            await _call(self._on_error, p.name, batch_id, exc)
        except Exception:
            log.exception("the poller's on_error callback failed")

    # ----------------------------------------------------------------- discovery

    def _start_list(self, p: _Profile, now: float) -> None:
        p.listing = True
        p.list_urgent = False
        p.next_list_at = None
        p.in_flight += 1
        self._record_request(p, now)
        self._spawn(self._list(p, now))

    async def _list(self, p: _Profile, started: float) -> None:
        settings = p.settings
        horizon = None if p.last_list_at is None else p.last_list_at - settings.list_overlap_s
        page_size = min(settings.list_page_size, settings.list_limit)
        seen: list[BatchJob] = []
        ok = True
        try:
            try:
                async with p.semaphore:
                    seen = await self._read_list(p, page_size, horizon)
            finally:
                p.in_flight -= 1
                self._wake.set()
        except asyncio.CancelledError:
            p.listing = False
            self._reschedule_list(p)
            raise
        except Exception as exc:
            ok = False
            p.errors_total += 1
            if self._holds_profile(exc):
                self._push_back(p, self._clock.time(), exc)
            await self._report(p, None, exc)
        try:
            now = self._clock.time()
            for rank, snap in enumerate(seen):
                if not await self._listed(p, self._stamp(p, snap), now, rank):
                    ok = False
            if ok:
                p.last_list_at = started
        finally:
            p.listing = False
            self._reschedule_list(p)

    def _reschedule_list(self, p: _Profile) -> None:
        interval = p.settings.list_interval_s
        p.next_list_at = None if interval is None else self._clock.time() + interval

    async def _read_list(
        self, p: _Profile, page_size: int, horizon: float | None
    ) -> list[BatchJob]:
        """Read the newest jobs: at most ``list_limit``, stopping at the horizon or the cap."""

        def enough(snap: BatchJob, seen: list[BatchJob]) -> bool:
            if len(seen) >= p.settings.list_limit:
                return True
            created = _timestamp(snap.times.created_at)
            return horizon is not None and created is not None and created < horizon

        seen, _ = await self._read_pages(p, page_size, enough)
        return seen

    async def _read_pages(
        self, p: _Profile, page_size: int, enough: Callable[[BatchJob, list[BatchJob]], bool]
    ) -> tuple[list[BatchJob], bool]:
        """Read the provider's list, newest first, until ``enough(snap, seen)`` or the request
        budget says stop (each further page is one request); (the jobs read, whether the list
        was read to its end)."""
        seen: list[BatchJob] = []
        iterator = p.provider.list(page_size=page_size)
        try:
            async for snap in iterator:
                seen.append(snap)
                if enough(snap, seen):
                    return seen, False
                if len(seen) % page_size == 0:
                    now = self._clock.time()
                    if self._gate(p, now) > now + _SLACK_S:
                        return seen, False  # the next page would exceed the request budget
                    self._record_request(p, now)  # pulling on may fetch another page
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
        return seen, True

    async def _listed(self, p: _Profile, snap: BatchJob, now: float, rank: int) -> bool:
        """Handle one job from a list (at ``rank``, 0: newest): refresh a tracked one, or
        report and adopt a new one."""
        job = p.jobs.get(snap.id)
        if job is not None:
            job.rank = rank
            if not job.busy:
                self._claim(job)
                await self._after_snapshot(p, job, snap, now)
            return True
        if snap.id in p.known:
            return True
        if self._on_discovered is not None:
            try:
                await _call(self._on_discovered, p.name, snap)
            except Exception as exc:
                await self._report(p, snap.id, exc)
                return False
        p.known.add(snap.id)
        job = p.jobs.get(snap.id)  # the callback may have tracked it already
        if job is not None and job.busy:
            return True
        if job is None and snap.is_terminal:
            await self._emit(p, snap, snap.id)
            return True
        if job is None:
            started = _timestamp(snap.times.created_at)
            job = _Job(batch_id=snap.id, started_at=started, first_seen=now)
            p.jobs[snap.id] = job
        job.rank = rank
        self._claim(job)
        await self._after_snapshot(p, job, snap, now)
        return True
