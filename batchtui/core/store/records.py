"""The store's read-only records: jobs, submission intents, runs and events."""

from __future__ import annotations

import enum
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.core.provider import BatchtuiError
from batchtui.core.store.serialize import (
    counts_from_dict,
    from_epoch,
    job_from_dict,
    times_from_dict,
)


class StoreError(BatchtuiError):
    """The job store cannot do what was asked (unknown id, illegal transition, newer schema)."""


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
    IntentState.UNKNOWN: frozenset(
        {IntentState.CREATED, IntentState.UNKNOWN, IntentState.ABANDONED, IntentState.FAILED}
    ),
    # A batch that turns up after its intent was given up is still ours: attach it.
    IntentState.ABANDONED: frozenset({IntentState.CREATED}),
    IntentState.CREATED: frozenset({IntentState.CREATED}),
    IntentState.FAILED: frozenset(),
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


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
            created_at=from_epoch(row["created_at"]),  # type: ignore[arg-type]
            updated_at=from_epoch(row["updated_at"]),  # type: ignore[arg-type]
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

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def results_available(self) -> bool:
        return bool(self.snapshot and self.snapshot.results_available)

    @property
    def display_id(self) -> str:
        """The provider id when known, else the local id."""
        return self.id or self.local_id

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> JobRecord:
        """Build from a `jobs` row joined with its parent's batch id and its intent state."""
        snapshot = job_from_dict(json.loads(row["snapshot"])) if row["snapshot"] else None
        return cls(
            local_id=row["local_id"],
            id=row["batch_id"],
            provider=row["provider"],
            profile=row["profile"],
            status=BatchStatus(row["status"]),
            raw_status=row["raw_status"],
            counts=counts_from_dict(json.loads(row["counts"] or "{}")),
            times=times_from_dict(json.loads(row["times"] or "{}")),
            run_id=row["run_id"],
            label=row["label"],
            parent_local_id=row["parent_local_id"],
            parent_id=row["parent_batch_id"],
            part_index=row["part_index"],
            model=row["model"],
            endpoint=row["endpoint"],
            input_path=Path(row["input_path"]) if row["input_path"] else None,
            input_sha256=row["input_sha256"],
            request_count=row["request_count"],
            input_file_id=row["input_file_id"],
            output_file_id=row["output_file_id"],
            error_file_id=row["error_file_id"],
            results_path=Path(row["results_path"]) if row["results_path"] else None,
            results_offsets={k: int(v) for k, v in json.loads(row["results_offsets"]).items()},
            results_complete=bool(row["results_complete"]),
            adopted=bool(row["adopted"]),
            notes=row["notes"],
            intent_state=IntentState(row["intent_state"]) if row["intent_state"] else None,
            created_at=from_epoch(row["created_at"]),
            updated_at=from_epoch(row["updated_at"]),
            last_polled_at=from_epoch(row["last_polled_at"]),
            next_poll_at=from_epoch(row["next_poll_at"]),
            snapshot=snapshot,
        )

    def to_json(self) -> dict[str, Any]:
        """The stable `--json` object of the CLI (DESIGN.md: id is the provider's id or null)."""
        provider_created = self.times.created_at
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
            "created_at": _iso(provider_created or self.created_at),
            "recorded_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "timestamps": self.times.as_dict(),
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
        }
