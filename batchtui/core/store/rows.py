"""Row-level operations shared by the store's parts; each runs inside the caller's transaction."""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from typing import Any

from batchtui.core.config import redact
from batchtui.core.models import BatchJob, BatchStatus
from batchtui.core.paths import machine_name
from batchtui.core.store.database import Connection
from batchtui.core.store.reconcile import job_matches_intent
from batchtui.core.store.records import (
    TRANSITIONS,
    IntentRecord,
    IntentState,
    JobRecord,
    StoreError,
)
from batchtui.core.store.serialize import dumps, job_from_dict, job_to_dict

_JOB_FROM = """
    FROM jobs j
    LEFT JOIN jobs p ON p.local_id = j.parent_local_id
    LEFT JOIN intents i ON i.local_id = j.local_id
"""
_JOB_COLUMNS = "j.*, p.batch_id AS parent_batch_id, i.state AS intent_state"

JOB_SELECT = f"SELECT {_JOB_COLUMNS}{_JOB_FROM}"
"""A job's row joined with its parent's batch id and its intent state (`JobRecord.from_row`)."""

JOB_SELECT_KEYED = f"SELECT j.rowid AS row_order, {_JOB_COLUMNS}{_JOB_FROM}"
"""`JOB_SELECT` with the row's insertion order first (``row_order``), for sorting by it."""

LABEL_METADATA_KEY = "label"
"""The metadata key whose value becomes the label of an adopted job."""

_RANK = {
    BatchStatus.QUEUED: 0,
    BatchStatus.SUBMITTING: 0,
    BatchStatus.VALIDATING: 1,
    BatchStatus.IN_PROGRESS: 2,
    BatchStatus.FINALIZING: 3,
    BatchStatus.CANCELLING: 4,
}


def new_local_id() -> str:
    """A fresh local job id (16 hex digits)."""
    return uuid.uuid4().hex[:16]


def new_run_id() -> str:
    """A fresh run id."""
    return "run_" + uuid.uuid4().hex[:12]


def progress_key(job: BatchJob) -> tuple[int, int]:
    """Orders snapshots of one job: later lifecycle stage, then more requests done."""
    return (_RANK.get(job.status, 5), job.counts.done)


def log_event(c: Connection, local_id: str, kind: str, message: str, now: float) -> None:
    """Append one (redacted) line to a job's history."""
    c.execute(
        "INSERT INTO events (local_id, at, kind, message) VALUES (?, ?, ?, ?)",
        (local_id, now, kind, redact(message)),
    )


def insert_run(c: Connection, label: str | None, now: float) -> str:
    """Insert a run and return its id."""
    run_id = new_run_id()
    c.execute("INSERT INTO runs (id, label, created_at) VALUES (?, ?, ?)", (run_id, label, now))
    return run_id


def fetch_job(c: Connection, local_id: str) -> JobRecord:
    """The job with this local id; StoreError when there is none."""
    row = c.execute(JOB_SELECT + " WHERE j.local_id = ?", (local_id,)).fetchone()
    if row is None:
        raise StoreError(f"no job with local id {local_id}")
    return JobRecord.from_row(row)


def fetch_intent(c: Connection, local_id: str) -> IntentRecord:
    """The intent with this local id; StoreError when there is none."""
    row = c.execute("SELECT * FROM intents WHERE local_id = ?", (local_id,)).fetchone()
    if row is None:
        raise StoreError(f"no submission intent with local id {local_id}")
    return IntentRecord.from_row(row)


def _with_profile(job: BatchJob, profile: str) -> BatchJob:
    return job if job.profile == profile else dataclasses.replace(job, profile=profile)


