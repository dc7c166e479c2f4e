"""The run view's data: per custom_id the latest success across a job and its retries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RunRow:
    """The latest result kept for one custom_id of a run."""

    custom_id: str
    outcome: str
    job_id: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run (a job plus its retries): kept results and the custom_ids still missing."""

    root_id: str
    job_ids: tuple[str, ...] = ()
    rows: Sequence[RunRow] = field(default_factory=tuple)
    missing: Sequence[str] = field(default_factory=tuple)
    total: int = 0

    @property
    def succeeded(self) -> int:
        return sum(1 for row in self.rows if row.outcome == "succeeded")

    @property
    def complete(self) -> bool:
        return not self.missing


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _row(custom_id: str, item: Any) -> RunRow:
    result = _get(item, "result", default=item)
    outcome = _get(result, "outcome", default="succeeded")
    text = _get(result, "text", default="") or ""
    return RunRow(
        custom_id=str(_get(result, "custom_id", default=custom_id)),
        outcome=str(getattr(outcome, "value", outcome)),
        job_id=str(_get(item, "job_id", "local_id", default="")),
        text=str(text).replace("\n", " ")[:200],
    )


def run_summary(view: Any, root_id: str = "") -> RunSummary:
    """Flatten the core's run view into a `RunSummary`."""
    if isinstance(view, RunSummary):
        return view
    latest = _get(view, "latest", "succeeded", "rows", default={}) or {}
    if isinstance(latest, Mapping):
        rows = [_row(cid, item) for cid, item in latest.items()]
    else:
        rows = [_row("", item) for item in latest]
    missing = [str(m) for m in (_get(view, "missing", default=()) or ())]
    job_ids = tuple(str(j) for j in (_get(view, "job_ids", "jobs", default=()) or ()))
    total = int(_get(view, "total", default=len(rows) + len(missing)) or 0)
    return RunSummary(
        root_id=str(_get(view, "root_id", "root", default=root_id)),
        job_ids=job_ids,
        rows=rows,
        missing=missing,
        total=total,
    )
