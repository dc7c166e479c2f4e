"""The run view's data: per custom_id the latest success across a job and its retries."""

from __future__ import annotations

from collections.abc import Sequence
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


def run_summary(merge: Any, root_id: str = "") -> RunSummary:
    """Flatten the core's `RunMerge` into a `RunSummary` (one row per custom_id with a result).

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
        rows.append(
            RunRow(
                custom_id=custom_id,
                outcome=outcome.value if outcome is not None else "",
                job_id=picked[0],
                text=f"flag: {flag.value}" if flag is not None else "",
            )
        )
    return RunSummary(
        root_id=root_id,
        job_ids=tuple(merge.job_ids),
        rows=rows,
        missing=list(merge.missing),
        total=len(merge.order),
    )
