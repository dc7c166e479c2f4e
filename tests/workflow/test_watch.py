"""`watch` and `submit --wait` on an emulator with a real clock and short jobs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from workflow_helpers import Env, use_env, write_input

from batchtui.core.clock import SystemClock
from batchtui.core.config import Config, Profile
from batchtui.core.store import JobRecord
from batchtui.core.workspace import Workspace


@pytest.fixture
def quick_env(make_emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Env:
    """Jobs that end about a second after they are created, on the real clock."""
    server = make_emulator(clock=SystemClock(), job_seconds=1.0)
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    use_env(monkeypatch, server, home)
    return Env(server, home, work, capsys)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_submit_wait_returns_when_the_job_ends(quick_env: Env, kind: str) -> None:
    env = quick_env
    source = write_input(env.work / "in.jsonl", kind, 3)
    run = env("submit", source, "--profile", kind, "--wait", "--json")
    assert run.rc == 0, run.err
    # --json with --wait: only the final state, one compact object on one line; the
    # submitted job is named on stderr.
    (line,) = run.out.splitlines()
    final = json.loads(line)
    assert final["status"] == "completed"
    assert final["id"] is not None and final["id"] in run.err


def test_watch_prints_changes_until_every_job_ends(quick_env: Env) -> None:
    env = quick_env
    ids = []
    for kind in ("openai", "anthropic"):
        source = write_input(env.work / f"{kind}.jsonl", kind, 2)
        ids.append(env.ok("submit", source, "--profile", kind)["id"])
    run = env("watch", "--interval", "0.2")
    assert run.rc == 0, run.err
    lines = run.out.splitlines()
    for batch_id in ids:
        mine = [line for line in lines if batch_id in line]
        assert len(mine) >= 2, "a first line, then at least the final one"
        assert "completed" in mine[-1]
    assert len(lines) == len(set(lines)), "unchanged states are not printed again"
    run = env("watch")
    assert run.rc == 0 and "no live jobs" in run.out


def test_watch_json_prints_one_object_a_line(quick_env: Env) -> None:
    env = quick_env
    source = write_input(env.work / "in.jsonl", "openai", 2)
    job = env.ok("submit", source, "--profile", "openai")
    run = env("watch", job["id"], "--interval", "0.2", "--json")
    assert run.rc == 0, run.err
    states = [json.loads(line) for line in run.out.splitlines()]
    assert states[-1]["status"] == "completed"
    assert all(s["id"] == job["id"] for s in states)


async def test_the_workspace_poller_follows_its_jobs_to_the_end(quick_env: Env) -> None:
    """The TUI's path: submit, then the poller's snapshots carry each job to a terminal state."""
    env = quick_env
    fast = {"poll_min_s": 0.1, "poll_max_s": 0.2, "list_interval_s": 60.0}
    config = Config(
        profiles={
            "openai": Profile(name="openai", provider="openai", **fast),
            "anthropic": Profile(name="anthropic", provider="anthropic", **fast),
        },
        default_profile="openai",
    )
    ws = Workspace.open(env.home, config=config)
    ended: dict[str, JobRecord] = {}
    done = asyncio.Event()
    submitted: list[str] = []

    def seen(record: JobRecord) -> None:
        if record.id and record.is_terminal:
            ended[record.id] = record
            if submitted and set(submitted) <= set(ended):
                done.set()

    ws.subscribe(seen)
    try:
        ws.start_polling_task()
        for kind in ("openai", "anthropic"):
            source = write_input(env.work / f"{kind}.jsonl", kind, 3, prefix=kind)
            (record,) = await ws.submit_file(source, kind)
            submitted.append(record.id)
        await asyncio.wait_for(done.wait(), timeout=20)
        for batch_id in submitted:
            assert ended[batch_id].status.value == "completed"
            index = await ws.fetch_results(batch_id)
            assert index.count == 3
    finally:
        await ws.aclose()
