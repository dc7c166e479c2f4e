"""A profile covered by webhooks: its running jobs are polled rarely, poll_now stays immediate,
and uncovering restores the normal schedule."""

from __future__ import annotations

import itertools

import pytest
from test_poller import FakeProvider, make, near, step_to

from batchtui.core.clock import FixedClock


async def test_covered_profile_polls_its_running_jobs_at_the_covered_interval() -> None:
    clock = FixedClock()
    covered, plain = FakeProvider(clock), FakeProvider(clock)
    covered.add("c1", duration=10_000)
    plain.add("p1", duration=10_000)
    poller, _ = make(clock, {"hooks": covered, "plain": plain})
    poller.cover("hooks", 300.0)
    assert poller.covered("hooks") == 300.0 and poller.covered("plain") is None
    t0 = clock.time()
    poller.track("hooks", "c1", submitted_at=t0)
    poller.track("plain", "p1", submitted_at=t0)
    await step_to(poller, clock, t0 + 1200)

    hooked = covered.polls("c1")
    assert hooked[0] == t0  # a new job is still looked at once
    assert [b - a for a, b in itertools.pairwise(hooked)] == [near(300.0)] * 4
    assert len(plain.polls("p1")) > 20  # the other profile keeps its own schedule


async def test_poll_now_is_immediate_on_a_covered_profile_and_cover_can_be_lifted() -> None:
    clock = FixedClock()
    prov = FakeProvider(clock)
    prov.add("b1", duration=10_000)
    poller, rec = make(clock, {"p": prov})
    poller.cover("p", 600.0)
    t0 = clock.time()
    poller.track("p", "b1", submitted_at=t0)
    await step_to(poller, clock, t0 + 30)
    assert prov.polls("b1") == [t0]
    poller.poll_now("p", "b1")  # what an accepted webhook event does
    await poller.tick()
    assert prov.polls("b1") == [t0, near(t0 + 30)]
    assert rec.snapshots[-1][1].id == "b1"  # emitted even though nothing changed
    poller.cover("p", None)
    await step_to(poller, clock, t0 + 30 + 600)
    assert len(prov.polls("b1")) > 10  # the normal schedule again after its next poll


def test_cover_refuses_a_nonsense_interval() -> None:
    clock = FixedClock()
    poller, _ = make(clock, {"p": FakeProvider(clock)})
    with pytest.raises(ValueError, match="positive"):
        poller.cover("p", 0)
    with pytest.raises(KeyError):
        poller.cover("nobody", 60.0)
