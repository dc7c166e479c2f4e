"""The run view's data: per custom_id the latest success across a job and its retries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from batchtui.core.models import BatchResult, ResultLine

if TYPE_CHECKING:
    from batchtui.core.results import RunMerge

ParseFn = Callable[[ResultLine], BatchResult]

TEXT_ROWS = 5_000
"""Rows whose answer text the run view reads (each is one positioned read and a parse)."""
TEXT_CHARS = 120


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


def _answer(merge: RunMerge, custom_id: str, parse: ParseFn) -> str:
    """The chosen result's text (or error message) on one line; "" when it cannot be read."""
    chosen = merge.chosen.get(custom_id)
    if chosen is None:
        return ""
    try:
        result = merge.indexes[chosen.job].get_result(chosen.row, parse)
    except OSError:  # a results file gone or unreadable: the row still shows its outcome
        return ""
    text = result.text
    if not text and result.error is not None:
        text = result.error.message
    return (text or "").replace("\r", " ").replace("\n", " ")[:TEXT_CHARS]


def run_summary(
    merge: RunMerge | RunSummary, root_id: str = "", parse: ParseFn | None = None
) -> RunSummary:
    """Flatten the core's `RunMerge` into a `RunSummary` (one row per custom_id with a result);
    with the adapter's `parse`, each row carries its answer's first words (the first
    `TEXT_ROWS` rows). A `RunSummary` (what an in-memory workspace gives) is returned as is.

    Run this off the event loop: it walks every custom_id of the run.
    """
    if isinstance(merge, RunSummary):
        return merge
    rows: list[RunRow] = []
    for custom_id in merge.order:
        picked = merge.pick(custom_id)
        if picked is None:
            continue
        outcome = merge.outcome(custom_id)
        flag = merge.flag(custom_id)
        text = _answer(merge, custom_id, parse) if parse and len(rows) < TEXT_ROWS else ""
        if flag is not None:
            text = f"[{flag.value}] {text}".rstrip()
        rows.append(
            RunRow(
                custom_id=custom_id,
                outcome=outcome.value if outcome is not None else "",
                job_id=picked[0],
                text=text,
            )
        )
    return RunSummary(
        root_id=root_id,
        job_ids=tuple(merge.job_ids),
        rows=rows,
        missing=list(merge.missing),
        total=len(merge.order),
    )
