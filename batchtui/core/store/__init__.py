"""The local job store: SQLite (WAL) holding runs, jobs, snapshots and submission intents.

The store is the user's memory of money already spent: a submission is recorded before any
network call and each provider id the moment it exists (see `IntentsMixin`), so a crash at any
step leaves a state the next start reconciles (`reconcile_intent`) instead of submitting twice.
"""

from __future__ import annotations

from pathlib import Path

from batchtui.core.clock import Clock
from batchtui.core.paths import DB_NAME
from batchtui.core.store.intents import InputAlreadySent, IntentsMixin
from batchtui.core.store.jobs import JobsMixin
from batchtui.core.store.kept import keep_input, sha256_file
from batchtui.core.store.leases import LeasesMixin
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
    StoreUnavailable,
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
    "InputAlreadySent",
    "IntentRecord",
    "IntentState",
    "JobRecord",
    "JobStore",
    "RunRecord",
    "StoreError",
    "StoreUnavailable",
    "create_window",
    "job_from_dict",
    "job_matches_intent",
    "job_to_dict",
    "keep_input",
    "open_store",
    "reconcile_intent",
    "sha256_file",
]


class JobStore(IntentsMixin, JobsMixin, LeasesMixin):
    """The job store: `JobStore(path=None, clock=None)` opens `data_dir()/batchtui.db`;
    `open_store` opens a team store when a URL is configured."""

    def __enter__(self) -> JobStore:
        return self


def open_store(home: Path, url: str | None = None, *, clock: Clock | None = None) -> JobStore:
    """The store of a batchtui home: its SQLite file, or the team store at ``url``
    (``postgresql://…``). The home keeps this machine's own files either way (kept inputs,
    results). StoreError (naming the URL without its password) when it cannot be opened."""
    if not url:
        return JobStore(home / DB_NAME, clock=clock)
    if not url.startswith(("postgresql://", "postgres://")):
        scheme = url.split(":", 1)[0] if ":" in url else url[:12]
        raise StoreError(
            f"store_url must start with postgresql:// (got {scheme!r}); leave it unset for "
            "this machine's own store"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise StoreError("a team store needs psycopg: pip install 'batchtui[team]'") from None
    from batchtui.core.store.postgres_db import PostgresDatabase

    return JobStore(home / DB_NAME, clock=clock, database=PostgresDatabase(url))
