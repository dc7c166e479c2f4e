"""The polling scheduler against an in-memory provider whose jobs progress with a FixedClock."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus, Capability, RequestCounts, Timestamps
from batchtui.core.poller import Poller, PollSettings
from batchtui.core.provider import NotFoundError, RateLimitedError, ServerError

QUIET = PollSettings(list_interval_s=None)


def near(value: float) -> object:
    """Equality for clock times and gaps, to a microsecond-ish (timestamps are ~1.7e9)."""
    return pytest.approx(value, rel=0, abs=1e-5)


@dataclass
class FakeJob:
    """A job that runs for ``duration`` seconds from ``created`` and then completes."""

    id: str
    created: float
    duration: float
    total: int


class FakeProvider:
    """An in-memory provider: jobs progress with the clock; calls and concurrency are recorded."""

    name = "fake"
    capabilities = Capability.NONE

    def __init__(self, clock: FixedClock, *, yields: int = 0) -> None:
        self.clock = clock
        self.yields = yields
        self.gate: asyncio.Event | None = None
        self.jobs: dict[str, FakeJob] = {}
        self.calls: list[tuple[str, float]] = []
        self.errors: dict[str, list[Exception]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.list_calls = 0
        self.list_items = 0
        self.pages = 0

    def add(self, batch_id: str, *, age: float = 0.0, duration: float = 3600.0, total: int = 10):
        job = FakeJob(batch_id, self.clock.time() - age, duration, total)
        self.jobs[batch_id] = job
        return job

    def snapshot(self, job: FakeJob) -> BatchJob:
        elapsed = self.clock.time() - job.created
        created = datetime.fromtimestamp(job.created, UTC)
        if elapsed >= job.duration:
            status, done = BatchStatus.COMPLETED, job.total
        else:
            status, done = BatchStatus.IN_PROGRESS, int(job.total * elapsed / job.duration)
        counts = RequestCounts(total=job.total, processing=job.total - done, succeeded=done)
        return BatchJob(
            provider="fake",
            id=job.id,
            status=status,
            raw_status=status.value,
            counts=counts,
            times=Timestamps(created_at=created),
        )

    def polls(self, batch_id: str) -> list[float]:
        return [t for b, t in self.calls if b == batch_id]

    async def get(self, batch_id: str) -> BatchJob:
        self.calls.append((batch_id, self.clock.time()))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            for _ in range(self.yields):
                await asyncio.sleep(0)
            if self.gate is not None:
                await self.gate.wait()
            pending = self.errors.get(batch_id)
            if pending:
                raise pending.pop(0)
            if batch_id not in self.jobs:
                raise NotFoundError("no such batch", provider="fake", status_code=404)
            return self.snapshot(self.jobs[batch_id])
        finally:
            self.in_flight -= 1

    async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
        self.list_calls += 1
        newest_first = sorted(self.jobs.values(), key=lambda j: j.created, reverse=True)
        for index, job in enumerate(newest_first):
            if index % page_size == 0:
                self.pages += 1
            self.list_items += 1
            yield self.snapshot(job)


class Recorder:
    """Collects what the poller reports through its callbacks."""

    def __init__(self) -> None:
        self.snapshots: list[tuple[str, BatchJob]] = []
        self.errors: list[tuple[str, str | None, Exception]] = []
        self.discovered: list[tuple[str, BatchJob]] = []

    def on_snapshot(self, profile: str, job: BatchJob) -> None:
        self.snapshots.append((profile, job))

    async def on_error(self, profile: str, batch_id: str | None, exc: Exception) -> None:
        self.errors.append((profile, batch_id, exc))

    def on_discovered(self, profile: str, job: BatchJob) -> None:
        self.discovered.append((profile, job))

    def of(self, batch_id: str) -> list[BatchJob]:
        return [job for _, job in self.snapshots if job.id == batch_id]


def make(
    clock: FixedClock,
    providers: dict[str, FakeProvider],
    settings: PollSettings | dict[str, PollSettings] = QUIET,
    **kwargs,
) -> tuple[Poller, Recorder]:
    rec = Recorder()
    poller = Poller(
        providers,
        clock=clock,
        on_snapshot=rec.on_snapshot,
        on_error=rec.on_error,
        on_discovered=rec.on_discovered,
        settings=settings,
        **kwargs,
    )
    return poller, rec


async def step_to(poller: Poller, clock: FixedClock, until: float) -> None:
    """Tick the poller at each due time until the clock reaches ``until``."""
    due = await poller.tick()
    while due is not None and due <= until:
        clock.advance(max(0.0, due - clock.time()))
        due = await poller.tick()
    if clock.time() < until:
        clock.advance(until - clock.time())
        await poller.tick()


def virtual_sleep(clock: FixedClock) -> Callable[[float], object]:
    """A sleep that moves the FixedClock instead of waiting."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        await asyncio.sleep(0)

    return sleep


