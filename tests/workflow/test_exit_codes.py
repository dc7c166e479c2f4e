"""Exit codes and error lines: 0 ok, 1 bad input or usage, 2 provider or network, 3 interrupted."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from workflow_helpers import (
    KINDS,
    Env,
    free_port,
    kill,
    read_db,
    spawn,
    use_env,
    write_input,
)

from batchtui.cli import commands
from batchtui.core.clock import SystemClock


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one stderr line, got:\n{err}"
    assert "Traceback" not in err
    assert lines[0].startswith("batchtui: ")
    return lines[0]


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_key_is_a_provider_error_with_message_and_request_id(make_env, kind: str) -> None:
    env: Env = make_env(api_key="the-right-key-only-the-server-knows")
    source = write_input(env.work / "in.jsonl", kind, 2)
    run = env("submit", source, "--profile", kind)
    assert run.rc == 2
    line = one_line(run.err)
    assert "401" in line
    assert "request id req_" in line
    assert ("Incorrect API key" in line) if kind == "openai" else ("invalid x-api-key" in line)
    # The refused submission is recorded as failed, not left open or forgotten.
    (job,) = env.ok("list")
    assert job["status"] == "failed" and job["intent_state"] == "failed"

    run = env("show", "batch_whatever" if kind == "openai" else "msgbatch_whatever")
    assert run.rc == 2 and "401" in one_line(run.err)


@pytest.mark.parametrize(
    ("kind", "batch_id"), [("openai", "batch_doesnotexist"), ("anthropic", "msgbatch_nope")]
)
def test_unknown_batch_id_is_a_provider_error(env: Env, kind: str, batch_id: str) -> None:
    for command in (["show", batch_id], ["cancel", batch_id], ["results", batch_id]):
        run = env(*command)
        assert run.rc == 2, (command, run.err)
        line = one_line(run.err)
        assert batch_id in line and "404" in line and "request id" in line
    assert env.ok("list") == []


@pytest.mark.parametrize(
    "argv",
    [
        ["results"],
        ["frobnicate"],
        ["results", "x", "--outcome", "bogus"],
        ["submit", "in.jsonl", "--max-tokens", "0"],
        ["watch", "--interval", "-1"],
        ["show", "x", "--profile", "nosuchprofile"],
    ],
)
def test_usage_errors_exit_1_with_one_line(env: Env, argv: list[str]) -> None:
    run = env(*argv)
    assert run.rc == 1
    one_line(run.err)


def test_local_refusals_exit_1(env: Env) -> None:
    source = write_input(env.work / "in.jsonl", "openai", 2)
    job = env.ok("submit", source, "--profile", "openai")
    env.advance(100)
    assert env.ok("show", job["id"])["status"] == "completed"
    run = env("cancel", job["id"])
    assert run.rc == 1 and "already ended" in one_line(run.err)
    run = env("retry", job["id"])
    assert run.rc == 1 and "no errors" in one_line(run.err)


def test_keyboard_interrupt_exits_3(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    async def interrupted(ws, args) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(commands.ASYNC_COMMANDS, "list", interrupted)
    run = env("list")
    assert run.rc == 3
    assert "interrupted" in one_line(run.err)


def test_missing_key_is_a_clear_usage_error(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    source = write_input(env.work / "in.jsonl", "anthropic", 2)
    run = env("submit", source, "--profile", "anthropic")
    assert run.rc == 1
    assert "ANTHROPIC_API_KEY" in one_line(run.err)
    assert env.batch_ids("anthropic") == []
    assert env.ok("list") == [], "nothing is recorded when no call could be made"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-now-it-is-set-0123456789")
    assert env.ok("submit", source, "--profile", "anthropic")["id"] in env.batch_ids("anthropic")


def dead_config(home: Path, port: int) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f"""
[profiles.openai]
provider = "openai"
base_url = "http://127.0.0.1:{port}/v1"
retry_budget_s = 1.0

