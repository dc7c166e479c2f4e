"""What the job table and detail panel show: `JobView` built from a store record, and its cells."""

from __future__ import annotations

from dataclasses import astuple, dataclass, field, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from batchtui.core.models import BatchStatus, ProviderErrorDetail, RequestCounts, Timestamps
from batchtui.ui.models.money import (
    CostActual,
    CostCell,
    CostEstimate,
    actual_of,
    cost_cell,
    estimate_of,
)

if TYPE_CHECKING:
    from batchtui.core.store import JobRecord

BAR_CELLS = 8
NO_VALUE = "—"
STALE_MARK = "⚠ stale"


@dataclass(frozen=True, slots=True)
class JobView:
    """Everything the dashboard shows about one job, flattened from the store's record."""

    local_id: str
    label: str
    provider: str
    profile: str
    status: BatchStatus
    raw_status: str = ""
    provider_id: str | None = None
    counts: RequestCounts = field(default_factory=RequestCounts)
    progress: float | None = None
    """The provider's own fraction done, for providers that report no counts."""
    times: Timestamps = field(default_factory=Timestamps)
    created_at: datetime | None = None
    model: str | None = None
    input_path: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[ProviderErrorDetail, ...] = ()
    parent_id: str | None = None
    results_available: bool = False
    results_complete: bool = False
    cost_usd: float | None = None
    note: str | None = None
    estimate: CostEstimate | None = None
    cost: CostActual | None = None
    stale_at: datetime | None = None
    """When the job counts as stale if its counts still have not moved (None: never)."""
    still_since: datetime | None = None
    """Since when its counts have not moved (what "stale 42m" measures from)."""
    polled_at: datetime | None = None
    watched: bool = False
    """The running poller follows the job: its unchanged polls are not stored, but they
    happen, so no stored poll is needed to confirm it is stuck (as the core decides)."""
    submitted_by: str | None = None
    """Who submitted it, where the store records that (a team store)."""

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    def stale_for(self, now: datetime) -> float | None:
        """Seconds the counts have stood still, when the job is stale at `now`; else None.

        Stale means past `stale_at`, confirmed by a poll made since or by the poller following
        the job (as the core's `Workspace.stale_since` decides).
        """
        if self.stale_at is None or self.status.is_terminal or now < self.stale_at:
            return None
        polled = self.polled_at is not None and self.polled_at >= self.stale_at
        if not (polled or self.watched):
            return None
        return max(0.0, (now - (self.still_since or self.stale_at)).total_seconds())

    @property
    def any_id(self) -> str:
        """The id to hand back to the workspace (provider id when known, else local id)."""
        return self.local_id


_UNKNOWN: Any = object()


def _stale_times(
    record: JobRecord, after_s: float | None, at: datetime | None = _UNKNOWN
) -> tuple[datetime | None, datetime | None]:
    """(stale_at, still_since) of a record for a threshold, through the core's `stale_since`
    (`at`: its answer for this threshold, when the caller has it already)."""
    if after_s is None or after_s <= 0:
        return None, None
    if at is _UNKNOWN:
        at = record.stale_since(after_s)
    if at is None:
        return None, None
    return at, at - timedelta(seconds=after_s)


def job_view(
    record: JobRecord,
    stale_after_s: float | None = None,
    *,
    watched: bool = False,
    stale_since: datetime | None = _UNKNOWN,
) -> JobView:
    """Flatten the store's `JobRecord` into a `JobView`.

    `stale_after_s` is the profile's threshold for the stale marker (None: no marker);
    `watched` says the running poller follows the job; `stale_since` is
    ``record.stale_since(stale_after_s)`` when the caller has worked it out already.
    """
    snap = record.snapshot
    stale_at, still_since = _stale_times(record, stale_after_s, stale_since)
    return JobView(
        local_id=record.local_id,
        label=record.label or "",
        provider=record.provider,
        profile=record.profile,
        status=record.status,
        raw_status=record.raw_status or "",
        provider_id=record.id,
        counts=record.counts,
        progress=snap.progress if snap else None,
        times=record.times,
        created_at=record.created_at or record.times.created_at,
        model=record.model or (snap.model if snap else None),
        input_path=None if record.input_path is None else str(record.input_path),
        input_file_id=record.input_file_id,
        output_file_id=record.output_file_id,
        error_file_id=record.error_file_id,
        errors=tuple(snap.errors) if snap else (),
        parent_id=record.parent_local_id,
        results_available=record.results_available,
        results_complete=record.results_complete,
        cost_usd=record.cost_usd,
        note=record.notes,
        estimate=estimate_of(record.estimate),
        cost=actual_of(record.cost, record.cost_usd),
        stale_at=stale_at,
        still_since=still_since,
        polled_at=record.last_polled_at,
        watched=watched,
        submitted_by=record.submitted_by,
    )


# --------------------------------------------------------------------------- cell formatting


def short_id(provider_id: str | None, local_id: str = "", width: int = 12) -> str:
    """A provider id shortened to fit a column, keeping its distinctive tail."""
    if not provider_id:
        return f"local:{local_id[:6]}" if local_id else NO_VALUE
    if len(provider_id) <= width:
        return provider_id
    return "…" + provider_id[-(width - 1) :]


