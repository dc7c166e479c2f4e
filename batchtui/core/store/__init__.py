"""The local job store: SQLite (WAL) holding runs, jobs, snapshots and submission intents.

The store is the user's memory of money already spent: a submission is recorded before any
network call and each provider id the moment it exists (see `IntentsMixin`), so a crash at any
step leaves a state the next start reconciles (`reconcile_intent`) instead of submitting twice.
"""

from __future__ import annotations

from batchtui.core.store.intents import IntentsMixin
from batchtui.core.store.jobs import JobsMixin
from batchtui.core.store.kept import keep_input, sha256_file
from batchtui.core.store.reconcile import (
    DEFAULT_GRACE_S,
    DEFAULT_SKEW_S,
    Decision,
    DecisionKind,
    create_window,
    job_matches_intent,
    reconcile_intent,
)
from batchtui.core.store.records import (
    UNSETTLED_STATES,
    Event,
    IntentRecord,
    IntentState,
    JobRecord,
    RunRecord,
    StoreError,
)
from batchtui.core.store.rows import LABEL_METADATA_KEY
from batchtui.core.store.schema import MIGRATIONS, SCHEMA_VERSION
from batchtui.core.store.serialize import job_from_dict, job_to_dict

__all__ = [
    "DEFAULT_GRACE_S",
    "DEFAULT_SKEW_S",
    "LABEL_METADATA_KEY",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "UNSETTLED_STATES",
    "Decision",
    "DecisionKind",
    "Event",
    "IntentRecord",
    "IntentState",
    "JobRecord",
    "JobStore",
    "RunRecord",
    "StoreError",
    "create_window",
    "job_from_dict",
    "job_matches_intent",
    "job_to_dict",
    "keep_input",
    "reconcile_intent",
    "sha256_file",
]


class JobStore(IntentsMixin, JobsMixin):
    """The job store: `JobStore(path=None, clock=None)` opens `data_dir()/batchtui.db`."""

    def __enter__(self) -> JobStore:
        return self
