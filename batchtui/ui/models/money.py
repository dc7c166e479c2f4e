"""Money as the dashboard shows it: a job's estimate and actual cost, cells, and totals.

The figures come from the core (`JobRecord.estimate` / `JobRecord.cost`, dicts written by
`batchtui.core.costs`; `Workspace.cost_totals()`); this module only reads and formats them, and
never loads the price database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtui.core.budget import CostTotal
    from batchtui.ui.models.jobs import JobView

NO_VALUE = "—"
NO_PRICE = "no price"


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """A job's cost before it ran: low (empty answers) to high (every answer at max_tokens)."""

    requests: int = 0
    input_tokens: int = 0
    max_output_tokens: int = 0
    low: float | None = None
    high: float | None = None
    unpriced: tuple[str, ...] = ()
    uncapped: int = 0

    @property
    def priced(self) -> bool:
        return self.high is not None and not self.unpriced


@dataclass(frozen=True, slots=True)
class CostActual:
    """A job's cost from its results' usage, beside the synchronous price of the same."""

    cost: float | None = None
    sync_cost: float | None = None
    saved: float | None = None
    unpriced: tuple[str, ...] = ()
    requests: int = 0

    @property
    def priced(self) -> bool:
        return self.cost is not None and not self.unpriced


def _number(data: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def estimate_of(data: Mapping[str, Any] | None) -> CostEstimate | None:
    """A `CostEstimate` from the record's ``estimate`` (`costs.Estimate.as_dict()`), or None."""
    return estimate_figures(data) if data else None


def estimate_figures(data: Mapping[str, Any]) -> CostEstimate:
    """A `CostEstimate` from `costs.Estimate.as_dict()`."""
    return CostEstimate(
        requests=int(data.get("requests") or 0),
        input_tokens=int(data.get("input_tokens") or 0),
        max_output_tokens=int(data.get("max_output_tokens") or 0),
        low=_number(data, "cost_usd_low", "low"),
        high=_number(data, "cost_usd_high", "high"),
        unpriced=tuple(str(m) for m in data.get("unpriced_models") or ()),
        uncapped=int(data.get("uncapped_requests") or 0),
    )


def actual_of(
    data: Mapping[str, Any] | None, fallback_cost: float | None = None
) -> CostActual | None:
    """A `CostActual` from the record's ``cost`` (`costs.Cost.as_dict()` plus ``source``),
    else from a bare ``cost_usd`` figure."""
    if not data:
        return None if fallback_cost is None else CostActual(cost=fallback_cost)
    cost = _number(data, "cost_usd")
    sync = _number(data, "sync_cost_usd")
    saved = _number(data, "saved_usd")
    if saved is None and cost is not None and sync is not None:
        saved = sync - cost
    return CostActual(
        cost=cost,
        sync_cost=sync,
        saved=saved,
        unpriced=tuple(sorted(str(m) for m in data.get("unpriced_models") or ())),
        requests=int(data.get("requests") or 0),
    )


# --------------------------------------------------------------------------- formatting


def usd(value: float) -> str:
    """``$0.0123`` below a dollar, ``$12.34`` below a hundred, ``$1,234`` above; ``<$0.0001``
    for amounts too small to show."""
    if value == 0:
        return "$0"
    if 0 < value < 0.00005:
        return "<$0.0001"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.4f}"


def usd_range(low: float, high: float) -> str:
    """A compact range for a narrow column: ``$0.01–0.05``, or ``≤$0.05`` when the low end
    rounds to nothing at the precision the high end needs."""
    if high >= 100:
        digits, fmt = 0, "{:,.0f}"
    elif high >= 0.01:
        digits, fmt = 2, "{:,.2f}"
    else:
        digits, fmt = 4, "{:.4f}"
    high_text = fmt.format(high)
    if round(low, digits) <= 0 or high < 0.01 or fmt.format(low) == high_text:
        return f"≤${high_text}"
    return f"${fmt.format(low)}–{high_text}"


@dataclass(frozen=True, slots=True)
class CostCell:
    """The cost column of one job: its text and whether it is an actual figure."""

    text: str
    actual: bool = False