def apply_snapshot(
    c: Connection,
    local_id: str,
    job: BatchJob,
    profile: str,
    now: float,
    *,
    force: bool = False,
) -> bool:
    """Write `job` as the row's latest snapshot; returns whether anything changed.

    Unless `force`, a snapshot older than the stored one (earlier stage, fewer done) is
    ignored, so out-of-order answers from concurrent polls never move a job backwards.
    """
    job = _with_profile(job, profile)
    row = c.execute("SELECT snapshot FROM jobs WHERE local_id = ?", (local_id,)).fetchone()
    if row is None:
        raise StoreError(f"no job with local id {local_id}")
    text = dumps(job_to_dict(job))
    old = job_from_dict(_loads(row["snapshot"])) if row["snapshot"] is not None else None
    unchanged = old is not None and (
        text == row["snapshot"] or (old.id == job.id and progress_key(job) < progress_key(old))
    )
    if not force and unchanged:
        c.execute("UPDATE jobs SET last_polled_at = ? WHERE local_id = ?", (now, local_id))
        return False
    moved = old is None or old.status != job.status or old.counts != job.counts
    c.execute(
        """
        UPDATE jobs SET batch_id = ?, status = ?, raw_status = ?, counts = ?, times = ?,
            model = COALESCE(?, model), endpoint = COALESCE(?, endpoint), snapshot = ?,
            input_file_id = COALESCE(?, input_file_id), output_file_id = ?, error_file_id = ?,
            updated_at = ?, last_polled_at = ?,
            next_poll_at = CASE WHEN ? THEN NULL ELSE next_poll_at END,
            progress_at = CASE WHEN ? OR progress_at IS NULL THEN ? ELSE progress_at END
        WHERE local_id = ?
        """,
        (
            job.id,
            job.status.value,
            job.raw_status,
            dumps(job.counts.as_dict()),
            dumps(job.times.as_dict()),
            job.model,
            job.endpoint,
            text,
            job.input_file_id,
            job.output_file_id,
            job.error_file_id,
            now,
            now,
            job.is_terminal,
            moved,
            now,
            local_id,
        ),
    )
    return True


