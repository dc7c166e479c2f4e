"""The benchmark harness in --quick mode: every row filled, results.json written (CI keeps the
harness from rotting; targets are not asserted here, speed is judged from the full run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_fills_every_row(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    published = tmp_path / "RESULTS.md"
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
            "--markdown",
            str(published),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert results.exists()
    assert not published.exists()  # only a full run writes the published table
    data = json.loads(results.read_text())
    rows = data["rows"]
    assert {row["bench"] for row in rows} == {"B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"}
    # B5/B6 have rows at each of the two store sizes.
    assert sum(row["bench"] == "B6" for row in rows) == 2
    table = proc.stdout
    for row in rows:
        label = f"{row['bench']} {row['figure']}"
        # Filled: a figure, or an explicit "n/a (why)" when the measured piece could not run.
        assert row["batchtui"] is not None or row["missing"], label
        # Informational rows (no target) may have no baseline.
        assert row["baseline"] is not None or row["missing"] or row["target"] == "-", label
        assert row["figure"] in table, label
    assert "batchtui" in table.splitlines()[1] and "baseline" in table.splitlines()[1]
    assert data["meta"]["mode"] == "quick"


def test_results_markdown_has_the_table_and_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # bench/ is not an installed package
    from bench.report import Row, markdown

    rows = [
        Row("B7", "`batchtui list`, 10 jobs", "s", 0.2, 0.1, "<= 0.5 s", max_value=0.5),
        Row("B7", "filter | sort", "ms", None, None, "-", missing="boom"),
    ]
    meta = {
        "date": "2026-01-01 00:00 UTC",
        "commit": "abc123",
        "cpus": 2,
        "machine": "x86_64",
        "python": "3.11",
        "load_before": "load average 0.10 0.20 0.30 on 2 CPUs",
        "load_after": "load average 1.00 0.50 0.40 on 2 CPUs",
        "seconds": 600.0,
        "seed": 0,
    }
    text = markdown(rows, meta)
    assert "abc123" in text and "2 cores" in text and "2026-01-01" in text
    assert "0.10 0.20 0.30" in text and "1.00 0.50 0.40" in text
    assert "| B7 | `batchtui list`, 10 jobs | 0.200 s | 0.100 s | 2.00x | <= 0.5 s | pass |" in text
    assert "filter \\| sort" in text  # a pipe in a cell does not split the row
