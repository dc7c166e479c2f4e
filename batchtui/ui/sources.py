"""Adapters from the core's results handle to the browser's `LineSource`, and export."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from batchtui.core.models import BatchResult, Outcome, ResultFlag, ResultLine
from batchtui.core.results import ResultIndex
from batchtui.ui.models.results import LineSource, ResultQuery, ResultSummary

EXPORT_COLUMNS = ("custom_id", "outcome", "flag", "text", "usage", "error", "job_id", "raw")


class IndexSource:
    """A `LineSource` over the core's `ResultIndex` and the adapter's parser.

    Reads one line per call (positioned reads) and filters through the core's columnar
    filters, so it works the same for 100 or 100,000 results.
    """

    def __init__(self, index: ResultIndex, parse: Callable[[ResultLine], BatchResult]) -> None:
        self.index = index
        self.parse = parse

    @property
    def count(self) -> int:
        return int(self.index.count)

    def get_line(self, index: int) -> str:
        return self.index.get_line(index).decode("utf-8", "replace")

    def get_result(self, index: int) -> BatchResult:
        return self.index.get_result(index, self.parse)

    def get_summary(self, index: int) -> ResultSummary:
        flag = self.index.flag(index)
        return ResultSummary(
            custom_id=self.index.custom_id(index),
            outcome=self.index.outcome(index).value,
            flag=flag.value if flag is not None else None,
            error_type=self.index.error_type(index),
        )

    def filter_rows(self, query: ResultQuery) -> list[int]:
        """Every row passing `query`, through the core's filters."""
        from batchtui.core.results import filters

        index = self.index
        rows: Any = None
        if query.outcomes:
            wanted = {o for o in Outcome if any(o.value.startswith(q) for q in query.outcomes)}
            rows = filters.by_outcome(index, wanted)
        if query.flags:
            flags = {f for f in ResultFlag if any(f.value.startswith(q) for q in query.flags)}
            rows = filters.by_flag(index, flags, within=rows)
        if query.error_types:
            names = {
                name
                for name in index.error_type_names
                if name and any(t in name.lower() for t in query.error_types)
            }
            rows = filters.by_error_type(index, names, within=rows)
        if query.problems_only:
            bad = {o for o in Outcome if o is not Outcome.SUCCEEDED}
            problems = set(filters.by_outcome(index, bad)) | set(filters.flagged(index))
            base = range(index.count) if rows is None else rows
            rows = [row for row in base if row in problems]
        for word in query.words:
            rows = filters.search_text(index, word, within=rows)
        return list(range(index.count) if rows is None else rows)


ResultsHandle = ResultIndex | LineSource
"""What the workspace hands back for a job's results: the core's `ResultIndex`, or any other
`LineSource` (an in-memory list of lines)."""


def line_source(
    handle: ResultsHandle, parser: Callable[[], Callable[[ResultLine], BatchResult]]
) -> LineSource:
    """A `LineSource` for what the workspace returned: a view over a core `ResultIndex`
    (parsed by ``parser()``, the adapter's parser), or the handle itself if it is one."""
    if isinstance(handle, ResultIndex):
        return IndexSource(handle, parser())
    return handle


def is_current(handle: ResultsHandle) -> bool:
    """Whether every line on disk is indexed (a `ResultIndex` opened as a preview may have
    more to index); other sources hold every line they have."""
    return handle.is_current() if isinstance(handle, ResultIndex) else True


def is_view_of(source: LineSource, handle: ResultsHandle) -> bool:
    """Whether `source` already shows `handle` (itself, or a view over that index)."""
    return source is handle or (isinstance(source, IndexSource) and source.index is handle)


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
    if isinstance(source, IndexSource):
        from batchtui.core.results.export import export_rows

        rows = range(source.count) if indices is None else indices
        target = Path(path).expanduser()
        return int(export_rows(source.index, rows, target, parse=source.parse, format=fmt))  # type: ignore[arg-type]
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
