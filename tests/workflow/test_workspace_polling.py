"""The workspace's poller: adapters without retries of their own, restored jobs tracked with
their stored snapshot, the profile's request cap, and queued jobs sent when a job ends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from workflow_helpers import JOB_SECONDS, Env, write_input

from batchtui.core.config import load_config
from batchtui.core.models import BatchStatus
from batchtui.core.provider import RateLimitedError
from batchtui.core.workspace import Workspace, poll_settings


def config(env: Env, text: str) -> Any:
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(text, encoding="utf-8")
    return load_config(env.home / "config.toml")


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Await ``check()`` until it returns something true (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def test_the_poller_gets_adapters_that_do_not_retry(env: Env) -> None:
    source = write_input(env.work / "in.jsonl", "openai", 2)
    job = env.ok("submit", source, "--profile", "openai")

    async def go() -> None:
        ws = Workspace.open(env.home)
        try:
            env.emulator.set_faults("429=1:30")
            started = time.monotonic()
            with pytest.raises(RateLimitedError) as caught:
                await ws.poll_provider("openai").get(job["id"])
            assert time.monotonic() - started < 5, "answered at once, not after Retry-After"
            assert caught.value.retry_after == pytest.approx(30)
            assert ws.poll_provider("openai") is not ws.provider("openai")
        finally:
            env.emulator.set_faults("")
            await ws.aclose()

    asyncio.run(go())


def test_restored_jobs_are_tracked_with_their_snapshot_and_the_request_cap(env: Env) -> None:
    cfg = config(env, '[profiles.openai]\nprovider = "openai"\nmax_requests_per_minute = 30\n')
    assert cfg.profile("openai").max_requests_per_minute == 30
    assert poll_settings(cfg.profile("openai")).max_requests_per_minute == 30
    source = write_input(env.work / "in.jsonl", "openai", 2)
    job = env.ok("submit", source, "--profile", "openai")

    async def go() -> None:
        ws = Workspace.open(env.home, config=cfg)
        try:
            stored = ws.job(job["id"])
            poller = ws._make_poller()
            assert poller.last_snapshot("openai", job["id"]) == stored.snapshot
            assert poller.settings("openai").max_requests_per_minute == 30
        finally:
            await ws.aclose()

    asyncio.run(go())


def test_a_job_ending_under_the_poller_lets_the_queue_go(env: Env) -> None:
    cfg = config(env, '[profiles.anthropic]\nprovider = "anthropic"\nmax_in_flight = 1\n')
    first = env.ok("submit", write_input(env.work / "a.jsonl", "anthropic", 2), "-p", "anthropic")
    queued = env.ok(
        "submit", write_input(env.work / "b.jsonl", "anthropic", 2, prefix="b"), "-p", "anthropic"
    )
    assert queued["status"] == "queued"

    async def go() -> None:
        ws = Workspace.open(env.home, clock=env.clock, config=cfg)
        seen: list[str] = []
        ws.subscribe(lambda record: seen.append(record.status.value))
        task = ws.start_polling_task()
        try:
            await eventually(lambda: _ready(ws))
            assert ws.job(queued["local_id"]).status is BatchStatus.QUEUED  # nothing ended
            env.advance(JOB_SECONDS * 2)
            ws.poll_now()

            async def sent() -> bool:
                return ws.job(queued["local_id"]).id is not None

            await eventually(sent)
            assert ws.job(first["local_id"]).status is BatchStatus.COMPLETED
            assert "submitting" in seen  # the listeners saw the release
        finally:
            await ws.stop_polling()
            task.cancel()
            await ws.aclose()

    asyncio.run(go())
    assert len(env.batch_ids("anthropic")) == 2


async def _ready(ws: Workspace) -> bool:
    return ws._poller is not None and ws._poller.running