async def wait_until(condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Let the event loop run until ``condition()`` holds (fails the test after ``timeout``)."""

    async def spin() -> None:
        while not condition():
            await asyncio.sleep(0.001)

    await asyncio.wait_for(spin(), timeout)


# ---------------------------------------------------------------------- schedule


async def test_spacing_grows_with_age_then_caps() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", duration=10_000)
    poller, _ = make(clock, {"p": prov})
    t0 = clock.time()
    poller.track("p", "b1", submitted_at=t0)
    await step_to(poller, clock, t0 + 2400)

    times = prov.polls("b1")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times[0] == t0
    assert gaps[0] == near(2.0)
    for at, gap in zip(times, gaps, strict=False):
        assert gap == near(min(60.0, max(2.0, (at - t0) / 20)))
    assert gaps == sorted(gaps)
    assert gaps[-1] == near(60.0)
    assert len(times) < 120  # far fewer than a fixed 2 s cadence would make (1200)


async def test_run_loop_follows_the_schedule_with_injected_sleep() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", duration=10_000)
    poller, _ = make(clock, {"p": prov}, sleep=virtual_sleep(clock))
    t0 = clock.time()
    poller.track("p", "b1", submitted_at=t0)
    task = asyncio.create_task(poller.run())
    await wait_until(lambda: len(prov.calls) >= 40)
    await poller.stop()
    await task
    times = prov.polls("b1")[:40]
    for a, b in itertools.pairwise(times):
        assert b - a == near(min(60.0, max(2.0, (a - t0) / 20)))


async def test_terminal_snapshot_is_emitted_once_and_polling_stops() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", duration=15, total=3)
    poller, rec = make(clock, {"p": prov})
    t0 = clock.time()
    poller.track("p", "b1")
    await step_to(poller, clock, t0 + 30)
    calls_at_end = len(prov.calls)
    await step_to(poller, clock, t0 + 3600)

    snaps = rec.of("b1")
    assert snaps[-1].status is BatchStatus.COMPLETED
    assert [s.status for s in snaps].count(BatchStatus.COMPLETED) == 1
    assert snaps[-1].profile == "p"
    assert not poller.is_tracked("p", "b1")
    assert len(prov.calls) == calls_at_end
    assert max(t for _, t in prov.calls) <= t0 + 15 + 2.0


async def test_unchanged_snapshots_are_not_emitted_again() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", duration=1000, total=1)  # counts stay 0/1 until it completes
    poller, rec = make(clock, {"p": prov})
    poller.track("p", "b1")
    await step_to(poller, clock, clock.time() + 100)
    assert len(prov.polls("b1")) > 5
    assert len(rec.of("b1")) == 1


async def test_restored_job_is_polled_within_its_interval_not_at_once() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    ids = [f"b{i}" for i in range(20)]
    for batch_id in ids:
        prov.add(batch_id, age=7200, duration=100_000, total=1)
    poller, rec = make(clock, {"p": prov})
    t0 = clock.time()
    for batch_id in ids:
        poller.track("p", batch_id, last_snapshot=prov.snapshot(prov.jobs[batch_id]))
    await poller.tick()
    await step_to(poller, clock, t0 + 60)
    firsts = sorted(prov.polls(b)[0] for b in ids)
    assert all(t0 <= t < t0 + 60 for t in firsts)
    assert len(set(firsts)) > 10  # spread out, not one burst
    assert not rec.snapshots  # nothing changed since the stored snapshot: nothing emitted


async def test_track_with_terminal_snapshot_does_nothing() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", age=100, duration=10)
    poller, _ = make(clock, {"p": prov})
    assert poller.track("p", "b1", last_snapshot=prov.snapshot(prov.jobs["b1"])) is False
    await poller.tick()
    assert prov.calls == []


# ---------------------------------------------------------------------- on demand


async def test_poll_now_is_immediate_and_emits_even_unchanged() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("old", age=7200, duration=100_000, total=1)
    prov.add("other", age=7200, duration=100_000, total=1)
    poller, rec = make(clock, {"p": prov})
    poller.track("p", "old")
    poller.track("p", "other")
    await poller.tick()
    assert len(prov.calls) == 2
    clock.advance(1.0)
    assert await poller.tick() == near(clock.time() - 1.0 + 60.0)
    poller.poll_now("p", "old")
    await poller.tick()
    assert prov.calls[-1] == ("old", clock.time())
    assert len(prov.calls) == 3  # only the one asked for
    assert len(rec.of("old")) == 2  # re-emitted although unchanged

    clock.advance(1.0)
    poller.poll_now("p")
    await poller.tick()
    assert sorted(b for b, t in prov.calls if t == clock.time()) == ["old", "other"]


async def test_poll_now_of_an_unknown_job_fetches_and_tracks_it() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("live")
    prov.add("done", age=100, duration=10)
    poller, rec = make(clock, {"p": prov})
    poller.poll_now("p", "live")
    poller.poll_now("p", "done")
    await poller.tick()
    assert {j.id for _, j in rec.snapshots} == {"live", "done"}
    assert poller.tracked("p") == ["live"]


async def test_poll_now_wakes_the_sleeping_run_loop() -> None:
    clock = FixedClock()  # never advances: without a wake-up nothing else would be due
    prov = FakeProvider(clock)
    prov.add("b1", age=7200, duration=100_000)
    poller, rec = make(clock, {"p": prov})
    poller.track("p", "b1")
    task = asyncio.create_task(poller.run())
    await wait_until(lambda: len(rec.snapshots) == 1)
    poller.poll_now("p", "b1")
    await wait_until(lambda: len(prov.calls) == 2, timeout=2.0)
    assert len(prov.calls) == 2
    await poller.stop()
    await task


async def test_set_live_pauses_schedule_but_not_poll_now() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1")
    poller, _ = make(clock, {"p": prov})
    poller.track("p", "b1")
    await poller.tick()
    poller.set_live(False)
    await step_to(poller, clock, clock.time() + 120)
    assert len(prov.calls) == 1
    assert poller.stats()["p"].live is False
    poller.poll_now("p", "b1")
    await poller.tick()
    assert len(prov.calls) == 2
    poller.set_live(True, "p")
    await step_to(poller, clock, clock.time() + 10)
    assert len(prov.calls) > 2


# ---------------------------------------------------------------------- errors


async def test_retry_after_pushes_the_whole_profile_back() -> None:
    clock = FixedClock()
    slow, other = FakeProvider(clock), FakeProvider(clock)
    for batch_id in ("a1", "a2", "a3"):
        slow.add(batch_id)
    other.add("b1")
    settings = {"slow": PollSettings(list_interval_s=None, max_concurrency=1), "other": QUIET}
    poller, rec = make(clock, {"slow": slow, "other": other}, settings)
    slow.errors["a1"] = [RateLimitedError("slow down", retry_after=30, status_code=429)]
    t0 = clock.time()
    for batch_id in ("a1", "a2", "a3"):
        poller.track("slow", batch_id)
    poller.track("other", "b1")

    await poller.tick()
    assert slow.calls == [("a1", t0)]
    assert [(p, b, type(e)) for p, b, e in rec.errors] == [("slow", "a1", RateLimitedError)]
    assert poller.stats()["slow"].blocked_until == near(t0 + 30)
    await step_to(poller, clock, t0 + 29.9)
    assert len(slow.calls) == 1  # nothing before Retry-After elapses
    assert len(other.calls) > 5  # the other profile goes on
    await step_to(poller, clock, t0 + 30)
    assert sorted(b for b, _ in slow.calls[1:]) == ["a1", "a2", "a3"]
    assert all(t == near(t0 + 30) for _, t in slow.calls[1:])


async def test_server_error_with_retry_after_also_holds_the_profile() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("a1")
    prov.add("a2")
    poller, _ = make(clock, {"p": prov})
    prov.errors["a1"] = [ServerError("overloaded", retry_after=12, status_code=529)]
    t0 = clock.time()
    poller.track("p", "a1")
    await poller.tick()
    poller.track("p", "a2")
    await step_to(poller, clock, t0 + 11.9)
    assert prov.calls == [("a1", t0)]
    await step_to(poller, clock, t0 + 12)
    assert len(prov.calls) == 3


async def test_repeated_429_with_zero_retry_after_backs_off_instead_of_spinning() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1")
    prov.errors["b1"] = [RateLimitedError("busy", retry_after=0.0) for _ in range(100)]
    poller, rec = make(clock, {"p": prov})
    t0 = clock.time()
    poller.track("p", "b1")
    await step_to(poller, clock, t0 + 62)
    assert [t - t0 for t in prov.polls("b1")] == [0, 2, 6, 14, 30, 62]
    assert len(rec.errors) == 6


async def test_other_errors_back_off_only_that_job() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("bad")
    prov.add("good")
    poller, rec = make(clock, {"p": prov})
    prov.errors["bad"] = [ServerError(f"boom {i}", status_code=500) for i in range(4)]
    t0 = clock.time()
    poller.track("p", "bad", submitted_at=t0)
    poller.track("p", "good", submitted_at=t0)
    await step_to(poller, clock, t0 + 40)

    bad = prov.polls("bad")
    assert [b - a for a, b in itertools.pairwise(bad)][:4] == [2.0, 4.0, 8.0, 16.0]
    assert len(rec.errors) == 4 and all(b == "bad" for _, b, _ in rec.errors)
    good = prov.polls("good")
    assert good[:5] == [t0, t0 + 2, t0 + 4, t0 + 6, t0 + 8]
    assert poller.stats()["p"].blocked_until is None
    assert poller.stats()["p"].errors_total == 4


async def test_not_found_reports_and_stops_tracking() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    poller, rec = make(clock, {"p": prov})
    poller.track("p", "gone")
    await step_to(poller, clock, clock.time() + 60)
    assert len(prov.calls) == 1
    assert [(b, type(e)) for _, b, e in rec.errors] == [("gone", NotFoundError)]
    assert not poller.is_tracked("p", "gone")


async def test_failing_callbacks_do_not_kill_the_loop_and_are_retried() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", duration=30, total=3)
    delivered: list[BatchJob] = []
    failures = {"snapshot": 0}

    def on_snapshot(profile: str, job: BatchJob) -> None:
        if failures["snapshot"] < 2 or (job.is_terminal and failures["snapshot"] < 3):
            failures["snapshot"] += 1
            raise RuntimeError("store is busy")
        delivered.append(job)

    def on_error(profile: str, batch_id: str | None, exc: Exception) -> None:
        raise ValueError("the error handler is broken too")

    poller = Poller(
        {"p": prov},
        clock=clock,
        on_snapshot=on_snapshot,
        on_error=on_error,
        settings=QUIET,
        sleep=virtual_sleep(clock),
    )
    poller.track("p", "b1")
    task = asyncio.create_task(poller.run())
    await wait_until(lambda: not poller.is_tracked("p", "b1"))
    assert not task.done()
    assert failures["snapshot"] == 3
    assert delivered[-1].status is BatchStatus.COMPLETED  # the terminal one, after a retry
    await poller.stop()
    await task


# ---------------------------------------------------------------------- concurrency and budget


async def test_concurrency_bound_per_profile_with_tick() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock, yields=3)
    for i in range(10):
        prov.add(f"b{i}")
    poller, _ = make(clock, {"p": prov}, PollSettings(list_interval_s=None, max_concurrency=3))
    for i in range(10):
        poller.track("p", f"b{i}")
    await poller.tick()
    assert len(prov.calls) == 10
    assert prov.max_in_flight == 3


async def test_concurrency_bound_in_run_loop() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.gate = asyncio.Event()
    for i in range(10):
        prov.add(f"b{i}")
    poller, rec = make(clock, {"p": prov}, PollSettings(list_interval_s=None, max_concurrency=3))
    for i in range(10):
        poller.track("p", f"b{i}")
    task = asyncio.create_task(poller.run())
    await wait_until(lambda: prov.in_flight == 3)
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(prov.calls) == 3
    assert poller.stats()["p"].in_flight == 3
    prov.gate.set()
    await wait_until(lambda: len(rec.snapshots) == 10)
    assert prov.max_in_flight == 3
    await poller.stop()
    await task


async def test_request_cap_delays_polls_and_stats_count_them() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    ids = [f"b{i}" for i in range(8)]
    for batch_id in ids:
        prov.add(batch_id)
    settings = PollSettings(list_interval_s=None, max_concurrency=8, max_requests_per_minute=5)
    poller, _ = make(clock, {"p": prov}, settings)
    t0 = clock.time()
    for batch_id in ids:
        poller.track("p", batch_id)
    next_due = await poller.tick()
    assert len(prov.calls) == 5
    stats = poller.stats()["p"]
    assert stats.requests_last_minute == 5 and stats.requests_total == 5
    assert next_due == near(t0 + 60)
    await step_to(poller, clock, t0 + 60)
    late = [b for b, t in prov.calls if t == near(t0 + 60)]
    assert set(ids[:5]).isdisjoint(late[:3])  # the ones still waiting go first
    await step_to(poller, clock, t0 + 600)
    times = [t for _, t in prov.calls]
    for start in times:
        assert sum(1 for t in times if start <= t < start + 60) <= 5
    assert len(times) >= 5 * 10


async def test_stats_forget_requests_older_than_a_minute() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", age=7200, duration=100_000)
    poller, _ = make(clock, {"p": prov})
    poller.track("p", "b1")
    await poller.tick()
    assert poller.stats()["p"].requests_last_minute == 1
    clock.advance(61)
    stats = poller.stats()["p"]
    assert stats.requests_last_minute == 0 and stats.requests_total == 1
    assert stats.tracked == 1


# ---------------------------------------------------------------------- discovery


async def test_discovery_adopts_jobs_created_elsewhere() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("mine", age=10)
    prov.add("stored-done", age=5000, duration=100)
    prov.add("console-done", age=4000, duration=100)
    settings = PollSettings(list_interval_s=300)
    poller, rec = make(clock, {"p": prov}, settings)
    t0 = clock.time()
    poller.track("p", "mine", submitted_at=t0 - 10)
    poller.mark_known("p", ["stored-done"])
    await poller.tick()
    assert prov.list_calls == 1
    assert [j.id for _, j in rec.discovered] == ["console-done"]

    clock.advance(100)
    prov.add("console-live")
    await step_to(poller, clock, t0 + 301)
    assert prov.list_calls == 2
    assert [j.id for _, j in rec.discovered] == ["console-done", "console-live"]
    assert poller.is_tracked("p", "console-live")
    assert not poller.is_tracked("p", "console-done")
    assert {j.id for _, j in rec.snapshots} >= {"mine", "console-done", "console-live"}
    assert rec.discovered[-1][1].profile == "p"
    await step_to(poller, clock, t0 + 340)
    assert len(prov.polls("console-live")) >= 2  # polled on its own schedule afterwards


async def test_list_refreshes_tracked_jobs_without_a_get() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", age=7200, duration=7230, total=1)
    poller, rec = make(clock, {"p": prov}, PollSettings(list_interval_s=30))
    poller.track("p", "b1", last_snapshot=prov.snapshot(prov.jobs["b1"]))
    await poller.tick()  # the first list pass sees b1 unchanged and puts its get off
    assert rec.snapshots == []
    clock.advance(30)  # the job has now completed
    await poller.tick()
    assert prov.list_calls == 2
    assert prov.calls == []
    assert rec.of("b1")[-1].status is BatchStatus.COMPLETED
    assert not poller.is_tracked("p", "b1")
    assert rec.discovered == []


async def test_discovery_is_bounded_by_limit_and_horizon() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    for i in range(250):
        prov.add(f"old{i:03}", age=86_400 + i, duration=10)
    settings = PollSettings(list_interval_s=300, list_limit=50, list_page_size=20)
    poller, rec = make(clock, {"p": prov}, settings)
    await poller.tick()
    assert prov.list_items == 50
    assert prov.pages == 3
    assert poller.stats()["p"].requests_total == 3
    assert len(rec.discovered) == 50

    clock.advance(300)
    prov.add("new")
    prov.list_items = 0
    await poller.tick()
    assert prov.list_items == 2  # the new job, then the first one past the horizon
    assert [j.id for _, j in rec.discovered][-1] == "new"


async def test_failing_discovery_callback_retries_on_the_next_pass() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("console", age=60)
    calls: list[str] = []

    def on_discovered(profile: str, job: BatchJob) -> None:
        calls.append(job.id)
        if len(calls) == 1:
            raise RuntimeError("database locked")

    errors: list[Exception] = []
    poller = Poller(
        {"p": prov},
        clock=clock,
        on_discovered=on_discovered,
        on_error=lambda p, b, e: errors.append(e),
        settings=PollSettings(list_interval_s=60),
    )
    await poller.tick()
    assert calls == ["console"] and not poller.is_tracked("p", "console")
    assert isinstance(errors[0], RuntimeError)
    clock.advance(60)
    await poller.tick()
    assert calls == ["console", "console"]
    assert poller.is_tracked("p", "console")


async def test_list_rate_limit_holds_the_profile() -> None:
    clock = FixedClock()

    class Limited(FakeProvider):
        async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
            self.list_calls += 1
            raise RateLimitedError("too many", retry_after=45)
            yield  # pragma: no cover

    prov = Limited(clock)
    prov.add("b1")
    poller, rec = make(clock, {"p": prov}, PollSettings(list_interval_s=300, max_concurrency=1))
    t0 = clock.time()
    poller.track("p", "b1")
    await step_to(poller, clock, t0 + 44)
    assert [b for _, b, _ in rec.errors] == [None]
    assert prov.calls == []  # the list went first, and its 429 held the get back
    await step_to(poller, clock, t0 + 45)
    assert prov.calls == [("b1", t0 + 45)]


# ---------------------------------------------------------------------- run, stop, feed


async def test_stop_is_prompt_even_with_a_hung_request() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.gate = asyncio.Event()  # never set: the request hangs
    prov.add("hung")
    poller, _ = make(clock, {"p": prov}, PollSettings(list_interval_s=None, max_concurrency=1))
    poller.track("p", "hung")
    task = asyncio.create_task(poller.run())  # real sleep, waiting on the hung request
    await wait_until(lambda: prov.in_flight == 1)
    await asyncio.wait_for(poller.stop(), timeout=2.0)
    assert task.done() and task.exception() is None
    assert prov.in_flight == 0
    assert poller.is_tracked("p", "hung")  # still due when the poller runs again


async def test_run_is_cancellable_and_can_run_again() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", age=7200, duration=100_000)
    poller, rec = make(clock, {"p": prov})
    poller.track("p", "b1")
    task = asyncio.create_task(poller.run())
    await wait_until(lambda: len(rec.snapshots) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not poller.running
    poller.poll_now("p", "b1")
    task = asyncio.create_task(poller.run())
    await wait_until(lambda: len(prov.calls) == 2)
    await poller.stop()
    await task


async def test_snapshot_feed_keeps_only_the_newest_per_job() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("a", duration=100, total=100)
    prov.add("b", duration=100, total=100)
    poller, _ = make(clock, {"p": prov})
    feed = poller.snapshots()
    poller.track("p", "a")
    await poller.tick()
    for _ in range(3):
        clock.advance(10)
        poller.poll_now("p", "a")
        await poller.tick()
    poller.track("p", "b")
    await poller.tick()
    assert len(feed) == 2
    newest_a = prov.snapshot(prov.jobs["a"])
    first = await anext(feed)
    second = await anext(feed)
    assert (first.id, first.counts) == ("a", newest_a.counts)
    assert first.counts.succeeded == 30
    assert second.id == "b"

    got: list[BatchJob] = []

    async def consume() -> None:
        async for job in feed:
            got.append(job)

    consumer = asyncio.create_task(consume())
    clock.advance(100)
    poller.poll_now("p")
    await poller.tick()
    await wait_until(lambda: len(got) == 2)
    await poller.stop()
    await asyncio.wait_for(consumer, timeout=2.0)  # the feed ends with the poller
    assert {j.status for j in got} == {BatchStatus.COMPLETED}


async def test_closed_feed_is_no_longer_fed() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("a")
    poller, _ = make(clock, {"p": prov})
    async with poller.snapshots() as feed:
        poller.track("p", "a")
        await poller.tick()
        assert len(feed) == 1
    clock.advance(10)
    poller.poll_now("p", "a")
    await poller.tick()
    assert len(feed) == 1 and feed.closed


def test_unknown_profile_and_bad_settings_are_refused() -> None:
    clock = FixedClock()
    poller = Poller({"p": FakeProvider(clock)}, clock=clock)
    with pytest.raises(KeyError):
        poller.track("nope", "b1")
    with pytest.raises(ValueError):
        PollSettings(min_interval_s=0)
    with pytest.raises(ValueError):
        PollSettings(max_concurrency=0)
