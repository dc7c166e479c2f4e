"""Fixtures of the workflow tests (helpers live in workflow_helpers.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from workflow_helpers import JOB_SECONDS, Env, use_env

from batchtui.core.clock import FixedClock
from batchtui.emulator import EmulatorServer


@pytest.fixture
def make_env(
    make_emulator: Callable[..., EmulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Env]:
    """Factory: make_env(**emulator config) -> Env with the CLI pointed at a fresh emulator."""

    def factory(**config: Any) -> Env:
        config.setdefault("clock", FixedClock(time.time()))
        config.setdefault("job_seconds", JOB_SECONDS)
        server = make_emulator(**config)
        home = tmp_path / "home"
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        use_env(monkeypatch, server, home)
        return Env(server, home, work, capsys)

    return factory


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    """An Env on an emulator with no failures and a FixedClock at the real time."""
    return make_env()
