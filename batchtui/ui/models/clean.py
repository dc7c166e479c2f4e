"""What the clean action shows: the plan's lines grouped by job, and the report in words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


def plan_items(plan: Any) -> list[Any]:
    """The items of a core `CleanPlan` (or of any iterable of items)."""
    items = getattr(plan, "items", plan)
    if callable(items):  # a mapping's items() is not a plan
        return []
    return list(items or ())


def describe(item: Any) -> str:
    """One plan item in words (the core's own description when it has one)."""
    text = getattr(item, "describe", None)
    return str(text()) if callable(text) else str(item)


@dataclass(frozen=True, slots=True)
class CleanSummary:
    """A finished clean in one notification: message and severity."""

    message: str
    severity: str


def summarize_clean(report: Any) -> CleanSummary:
    """Deleted and failed counts of a core `CleanReport`, with the first failure's message."""
    deleted = list(getattr(report, "deleted", ()) or ())
    failed: Iterable[Any] = getattr(report, "failed", ()) or ()
    failures = list(failed)
    message = f"Deleted {len(deleted):,} object(s) at the providers."
    if not failures:
        return CleanSummary(message, "information")
    first = failures[0]
    item, why = (first[0], first[1]) if isinstance(first, tuple) else (first, "")
    message += f" {len(failures):,} not deleted; first: {describe(item)}"
    if why:
        message += f" — {why}"
    return CleanSummary(message, "warning" if deleted else "error")
