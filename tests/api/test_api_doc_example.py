"""The example of docs/API.md runs as written, against the emulator, and loads no Textual."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "API.md"
SECTION = "## An example, end to end"


def example_code() -> str:
    """The first Python code block of the doc's end-to-end section."""
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"{DOC} has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    found = re.search(r"^```python\n(.*?)^```", section, re.S | re.M)
    assert found, f"no python block in {SECTION!r}"
    return found.group(1)


# Runs the example as a script, then reports whether anything loaded Textual.
DRIVER = """\
import runpy, sys
runpy.run_path(sys.argv[1], run_name="__main__")
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("TEXTUAL:", loaded)
"""


def test_the_doc_example_runs_against_the_emulator(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(example_code(), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for name in ("BATCHTUI_HOME", "OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        env.pop(name, None)  # the example must bring everything it needs
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "TEXTUAL: []" in run.stdout, run.stdout
    out = run.stdout
    assert "ended completed" in out
    assert "cancelled: cancelled" in out
    assert "recovered: completed" in out
    assert "Traceback" not in run.stderr
