"""The poller driving the real adapters against the emulator over loopback, on a shared clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus
from batchtui.core.poller import Poller, PollSettings
from batchtui.core.provider import Provider, RateLimitedError, SubmitOptions
from batchtui.emulator import EmulatorServer
from batchtui.providers.anthropic import AnthropicProvider
from batchtui.providers.openai import OpenAIProvider


def write_input(kind: str, path: Path, count: int) -> Path:
    """A small native JSONL input for ``kind``."""
    lines = []
    for n in range(count):
        messages = [{"role": "user", "content": f"Count to {n}."}]
        if kind == "openai":
            body = {"model": "gpt-4o-mini", "messages": messages, "max_tokens": 50}
            line = {"custom_id": f"r{n}", "method": "POST", "url": "/v1/chat/completions"}
            line["body"] = body
        else:
            params = {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": messages}
            line = {"custom_id": f"r{n}", "params": params}
        lines.append(json.dumps(line))
    path.write_text("\n".join(lines) + "\n")
    return path


async def submit(provider: Provider, path: Path) -> BatchJob:
    file_id = await provider.upload_input(path)
    return await provider.create(path, input_file_id=file_id, options=SubmitOptions())


@pytest.fixture(params=["openai", "anthropic"])
async def provider(request: pytest.FixtureRequest, emulator: EmulatorServer) -> AsyncIterator:
    """A real adapter on the emulator that does not retry, so the poller sees every 429."""
    if request.param == "openai":
        adapter: Provider = OpenAIProvider("test-key", emulator.openai_base_url, max_retries=0)
    else:
        adapter = AnthropicProvider("test-key", emulator.anthropic_base_url, max_retries=0)
    yield adapter
    await adapter.aclose()


async def step_to(poller: Poller, clock: FixedClock, until: float) -> None:
    """Tick the poller at each due time until the clock reaches ``until``."""
    due = await poller.tick()
    while due is not None and due <= until:
        clock.advance(max(0.0, due - clock.time()))
        due = await poller.tick()
    if clock.time() < until:
        clock.advance(until - clock.time())
        await poller.tick()


async def test_poller_follows_jobs_to_the_end_and_adopts_one_made_elsewhere(
    provider: Provider, emulator: EmulatorServer, tmp_path: Path
) -> None:
    clock = emulator.clock
    kind = "openai" if isinstance(provider, OpenAIProvider) else "anthropic"
    mine = await submit(provider, write_input(kind, tmp_path / "mine.jsonl", 4))
    elsewhere = await submit(provider, write_input(kind, tmp_path / "other.jsonl", 3))

    snapshots: list[BatchJob] = []
    discovered: list[str] = []
    errors: list[tuple[str | None, Exception]] = []
    poller = Poller(
        {"acct": provider},
        clock=clock,
        on_snapshot=lambda profile, job: snapshots.append(job),
        on_error=lambda profile, batch_id, exc: errors.append((batch_id, exc)),
        on_discovered=lambda profile, job: discovered.append(job.id),
        settings=PollSettings(min_interval_s=1.0, list_interval_s=600.0),
    )
    t0 = clock.time()
    poller.track("acct", mine.id, submitted_at=mine.times.created_at)
    await poller.tick()
    assert discovered == [elsewhere.id]
    assert poller.is_tracked("acct", elsewhere.id)

    emulator.set_faults("429=1:7")
    clock.advance(1.0)
    await poller.tick()
    assert errors and all(isinstance(exc, RateLimitedError) for _, exc in errors)
    held = poller.stats()["acct"].blocked_until
    assert held is not None and held == pytest.approx(clock.time() + 7.0, abs=0.01)
    emulator.set_faults("")
    requests_before = poller.stats()["acct"].requests_total
    await step_to(poller, clock, clock.time() + 6.9)
    assert poller.stats()["acct"].requests_total == requests_before  # nothing while held

    await step_to(poller, clock, t0 + 60)
    for batch in (mine, elsewhere):
        seen = [job for job in snapshots if job.id == batch.id]
        assert seen[-1].status is BatchStatus.COMPLETED
        assert seen[-1].results_available and seen[-1].profile == "acct"
        assert len({job.status for job in seen}) >= 2  # it was followed while running
        assert not poller.is_tracked("acct", batch.id)
    assert poller.tracked("acct") == []
    stats = poller.stats()["acct"]
    assert stats.requests_total < 60  # a handful of polls, not one per second per job
