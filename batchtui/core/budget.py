"""Budgets and spend: per-submission and per-day limits, and cost totals per profile and day.

A submission is checked on its *high* estimate (every answer reaching its ``max_tokens``)
before anything is recorded or uploaded. The day is the local calendar day of the workspace's
clock; a profile's spend that day is, for each job recorded that day, its actual cost when
known, else its high estimate (jobs the provider never got are left out).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from batchtui.core.costs import Estimate, format_usd
from batchtui.core.provider import BatchtuiError
from batchtui.core.store import IntentState, JobRecord

_DROPPED = (IntentState.FAILED, IntentState.ABANDONED)


class BudgetExceeded(BatchtuiError):
    """A submission's high estimate is over a budget (or cannot be bounded); nothing was sent."""


@dataclass(frozen=True, slots=True)
class Budget:
    """One limit a submission must stay under: its name (for the message) and US dollars."""

    name: str
    usd: float


def day_start(now: datetime) -> datetime:
    """Local midnight of ``now``'s day (an aware datetime)."""
    local = now.astimezone()
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


def local_day(moment: datetime | None) -> str | None:
    """The local calendar day of a moment, as ``YYYY-MM-DD``."""
    return moment.astimezone().date().isoformat() if moment is not None else None


def counts_toward_spend(record: JobRecord) -> bool:
    """Whether a job may cost money: the provider has it, or it is queued or being sent."""
    dropped = record.intent_state in _DROPPED and record.id is None
    return not dropped


def job_spend(record: JobRecord) -> float:
    """What a job costs for budgets: its actual cost when known, else its high estimate."""
    if record.cost and record.cost.get("cost_usd") is not None:
        return float(record.cost["cost_usd"])
    return float(record.estimate_usd_high or 0.0)


def spent(records: Iterable[JobRecord]) -> float:
    """The spend of these jobs (see `job_spend`), leaving out ones that never went out."""
    return sum(job_spend(r) for r in records if counts_toward_spend(r))


def _unbounded(guess: Estimate) -> str | None:
    """Why a high estimate is no upper bound, or None when it is one."""
    if not guess.priced:
        return f"no price is known for {', '.join(guess.unpriced_models) or 'the model'}"
    if guess.uncapped_requests:
        return (
            f"{guess.uncapped_requests} request(s) set no max_tokens, so the cost has no "
            "ceiling; set max_tokens (or --max-tokens) to bound it"
        )
    return None


def check_submission(guess: Estimate, budgets: Iterable[Budget]) -> None:
    """Raise BudgetExceeded when the high estimate tops a budget or cannot be bounded."""
    for budget in budgets:
        why = _unbounded(guess)
        if why is not None:
            raise BudgetExceeded(
                f"{budget.name}: {why}; cannot tell whether the batch stays under "
                f"{format_usd(budget.usd)}; nothing was sent"
            )
        assert guess.cost_usd_high is not None
        if guess.cost_usd_high > budget.usd:
            raise BudgetExceeded(
                f"{budget.name}: the high estimate is {format_usd(guess.cost_usd_high)} (low "
                f"{format_usd(guess.cost_usd_low)}), over the limit of "
                f"{format_usd(budget.usd)}; nothing was sent"
            )


def check_day(guess: Estimate, spent_today: float, budget: Budget) -> None:
    """Raise BudgetExceeded when today's spend plus this submission's high tops ``budget``."""
    why = _unbounded(guess)
    if why is not None:
        raise BudgetExceeded(
            f"{budget.name}: {why}; cannot tell whether today's spend stays under "
            f"{format_usd(budget.usd)}; nothing was sent"
        )
    assert guess.cost_usd_high is not None
    total = spent_today + guess.cost_usd_high
    if total > budget.usd:
        raise BudgetExceeded(
            f"{budget.name}: today's spend would reach {format_usd(total)} "
            f"({format_usd(spent_today)} already + this submission's high estimate "
            f"{format_usd(guess.cost_usd_high)}), over the limit of {format_usd(budget.usd)}; "
            "nothing was sent"
        )


@dataclass(frozen=True, slots=True)
class CostTotal:
    """Money of one profile on one local day (``day`` None: all days together)."""

    profile: str
    day: str | None
    jobs: int = 0
    costed_jobs: int = 0
    """Jobs whose actual cost is known."""
    cost_usd: float = 0.0
    sync_cost_usd: float = 0.0
    saved_usd: float = 0.0
    pending_usd_high: float = 0.0
    """High estimates of jobs with no actual cost yet (queued, running, results not fetched)."""
    unpriced_jobs: int = 0
    """Jobs with a model that has no price (left out of the sums)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "day": self.day,
            "jobs": self.jobs,
            "costed_jobs": self.costed_jobs,
            "cost_usd": round(self.cost_usd, 6),
            "sync_cost_usd": round(self.sync_cost_usd, 6),
            "saved_usd": round(self.saved_usd, 6),
            "pending_usd_high": round(self.pending_usd_high, 6),
            "unpriced_jobs": self.unpriced_jobs,
        }


def _add(total: CostTotal, record: JobRecord) -> CostTotal:
    jobs, costed, cost, sync, saved, pending, unpriced = (
        total.jobs + 1,
        total.costed_jobs,
        total.cost_usd,
        total.sync_cost_usd,
        total.saved_usd,
        total.pending_usd_high,
        total.unpriced_jobs,
    )
    actual = record.cost or {}
    if actual.get("cost_usd") is not None:
        costed += 1
        cost += float(actual["cost_usd"])
        sync += float(actual.get("sync_cost_usd") or 0.0)
        saved += float(actual.get("saved_usd") or 0.0)
    elif actual.get("unpriced_models") or (
        record.estimate is not None and record.estimate.get("cost_usd_high") is None
    ):
        unpriced += 1
    elif not record.is_terminal or record.results_available:
        pending += float(record.estimate_usd_high or 0.0)
    return CostTotal(total.profile, total.day, jobs, costed, cost, sync, saved, pending, unpriced)


def cost_totals(records: Iterable[JobRecord]) -> list[CostTotal]:
    """Totals per profile (``day`` None) and per profile and local day, newest day first."""
    totals: dict[tuple[str, str | None], CostTotal] = {}
    for record in records:
        if not counts_toward_spend(record):
            continue
        day = local_day(record.created_at)
        for key in ((record.profile, None), (record.profile, day)):
            totals[key] = _add(totals.get(key) or CostTotal(key[0], key[1]), record)
    items = sorted(totals.values(), key=lambda t: t.day or "", reverse=True)
    items.sort(key=lambda t: (t.profile, t.day is not None))  # stable: days stay newest first
    return items
