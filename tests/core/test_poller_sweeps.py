"""List sweeps: a profile with many tracked jobs refreshes its due jobs from the provider's
list pages (one request per page) instead of one request per job, with the same schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator

from test_poller import FakeProvider, make, step_to

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus
from batchtui.core.poller import PollSettings
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
