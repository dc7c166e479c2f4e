"""The store's read-only records: jobs, submission intents, runs and events."""

from __future__ import annotations

import enum
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from batchtui.core.models import BatchJob, BatchStatus, Capability, RequestCounts, Timestamps
from batchtui.core.provider import BatchtuiError
from batchtui.core.registry import find_spec, limit_error_codes
from batchtui.core.store.serialize import (
    epoch_time,
    from_epoch,
)

STALE_STATUSES = (BatchStatus.IN_PROGRESS, BatchStatus.FINALIZING)
"""Statuses in which a job whose counts stop moving is marked stale."""


_STATUSES: dict[str, BatchStatus] = {status.value: status for status in BatchStatus}


def status_of(value: str) -> BatchStatus:
    """A stored status (a dict lookup: lists of 10,000 jobs convert it per row)."""
    status = _STATUSES.get(value)
    return status if status is not None else BatchStatus(value)


def _live_counts(provider: str) -> bool:
    """Whether a provider's counts move while a job runs (True for one no longer registered)."""
    spec = find_spec(provider)
    return spec is None or bool(spec.capabilities & Capability.LIVE_COUNTS)


class StoreError(BatchtuiError):
    """The job store cannot do what was asked (unknown id, illegal transition, newer schema)."""


class StoreUnavailable(StoreError):
    """The store's database cannot be reached now (a team store's server is down or the
    connection was lost); nothing was written, and the next call tries again."""


class IntentState(enum.StrEnum):
    """Where a submission stands between "decided to submit" and "the provider has it"."""

    QUEUED = "queued"  # held back locally (profile limits); nothing sent yet
    RECORDED = "recorded"  # committed before any network call
    UPLOADING = "uploading"  # input upload started (OpenAI)
    UPLOADED = "uploaded"  # the provider holds the input file; file id known
    CREATING = "creating"  # the create call may be on the wire
    CREATED = "created"  # batch id known
    UNKNOWN = "unknown"  # create failed ambiguously: a batch may exist
    ABANDONED = "abandoned"  # settled: no batch was created
    FAILED = "failed"  # settled: the provider refused, or the input could not be sent

    @property
    def is_settled(self) -> bool:
        return self in (IntentState.CREATED, IntentState.ABANDONED, IntentState.FAILED)

    @property
    def create_maybe_sent(self) -> bool:
        """True when a create call may have reached the provider."""
        return self in (IntentState.CREATING, IntentState.UNKNOWN)


UNSETTLED_STATES = (
    IntentState.RECORDED,
    IntentState.UPLOADING,
    IntentState.UPLOADED,
    IntentState.CREATING,
    IntentState.UNKNOWN,
)

