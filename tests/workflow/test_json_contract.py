"""The `--json` contract (docs/ARCHITECTURE.md "Headless JSON contract"): every stdout line
is one complete, compact JSON document; one object per job (the same keys for one job and for
a split input); `list` and `costs` one array; `--wait` only the final states; and `list`
settles open submissions first (`--cached`: no network at all)."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from workflow_helpers import (
    JOB_SECONDS,
    KINDS,
    Env,
    free_port,
    intents,
    spawn,
    use_env,
    write_input,
)

from batchtui.core.clock import SystemClock
from batchtui.core.inputs import limits as limits_module

BASE_URL_ENV = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}


def documents(run: Any, *, rc: int = 0) -> list[Any]:
    """Every stdout line, each parsed on its own: one compact JSON document a line."""
    assert run.rc == rc, run.err
    assert "Traceback" not in run.err
    assert run.out == "" or run.out.endswith("\n")
    docs = []
    for line in run.out.splitlines():
        assert line and line == line.strip(), f"not one compact document: {line!r}"
        docs.append(json.loads(line))
    return docs


def one_object(run: Any) -> dict[str, Any]:
    (doc,) = documents(run)
    assert isinstance(doc, dict)
    return doc


def one_array(run: Any, *, rc: int = 0) -> list[Any]:
    (doc,) = documents(run, rc=rc)
    assert isinstance(doc, list)
    return doc


def objects(run: Any) -> list[dict[str, Any]]:
    docs = documents(run)
    assert docs and all(isinstance(d, dict) for d in docs)
    return docs


def small_limits(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Inputs of more than four requests are split (as test_recovery does)."""
    small = limits_module.LIMITS[kind].with_(max_requests=4)
    monkeypatch.setitem(limits_module.LIMITS, kind, small)


def budget_config(env: Env, seconds: float) -> None:
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(
        f"[profiles.openai]\nretry_budget_s = {seconds}\n\n"
        f"[profiles.anthropic]\nretry_budget_s = {seconds}\n"
    )


def list_calls(env: Env) -> int:
    return env.emulator.route_calls().get("list", 0)


@pytest.mark.parametrize("kind", KINDS)
def test_every_json_command_prints_one_document_a_line(env: Env, kind: str) -> None:
    source = write_input(env.work / "in.jsonl", kind, 12)

    report = one_object(env("validate", source, "--profile", kind, "--json"))
    assert report["ok"] is True
    dry = one_object(env("submit", source, "--profile", kind, "--dry-run", "--json"))
    assert dry["dry_run"] is True

    job = one_object(env("submit", source, "--profile", kind, "--json"))
    assert job["id"] == env.batch_ids(kind)[0]
    listed = one_array(env("list", "--json"))
    assert [j["id"] for j in listed] == [job["id"]]
    assert one_array(env("list", "--cached", "--json")) == listed
    assert one_array(env("list", "--refresh", "--json"))[0]["id"] == job["id"]
    shown = one_object(env("show", job["id"], "--json"))
    assert set(shown) == set(job) | {"children"}
    assert one_object(env("show", job["local_id"], "--cached", "--json"))["id"] == job["id"]
    assert isinstance(one_array(env("costs", "--json")), list)
    assert "profiles" in one_object(env("config", "--json"))
    assert one_object(env("config", "path", "--json"))["path"].endswith("config.toml")
    one_object(env("clean", "--dry-run", "--json"))

    # Cancel part way, then recover: one object each, with the keys of a submitted job.
    env.advance(JOB_SECONDS * 0.4)
    cancelled = one_object(env("cancel", job["id"], "--json"))
    assert cancelled["id"] == job["id"] and set(cancelled) == set(job)
    env.advance(JOB_SECONDS)
    (child,) = objects(env("recover", job["id"], "--json"))
    assert set(child) == set(job)
    assert child["id"] is not None and child["parent"] == job["id"]

    # A job that has ended: `watch --json` prints its state once, as one object.
    env.advance(JOB_SECONDS * 2)
    (state,) = objects(env("watch", child["id"], "--json"))
    assert state["id"] == child["id"] and state["status"] == "completed"
    run = env("watch", "--json")  # nothing live: the message goes to stderr
    assert documents(run) == [] and "no live jobs" in run.err

    # Results: the rows on stdout are JSONL; with -o the summary is one object.
    rows = objects(env("results", child["id"], "--json"))
    assert len(rows) == child["request_count"]
    target = env.work / "out.jsonl"
    summary = one_object(env("results", child["id"], "--json", "-o", target))
    assert summary["written"] == len(rows) and summary["id"] == child["id"]
    assert len(target.read_text().splitlines()) == len(rows)
    merged = one_object(env("results", job["id"], "--run", "--json", "-o", target))
    assert merged["run"] is True and merged["missing"] == 0
    refused = env("results", child["id"], "--json", "--format", "csv")
    assert refused.rc == 1 and refused.out == "" and "-o" in refused.err

    cleaned = one_object(env("clean", "--yes", "--json"))
    assert cleaned["dry_run"] is False and cleaned["failed"] == []