[profiles.anthropic]
provider = "anthropic"
base_url = "http://127.0.0.1:{port}"
retry_budget_s = 1.0
"""
    )


@pytest.mark.parametrize("kind", KINDS)
def test_dead_server_is_exit_2_with_one_line(env: Env, kind: str) -> None:
    dead_config(env.home, free_port())
    started = time.monotonic()
    batch_id = "batch_abc" if kind == "openai" else "msgbatch_abc"
    run = env("show", batch_id, "--profile", kind)
    assert run.rc == 2
    line = one_line(run.err)
    assert "cannot reach" in line or "connect" in line.lower()
    source = write_input(env.work / "in.jsonl", kind, 2)
    run = env("submit", source, "--profile", kind)
    assert run.rc == 2
    one_line(run.err)
    assert time.monotonic() - started < 20, "the profile's retry budget bounds the wait"
    (job,) = env.ok("list")
    assert job["status"] == "failed" and job["id"] is None


def test_list_refresh_against_a_dead_server_reports_and_keeps_the_jobs(env: Env) -> None:
    source = write_input(env.work / "in.jsonl", "openai", 2)
    job = env.ok("submit", source, "--profile", "openai")
    dead_config(env.home, free_port())
    run = env("list", "--refresh")
    assert run.rc == 2, "a refresh that failed is a provider error, though the list prints"
    assert job["id"] in run.out
    assert "Traceback" not in run.err
    assert job["id"] in run.err  # the failed refresh is named


# --- Ctrl-C in a subprocess: the job keeps running and stays recorded -----------------------


@pytest.fixture
def live_env(make_emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Env:
    """An emulator on the real clock whose jobs take long, for subprocess tests."""
    server = make_emulator(clock=SystemClock(), job_seconds=600.0)
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    use_env(monkeypatch, server, home)
    return Env(server, home, work, capsys)


def batch_of_first_job(home: Path) -> str | None:
    rows = read_db(home, "SELECT batch_id FROM jobs WHERE batch_id IS NOT NULL")
    return rows[0]["batch_id"] if rows else None


def test_ctrl_c_during_submit_wait_leaves_the_job_recorded(live_env: Env) -> None:
    env = live_env
    source = write_input(env.work / "in.jsonl", "openai", 3)
    proc = spawn(["submit", str(source), "--profile", "openai", "--wait"])
    assert proc.stdout is not None
    first = proc.stdout.readline()  # output is flushed once `--wait` has polled
    batch_id = batch_of_first_job(env.home)
    assert batch_id and batch_id in first
    rc, out, err = kill(proc, signal.SIGINT)
    assert rc == 3, (out, err)
    assert "Traceback" not in err
    assert "interrupted" in err
    shown = env.ok("show", batch_id)
    assert shown["status"] in {"validating", "in_progress"}
    assert env.batch_ids("openai") == [batch_id]


def test_ctrl_c_during_watch_leaves_the_job_running(live_env: Env) -> None:
    env = live_env
    source = write_input(env.work / "in.jsonl", "anthropic", 3)
    job = env.ok("submit", source, "--profile", "anthropic")

    proc = spawn(["watch", job["id"], "--interval", "0.2"])
    assert proc.stdout is not None
    first = proc.stdout.readline()  # watch prints a line once it has polled
    assert job["id"] in first
    rc, out, err = kill(proc, signal.SIGINT)
    assert rc == 3, (out, err)
    assert "Traceback" not in err
    assert "interrupted" in err
    assert env.ok("show", job["id"])["status"] == "in_progress"


def test_watch_stops_on_an_error_waiting_will_not_fix(env: Env) -> None:
    source = write_input(env.work / "in.jsonl", "anthropic", 2)
    job = env.ok("submit", source, "--profile", "anthropic")
    env.emulator.config.api_key = "rotated-key-the-cli-does-not-have"
    try:
        run = env("watch", job["id"], "--interval", "0.05")
    finally:
        env.emulator.config.api_key = None
    assert run.rc == 2
    assert "401" in run.err.strip().splitlines()[-1]


def test_retry_of_unknown_custom_ids_names_them(env: Env) -> None:
    source = write_input(env.work / "in.jsonl", "openai", 3)
    job = env.ok("submit", source, "--profile", "openai")
    env.advance(100)
    run = env("retry", job["id"], "--custom-id", "req-001", "--custom-id", "typo-9")
    assert run.rc == 1
    assert "typo-9" in one_line(run.err) and "req-001" not in run.err
    assert env.batch_ids("openai") == [job["id"]]