TRANSITIONS: dict[IntentState, frozenset[IntentState]] = {
    IntentState.QUEUED: frozenset(
        {IntentState.RECORDED, IntentState.ABANDONED, IntentState.FAILED}
    ),
    IntentState.RECORDED: frozenset(
        {IntentState.UPLOADING, IntentState.CREATING, IntentState.ABANDONED, IntentState.FAILED}
    ),
    IntentState.UPLOADING: frozenset(
        {IntentState.UPLOADED, IntentState.ABANDONED, IntentState.FAILED}
    ),
    IntentState.UPLOADED: frozenset(
        {IntentState.CREATING, IntentState.ABANDONED, IntentState.FAILED}
    ),
    IntentState.CREATING: frozenset(
        {IntentState.CREATED, IntentState.UNKNOWN, IntentState.ABANDONED, IntentState.FAILED}
    ),
    # Back to creating only when two looks at the list agreed that no batch was made.
    IntentState.UNKNOWN: frozenset(
        {
            IntentState.CREATED,
            IntentState.UNKNOWN,
            IntentState.CREATING,
            IntentState.ABANDONED,
            IntentState.FAILED,
        }
    ),
    # A batch that turns up after its intent was given up is still ours: attach it.
    IntentState.ABANDONED: frozenset({IntentState.CREATED}),
    IntentState.CREATED: frozenset({IntentState.CREATED}),
    IntentState.FAILED: frozenset(),
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _iso_as(value: datetime | None, other: datetime | None, other_text: str | None) -> str | None:
    """``_iso(value)``, reusing ``other_text`` (``_iso(other)``) when the two times are the
    same instant in the same zone (so the same text)."""
    if value is None:
        return None
    if other is not None and value == other and value.tzinfo is other.tzinfo:
        return other_text
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class IntentRecord:
    """One submission's crash-safety record; shares its local_id with its job row."""

    local_id: str
    profile: str
    provider: str
    state: IntentState
    input_path: Path | None
    sha256: str | None
    request_count: int | None
    input_file_id: str | None
    batch_id: str | None
    window_start: datetime | None
    window_end: datetime | None
    reason: str | None
    options: dict[str, Any]
    pid: int | None
    created_at: datetime
    updated_at: datetime
    uploads_sent: int = 0
    """Upload calls sent for this submission (each may have left a file at the provider)."""
    creates_sent: int = 0
    """Create calls sent for this submission (more than one only after two looks at the
    provider's list agreed that the earlier one made nothing)."""
    host: str | None = None
    """The machine whose process `pid` is (None: recorded before stores were shared)."""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> IntentRecord:
        """Build from an `intents` row."""
        return cls(
            local_id=row["local_id"],
            profile=row["profile"],
            provider=row["provider"],
            state=IntentState(row["state"]),
            input_path=Path(row["input_path"]) if row["input_path"] else None,
            sha256=row["sha256"],
            request_count=row["request_count"],
            input_file_id=row["input_file_id"],
            batch_id=row["batch_id"],
            window_start=from_epoch(row["window_start"]),
            window_end=from_epoch(row["window_end"]),
            reason=row["reason"],
            options=json.loads(row["options"] or "{}"),
            pid=row["pid"],
            created_at=epoch_time(row["created_at"]),
            updated_at=epoch_time(row["updated_at"]),
            uploads_sent=row["uploads_sent"],
            creates_sent=row["creates_sent"],
            host=row["host"],
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A group of jobs: one submission (possibly split in parts) and its retries."""

    id: str
    label: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.id, "label": self.label, "created_at": _iso(self.created_at)}


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a job's local history."""

    id: int
    local_id: str
    at: datetime
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class JobRecord:
    """What the store knows of one job: local facts plus the provider's latest snapshot."""

    local_id: str
    id: str | None  # the provider's batch id; None until the provider accepted it
    provider: str
    profile: str
    status: BatchStatus
    raw_status: str | None
    counts: RequestCounts
    times: Timestamps
    run_id: str
    label: str | None = None
    parent_local_id: str | None = None
    parent_id: str | None = None  # the parent's provider id, when it has one
    part_index: int | None = None
    model: str | None = None
    endpoint: str | None = None
    input_path: Path | None = None
    input_sha256: str | None = None
    request_count: int | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results_path: Path | None = None
    results_offsets: dict[str, int] = field(default_factory=dict)
    results_complete: bool = False
    adopted: bool = False
    notes: str | None = None
    intent_state: IntentState | None = None
    created_at: datetime | None = None  # local: when the store first saw the job
    updated_at: datetime | None = None
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    snapshot: BatchJob | None = None
    estimate: dict[str, Any] | None = None
    """The estimate made at submission (`costs.Estimate.as_dict()`), or None."""
    cost: dict[str, Any] | None = None
    """The actual cost (`costs.Cost.as_dict()` plus ``source``), or None until it is known."""
    progress_at: datetime | None = None
    """When the store last saw the counts or the status move (local clock)."""
    cleaned: dict[str, Any] | None = None
    """What `clean` deleted at the provider: ``{"files": {id: role}, "batch": bool, "at"}``."""
    failure: dict[str, Any] | None = None
    """A provider limit or quota refusal of the submission: ``{code, message}``."""
    stray_files: tuple[str, ...] = ()
    """Uploaded files of this submission that its batch does not use and that could not be
    deleted yet (an upload sent again after an ambiguous failure); `clean` lists them."""
    submitted_by: str | None = None
    """Who submitted it (``submitted_by`` of the config, else user@host); None if adopted."""

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def cost_usd(self) -> float | None:
        """The actual cost in US dollars, or None (not known yet, or no price)."""
        return self.cost.get("cost_usd") if self.cost else None

    @property
    def estimate_usd_high(self) -> float | None:
        """The high estimate made at submission, or None (no estimate, or no price)."""
        return self.estimate.get("cost_usd_high") if self.estimate else None

    @property
    def estimated_input_tokens(self) -> int:
        """Estimated input tokens of the submission (0 when unknown, e.g. adopted jobs)."""
        return int(self.estimate.get("input_tokens") or 0) if self.estimate else 0

    @property
    def limit_error(self) -> dict[str, str | None] | None:
        """The provider's enqueued-limit, quota or spend-limit refusal, as ``{code, message}``.

        From the batch's own errors or from the create's refusal, when the code is one of the
        provider's ``limit_error_codes`` (e.g. OpenAI's ``token_limit_exceeded``).
        """
        codes = limit_error_codes(self.provider)
        if not codes:
            return None
        if self.snapshot is not None:
            for err in self.snapshot.errors:
                if err.code in codes:
                    return {"code": err.code, "message": err.message}
        if self.failure and self.failure.get("code") in codes:
            return {"code": self.failure.get("code"), "message": self.failure.get("message")}
        return None

    @property
    def may_be_stale(self) -> bool:
        """Whether the job is in a status that can be stale (in progress, finalizing): in any
        other, `stale_since` is None and the job is never stale."""
        return self.status in STALE_STATUSES

    def stale_since(self, after_s: float) -> datetime | None:
        """When this job counts as stale if nothing moves: ``after_s`` past its last progress.

        None unless it is in progress or finalizing. Providers whose counts do not move while a
        job runs (no ``LIVE_COUNTS``, e.g. Anthropic) are measured from the job's expiry time
        instead: an unended batch past its window is stuck.
        """
        if not self.may_be_stale:
            return None
        if not _live_counts(self.provider):
            start = self.times.expires_at
        else:
            start = (
                self.progress_at
                or self.times.finalizing_at
                or self.times.in_progress_at
                or self.times.created_at
                or self.created_at
            )
        return start + timedelta(seconds=after_s) if start is not None else None

    def is_stale(self, now: datetime, after_s: float, *, watched: bool = False) -> bool:
        """Whether the counts have not moved for ``after_s`` seconds, as seen by a poll since
        (or while ``watched``: a running poller follows the job)."""
        since = self.stale_since(after_s)
        if since is None or now < since:
            return False
        return watched or (self.last_polled_at is not None and self.last_polled_at >= since)

    @property
    def results_available(self) -> bool:
        return bool(self.snapshot and self.snapshot.results_available)

    @property
    def display_id(self) -> str:
        """The provider id when known, else the local id."""
        return self.id or self.local_id

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | sqlite3.Row) -> JobRecord:
        """Build from a `jobs` row joined with its parent's batch id and its intent state
        (`rows.JOB_SELECT`; many rows at once: `row_records.job_records`)."""
        from batchtui.core.store.row_records import job_records  # it builds on this module

        names = list(row.keys())
        return job_records(names, [[row[name] for name in names]], brief=False)[0]

    def to_json(self) -> dict[str, Any]:
        """The stable `--json` object of the CLI (docs/ARCHITECTURE.md "Headless JSON
        contract": id is the provider's id or null)."""
        # Each time is written out once: the provider's creation time is also in
        # ``timestamps``, and the local times are often equal to one another.
        timestamps = self.times.as_dict()
        recorded = _iso(self.created_at)
        updated = _iso_as(self.updated_at, self.created_at, recorded)
        return {
            "id": self.id,
            "local_id": self.local_id,
            "provider": self.provider,
            "profile": self.profile,
            "status": self.status.value,
            "raw_status": self.raw_status,
            "label": self.label,
            "counts": self.counts.as_dict(),
            "request_count": self.request_count,
            "created_at": timestamps["created_at"] if self.times.created_at else recorded,
            "recorded_at": recorded,
            "updated_at": updated,
            "timestamps": timestamps,
            "parent": self.parent_id or self.parent_local_id,
            "parent_local_id": self.parent_local_id,
            "run_id": self.run_id,
            "part": self.part_index,
            "model": self.model,
            "endpoint": self.endpoint,
            "input_file_id": self.input_file_id,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "results_available": self.results_available,
            "results_complete": self.results_complete,
            "adopted": self.adopted,
            "intent_state": self.intent_state.value if self.intent_state else None,
            "input_sha256": self.input_sha256,
            "notes": self.notes,
            "estimate": self.estimate,
            "cost": self.cost,
            "progress_at": _iso_as(self.progress_at, self.updated_at, updated),
            "limit_error": self.limit_error,
            "cleaned": self.cleaned,
            "stray_files": list(self.stray_files),
            "submitted_by": self.submitted_by,
        }
