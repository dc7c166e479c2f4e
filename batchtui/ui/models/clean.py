"""What the clean action shows: the plan's lines grouped by job, and the report in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchtui.core.clean import CleanItem, CleanPlan, CleanReport


def plan_items(plan: CleanPlan | None) -> list[CleanItem]:
    """The items of a core `CleanPlan` (none without a plan)."""
    return [] if plan is None else list(plan.items)


def describe(item: CleanItem) -> str:
    """One plan item in words (the core's own description)."""
    return item.describe()


@dataclass(frozen=True, slots=True)
class CleanSummary:
    """A finished clean in one notification: message and severity."""

    message: str
    severity: str


def summarize_clean(report: CleanReport) -> CleanSummary:
    """Deleted and failed counts of a core `CleanReport`, with the first failure's message."""
    deleted, failures = report.deleted, report.failed
    message = f"Deleted {len(deleted):,} object(s) at the providers."
    if not failures:
        return CleanSummary(message, "information")
    item, why = failures[0]
    message += f" {len(failures):,} not deleted; first: {describe(item)}"
    if why:
        message += f" — {why}"
    return CleanSummary(message, "warning" if deleted else "error")
