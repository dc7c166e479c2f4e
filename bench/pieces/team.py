"""B8: a team store — provider requests per minute with one and with five dashboards open on
the same 1,000 live jobs (PostgreSQL store, poll leases)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.pieces.screens import RequestCounter


def b8_poller(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """One dashboard's polling (the Workspace a dashboard holds, without the screen) on a
    home whose store is the team store: its provider requests in a fixed window."""
    from batchtui.core.workspace import Workspace

    os.environ.update(args.get("env", {}))
    counter = RequestCounter()
    workspace = Workspace.open(Path(args["home"]), provider_factory=counter.factory())
    start_at = float(args["start_at"])  # wall clock: every dashboard of a run starts together

    async def go() -> dict[str, Any]:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        began = time.perf_counter()
        task = workspace.start_polling_task()
        await asyncio.sleep(float(args["warmup_s"]))
        before = counter.total()
        await asyncio.sleep(float(args["window_s"]))
        window = counter.total() - before
        poller = workspace.ctx.poller
        followed = sum(len(poller.tracked(p)) for p in poller.profiles) if poller else 0
        out = {
            "warmup_requests": before,
            "window_requests": window,
            "window_s": float(args["window_s"]),
            "elapsed_s": time.perf_counter() - began,
            "followed": followed,
            "paths": dict(counter.paths) if len(counter.paths) < 50 else len(counter.paths),
        }
        await workspace.aclose()
        task.cancel()
        return out

    def run() -> dict[str, Any]:
        try:
            return asyncio.run(go())
        except Exception as exc:
            return {"error": f"{type(exc).__name__}: {exc}"[:300]}

    return run
