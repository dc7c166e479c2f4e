"""Submission intents: the crash-safe record of a submission, one state per network step.

The workflow calls these in order, each committed before the next network call:
``record_intent`` -> (``mark_uploading`` -> ``mark_uploaded``) -> ``mark_creating`` ->
``mark_created`` | ``mark_create_unknown`` | ``mark_failed``. Whatever state a crash leaves
behind is listed by ``unsettled_intents`` and settled with ``reconcile_intent``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from batchtui.core.config import redact
from batchtui.core.models import TERMINAL_STATUSES, BatchJob, BatchStatus
from batchtui.core.paths import machine_name
from batchtui.core.store.base import StoreBase
from batchtui.core.store.reconcile import Decision, DecisionKind
from batchtui.core.store.records import (
    UNSETTLED_STATES,
    IntentRecord,
    IntentState,
    JobRecord,
    StoreError,
)
from batchtui.core.store.rows import (
    JOB_SELECT,
    claim_batch,
    fetch_intent,
    fetch_job,
    insert_run,
    log_event,
    new_local_id,
    set_intent_state,
    set_local_status,
)
from batchtui.core.store.serialize import dumps, to_epoch


class InputAlreadySent(StoreError):
    """`record_intent(unique_input=True)` found a job made from the same input."""

    def __init__(self, job: JobRecord) -> None:
        super().__init__(f"this input was already submitted on profile {job.profile!r}")
        self.job = job


class IntentsMixin(StoreBase):
    """The submission-intent half of the job store."""

    def record_intent(
        self,
        *,
        profile: str,
        provider: str,
        input_path: Path | str,
        sha256: str,
        request_count: int,
        label: str | None = None,
        run_id: str | None = None,
        parent: str | None = None,
        part_index: int | None = None,
        model: str | None = None,
        endpoint: str | None = None,
        options: dict[str, Any] | None = None,
        queued: bool = False,
        notes: str | None = None,
        estimate: dict[str, Any] | None = None,
        submitted_by: str | None = None,
        unique_input: bool = False,
    ) -> JobRecord:
        """Record a submission before any network call; returns its job (status SUBMITTING).

        `input_path` is the kept copy (see `keep_input`). A retry names its `parent` (local or
        provider id) and joins the parent's run unless `run_id` is given; otherwise a new run
        is made. `queued` holds it back locally (status QUEUED) until `release_queued`.
        `options` (JSON-able) keeps what `create` needs so a resumed submission can finish.
        `estimate` (JSON-able, `costs.Estimate.as_dict()`) is kept on the job.
        `unique_input` refuses (`InputAlreadySent`, nothing recorded) when the profile already
        has a job made from this input's sha256 that was not dropped; the check and the insert
        are one exclusive transaction, so two processes (or machines, on a team store) racing
        to submit the same input record it once.
        """
        now = self._now()
        local_id = new_local_id()
        label = redact(label) if label else label
        notes = redact(notes) if notes else notes
        state = IntentState.QUEUED if queued else IntentState.RECORDED
        status = BatchStatus.QUEUED if queued else BatchStatus.SUBMITTING
        with self._tx() as c:
            if unique_input:
                same = c.execute(
                    JOB_SELECT + " WHERE j.profile = ? AND j.input_sha256 = ? "
                    "AND (i.state IS NULL OR i.state NOT IN (?, ?)) "
                    "ORDER BY j.created_at DESC LIMIT 1",
                    (profile, sha256, IntentState.FAILED.value, IntentState.ABANDONED.value),
                ).fetchone()
                if same is not None:
                    raise InputAlreadySent(JobRecord.from_row(same))
            parent_local = None
            if parent is not None:
                row = c.execute(
                    "SELECT local_id, run_id FROM jobs WHERE local_id = ? OR batch_id = ? "
                    "ORDER BY local_id = ? DESC LIMIT 1",
                    (parent, parent, parent),
                ).fetchone()
                if row is None:
                    raise StoreError(f"no parent job {parent}")
                parent_local = row["local_id"]
                run_id = run_id or row["run_id"]
            if run_id is None:
                run_id = insert_run(c, label, now)
            elif c.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise StoreError(f"no run {run_id}")
            c.execute(
                """
                INSERT INTO jobs (local_id, run_id, parent_local_id, part_index, profile,
                    provider, label, status, raw_status, counts, model, endpoint, input_path,
                    input_sha256, request_count, notes, estimate, created_at, updated_at,
                    submitted_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    local_id,
                    run_id,
                    parent_local,
                    part_index,
                    profile,
                    provider,
                    label,
                    status.value,
                    state.value,
                    dumps({"total": request_count, "processing": request_count}),
                    model,
                    endpoint,
                    str(input_path),
                    sha256,
                    request_count,
                    notes,
                    dumps(estimate) if estimate is not None else None,
                    now,
                    now,
                    submitted_by,
                ),
            )
            c.execute(
                """
                INSERT INTO intents (local_id, profile, provider, state, input_path, sha256,
                    request_count, options, pid, host, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    local_id,
                    profile,
                    provider,
                    state.value,
                    str(input_path),
                    sha256,
                    request_count,
                    dumps(options or {}),
                    os.getpid(),
                    machine_name(),
                    now,
                    now,
                ),
            )
            log_event(c, local_id, "intent", f"{state.value}: {request_count} requests", now)
            return fetch_job(c, local_id)

    def release_queued(self, local_id: str) -> IntentRecord:
        """A queued submission may go out now: queued -> recorded (status SUBMITTING)."""
        return self._move(local_id, IntentState.RECORDED, BatchStatus.SUBMITTING)

    def release_next_queued(
        self, profile: str, fits: Callable[[JobRecord, list[JobRecord]], bool]
    ) -> IntentRecord | None:
        """Release the oldest queued submission of a profile if ``fits(job, in_flight)`` says
        the profile has room; returns its intent (now recorded), else None.

        One transaction holds the database lock from the read to the move, so two
        dispatchers (threads or processes) never release the same submission, and each sees
        the other's releases when it counts what is in flight. ``in_flight`` is every job of
        the profile that is neither terminal nor queued (submissions being sent included).
        """
        with self._tx() as c:
            row = c.execute(
                "SELECT local_id FROM intents WHERE state = ? AND profile = ? "
                "ORDER BY created_at, rowid LIMIT 1",
                (IntentState.QUEUED.value, profile),
            ).fetchone()
            if row is None:
                return None
            head = fetch_job(c, row["local_id"])
            held = [*(s.value for s in TERMINAL_STATUSES), BatchStatus.QUEUED.value]
            marks = ", ".join("?" for _ in held)
            rows = c.execute(
                JOB_SELECT + f" WHERE j.profile = ? AND j.status NOT IN ({marks})",
                (profile, *held),
            ).fetchall()
            if not fits(head, [JobRecord.from_row(r) for r in rows]):
                return None
            now = self._now()
            intent = set_intent_state(
                c, head.local_id, IntentState.RECORDED, now, message="released from the queue"
            )
            set_local_status(c, head.local_id, BatchStatus.SUBMITTING, "recorded", now)
            return intent

    def withdraw_queued(self, local_id: str) -> bool:
        """Take a submission out of the queue before it is sent (status CANCELLED).

        Returns False, changing nothing, when it is no longer queued (a dispatcher released
        it first); the check and the move are one transaction.
        """
        with self._tx() as c:
            if fetch_intent(c, local_id).state is not IntentState.QUEUED:
                return False
            now = self._now()
            reason = "withdrawn from the local queue; nothing was sent"
            set_intent_state(c, local_id, IntentState.ABANDONED, now, message=reason, reason=reason)
            set_local_status(c, local_id, BatchStatus.CANCELLED, "withdrawn", now, notes=reason)
            return True

    def mark_uploading(self, local_id: str) -> IntentRecord:
        """The input upload is about to start."""
        return self._move(local_id, IntentState.UPLOADING)

    def mark_uploaded(self, local_id: str, file_id: str) -> IntentRecord:
        """The provider holds the input as `file_id`."""
        return self._move(
            local_id,
            IntentState.UPLOADED,
            job_fields={"input_file_id": file_id},
            input_file_id=file_id,
            message=file_id,
        )

    def note_upload_sent(self, local_id: str) -> IntentRecord:
        """An upload call is about to be sent (the first or a retry): count it, so the files
        that may be left at the provider are known to exist."""
        with self._tx() as c:
            c.execute(
                "UPDATE intents SET uploads_sent = uploads_sent + 1, updated_at = ? "
                "WHERE local_id = ?",
                (self._now(), local_id),
            )
            intent = fetch_intent(c, local_id)
            if intent.uploads_sent > 1:
                text = f"upload sent again ({intent.uploads_sent})"
                log_event(c, local_id, "intent", text, self._now())
            return intent

    def mark_creating(self, local_id: str) -> IntentRecord:
        """The create call is about to be sent; opens the create window now.

        From ``unknown`` only when two looks at the provider's list agreed that the earlier
        create made nothing: the new window starts now and the create is counted again.
        """
        with self._tx() as c:
            now = self._now()
            sent = fetch_intent(c, local_id).creates_sent + 1
            message = f"create sent again ({sent})" if sent > 1 else None
            intent = set_intent_state(
                c,
                local_id,
                IntentState.CREATING,
                now,
                message=message,
                window_start=now,
                window_end=None,
                creates_sent=sent,
            )
            set_local_status(c, local_id, fetch_job(c, local_id).status, "creating", now)
            return intent

    def set_stray_files(self, local_id: str, file_ids: list[str]) -> JobRecord:
        """Keep the uploaded files of this submission that its batch does not use and that
        are still at the provider (empty once deleted)."""
        with self._tx() as c:
            c.execute(
                "UPDATE jobs SET stray_files = ? WHERE local_id = ?",
                (dumps(sorted(set(file_ids))) if file_ids else None, local_id),
            )
            return fetch_job(c, local_id)

    def mark_create_unknown(
        self,
        local_id: str,
        window_start: datetime | float | None = None,
        window_end: datetime | float | None = None,
        reason: str | None = None,
    ) -> IntentRecord:
        """The create failed ambiguously: a batch may exist, created between start and end.

        Defaults: the window opened by `mark_creating`, and now.
        """
        with self._tx() as c:
            current = fetch_intent(c, local_id)
            start = to_epoch(window_start) or to_epoch(current.window_start) or self._now()
            end = to_epoch(window_end) or self._now()
            intent = set_intent_state(
                c,
                local_id,
                IntentState.UNKNOWN,
                self._now(),
                message=reason,
                window_start=start,
                window_end=end,
                reason=reason,
            )
            set_local_status(c, local_id, BatchStatus.SUBMITTING, "unknown", self._now())
            return intent

    def mark_created(self, local_id: str, job: BatchJob) -> JobRecord:
        """The provider created `job` for this intent: record its id and first snapshot."""
        with self._tx() as c:
            current = fetch_intent(c, local_id)
            if current.state is IntentState.CREATED and current.batch_id == job.id:
                claim_batch(c, local_id, job, current.profile, self._now())
                return fetch_job(c, local_id)
            set_intent_state(
                c,
                local_id,
                IntentState.CREATED,
                self._now(),
                message=job.id,
                batch_id=job.id,
                reason=None,
            )
            claim_batch(c, local_id, job, current.profile, self._now())
            return fetch_job(c, local_id)

    def mark_failed(self, local_id: str, reason: str) -> IntentRecord:
        """The submission definitely failed and no batch exists (e.g. the create was refused)."""
        return self._move(
            local_id,
            IntentState.FAILED,
            BatchStatus.FAILED,
            "submit_failed",
            job_fields={"notes": reason},
            reason=reason,
            message=reason,
        )

    def mark_abandoned(self, local_id: str, reason: str) -> IntentRecord:
        """Settled: nothing was created (reconciled after the grace period, or withdrawn)."""
        return self._move(
            local_id,
            IntentState.ABANDONED,
            BatchStatus.FAILED,
            "abandoned",
            job_fields={"notes": reason},
            reason=reason,
            message=reason,
        )

    def apply_decision(self, local_id: str, decision: Decision) -> JobRecord | None:
        """Carry out a `reconcile_intent` decision; returns the job when it changed."""
        if decision.kind is DecisionKind.MATCHED and decision.job is not None:
            return self.mark_created(local_id, decision.job)
        if decision.kind is DecisionKind.ABANDON:
            self.mark_abandoned(local_id, decision.reason)
            return self._job(local_id)
        return None

    def get_intent(self, local_id: str) -> IntentRecord | None:
        """The intent of a job, or None for jobs not submitted here (adopted)."""
        rows = self._query("SELECT * FROM intents WHERE local_id = ?", (local_id,))
        return IntentRecord.from_row(rows[0]) if rows else None

    def unsettled_intents(self, profile: str | None = None) -> list[IntentRecord]:
        """Intents a crash or an ambiguous create may have left open, oldest first."""
        return self._intents(UNSETTLED_STATES, profile)

    def queued_intents(self, profile: str | None = None) -> list[IntentRecord]:
        """Submissions held back locally, in the order they were queued."""
        return self._intents((IntentState.QUEUED,), profile)

    def claimed_batch_ids(self, profile: str) -> set[str]:
        """Batch ids already given to submissions of this profile (`known_ids` for reconcile)."""
        rows = self._query(
            "SELECT batch_id FROM intents WHERE profile = ? AND batch_id IS NOT NULL", (profile,)
        )
        return {row["batch_id"] for row in rows}

    # --- helpers ---

    def _job(self, local_id: str) -> JobRecord | None:
        rows = self._query(JOB_SELECT + " WHERE j.local_id = ?", (local_id,))
        return JobRecord.from_row(rows[0]) if rows else None

    def _intents(self, states: tuple[IntentState, ...], profile: str | None) -> list[IntentRecord]:
        marks = ", ".join("?" for _ in states)
        sql = f"SELECT * FROM intents WHERE state IN ({marks})"
        params: list[Any] = [s.value for s in states]
        if profile is not None:
            sql += " AND profile = ?"
            params.append(profile)
        rows = self._query(sql + " ORDER BY created_at, rowid", params)
        return [IntentRecord.from_row(row) for row in rows]

    def _move(
        self,
        local_id: str,
        state: IntentState,
        status: BatchStatus | None = None,
        raw_status: str | None = None,
        *,
        job_fields: dict[str, Any] | None = None,
        message: str | None = None,
        **fields: Any,
    ) -> IntentRecord:
        with self._tx() as c:
            now = self._now()
            intent = set_intent_state(c, local_id, state, now, message=message, **fields)
            job = fetch_job(c, local_id)
            set_local_status(
                c,
                local_id,
                status or job.status,
                raw_status or state.value,
                now,
                **(job_fields or {}),
            )
            return intent
