"""The headless walk on every provider added after the first two: submit --wait --json,
results --outcome errored, cancel then recover, list --json — each profile pointed at its
half of the emulator through a config file, as a user would write it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w
from workflow_helpers import JOB_SECONDS, Env, use_env, write_jsonl

from batchtui.core.clock import SystemClock
from batchtui.emulator import EmulatorServer

MODELS = {
    "gemini": "gemini-2.5-flash",
    "mistral": "mistral-small-latest",
    "groq": "llama-3.1-8b-instant",
    "together": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
}
KINDS = tuple(MODELS)
NO_COUNTS = {"together"}
"""Providers whose jobs report no request counts (Together: a percentage only); their
outcomes are read from the results."""
KEY_ENV = "BATCHTUI_WALK_KEY"


def configure(env: Env, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """A config with the provider's profile on its emulator half, the key in a variable."""
    profiles = {
        kind: {
            "provider": kind,
            "base_url": env.emulator.provider_base_url(kind),
            "api_key_env": KEY_ENV,
            "default_model": MODELS[kind],
            "poll_min_s": 0.2,
            "poll_max_s": 0.5,
        }
    }
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(tomli_w.dumps({"profiles": profiles}))
    monkeypatch.setenv(KEY_ENV, "walk-key-0123456789")


def requests(kind: str, count: int, prefix: str = "r") -> list[dict[str, object]]:
    return [
        {
            "custom_id": f"{prefix}-{i:03d}",
            "model": MODELS[kind],
            "messages": [{"role": "user", "content": f"Say something about {i}."}],
            "max_tokens": 64,
        }
        for i in range(count)
    ]


@pytest.fixture
def walk_env(make_env: Callable[..., Env], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Env]:
    def factory(kind: str, **config: object) -> Env:
        env = make_env(**config)
        configure(env, monkeypatch, kind)
        return env

    return factory


@pytest.mark.parametrize("kind", KINDS)
def test_submit_wait_json_on_a_real_clock(
    make_emulator: Callable[..., EmulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    server = make_emulator(clock=SystemClock(), job_seconds=1.0)
    work = tmp_path / "work"
    work.mkdir()
    use_env(monkeypatch, server, tmp_path / "home")
    env = Env(server, tmp_path / "home", work, capsys)
    configure(env, monkeypatch, kind)
    source = write_jsonl(work / "in.jsonl", requests(kind, 3))
    run = env("submit", source, "--profile", kind, "--wait", "--json")
    assert run.rc == 0, run.err
    (line,) = run.out.splitlines()
    final = json.loads(line)
    assert final["provider"] == kind and final["profile"] == kind
    assert final["status"] == "completed"
    if kind not in NO_COUNTS:
        assert final["counts"]["succeeded"] == 3
    rows = [json.loads(row) for row in env("results", final["id"]).out.splitlines()]
    assert sorted(row["custom_id"] for row in rows) == ["r-000", "r-001", "r-002"]
    assert {row["outcome"] for row in rows} == {"succeeded"}
    listed = env.ok("list")
    assert [job["id"] for job in listed] == [final["id"]]


@pytest.mark.parametrize("kind", KINDS)
def test_errored_results_are_filtered(walk_env: Callable[..., Env], kind: str) -> None:
    env = walk_env(kind, fail_rate=0.5, seed=3)
    source = write_jsonl(env.work / "in.jsonl", requests(kind, 12))
    batch_id = env.ok("submit", source, "--profile", kind)["id"]
    env.advance(JOB_SECONDS * 3)
    shown = env.ok("show", batch_id)
    assert shown["status"] == "completed", shown
    every = [json.loads(line) for line in env("results", batch_id).out.splitlines()]
    assert sorted(row["custom_id"] for row in every) == [f"r-{i:03d}" for i in range(12)]
    errored = sum(row["outcome"] == "errored" for row in every)
    assert 0 < errored < 12
    if kind not in NO_COUNTS:
        assert shown["counts"]["errored"] == errored, shown["counts"]
    run = env("results", batch_id, "--outcome", "errored")
    assert run.rc == 0, run.err
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert len(rows) == errored
    assert all(row["outcome"] == "errored" and row["error"] for row in rows)
    # --join: each result beside the kept native line it answers (whatever key holds its id).
    joined = [json.loads(line) for line in env("results", batch_id, "--join").out.splitlines()]
    assert len(joined) == 12
    for row in joined:
        number = int(row["result"]["custom_id"].removeprefix("r-"))
        assert row["request"] is not None, row
        assert f"Say something about {number}." in json.dumps(row["request"])


@pytest.mark.parametrize("kind", KINDS)
def test_cancel_then_recover(walk_env: Callable[..., Env], kind: str) -> None:
    env = walk_env(kind)
    source = write_jsonl(env.work / "in.jsonl", requests(kind, 20))
    parent = env.ok("submit", source, "--profile", kind)
    env.advance(JOB_SECONDS * 0.5)  # part of the work is done
    assert env.ok("cancel", parent["id"])["status"] in {"cancelling", "cancelled"}
    env.advance(JOB_SECONDS)
    stopped = env.ok("show", parent["id"])
    assert stopped["status"] == "cancelled", stopped
    kept = [json.loads(line) for line in env("results", parent["id"]).out.splitlines()]
    done = {row["custom_id"] for row in kept if row["outcome"] == "succeeded"}
    child = env.ok("recover", parent["id"])
    assert child["parent"] == parent["id"]
    assert child["request_count"] == 20 - len(done)
    env.advance(JOB_SECONDS * 3)
    assert env.ok("show", child["id"])["status"] == "completed"
    listed = {job["id"]: job for job in env.ok("list")}
    assert set(listed) == {parent["id"], child["id"]}
    assert all(job["provider"] == kind for job in listed.values())
