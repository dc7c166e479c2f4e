"""What the job table and detail panel show: `JobView` built from a store record, and its cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from batchtui.core.models import (
    BatchJob,
    BatchStatus,
    ProviderErrorDetail,
    RequestCounts,
    Timestamps,
)

BAR_CELLS = 8
NO_VALUE = "—"


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

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def any_id(self) -> str:
        """The id to hand back to the workspace (provider id when known, else local id)."""
        return self.local_id


def job_view(record: Any) -> JobView:
    """Flatten the store's `JobRecord` (or a bare `BatchJob` snapshot) into a `JobView`."""
    if isinstance(record, JobView):
        return record
    if isinstance(record, BatchJob):
        return _from_snapshot(record)
    snap: BatchJob | None = getattr(record, "snapshot", None)
    input_path = getattr(record, "input_path", None)
    return JobView(
        local_id=str(record.local_id),
        label=record.label or "",
        provider=record.provider,
        profile=record.profile,
        status=BatchStatus(record.status),
        raw_status=record.raw_status or "",
        provider_id=record.id,
        counts=record.counts,
        times=record.times,
        created_at=record.created_at or record.times.created_at,
        model=record.model or (snap.model if snap else None),
        input_path=None if input_path is None else str(input_path),
        input_file_id=record.input_file_id,
        output_file_id=record.output_file_id,
        error_file_id=record.error_file_id,
        errors=tuple(snap.errors) if snap else (),
        parent_id=record.parent_local_id,
        results_available=bool(record.results_available),
        results_complete=bool(getattr(record, "results_complete", False)),
        cost_usd=getattr(record, "cost_usd", None),
        note=getattr(record, "notes", None),
    )


def _from_snapshot(job: BatchJob) -> JobView:
    return JobView(
        local_id=job.id,
        label=job.metadata.get("label", ""),
        provider=job.provider,
        profile=job.profile or "",
        status=job.status,
        raw_status=job.raw_status,
        provider_id=job.id,
        counts=job.counts,
        times=job.times,
        created_at=job.times.created_at,
        model=job.model,
        input_file_id=job.input_file_id,
        output_file_id=job.output_file_id,
        error_file_id=job.error_file_id,
        errors=tuple(job.errors),
        results_available=job.results_available,
    )


# --------------------------------------------------------------------------- cell formatting


def short_id(provider_id: str | None, local_id: str = "", width: int = 13) -> str:
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
        return None
    return min(1.0, counts.done / counts.total)


def progress_text(view: JobView, cells: int = BAR_CELLS) -> str:
    """A text progress bar such as ``▰▰▰▰▰▱▱▱  62%``."""
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


def cost_text(view: JobView) -> str:
    """The cost column; a dash until a figure exists."""
    return NO_VALUE if view.cost_usd is None else f"${view.cost_usd:,.2f}"


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
        return [name for name in names if getattr(self, name) != getattr(other, name)]


COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("label", "Label", None),
    ("provider", "Profile", 14),
    ("short_id", "Id", 13),
    ("status", "Status", 11),
    ("progress", "Progress", 13),
    ("counts", "OK/Err/Total", 12),
    ("age", "Age", 5),
    ("eta", "ETA", 6),
    ("cost", "Cost", 6),
)
"""(column key, header, fixed width or None) of the job table, in display order."""


LABEL_MAX = 40


def display_label(view: JobView) -> str:
    """The job's label, else its (short) provider id, e.g. for a job adopted from elsewhere."""
    return view.label or short_id(view.provider_id, view.local_id, width=20)


def job_row(view: JobView, now: datetime, depth: int = 0) -> JobRow:
    """The cells of one job for the table; `depth` > 0 marks a retry under its parent."""
    label = display_label(view)
    if len(label) > LABEL_MAX:
        label = label[: LABEL_MAX - 1] + "…"
    if depth:
        label = "  " * (depth - 1) + "└ " + label
    provider = view.profile or view.provider
    if view.provider and view.provider not in provider:
        provider = f"{view.provider}/{provider}"
    return JobRow(
        label=label,
        provider=provider,
        short_id=short_id(view.provider_id, view.local_id),
        status=view.status.value,
        progress=progress_text(view),
        counts=counts_text(view.counts),
        age=age_text(view, now),
        eta=eta_text(view, now),
        cost=cost_text(view),
    )


