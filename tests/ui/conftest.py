"""Fixtures of the UI tests: animations off (before Textual loads), a fake workspace, the app."""

from __future__ import annotations

import os

os.environ["TEXTUAL_ANIMATIONS"] = "none"

from pathlib import Path

import pytest
from ui_fakes import FakeWorkspace

from batchtui.ui.app import BatchTuiApp, make_app

DATA = Path(__file__).parent / "data"


@pytest.fixture
def fake_ws() -> FakeWorkspace:
    """The fixed in-memory workspace (frozen clock, seven jobs in every state)."""
    return FakeWorkspace()


@pytest.fixture
def ui_app(fake_ws: FakeWorkspace, tmp_path: Path) -> BatchTuiApp:
    """The dashboard on the fake workspace, blink off, import tree on the test data."""
    return make_app(
        fake_ws, fake_ws.clock, cursor_blink=False, start_dir=DATA, compose_dir=tmp_path
    )