def fraction_done(view: JobView) -> float | None:
    """How far the job is, 0..1, or None when nothing is known yet."""
    counts = view.counts
    if view.status is BatchStatus.COMPLETED:
        return 1.0
    if counts.total <= 0:
        return view.progress
    return min(1.0, counts.done / counts.total)


def progress_text(view: JobView, cells: int = BAR_CELLS) -> str:
    """A text progress bar such as ``▰▰▰▰▰▱▱▱  62%`` ("held locally" while QUEUED)."""
    if view.status is BatchStatus.QUEUED:
        return "held locally"
    fraction = fraction_done(view)
    if fraction is None:
        return "▱" * cells + "    " + "?"
    filled = round(fraction * cells)
    return "▰" * filled + "▱" * (cells - filled) + f" {round(fraction * 100):>3d}%"


def counts_text(counts: RequestCounts) -> str:
    """Succeeded / errored / total, e.g. ``480/20/500``."""
    if counts.total <= 0:
        return NO_VALUE
    return f"{counts.succeeded}/{counts.errored}/{counts.total}"


def duration_text(seconds: float) -> str:
    """A compact duration: ``42s``, ``7m``, ``3h05m``, ``2d4h``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"


def age_text(view: JobView, now: datetime) -> str:
    """Time since the job was created."""
    start = view.created_at or view.times.created_at
    if start is None:
        return NO_VALUE
    return duration_text((now - start).total_seconds())


def eta_seconds(view: JobView, now: datetime) -> float | None:
    """Linear estimate of the time left from the progress rate so far, or None."""
    if view.is_terminal:
        return None
    counts = view.counts
    start = view.times.in_progress_at or view.times.created_at or view.created_at
    if start is None or counts.total <= 0 or counts.done <= 0:
        return None
    elapsed = (now - start).total_seconds()
    if elapsed <= 0:
        return None
    return elapsed * (counts.total - counts.done) / counts.done


def eta_text(view: JobView, now: datetime) -> str:
    """The ETA column: ``~4m`` or a dash."""
    seconds = eta_seconds(view, now)
    return NO_VALUE if seconds is None else "~" + duration_text(seconds)


def cost_of(view: JobView) -> CostCell:
    """The cost column: actual cost, else the estimate range, "no price", or a dash."""
    return cost_cell(view.cost, view.estimate)


def status_text(view: JobView, now: datetime, compact: bool = False) -> str:
    """The status, with a stale marker when counts stood still too long: ``in_progress ⚠
    stale 42m``; `compact` (narrow tables) keeps only the marker, ``⚠ stale 42m``."""
    stuck = view.stale_for(now)
    if stuck is None:
        return view.status.value
    marker = f"{STALE_MARK} {duration_text(stuck)}"
    return marker if compact else f"{view.status.value} {marker}"


@dataclass(frozen=True, slots=True)
class JobRow:
    """The plain text of every cell of one job-table row, keyed like the table's columns."""

    label: str
    provider: str
    short_id: str
    status: str
    progress: str
    counts: str
    age: str
    eta: str
    cost: str

    def changed(self, other: JobRow | None) -> list[str]:
        """Names of the columns whose text differs from `other` (all when other is None)."""
        names = [f.name for f in fields(self)]
        if other is None:
            return names
        pairs = zip(names, astuple(self), astuple(other), strict=True)
        return [name for name, mine, theirs in pairs if mine != theirs]


COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("label", "Label", None),
    ("provider", "Profile", 12),
    ("short_id", "Id", 12),
    ("status", "Status", None),
    ("progress", "Progress", 13),
    ("counts", "OK/Err/All", 10),
    ("age", "Age", 5),
    ("eta", "ETA", 6),
    ("cost", "Cost", 10),
)
"""(column key, header, fixed width or None) of the job table, in display order; label and
status grow with their text (a stale marker widens the status)."""


LABEL_MAX = 40
SHORT_LABEL_WIDTH = 20
"""Width of the shortened provider id that labels a job without a label of its own."""


def display_label(view: JobView) -> str:
    """The job's label, else its (short) provider id, e.g. for a job adopted from elsewhere."""
    return view.label or short_id(view.provider_id, view.local_id, width=SHORT_LABEL_WIDTH)


def label_text(view: JobView, depth: int = 0) -> str:
    """The label cell: the display label cut to `LABEL_MAX`, indented under its parent when
    `depth` > 0 (a retry)."""
    label = display_label(view)
    if len(label) > LABEL_MAX:
        label = label[: LABEL_MAX - 1] + "…"
    if depth:
        label = "  " * (depth - 1) + "└ " + label
    return label


def job_row(view: JobView, now: datetime, depth: int = 0, compact: bool = False) -> JobRow:
    """The cells of one job for the table; `depth` > 0 marks a retry under its parent;
    `compact` shortens the stale marker for narrow tables."""
    label = label_text(view, depth)
    provider = view.profile or view.provider
    if view.provider and view.provider not in provider:
        provider = f"{view.provider}/{provider}"
    return JobRow(
        label=label,
        provider=provider,
        short_id=short_id(view.provider_id, view.local_id),
        status=status_text(view, now, compact),
        progress=progress_text(view),
        counts=counts_text(view.counts),
        age=age_text(view, now),
        eta=eta_text(view, now),
        cost=cost_of(view).text,
    )