def _loads(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    return value


def insert_adopted(
    c: Connection, job: BatchJob, profile: str, now: float, note: str | None = None
) -> str:
    """Insert a job the store did not submit (created elsewhere) as an adopted row."""
    label = job.metadata.get(LABEL_METADATA_KEY) or None
    run_id = insert_run(c, label, now)
    local_id = new_local_id()
    c.execute(
        """
        INSERT INTO jobs (local_id, run_id, profile, provider, batch_id, label, status,
            raw_status, request_count, adopted, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
        """,
        (
            local_id,
            run_id,
            profile,
            job.provider,
            job.id,
            label,
            job.status.value,
            job.raw_status,
            job.counts.total or None,
            now,
            now,
        ),
    )
    apply_snapshot(c, local_id, job, profile, now, force=True)
    log_event(c, local_id, "adopted", note or f"adopted {job.id} from the provider's list", now)
    return local_id


def claim_batch(c: Connection, local_id: str, job: BatchJob, profile: str, now: float) -> None:
    """Give batch `job.id` to the row `local_id`, merging or moving any other holder of it.

    Another row holding the id (adopted from a list before this intent was settled) is merged
    into this one; a different batch this row held before (a mistaken match) is moved to a
    new adopted row.
    """
    other = c.execute(
        "SELECT j.local_id, i.local_id AS intent FROM jobs j "
        "LEFT JOIN intents i ON i.local_id = j.local_id "
        "WHERE j.profile = ? AND j.batch_id = ? AND j.local_id <> ?",
        (profile, job.id, local_id),
    ).fetchone()
    if other is not None:
        if other["intent"] is not None:
            raise StoreError(
                f"batch {job.id} already belongs to submission {other['local_id']}; "
                f"cannot also give it to {local_id}"
            )
        _merge_adopted(c, other["local_id"], local_id, now)
    mine = c.execute(
        "SELECT batch_id, snapshot FROM jobs WHERE local_id = ?", (local_id,)
    ).fetchone()
    if mine is None:
        raise StoreError(f"no job with local id {local_id}")
    if mine["batch_id"] and mine["batch_id"] != job.id:
        c.execute("UPDATE jobs SET batch_id = NULL WHERE local_id = ?", (local_id,))
        if mine["snapshot"]:
            previous = job_from_dict(_loads(mine["snapshot"]))
            insert_adopted(c, previous, profile, now, note=f"detached from submission {local_id}")
    apply_snapshot(c, local_id, job, profile, now, force=True)


def _merge_adopted(c: Connection, src: str, dst: str, now: float) -> None:
    """Fold adopted row `src` into `dst`: children, events and cached results move over."""
    c.execute("UPDATE jobs SET parent_local_id = ? WHERE parent_local_id = ?", (dst, src))
    c.execute("UPDATE events SET local_id = ? WHERE local_id = ?", (dst, src))
    cached = c.execute(
        "SELECT results_path, results_offsets, results_complete FROM jobs WHERE local_id = ?",
        (src,),
    ).fetchone()
    if cached is not None and cached["results_path"]:
        c.execute(
            "UPDATE jobs SET results_path = ?, results_offsets = ?, results_complete = ? "
            "WHERE local_id = ? AND results_path IS NULL",
            (cached["results_path"], cached["results_offsets"], cached["results_complete"], dst),
        )
    c.execute("DELETE FROM jobs WHERE local_id = ?", (src,))
    log_event(c, dst, "merged", f"merged adopted row {src} into this submission", now)


def set_intent_state(
    c: Connection,
    local_id: str,
    state: IntentState,
    now: float,
    *,
    message: str | None = None,
    **fields: Any,
) -> IntentRecord:
    """Move an intent to `state` if the transition is legal, updating the given columns."""
    current = fetch_intent(c, local_id)
    if state not in TRANSITIONS[current.state]:
        raise StoreError(
            f"submission {local_id}: cannot go from {current.state.value} to {state.value}"
        )
    if "reason" in fields and fields["reason"] is not None:
        fields["reason"] = redact(fields["reason"])
    columns = {
        "state": state.value,
        "updated_at": now,
        "pid": os.getpid(),
        "host": machine_name(),
        **fields,
    }
    assignments = ", ".join(f"{name} = ?" for name in columns)
    c.execute(
        f"UPDATE intents SET {assignments} WHERE local_id = ?",
        (*columns.values(), local_id),
    )
    text = f"{current.state.value} -> {state.value}"
    if message:
        text += f": {message}"
    log_event(c, local_id, "intent", text, now)
    return fetch_intent(c, local_id)


def set_local_status(
    c: Connection,
    local_id: str,
    status: BatchStatus,
    raw_status: str,
    now: float,
    **fields: Any,
) -> None:
    """Set a job row's local status (for jobs the provider does not have), and other columns."""
    if fields.get("notes"):
        fields["notes"] = redact(fields["notes"])
    columns = {"status": status.value, "raw_status": raw_status, "updated_at": now, **fields}
    assignments = ", ".join(f"{name} = ?" for name in columns)
    c.execute(f"UPDATE jobs SET {assignments} WHERE local_id = ?", (*columns.values(), local_id))


def attach_to_intent(c: Connection, job: BatchJob, profile: str, now: float) -> str | None:
    """Mark as created the open (or abandoned) intent a newly seen batch belongs to, if any.

    Returns that intent's local id; the caller then claims the batch for it.
    """
    rows = c.execute(
        "SELECT * FROM intents WHERE profile = ? AND provider = ? AND state IN (?, ?, ?) "
        "ORDER BY created_at, rowid",
        (
            profile,
            job.provider,
            IntentState.CREATING.value,
            IntentState.UNKNOWN.value,
            IntentState.ABANDONED.value,
        ),
    ).fetchall()
    for row in rows:
        intent = IntentRecord.from_row(row)
        if job_matches_intent(intent, job, now):
            set_intent_state(
                c,
                intent.local_id,
                IntentState.CREATED,
                now,
                message=f"{job.id} found in the provider's list",
                batch_id=job.id,
            )
            return intent.local_id
    return None
