"""How the CLI prints jobs and reports: one readable line per job, or stable JSON."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, TextIO

from batchtui.core.store import JobRecord


def emit_json(data: Any, out: TextIO | None = None) -> None:
    """Print one JSON document (lists and objects alike) on standard output."""
    out = out or sys.stdout
    out.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    out.flush()


def age(record: JobRecord, now: datetime) -> str:
    """A short relative age such as ``42s``, ``7m``, ``3h``, ``2d``."""
    start = record.times.created_at or record.created_at
    if start is None:
        return "-"
    seconds = max(0, int((now - start).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def counts_text(record: JobRecord) -> str:
    c = record.counts
    total = c.total or record.request_count or 0
    text = f"{c.succeeded}ok {c.errored}err"
    if c.canceled:
        text += f" {c.canceled}canceled"
    if c.expired:
        text += f" {c.expired}expired"
    return f"{text} /{total}"


def job_line(record: JobRecord, now: datetime) -> str:
    """One line per job for `list` and `watch`."""
    ident = record.id or f"({record.local_id})"
    label = record.label or ""
    indent = "  └ " if record.parent_local_id else ""
    return (
        f"{indent}{ident:<40} {record.profile:<10} {record.status.value:<11} "
        f"{counts_text(record):<28} {age(record, now):>5}  {label}"
    ).rstrip()


def job_details(record: JobRecord, children: list[JobRecord]) -> list[str]:
    """Every fact of one job, for `show`."""
    lines = [
        f"id:          {record.id or '-'}",
        f"local id:    {record.local_id}",
        f"profile:     {record.profile} ({record.provider})",
        f"status:      {record.status.value} (provider: {record.raw_status or '-'})",
        f"label:       {record.label or '-'}",
        f"counts:      {counts_text(record)}",
        f"model:       {record.model or '-'}",
        f"endpoint:    {record.endpoint or '-'}",
        f"input:       {record.input_path or '-'}",
        f"input file:  {record.input_file_id or '-'}",
        f"output file: {record.output_file_id or '-'}",
        f"error file:  {record.error_file_id or '-'}",
        f"results:     {'available' if record.results_available else 'not yet'}"
        + (" (cached)" if record.results_complete else ""),
        f"run:         {record.run_id}",
        f"parent:      {record.parent_id or record.parent_local_id or '-'}",
    ]
    for name, value in record.times.as_dict().items():
        if value:
            lines.append(f"{name + ':':<13}{value}")
    if record.snapshot and record.snapshot.errors:
        lines.append("provider errors:")
        for err in record.snapshot.errors:
            where = f"line {err.line}: " if err.line else ""
            lines.append(f"  {where}{err.code or 'error'}: {err.message}")
    if record.notes:
        lines.append(f"notes:       {record.notes}")
    for child in children:
        lines.append(f"child:       {child.display_id} {child.status.value} {child.label or ''}")
    return lines
