"""Fixtures of the notification tests: the UI tests' fakes on the path, a hook script that
records what it was given."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

UI_TESTS = Path(__file__).resolve().parents[1] / "ui"
if str(UI_TESTS) not in sys.path:
    sys.path.insert(0, str(UI_TESTS))
