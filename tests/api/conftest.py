"""Fixtures of the Python API tests (helpers live in api_helpers.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_helpers import JOB_SECONDS, KEY_ENV, KINDS, Setup

from batchtui.core.clock import FixedClock
from batchtui.emulator import EmulatorServer


@pytest.fixture
def make_setup(
    make_emulator: Callable[..., EmulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Setup]:
    """Factory: make_setup(**emulator config) -> Setup on a fresh emulator (keys set)."""

    def factory(**config: Any) -> Setup:
        config.setdefault("clock", FixedClock(time.time()))
        config.setdefault("job_seconds", JOB_SECONDS)
        server = make_emulator(**config)
        for kind in KINDS:
            monkeypatch.setenv(KEY_ENV[kind], f"dummy-{kind}-key")
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        return Setup(server, tmp_path / "home", work)

    return factory


@pytest.fixture
def setup(make_setup: Callable[..., Setup]) -> Setup:
    """A Setup on an emulator with no failures and a FixedClock at the real time."""
    return make_setup()
