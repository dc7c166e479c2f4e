"""List sweeps: a profile with many tracked jobs refreshes its due jobs from the provider's
list pages (one request per page) instead of one request per job, with the same schedule."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

from test_poller import FakeProvider, make, step_to

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus
from batchtui.core.poller import PollSettings
from batchtui.core.poller.sweeps import pages_worth_reading
from batchtui.core.provider import ServerError

SWEEPING = PollSettings(list_interval_s=None, list_page_size=50, sweep_min_jobs=50)


class HidingProvider(FakeProvider):
    """Its list leaves some jobs out (as a provider's list may), or fails while told to."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__(clock)
        self.hidden: set[str] = set()
        self.list_errors: list[Exception] = []

    async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
        if self.list_errors:
            self.list_calls += 1
            raise self.list_errors.pop(0)
        async for snap in super().list(page_size=page_size):
            if snap.id not in self.hidden:
                yield snap


def tracked(clock: FixedClock, count: int, *, age: float = 7200.0) -> HidingProvider:
    prov = HidingProvider(clock)
    for i in range(count):
        prov.add(f"b{i:03d}", age=age + i, duration=10 * 3600.0)
    return prov


async def test_many_due_jobs_are_refreshed_by_list_pages_not_one_get_each() -> None:
    clock = FixedClock()
    prov = tracked(clock, 120)
    poller, rec = make(clock, {"p": prov}, SWEEPING)
    for batch_id in prov.jobs:
        poller.track("p", batch_id)
    await poller.tick()
    assert prov.calls == []  # not one get
    assert prov.pages == 3  # 120 jobs, 50 a page
    assert {job.id for _, job in rec.snapshots} == set(prov.jobs)
    assert poller.stats()["p"].requests_total == 3
    # an hour on: every job was refreshed on its own schedule, still only by pages
    await step_to(poller, clock, clock.time() + 3600)
    assert prov.calls == []
    sweeps = prov.list_calls
    assert 3600 / 60 / 2 <= sweeps <= 3600 / 60 + 2  # every 60 s (the cap at this age)
    assert poller.stats()["p"].requests_total <= 3 * sweeps


async def test_below_the_threshold_each_job_is_polled_on_its_own() -> None:
    clock = FixedClock()
    prov = tracked(clock, 49)
    poller, _ = make(clock, {"p": prov}, SWEEPING)
    for batch_id in prov.jobs:
        poller.track("p", batch_id)
    await poller.tick()
    assert prov.list_calls == 0
    assert len(prov.calls) == 49


async def test_a_job_the_list_does_not_show_is_polled_on_its_own_from_then_on() -> None:
    clock = FixedClock()
    prov = tracked(clock, 80)
    prov.hidden.add("b007")
    poller, rec = make(clock, {"p": prov}, SWEEPING)
    for batch_id in prov.jobs:
        poller.track("p", batch_id)
    await poller.tick()
    assert [b for b, _ in prov.calls] == ["b007"]  # after the sweep, at once
    assert len(rec.of("b007")) == 1
    calls_before = prov.list_calls
    await step_to(poller, clock, clock.time() + 600)
    assert {b for b, _ in prov.calls} == {"b007"}
    assert len(prov.calls) >= 5  # on its own schedule
    assert prov.list_calls > calls_before  # the others still by sweeps


async def test_a_sweep_only_reads_as_far_as_the_due_jobs() -> None:
    clock = FixedClock()
    prov = tracked(clock, 200)  # b000 is the newest: its age is the smallest
    poller, _ = make(clock, {"p": prov}, SWEEPING)
    for batch_id in prov.jobs:
        poller.track("p", batch_id)
    await poller.tick()
    assert prov.pages == 4
    pages = prov.pages
    poller.poll_now("p", "b001")  # urgent: a get of its own, no sweep
    await poller.tick()
    assert [b for b, _ in prov.calls] == ["b001"]
    assert prov.pages == pages


async def test_a_failing_sweep_is_reported_and_the_jobs_are_polled_on_their_own() -> None:
    clock = FixedClock()
    prov = tracked(clock, 60)
    prov.list_errors.append(ServerError("list is down", provider="fake", status_code=500))
    poller, rec = make(clock, {"p": prov}, SWEEPING)
    for batch_id in prov.jobs:
        poller.track("p", batch_id)
    await poller.tick()
    assert [exc.status_code for _, _, exc in rec.errors] == [500]  # type: ignore[attr-defined]
    assert len(prov.calls) == 60  # while sweeps wait out their back-off
    assert {job.id for _, job in rec.snapshots} == set(prov.jobs)


async def test_a_job_ending_is_seen_by_the_sweep_and_no_longer_tracked() -> None:
    clock = FixedClock()
    prov = tracked(clock, 60)
    prov.jobs["b010"].duration = 7230.0  # ends 30 s from now
    poller, rec = make(clock, {"p": prov}, SWEEPING)
    for batch_id in prov.jobs:
        poller.track("p", batch_id)
    await poller.tick()
    await step_to(poller, clock, clock.time() + 120)
    assert rec.of("b010")[-1].status is BatchStatus.COMPLETED
    assert not poller.is_tracked("p", "b010")
    assert prov.calls == []


class ReadingProvider(HidingProvider):
    """Records when each job was last read, by a get or on a list page."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__(clock)
        self.reads: dict[str, list[float]] = {}

    async def get(self, batch_id: str) -> BatchJob:
        self.reads.setdefault(batch_id, []).append(self.clock.time())
        return await super().get(batch_id)

    async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
        async for snap in super().list(page_size=page_size):
            self.reads.setdefault(snap.id, []).append(self.clock.time())
            yield snap


async def test_a_lone_due_job_deep_in_the_list_is_polled_on_its_own() -> None:
    clock = FixedClock()
    prov = tracked(clock, 500)  # ten pages; b450 is on the ninth
    poller, _ = make(clock, {"p": prov}, SWEEPING)
    for batch_id in prov.jobs:
        young = batch_id == "b450"  # submitted a minute ago as far as the store knows
        poller.track("p", batch_id, submitted_at=clock.time() - 60.0 if young else None)
    await poller.tick()
    assert prov.pages == 10
    pages, items = prov.pages, prov.list_items
    await step_to(poller, clock, clock.time() + 44.0)  # the others are not near due before 45 s
    assert prov.pages == pages and prov.list_items == items  # no page read for it
    assert 9 <= len(prov.polls("b450")) <= 15  # every 3-4 s, on its own


async def test_sweeps_stay_shallow_when_the_list_order_is_not_the_age_order() -> None:
    clock = FixedClock()
    prov = ReadingProvider(clock)
    count = 300
    for i in range(count):
        prov.add(f"b{i:03d}", age=7200.0 + i, duration=10 * 3600.0)
    poller, _ = make(clock, {"p": prov}, SWEEPING)
    ages = {f"b{i:03d}": 60.0 + (i * 7919 % count) * 4.0 for i in range(count)}  # 1-20 min
    start = clock.time()
    for batch_id, age in ages.items():
        poller.track("p", batch_id, submitted_at=start - age)
    await poller.tick()
    await step_to(poller, clock, start + 600.0)
    # every job read at least as often as its interval asks (1 s of slack for the tick)
    for batch_id, age in ages.items():
        times = [t for t in prov.reads[batch_id] if t >= start]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        allowed = [SWEEPING.interval_for_age(age + a - start) + 1.0 for a in times[:-1]]
        assert all(g <= limit for g, limit in zip(gaps, allowed, strict=True)), batch_id
        assert times[-1] >= start + 600.0 - SWEEPING.interval_for_age(age + 600.0) - 1.0
    # reading a deep page for each young job would read the whole list every few seconds
    assert prov.list_items <= 4 * count * 600.0 / 60.0
    assert poller.stats()["p"].requests_total <= sum(
        600.0 / SWEEPING.interval_for_age(age) for age in ages.values()
    )


def test_pages_worth_reading_weighs_each_page_against_the_due_jobs_on_it() -> None:
    assert pages_worth_reading([], [0, 0, 0, 0], 3.0) == 0  # nothing due: no sweep
    assert pages_worth_reading([0] * 4, [], 3.0) == 1
    assert pages_worth_reading([0, 0, 0], [], 3.0) == 0  # one page, three polls: no gain
    assert pages_worth_reading([9], [], 3.0) == 0  # one job ten pages down: a get
    assert pages_worth_reading([0] * 4 + [9], [], 3.0) == 1
    assert pages_worth_reading([0] * 4, [p for p in range(1, 10) for _ in range(10)], 3.0) == 10
    assert pages_worth_reading([5] * 20, [], 3.0) == 6
    assert pages_worth_reading([0] * 4 + [1] * 3, [], 3.0) == 1  # a tie: the shallower
