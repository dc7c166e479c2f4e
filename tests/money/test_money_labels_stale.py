"""Labels travel as OpenAI metadata (and come back on adoption); a job whose counts stop
moving for longer than the profile's ``stale_after_s`` is marked stale in `show` and `list`."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from workflow_helpers import JOB_SECONDS, Env, neutral_line, write_input, write_jsonl

from batchtui.core.config import load_config
from batchtui.core.models import BatchStatus, RequestCounts, Timestamps
from batchtui.core.store import JobRecord
from batchtui.core.workspace import Workspace
from batchtui.core.workspace_money import DEFAULT_STALE_AFTER_S
from batchtui.emulator.results import time_share


def test_a_label_goes_to_openai_metadata_and_comes_back_on_adoption(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_input(env.work / "in.jsonl", "openai", 3)
    job = env.ok("submit", source, "--profile", "openai", "--label", "nightly eval 7")
    batch = env.provider_get("openai", f"/batches/{job['id']}")
    assert batch["metadata"] == {"label": "nightly eval 7"}
    env.advance(JOB_SECONDS * 2)
    env("results", job["id"], "-o", env.work / "out.jsonl")
    # Another machine (a fresh data dir) adopts the batch and shows the label from metadata.
    monkeypatch.setenv("BATCHTUI_HOME", str(tmp_path / "elsewhere"))
    adopted = env.ok("show", job["id"])
    assert adopted["adopted"] is True and adopted["label"] == "nightly eval 7"
    assert "nightly eval 7" in env("list").out


def test_a_retry_child_carries_a_label_in_its_metadata(make_env: Any) -> None:
    env: Env = make_env(fail_rate=0.5)
    source = write_input(env.work / "in.jsonl", "openai", 12)
    parent = env.ok("submit", source, "--profile", "openai", "--label", "eval")
    env.advance(JOB_SECONDS * 2)
    child = env.ok("retry", parent["id"])
    metadata = env.provider_get("openai", f"/batches/{child['id']}")["metadata"]
    assert metadata["label"].startswith("eval (retry of ")


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


def test_a_job_whose_counts_stop_moving_is_stale_until_they_move(make_env: Any) -> None:
    """The workspace and the emulator share one FixedClock: time moves only when told."""
    env: Env = make_env(job_seconds=100_000.0)
    write_config(env.home, '[profiles.openai]\nprovider = "openai"\nstale_after_s = 60\n')
    ids = [f"slow-{i}" for i in range(3)]
    first_done = min(time_share(7, i) for i in ids)  # the emulator's seed is 7
    source = write_jsonl(env.work / "slow.jsonl", [neutral_line("openai", i) for i in ids])

    async def go() -> None:
        ws = Workspace.open(env.home, clock=env.clock, config=load_config(env.home / "config.toml"))
        try:
            (job,) = await ws.submit_file(source, "openai")
            assert ws.stale_since(job) is None  # validating: not a stale-able status
            env.advance(10_001)  # validation (10 % of the job) is over
            job = await ws.refresh(job.local_id)
            assert job.status is BatchStatus.IN_PROGRESS and job.counts.done == 0
            env.advance(30)
            job = await ws.refresh(job.local_id)
            assert ws.stale_since(job) is None  # 30 s without progress: not yet
            env.advance(40)
            job = await ws.refresh(job.local_id)
            since = ws.stale_since(job)
            assert since is not None and job.progress_at is not None
            assert since == job.progress_at + timedelta(seconds=60)
            # The first request finishes: progress, so no longer stale.
            env.advance(first_done * 80_000)
            job = await ws.refresh(job.local_id)
            assert job.counts.done >= 1 and ws.stale_since(job) is None
        finally:
            await ws.aclose()

    asyncio.run(go())


def test_show_and_list_mark_a_stale_job(make_env: Any) -> None:
    """The CLI reads the real clock: a tiny threshold and a short real wait."""
    env: Env = make_env(job_seconds=100_000.0)
    write_config(env.home, '[profiles.openai]\nprovider = "openai"\nstale_after_s = 0.05\n')
    source = write_input(env.work / "slow.jsonl", "openai", 2)
    job = env.ok("submit", source, "--profile", "openai")
    env.advance(10_001)
    assert env.ok("show", job["id"])["status"] == "in_progress"
    time.sleep(0.1)  # let the threshold pass on the real clock
    shown = env.ok("show", job["id"])
    assert shown["stale_since"] is not None
    assert "stale:       since" in env("show", job["id"]).out
    assert "[stale]" in env("list").out
    assert env.ok("list")[0]["stale_since"] is not None


def _record(**fields: Any) -> JobRecord:
    base: dict[str, Any] = {
        "local_id": "x",
        "id": "b",
        "provider": "openai",
        "profile": "p",
        "status": BatchStatus.IN_PROGRESS,
        "raw_status": "in_progress",
        "counts": RequestCounts(),
        "times": Timestamps(),
        "run_id": "r",
    }
    base.update(fields)
    return JobRecord(**base)


def test_stale_rules_per_provider_and_status() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    later = t0 + timedelta(hours=2)
    moved = _record(progress_at=t0, last_polled_at=later)
    assert moved.is_stale(later, 3600) and not moved.is_stale(later, 3 * 3600)
    unseen = _record(progress_at=t0, last_polled_at=t0)
    assert not unseen.is_stale(later, 3600), "not polled since the threshold: unknown"
    assert unseen.is_stale(later, 3600, watched=True)
    done = _record(progress_at=t0, last_polled_at=later, status=BatchStatus.COMPLETED)
    assert done.stale_since(60) is None and not done.is_stale(later, 60)
    # Anthropic reports no counts while running: stale only past the batch's expiry.
    times = Timestamps(created_at=t0, expires_at=t0 + timedelta(hours=24))
    anthropic = _record(provider="anthropic", progress_at=t0, last_polled_at=later, times=times)
    assert not anthropic.is_stale(later, 3600)
    past = t0 + timedelta(hours=26)
    anthropic = _record(provider="anthropic", progress_at=t0, last_polled_at=past, times=times)
    assert anthropic.is_stale(past, 3600)
    assert DEFAULT_STALE_AFTER_S == 1800
