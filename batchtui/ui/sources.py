"""Adapters from the core's results handle to the browser's `LineSource`, and export."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from batchtui.core.models import BatchResult
from batchtui.ui.models.results import LineSource, ResultSummary, summarize

EXPORT_COLUMNS = ("custom_id", "outcome", "flag", "text", "usage", "error", "job_id", "raw")


class HandleSource:
    """A `LineSource` over a core results handle, whatever its method names turn out to be."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    @property
    def count(self) -> int:
        count = getattr(self.handle, "count", None)
        if callable(count):
            return int(count())
        if count is not None:
            return int(count)
        return len(self.handle)

    def get_line(self, index: int) -> str:
        for name in ("get_line", "line", "raw_line"):
            method = getattr(self.handle, name, None)
            if method is not None:
                value = method(index)
                return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        raise AttributeError("results handle has no line accessor")

    def get_result(self, index: int) -> BatchResult:
        for name in ("get_result", "result", "parse"):
            method = getattr(self.handle, name, None)
            if method is not None:
                return method(index)
        raise AttributeError("results handle has no result accessor")

    def get_summary(self, index: int) -> ResultSummary:
        for name in ("get_summary", "entry", "index_entry"):
            method = getattr(self.handle, name, None)
            if method is not None:
                entry = method(index)
                return ResultSummary(
                    custom_id=str(entry.custom_id),
                    outcome=str(getattr(entry.outcome, "value", entry.outcome)),
                    flag=_value(getattr(entry, "flag", None)),
                    error_type=getattr(entry, "error_type", None),
                )
        return summarize(self.get_result(index))


def _value(item: Any) -> str | None:
    return None if item is None else str(getattr(item, "value", item))


def line_source(handle: Any) -> LineSource:
    """The handle itself when it already is a `LineSource`, else an adapter around it."""
    if isinstance(handle, LineSource):
        return handle
    return HandleSource(handle)


def export_row(result: BatchResult, job_id: str) -> dict[str, Any]:
    """One exported result in the documented columns."""
    return {
        "custom_id": result.custom_id,
        "outcome": result.outcome.value,
        "flag": result.flag.value if result.flag is not None else None,
        "text": result.text,
        "usage": result.usage.as_dict() if result.usage is not None else None,
        "error": result.error.as_dict() if result.error is not None else None,
        "job_id": job_id,
        "raw": result.raw,
    }


def export_results(
    source: LineSource,
    indices: Sequence[int] | None,
    path: str | Path,
    fmt: str,
    job_id: str,
) -> int:
    """Write the given lines (all when None) as JSONL or CSV; returns how many were written."""
    exporter = getattr(getattr(source, "handle", source), "export", None)
    if exporter is not None:
        return int(exporter(Path(path), format=fmt, indices=indices))
    rows = range(source.count) if indices is None else indices
    written = 0
    target = Path(path).expanduser()
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(EXPORT_COLUMNS)
        for index in rows:
            row = export_row(source.get_result(index), job_id)
            if writer is None:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                writer.writerow(
                    [
                        json.dumps(row[c], ensure_ascii=False)
                        if isinstance(row[c], dict | list)
                        else ("" if row[c] is None else row[c])
                        for c in EXPORT_COLUMNS
                    ]
                )
            written += 1
    return written