# --------------------------------------------------------------------------- ordering


SORT_KEYS: tuple[str, ...] = ("created", "label", "provider", "status", "progress", "age")
"""Columns the `s` key cycles through; "created" is the default (oldest first)."""

_STATUS_ORDER = {status: index for index, status in enumerate(BatchStatus)}


def sort_value(view: JobView, key: str) -> Any:
    """The value a job sorts by for a sort key (a column key or "created")."""
    if key == "label":
        return display_label(view).lower()
    if key == "provider":
        return (view.provider, view.profile)
    if key == "status":
        return _STATUS_ORDER[view.status]
    if key == "progress":
        return fraction_done(view) or 0.0
    if key in ("age", "created"):
        created = view.created_at or view.times.created_at
        return created.timestamp() if created else 0.0
    if key == "short_id":
        return view.provider_id or ""
    if key == "counts":
        return view.counts.errored
    return view.local_id


def depths(views: Mapping[str, JobView]) -> dict[str, int]:
    """How many retry generations separate each job from the root of its run."""
    result: dict[str, int] = {}
    for local_id in views:
        depth, seen, current = 0, {local_id}, views[local_id].parent_id
        while current and current in views and current not in seen:
            depth += 1
            seen.add(current)
            current = views[current].parent_id
        result[local_id] = depth
    return result


def order_jobs(
    views: Mapping[str, JobView], key: str = "created", reverse: bool = False
) -> list[str]:
    """Local ids in display order: roots sorted by `key`, each followed by its retries."""
    children: dict[str | None, list[str]] = {}
    for local_id, view in views.items():
        parent = view.parent_id if view.parent_id in views else None
        children.setdefault(parent, []).append(local_id)

    def sorted_ids(ids: Iterable[str], by: str, rev: bool) -> list[str]:
        return sorted(ids, key=lambda i: (sort_value(views[i], by), views[i].local_id), reverse=rev)

    order: list[str] = []
    seen: set[str] = set()

    def visit(local_id: str) -> None:
        if local_id in seen:
            return
        seen.add(local_id)
        order.append(local_id)
        for child in sorted_ids(children.get(local_id, []), "created", False):
            visit(child)

    for root in sorted_ids(children.get(None, []), key, reverse):
        visit(root)
    for local_id in views:  # cycles in parent links: still show every job once
        visit(local_id)
    return order


def children_of(views: Mapping[str, JobView], local_id: str) -> list[str]:
    """Local ids of the direct retries of a job."""
    return [v.local_id for v in views.values() if v.parent_id == local_id]


# --------------------------------------------------------------------------- filtering


@dataclass(frozen=True, slots=True)
class JobQuery:
    """A parsed `/` filter: ``status:failed provider:openai words...`` (all must match)."""

    words: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> JobQuery:
        words: list[str] = []
        statuses: list[str] = []
        providers: list[str] = []
        for token in text.lower().split():
            name, sep, value = token.partition(":")
            if sep and value and name in ("status", "s", "is"):
                statuses.append(value)
            elif sep and value and name in ("provider", "p", "profile"):
                providers.append(value)
            else:
                words.append(token)
        return cls(tuple(words), tuple(statuses), tuple(providers))

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.statuses or self.providers)

    def matches(self, view: JobView) -> bool:
        """True when the job passes every part of the filter."""
        if self.statuses and not any(view.status.value.startswith(s) for s in self.statuses):
            return False
        if self.providers and not any(
            p in view.provider.lower() or p in view.profile.lower() for p in self.providers
        ):
            return False
        haystack = " ".join(
            [
                view.label,
                view.local_id,
                view.provider_id or "",
                view.provider,
                view.profile,
                view.status.value,
                view.model or "",
            ]
        ).lower()
        return all(word in haystack for word in self.words)


def visible_ids(views: Mapping[str, JobView], query: JobQuery, order: Sequence[str]) -> list[str]:
    """The ordered ids that pass the filter."""
    if query.is_empty:
        return list(order)
    return [local_id for local_id in order if query.matches(views[local_id])]
