"""The benchmark harness in --quick mode: every row filled, results.json written (CI keeps the
harness from rotting; targets are not asserted here, speed is judged from the full run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_fills_every_row(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--data",
            str(tmp_path / "data"),
            "--results",
            str(results),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert results.exists()
    data = json.loads(results.read_text())
    rows = data["rows"]
    assert {row["bench"] for row in rows} == {"B1", "B2", "B3", "B4", "B5", "B6"}
    table = proc.stdout
    for row in rows:
        label = f"{row['bench']} {row['figure']}"
        # Filled: a figure, or an explicit "n/a (why)" when the measured piece could not run.
        assert row["batchtui"] is not None or row["missing"], label
        assert row["baseline"] is not None or row["missing"], label
        assert row["figure"] in table, label
    assert "batchtui" in table.splitlines()[1] and "baseline" in table.splitlines()[1]
    assert data["meta"]["mode"] == "quick"
