"""Rows of the benchmark table, their pass/fail rule, the printed table and results.json."""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

UNITS = {"s": "s", "ms": "ms", "MB": "MB", "%": "%", "rpm": "req/min"}


@dataclass
class Row:
    """One line of the table: a figure measured for batchtui and for its baseline."""

    bench: str
    figure: str
    unit: str
    batchtui: float | None = None
    baseline: float | None = None
    target: str = ""
    max_value: float | None = None  # pass needs batchtui <= max_value
    max_ratio: float | None = None  # pass needs batchtui / baseline <= max_ratio
    note: str = ""
    missing: str = ""  # why the batchtui figure is n/a
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.batchtui is None or not self.baseline:
            return None
        return self.batchtui / self.baseline

    @property
    def passed(self) -> bool | None:
        """True/False against the target; None when there is no target or no figure."""
        if self.batchtui is None or (self.max_value is None and self.max_ratio is None):
            return None
        ok = True
        if self.max_value is not None:
            ok = ok and self.batchtui <= self.max_value
        if self.max_ratio is not None:
            ratio = self.ratio
            ok = ok and ratio is not None and ratio <= self.max_ratio
        return ok

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["passed"] = self.passed
        return data


def fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "rpm":
        return f"{value:,.0f} req/min"
    return f"{value:.3g} {unit}"


def cells(row: Row) -> list[str]:
    verdict = {True: "pass", False: "FAIL", None: "-"}[row.passed]
    batchtui = fmt(row.batchtui, row.unit) if not row.missing else f"n/a ({row.missing})"
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
    if row.batchtui is None and not row.missing:
        batchtui = "n/a"
    return [
        row.bench,
        row.figure,
        batchtui,
        fmt(row.baseline, row.unit),
        ratio,
        row.target,
        verdict,
    ]


HEADER = ["#", "figure", "batchtui", "baseline", "ratio", "target", "result"]


def table(rows: list[Row]) -> str:
    """The rows as one plain-text table."""
    body = [cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [HEADER, *body]) for i in range(len(HEADER))]
    widths = [min(w, 60) for w in widths]

    def line(values: list[str]) -> str:
        return "  ".join(v[:w].ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(HEADER), line(["-" * w for w in widths])]
    out += [line(values) for values in body]
    notes = [f"{row.bench} {row.figure}: {row.note}" for row in rows if row.note]
    if notes:
        out += ["", "notes:", *("  " + n for n in notes)]
    return "\n".join(out)


def write_json(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    """Write every row and the run's context to ``path``."""
    data = {
        "meta": {
            **meta,
            "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "rows": [row.as_dict() for row in rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")


def markdown(rows: list[Row], meta: dict[str, Any]) -> str:
    """RESULTS.md: the table of a full run with when, where and what was measured."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = [
        "# batchtui benchmark results",
        "",
        "Written by `python -m bench` (a full run; `--quick` and `--only` runs never write this",
        "file) and committed after each full run. How each row is measured: `bench/README.md`.",
        "",
        f"- date: {meta['date']}",
        f"- commit measured: `{meta['commit']}`",
        f"- machine: {meta['cpus']} cores ({meta['machine']}), Python {meta['python']}",
        f"- batchtui's bytecode: {meta.get('bytecode', 'as found')}",
        f"- load before: {meta['load_before']}",
        f"- load after: {meta['load_after']}",
        f"- run time: {meta['seconds']:.0f} s, seed {meta['seed']}, "
        + (
            "one benchmark at a time"
            if meta.get("jobs", 1) <= 1
            else f"{meta['jobs']} benchmarks side by side (--jobs)"
        ),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    out += ["| " + " | ".join(cell(value) for value in cells(row)) + " |" for row in rows]
    notes = [f"- {row.bench} {row.figure}: {row.note}" for row in rows if row.note]
    if notes:
        out += ["", "Notes:", "", *(cell(note) for note in notes)]
    return "\n".join(out) + "\n"


def write_markdown(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    """Write `markdown` of the rows to ``path``."""
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        **meta,
    }
    path.write_text(markdown(rows, info))


def git_commit(root: Path) -> str:
    """The commit measured (``HEAD``), with ``+changes`` when the tree differs from it."""
    import subprocess

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
        return proc.stdout.strip() if proc.returncode == 0 else ""

    head = git("rev-parse", "--short=12", "HEAD")
    if not head:
        return "unknown (not a git checkout)"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "batchtui", "bench")
    return head + (" +uncommitted changes under batchtui/ or bench/" if dirty else "")
