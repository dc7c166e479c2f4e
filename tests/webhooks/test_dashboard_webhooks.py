"""`batchtui demo --webhooks` / `batchtui dashboard --webhooks`: the dashboard receives the
emulator's signed events in its own process, so a job's end is on screen (and notified) within
a second although its profile is then polled only every 600 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from batchtui.demo import _write_sample, make_demo_app, start_demo

SIZE = (160, 50)


async def until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_the_demo_dashboard_shows_a_job_end_through_its_webhook_at_once(
    tmp_path: Path,
) -> None:
    env = start_demo(seed=3, home=tmp_path / "home")
    try:
        app = make_demo_app(env, webhooks=True)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await until(lambda: app.webhook_service is not None, 15)
            ws = env.workspace
            await until(lambda: ws.ctx.poller is not None, 15)
            poller = ws.ctx.poller
            assert poller is not None
            await until(lambda: poller.covered("openai") == 600.0, 15)
            sample = _write_sample(env.samples / "hooked.jsonl", 3, "gpt-4o-mini", prefix="hk")
            (record,) = await ws.submit_file(sample, "openai", label="hooked")
            assert record.id is not None
            env.server.override(record.id, job_seconds=1.5)
            table = app.jobs_screen.table

            def ended() -> bool:
                view = table.views.get(record.local_id)
                return view is not None and view.is_terminal

            await until(ended, 20)
            seen = time.time()
            end = float(env.server.app.openai.jobs[record.id].terminal()[1])
            latency = seen - end
            print(f"\njob end -> dashboard with the webhook: {latency:.3f} s")
            assert latency < 2.0  # the covered schedule would take up to 600 s
            await pilot.pause()
            titles = [n.title for n in app._notifications]
            assert any(title.startswith("hooked ") for title in titles), titles
    finally:
        env.close()
