"""Gemini through the whole of batchtui (the in-process CLI over the Workspace) against the
emulator's Gemini half: submit --wait, results, costs, list, cancel, and a native file that
names no model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import batchtui.emulator.app
from batchtui.cli import main
from batchtui.core.clock import SystemClock
from batchtui.emulator import EmulatorServer
from batchtui.emulator.gemini import HALF

KEY = "AIzaEmulatorKey0123456789"
MODEL = "gemini-2.5-flash"


@pytest.fixture(autouse=True)
def gemini_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Gemini half until the lead adds it to HALVES (a no-op afterwards)."""
    halves = batchtui.emulator.app.HALVES
    if HALF not in halves:
        monkeypatch.setattr(batchtui.emulator.app, "HALVES", (*halves, HALF))


class Cli:
    def __init__(self, server: EmulatorServer, capsys: pytest.CaptureFixture[str]) -> None:
        self.server = server
        self.capsys = capsys

    def __call__(self, *args: object) -> tuple[int, str, str]:
        self.capsys.readouterr()
        rc = main([str(a) for a in args])
        out = self.capsys.readouterr()
        return rc, out.out, out.err

    def json(self, *args: object) -> Any:
        rc, out, err = self(*args, "--json")
        assert rc == 0, err
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        return lines[0] if len(lines) == 1 else lines


@pytest.fixture
def make_cli(
    make_emulator: Callable[..., EmulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[[float], Cli]:
    """A CLI on an emulator whose jobs take ``job_seconds`` of real time."""

    def factory(job_seconds: float) -> Cli:
        return _cli(make_emulator, tmp_path, monkeypatch, capsys, job_seconds)

    return factory


def _cli(
    make_emulator: Callable[..., EmulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    job_seconds: float,
) -> Cli:
    server = make_emulator(api_key=KEY, clock=SystemClock(), job_seconds=job_seconds, fail_rate=0.2)
    monkeypatch.setenv("BATCHTUI_HOME", str(tmp_path / "home"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.provider_base_url("gemini"))
    return Cli(server, capsys)


def neutral(path: Path, n: int, model: str = MODEL) -> Path:
    rows = [
        {
            "custom_id": f"req-{i:03d}",
            "model": model,
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": f"n={i}"},
            ],
            "max_tokens": 64,
        }
        for i in range(n)
    ]
    rows.append(
        {
            "custom_id": "broken",
            "model": model,
            "messages": [{"role": "user", "content": "[[http_error]]"}],
        }
    )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_submit_wait_results_costs_list(make_cli: Callable[[float], Cli], tmp_path: Path) -> None:
    cli = make_cli(1.0)
    job = cli.json("submit", neutral(tmp_path / "in.jsonl", 12), "-p", "gemini", "--wait")
    assert job["status"] == "completed" and job["id"].startswith("batches/")
    assert job["provider"] == "gemini"
    rc, out, err = cli("results", job["id"], "--outcome", "errored", "--json")
    assert rc == 0, err
    errored = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert "broken" in {row["custom_id"] for row in errored}
    assert all(row["outcome"] == "errored" and row["error"]["type"] for row in errored)
    rc, out, err = cli("results", job["id"], "--json")
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(rows) == 13
    assert any(row["outcome"] == "succeeded" and row["text"] for row in rows)
    listed = cli.json("list")
    assert [item["id"] for item in listed] == [job["id"]]
    rc, out, err = cli("costs", "--json")
    assert rc == 0, err


def test_cancel(make_cli: Callable[[float], Cli], tmp_path: Path) -> None:
    cli = make_cli(600.0)
    job = cli.json("submit", neutral(tmp_path / "in.jsonl", 40), "-p", "gemini")
    cancelled = cli.json("cancel", job["local_id"])
    assert cancelled["status"] == "cancelled"


def test_native_file_without_a_model_is_refused_clearly(
    make_cli: Callable[[float], Cli], tmp_path: Path
) -> None:
    cli = make_cli(600.0)
    native = tmp_path / "native.jsonl"
    native.write_text(
        json.dumps(
            {"key": "a", "request": {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}}
        )
        + "\n"
    )
    rc, _out, err = cli("submit", native, "-p", "gemini", "--json")
    assert rc == 1 and "--model" in err and "names none" in err and "nothing was sent" in err
    assert cli.json("list") == []  # refused before anything was recorded or uploaded
    ok = cli.json("submit", native, "-p", "gemini", "--model", MODEL, "--again")
    assert ok["id"].startswith("batches/")
