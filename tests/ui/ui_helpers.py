"""Helpers of the Pilot tests: wait on conditions and workers, never on fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

BACKGROUND_GROUPS = ("poll", "_loader")


async def settle(pilot: Pilot, rounds: int = 40) -> None:
    """Let pending messages run and every non-background worker finish."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        busy = [w for w in app.workers if w.group not in BACKGROUND_GROUPS and w.is_running]
        if not busy:
            await pilot.pause()
            return
        await asyncio.gather(*(w.wait() for w in busy), return_exceptions=True)
    raise AssertionError("workers did not settle")


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Pause until `predicate()` is true; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)