def cost_cell(actual: CostActual | None, estimate: CostEstimate | None) -> CostCell:
    """Actual cost when known, else the estimate range, "no price" for unpriced models."""
    if actual is not None and (actual.cost is not None or actual.unpriced):
        return CostCell(usd(actual.cost) if actual.priced else NO_PRICE, True)  # type: ignore[arg-type]
    if estimate is not None:
        if not estimate.priced:
            return CostCell(NO_PRICE)
        return CostCell(usd_range(estimate.low or 0.0, estimate.high or 0.0))
    return CostCell(NO_VALUE)


def estimate_text(estimate: CostEstimate) -> str:
    """The estimate in the detail panel: ``$0.0100–$0.0500`` or why there is no price."""
    if not estimate.priced:
        named = [m for m in estimate.unpriced if not m.startswith("(")]
        if len(named) < len(estimate.unpriced):  # "(none)", "(unknown model)"
            named.append("requests without a model")
        return NO_PRICE + (f" ({', '.join(named)})" if named else "")
    low, high = usd(estimate.low or 0.0), usd(estimate.high or 0.0)
    negligible = low in ("$0", "$0.0000", "<$0.0001") or low == high
    text = f"≤{high}" if negligible else f"{low}–{high}"
    if estimate.uncapped:
        text += f" (+{estimate.uncapped:,} without max_tokens)"
    return text


# --------------------------------------------------------------------------- totals


@dataclass(frozen=True, slots=True)
class CostTotals:
    """Spending to show in the status line: per profile and for today."""

    per_profile: tuple[tuple[str, float], ...] = ()
    today: float | None = None
    unpriced: bool = False
    pending: float = 0.0
    """High estimates of jobs whose actual cost is not known yet (running, queued)."""

    @property
    def is_empty(self) -> bool:
        return not self.per_profile and self.today is None

    def text(self) -> str:
        """``today $0.0123 · pending ≤$0.20 · all days openai $0.80, anthropic $0.43`` (empty
        when nothing is known; the most telling figures first, the line may be cut)."""
        parts = []
        if self.today is not None:
            parts.append(f"today {usd(self.today)}")
        if self.pending > 0:
            parts.append(f"pending ≤{usd(self.pending)}")
        if self.per_profile:
            parts.append(
                "all days " + ", ".join(f"{name} {usd(value)}" for name, value in self.per_profile)
            )
        if self.unpriced and parts:
            parts.append("some unpriced")
        return " · ".join(parts)


def totals_from_core(
    totals: Iterable[CostTotal | Mapping[str, Any]], today: str
) -> CostTotals | None:
    """Read `Workspace.cost_totals()`: `CostTotal` rows (or their ``as_dict()`` form) with
    ``profile``, ``day`` (None for all days) and ``cost_usd``. None when the rows are not
    understood (not a list of rows, or a row without a profile or a cost)."""
    if isinstance(totals, str | bytes | Mapping):
        return None
    per_profile: dict[str, float] = {}
    today_total: float | None = None
    unpriced = False
    pending = 0.0
    for row in totals:
        data = row if isinstance(row, Mapping) else row.as_dict()
        profile = data.get("profile")
        cost = _number(data, "cost_usd")
        if profile is None or cost is None:
            return None
        day = data.get("day")
        if day is None:
            per_profile[str(profile)] = per_profile.get(str(profile), 0.0) + cost
            unpriced = unpriced or bool(data.get("unpriced_jobs"))
            pending += _number(data, "pending_usd_high") or 0.0
        elif str(day)[:10] == today:
            today_total = (today_total or 0.0) + cost
    return CostTotals(tuple(sorted(per_profile.items())), today_total, unpriced, pending)


def totals_from_jobs(jobs: Iterable[JobView], now: datetime) -> CostTotals:
    """Totals summed from the jobs' actual costs (shown until the core's totals are read)."""
    per: dict[str, float] = {}
    today: float | None = None
    unpriced = False
    for job in jobs:
        actual = job.cost
        if actual is None:
            continue
        if not actual.priced:
            unpriced = unpriced or bool(actual.unpriced)
            continue
        amount = actual.cost or 0.0
        name = job.profile or job.provider
        per[name] = per.get(name, 0.0) + amount
        when = job.created_at
        if when is not None and when.date() == now.date():
            today = (today or 0.0) + amount
    return CostTotals(tuple(sorted(per.items())), today, unpriced)
