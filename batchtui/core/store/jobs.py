"""Jobs, runs and events: snapshots from polls and lists, lookups, poll times, results state."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from batchtui.core.config import redact
from batchtui.core.models import TERMINAL_STATUSES, BatchJob, BatchStatus
from batchtui.core.paths import machine_name
from batchtui.core.store.base import NEWEST_FIRST, StoreBase
from batchtui.core.store.records import Event, IntentState, JobRecord, RunRecord, StoreError
from batchtui.core.store.rows import (
    apply_snapshot,
    attach_to_intent,
    claim_batch,
    fetch_job,
    insert_adopted,
    insert_run,
    log_event,
)
from batchtui.core.store.serialize import dumps, epoch_time, to_epoch

_MIN_PREFIX = 4
_DROPPED = (IntentState.FAILED.value, IntentState.ABANDONED.value)


class JobsMixin(StoreBase):
    """The jobs, runs and events half of the job store."""

    # --- snapshots ---

    def upsert_snapshot(self, job: BatchJob, profile: str | None = None) -> tuple[JobRecord, bool]:
        """Store a provider snapshot; returns the job and whether anything changed.

        A batch id the store does not know is first matched against open submission intents
        (a create whose answer was lost), else adopted as a new row (`adopted=True`).
        """
        profile = profile or job.profile
        if not profile:
            raise StoreError(f"snapshot of {job.id} names no profile")
        with self._tx() as c:
            now = self._now()
            row = c.execute(
                "SELECT local_id FROM jobs WHERE profile = ? AND batch_id = ?", (profile, job.id)
            ).fetchone()
            if row is not None:
                changed = apply_snapshot(c, row["local_id"], job, profile, now)
                return fetch_job(c, row["local_id"]), changed
            local_id = attach_to_intent(c, job, profile, now)
            if local_id is not None:
                claim_batch(c, local_id, job, profile, now)
            else:
                local_id = insert_adopted(c, job, profile, now)
            return fetch_job(c, local_id), True

    # --- lookups ---

    def get(self, ident: str, profile: str | None = None) -> JobRecord | None:
        """A job by local id, provider batch id, or a unique local-id prefix (4+ chars)."""
        scope, params = ("", []) if profile is None else (" AND j.profile = ?", [profile])
        for where in ("j.local_id = ?", "j.batch_id = ?"):
            found = self._jobs(where + scope, [ident, *params])
            if found:
                return found[0]
        if len(ident) >= _MIN_PREFIX and ident.isalnum():
            # Local ids are lower-case hex; SQLite's LIKE ignores case, PostgreSQL's does not.
            pattern = ident.lower() + "%"
            found = self._jobs("j.local_id LIKE ?" + scope, [pattern, *params], "j.local_id")
            if len(found) > 1:
                ids = ", ".join(j.local_id for j in found[:5])
                raise StoreError(f"{ident!r} matches several local ids: {ids}")
            if found:
                return found[0]
        return None

    def require(self, ident: str, profile: str | None = None) -> JobRecord:
        """Like `get`, but a missing job is a StoreError naming the id."""
        job = self.get(ident, profile)
        if job is None:
            raise StoreError(f"no job {ident} in the local store")
        return job

    def list_jobs(
        self,
        *,
        profile: str | None = None,
        statuses: Iterable[BatchStatus] | None = None,
        live: bool | None = None,
        run_id: str | None = None,
        adopted: bool | None = None,
        limit: int | None = None,
        created_since: datetime | float | None = None,
        brief: bool = False,
    ) -> list[JobRecord]:
        """Jobs, newest first, filtered by profile, status, liveness, run, adoption or age
        (``created_since``: recorded in the store at or after this time). ``brief`` builds each
        snapshot from the row's columns and the few snapshot fields a list shows
        (``snapshot.raw`` and ``metadata`` are empty): for lists that show jobs, not for
        costs, which read usage from the raw object."""
        clauses: list[str] = []
        params: list[Any] = []
        if created_since is not None:
            clauses.append("j.created_at >= ?")
            params.append(to_epoch(created_since))
        if profile is not None:
            clauses.append("j.profile = ?")
            params.append(profile)
        if statuses is not None:
            values = [BatchStatus(s).value for s in statuses]
            clauses.append(f"j.status IN ({', '.join('?' for _ in values)})" if values else "1 = 0")
            params.extend(values)
        if live is not None:
            terminal = [s.value for s in TERMINAL_STATUSES]
            op = "NOT IN" if live else "IN"
            clauses.append(f"j.status {op} ({', '.join('?' for _ in terminal)})")
            params.extend(terminal)
        if run_id is not None:
            clauses.append("j.run_id = ?")
            params.append(run_id)
        if adopted is not None:
            clauses.append("j.adopted = ?")
            params.append(int(adopted))
        where = " AND ".join(clauses)
        order = NEWEST_FIRST + (f" LIMIT {int(limit)}" if limit else "")
        return self._jobs(where, params, order, brief=brief)

    def children(self, local_id: str) -> list[JobRecord]:
        """The retry jobs made directly from this job, oldest first."""
        return self._jobs("j.parent_local_id = ?", [local_id], "j.created_at, j.rowid")

    def run_jobs(self, run_id: str) -> list[JobRecord]:
        """Every job of a run: parts in order, then retries, oldest first."""
        return self._jobs(
            "j.run_id = ?", [run_id], "j.part_index IS NULL, j.part_index, j.created_at, j.rowid"
        )

    def find_by_sha256(
        self, profile: str, sha256: str, *, include_dropped: bool = False
    ) -> list[JobRecord]:
        """Jobs of this profile made from this input, newest first.

        Submissions that failed or were abandoned (no batch exists) are left out unless
        `include_dropped`.
        """
        where = "j.profile = ? AND j.input_sha256 = ?"
        params: list[Any] = [profile, sha256]
        if not include_dropped:
            where += " AND (i.state IS NULL OR i.state NOT IN (?, ?))"
            params.extend(_DROPPED)
        return self._jobs(where, params, NEWEST_FIRST)

    def live_jobs(self, profile: str | None = None, *, brief: bool = False) -> list[JobRecord]:
        """Jobs at the provider that are not terminal (the poller's work list); ``brief`` as
        for `list_jobs`."""
        terminal = [s.value for s in TERMINAL_STATUSES]
        where = f"j.batch_id IS NOT NULL AND j.status NOT IN ({', '.join('?' for _ in terminal)})"
        params: list[Any] = list(terminal)
        if profile is not None:
            where += " AND j.profile = ?"
            params.append(profile)
        return self._jobs(where, params, "j.next_poll_at IS NOT NULL, j.next_poll_at", brief=brief)

    def due_jobs(
        self, now: datetime | float | None = None, profile: str | None = None
    ) -> list[JobRecord]:
        """Live jobs whose next poll time has come (or was never set), soonest first."""
        at = to_epoch(now) if now is not None else self._now()
        assert at is not None
        due = []
        for job in self.live_jobs(profile):
            when = to_epoch(job.next_poll_at)
            if when is None or when <= at:
                due.append(job)
        return due

    # --- updates ---

    def set_next_poll(
        self,
        local_id: str,
        next_poll_at: datetime | float | None,
        *,
        last_polled_at: datetime | float | None = None,
    ) -> None:
        """Set when the poller should next look at this job (None: not scheduled)."""
        with self._tx() as c:
            sql = "UPDATE jobs SET next_poll_at = ?"
            params: list[Any] = [to_epoch(next_poll_at)]
            if last_polled_at is not None:
                sql += ", last_polled_at = ?"
                params.append(to_epoch(last_polled_at))
            if c.execute(sql + " WHERE local_id = ?", (*params, local_id)).rowcount == 0:
                raise StoreError(f"no job with local id {local_id}")

    def set_results_state(
        self,
        local_id: str,
        *,
        path: Path | str | None = None,
        offsets: dict[str, int] | None = None,
        complete: bool | None = None,
    ) -> JobRecord:
        """Record the results file, bytes downloaded per source, and whether it is whole."""
        with self._tx() as c:
            fetch_job(c, local_id)
            if path is not None:
                c.execute(
                    "UPDATE jobs SET results_path = ?, results_host = ? WHERE local_id = ?",
                    (str(path), machine_name(), local_id),
                )
            if offsets is not None:
                clean = {str(k): int(v) for k, v in offsets.items()}
                c.execute(
                    "UPDATE jobs SET results_offsets = ? WHERE local_id = ?",
                    (dumps(clean), local_id),
                )
            if complete is not None:
                c.execute(
                    "UPDATE jobs SET results_complete = ? WHERE local_id = ?",
                    (int(complete), local_id),
                )
                if complete:
                    log_event(c, local_id, "results", "results downloaded", self._now())
            return fetch_job(c, local_id)

    def set_estimate(self, local_id: str, estimate: dict[str, Any] | None) -> JobRecord:
        """Keep the cost estimate made at submission (JSON-able, see `costs.Estimate`)."""
        return self._set_json(local_id, "estimate", estimate)

    def set_cost(self, local_id: str, cost: dict[str, Any] | None) -> JobRecord:
        """Keep the actual cost computed from the job's usage (JSON-able, see `costs.Cost`)."""
        with self._tx() as c:
            fetch_job(c, local_id)
            c.execute(
                "UPDATE jobs SET cost = ?, updated_at = ? WHERE local_id = ?",
                (dumps(cost) if cost is not None else None, self._now(), local_id),
            )
            if cost is not None and cost.get("cost_usd") is not None:
                log_event(c, local_id, "cost", f"actual cost ${cost['cost_usd']:.6f}", self._now())
            return fetch_job(c, local_id)

    def set_failure(self, local_id: str, failure: dict[str, Any] | None) -> JobRecord:
        """Keep a provider limit or quota refusal of the submission (``{code, message}``)."""
        return self._set_json(local_id, "failure", failure)

    def mark_cleaned(
        self, local_id: str, *, file_id: str | None = None, role: str = "", batch: bool = False
    ) -> JobRecord:
        """Record that a provider file (``role``: input, output, error) or the batch itself
        was deleted at the provider, so `clean` does not try it again."""
        with self._tx() as c:
            row = c.execute(
                "SELECT cleaned, stray_files FROM jobs WHERE local_id = ?", (local_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no job with local id {local_id}")
            cleaned = json.loads(row["cleaned"]) if row["cleaned"] else {}
            strays = json.loads(row["stray_files"]) if row["stray_files"] else []
            if file_id in strays:
                strays.remove(file_id)
                c.execute(
                    "UPDATE jobs SET stray_files = ? WHERE local_id = ?",
                    (dumps(strays) if strays else None, local_id),
                )
            files = dict(cleaned.get("files") or {})
            if file_id:
                files[file_id] = role
            cleaned = {
                "files": files,
                "batch": bool(cleaned.get("batch")) or batch,
                "at": self._now(),
            }
            c.execute(
                "UPDATE jobs SET cleaned = ?, updated_at = ? WHERE local_id = ?",
                (dumps(cleaned), self._now(), local_id),
            )
            what = f"{role} file {file_id}" if file_id else "the batch"
            log_event(c, local_id, "cleaned", f"deleted {what} at the provider", self._now())
            return fetch_job(c, local_id)

    def set_label(self, local_id: str, label: str | None) -> JobRecord:
        """Change a job's local label."""
        return self._set_column(local_id, "label", label)

    def set_notes(self, local_id: str, notes: str | None) -> JobRecord:
        """Change a job's free-text notes."""
        return self._set_column(local_id, "notes", notes)

    def forget(self, local_id: str) -> None:
        """Delete a job from the store (its intent and events too); children lose the link."""
        with self._tx() as c:
            if c.execute("DELETE FROM jobs WHERE local_id = ?", (local_id,)).rowcount == 0:
                raise StoreError(f"no job with local id {local_id}")

    def _set_json(self, local_id: str, column: str, value: dict[str, Any] | None) -> JobRecord:
        with self._tx() as c:
            fetch_job(c, local_id)
            c.execute(
                f"UPDATE jobs SET {column} = ?, updated_at = ? WHERE local_id = ?",
                (dumps(value) if value is not None else None, self._now(), local_id),
            )
            return fetch_job(c, local_id)

    def _set_column(self, local_id: str, column: str, value: str | None) -> JobRecord:
        value = redact(value) if value else value
        with self._tx() as c:
            c.execute(
                f"UPDATE jobs SET {column} = ?, updated_at = ? WHERE local_id = ?",
                (value, self._now(), local_id),
            )
            return fetch_job(c, local_id)

    # --- runs ---

    def create_run(self, label: str | None = None) -> RunRecord:
        """A new, empty run (for a split submission: create it, then record each part)."""
        with self._tx() as c:
            run_id = insert_run(c, label, self._now())
        run = self.get_run(run_id)
        assert run is not None  # inserted just above
        return run

    def get_run(self, run_id: str) -> RunRecord | None:
        """A run by id."""
        rows = self._query("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def list_runs(self) -> list[RunRecord]:
        """Every run, newest first."""
        return [_run(r) for r in self._query("SELECT * FROM runs ORDER BY created_at DESC")]

    # --- events ---

    def log_event(self, local_id: str, kind: str, message: str) -> None:
        """Append a line to a job's history (keys in it are masked)."""
        with self._tx() as c:
            fetch_job(c, local_id)
            log_event(c, local_id, kind, message, self._now())

    def events(self, local_id: str) -> list[Event]:
        """A job's history, oldest first."""
        rows = self._query("SELECT * FROM events WHERE local_id = ? ORDER BY id", (local_id,))
        return [
            Event(
                id=r["id"],
                local_id=r["local_id"],
                at=epoch_time(r["at"]),
                kind=r["kind"],
                message=r["message"],
            )
            for r in rows
        ]


def _run(row: Any) -> RunRecord:
    return RunRecord(id=row["id"], label=row["label"], created_at=epoch_time(row["created_at"]))