def test_retry_prints_one_object_a_job(make_env: Any) -> None:
    env: Env = make_env(fail_rate=0.5, seed=3)
    source = write_input(env.work / "in.jsonl", "anthropic", 12)
    parent = one_object(env("submit", source, "--profile", "anthropic", "--json"))
    env.advance(JOB_SECONDS * 2)
    assert one_object(env("show", parent["id"], "--json"))["counts"]["errored"] > 0
    (child,) = objects(env("retry", parent["id"], "--json"))
    assert set(child) == set(parent)
    assert child["parent"] == parent["id"] and child["id"] in env.batch_ids("anthropic")


@pytest.mark.parametrize("kind", KINDS)
def test_one_job_and_a_split_input_have_the_same_shape(
    env: Env, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_limits(monkeypatch, kind)
    single = objects(
        env("submit", write_input(env.work / "one.jsonl", kind, 3), "-p", kind, "--json")
    )
    big = write_input(env.work / "big.jsonl", kind, 10, prefix="big")
    dry = one_object(env("submit", big, "-p", kind, "--dry-run", "--json"))
    assert len(dry["parts"]) == 3
    parts = objects(env("submit", big, "-p", kind, "--json"))
    assert len(single) == 1 and len(parts) == 3
    assert all(set(p) == set(single[0]) for p in parts)
    assert [p["part"] for p in parts] == [0, 1, 2]
    assert sorted(env.batch_ids(kind)) == sorted([single[0]["id"], *(p["id"] for p in parts)])
    assert len(one_array(env("list", "--json"))) == 4


@pytest.fixture
def quick_env(make_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Env:
    """Jobs that end about a second after they are created, on the real clock."""
    server = make_emulator(clock=SystemClock(), job_seconds=1.0)
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    use_env(monkeypatch, server, home)
    return Env(server, home, work, capsys)


@pytest.mark.parametrize("kind", KINDS)
def test_submit_wait_json_prints_only_the_final_states(
    quick_env: Env, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = quick_env
    small_limits(monkeypatch, kind)
    one = write_input(env.work / "one.jsonl", kind, 2)
    (final,) = objects(env("submit", one, "-p", kind, "--wait", "--json"))
    assert final["status"] == "completed" and final["id"] in env.batch_ids(kind)
    big = write_input(env.work / "big.jsonl", kind, 9, prefix="big")
    finals = objects(env("submit", big, "-p", kind, "--wait", "--json"))
    assert len(finals) == 3, "one object per job, nothing but the final states"
    assert [f["status"] for f in finals] == ["completed"] * 3
    assert all(set(f) == set(final) for f in finals)


def crash_after_create(env: Env, kind: str) -> str:
    """A `submit` SIGKILLed right after the provider made the batch; returns its local id."""
    source = write_input(env.work / "in.jsonl", kind, 3)
    proc = spawn(["submit", str(source), "--profile", kind], {"BATCHTUI_TEST_CRASH_AT": "created"})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, out, err)
    (row,) = intents(env.home)
    assert row["state"] == "creating"
    return row["local_id"]


@pytest.mark.parametrize("kind", KINDS)
def test_plain_list_settles_an_open_submission_first(
    env: Env, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_id = crash_after_create(env, kind)
    (batch_id,) = env.batch_ids(kind)
    budget_config(env, 0.5)
    live_url = env.emulator.openai_base_url if kind == "openai" else env.emulator.anthropic_base_url

    # --cached: the store as it is, with no network call (the provider is unreachable).
    monkeypatch.setenv(BASE_URL_ENV[kind], f"http://127.0.0.1:{free_port()}")
    (cached,) = one_array(env("list", "--cached", "--json"))
    assert cached["local_id"] == local_id and cached["id"] is None

    # Plain list with the provider unreachable: still printed from the store, one line on
    # stderr, exit 2.
    run = env("list", "--json")
    (stored,) = one_array(run, rc=2)
    assert stored["local_id"] == local_id and stored["id"] is None
    assert len(run.err.strip().splitlines()) == 1 and kind in run.err
    text = env("list")
    assert text.rc == 2 and local_id in text.out

    # Plain list (no --refresh) against the provider: settled, shown with the provider id.
    monkeypatch.setenv(BASE_URL_ENV[kind], live_url)
    calls = list_calls(env)
    (job,) = one_array(env("list", "--json"))
    assert job["id"] == batch_id and job["local_id"] == local_id
    assert list_calls(env) == calls + 1, "one list call for the profile with an open intent"
    assert intents(env.home)[0]["state"] == "created"
    # Nothing open any more: no list call at all.
    calls = list_calls(env)
    assert one_array(env("list", "--json"))[0]["id"] == batch_id
    assert list_calls(env) == calls
    assert env.batch_ids(kind) == [batch_id]


def test_list_without_open_submissions_needs_no_provider(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_input(env.work / "in.jsonl", "openai", 2)
    job = one_object(env("submit", source, "-p", "openai", "--json"))
    budget_config(env, 0.5)
    dead = f"http://127.0.0.1:{free_port()}"
    for name in BASE_URL_ENV.values():
        monkeypatch.setenv(name, dead)
    assert [j["id"] for j in one_array(env("list", "--json"))] == [job["id"]]
    assert [j["id"] for j in one_array(env("list", "--cached", "--json"))] == [job["id"]]
    refused = env("list", "--cached", "--refresh")
    assert refused.rc == 1 and "not allowed" in refused.err


def test_list_json_of_many_jobs_is_one_array_written_a_slice_at_a_time(env: Env) -> None:
    """`list --json` encodes the array in slices (commands._LIST_JSON_CHUNK jobs each): the
    line is still one compact array, every job once, in the order `list` shows them."""
    from datetime import UTC, datetime, timedelta

    from batchtui.cli.commands import _LIST_JSON_CHUNK
    from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
    from batchtui.core.store import JobStore

    count = 2 * _LIST_JSON_CHUNK + 3
    start = datetime(2026, 1, 1, tzinfo=UTC)
    store = JobStore(env.home / "batchtui.db")
    try:
        for i in range(count):
            store.upsert_snapshot(
                BatchJob(
                    provider="openai",
                    id=f"batch_{i:05d}",
                    status=BatchStatus.IN_PROGRESS if i % 3 else BatchStatus.COMPLETED,
                    raw_status="in_progress" if i % 3 else "completed",
                    counts=RequestCounts(total=10, processing=5, succeeded=5),
                    times=Timestamps(created_at=start + timedelta(seconds=i)),
                ),
                "openai",
            )
    finally:
        store.close()
    jobs = one_array(env("list", "--cached", "--json"))
    assert len(jobs) == count
    keys = set(jobs[0])
    assert all(set(job) == keys for job in jobs)
    shown = [line.split()[0] for line in env("list", "--cached").out.splitlines()]
    assert [job["id"] for job in jobs] == shown  # newest first, as the text list
    assert len({job["local_id"] for job in jobs}) == count
