"""`batchtui watch`: the profile's on_end once per end; with --notify on a terminal, the
desktop notification's escape sequence; nothing extra when stdout is not a terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from notify_helpers import hook_command, runs

WORKFLOW_TESTS = Path(__file__).resolve().parents[1] / "workflow"
if str(WORKFLOW_TESTS) not in sys.path:
    sys.path.insert(0, str(WORKFLOW_TESTS))

from workflow_helpers import Env, use_env, write_input  # noqa: E402

from batchtui.core.clock import SystemClock  # noqa: E402

ESC, BEL = "\x1b", "\a"


@pytest.fixture
def quick_env(make_emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Env:
    """Jobs that end about a second after they are created, on the real clock."""
    server = make_emulator(clock=SystemClock(), job_seconds=1.0)
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    use_env(monkeypatch, server, home)
    for name in ("TERM_PROGRAM", "TMUX", "STY", "VTE_VERSION", "WT_SESSION", "KITTY_WINDOW_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return Env(server, home, work, capsys)


def configure(env: Env, hook: list[str], ui: str = "") -> None:
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(
        f"{ui}\n[profiles.openai]\nprovider = 'openai'\non_end = {json.dumps(hook)}\n",
        encoding="utf-8",
    )


def test_watch_runs_on_end_once_and_notifies_its_terminal(
    quick_env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = quick_env
    hook, out = hook_command(tmp_path)
    configure(env, hook, "[ui]\ndesktop_notify = 'osc9'\n")
    job = env.ok("submit", write_input(env.work / "in.jsonl", "openai", 2), "--profile", "openai")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run = env("watch", "--interval", "0.2", "--notify")
    assert run.rc == 0, run.err
    ((stdin, variables),) = runs(out)
    assert stdin["id"] == job["id"] and stdin["status"] == "completed"
    assert variables["BATCHTUI_JOB_ID"] == job["id"]
    assert variables["BATCHTUI_PROFILE"] == "openai"
    sequences = [line for line in run.out.split(BEL) if ESC in line]
    assert len(sequences) == 1
    assert sequences[0].endswith(
        f"{ESC}]9;batchtui: {job['id']} completed: 2 succeeded, 0 errored of 2"
    )
    # the same job watched again after its end: nothing runs again
    run = env("watch", job["id"], "--interval", "0.2", "--notify")
    assert run.rc == 0 and len(runs(out)) == 1 and ESC not in run.out


def test_watch_without_a_terminal_prints_only_its_lines(quick_env: Env, tmp_path: Path) -> None:
    env = quick_env
    hook, out = hook_command(tmp_path, "fail")
    configure(env, hook)
    source = write_input(env.work / "in.jsonl", "openai", 2)
    job = env.ok("submit", source, "--profile", "openai")
    run = env("watch", job["id"], "--interval", "0.2", "--notify", "--json")
    assert run.rc == 0, run.err
    assert ESC not in run.out and BEL not in run.out
    assert all(json.loads(line)["id"] == job["id"] for line in run.out.splitlines())
    assert len(runs(out)) == 1
    (report,) = [line for line in run.err.splitlines() if "on_end" in line]
    assert "profile openai" in report and "exited with status 3" in report


def test_watch_notify_on_an_unknown_terminal_rings_the_bell(
    quick_env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = quick_env
    hook, _ = hook_command(tmp_path)
    configure(env, hook)
    job = env.ok("submit", write_input(env.work / "in.jsonl", "openai", 1), "--profile", "openai")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run = env("watch", job["id"], "--interval", "0.2", "--notify")
    assert run.rc == 0, run.err
    assert run.out.count(BEL) == 1 and ESC not in run.out
