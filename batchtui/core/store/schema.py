"""The store's schema as an ordered list of migrations, written for SQLite.

Migration ``i`` takes a database from version ``i`` to ``i + 1``. Append new migrations at the
end; never edit one that has shipped. SQLite tracks the version in ``PRAGMA user_version``;
PostgreSQL runs the same statements through `postgres_statements` (wider float type, an
identity column where SQLite has its implicit ``rowid``, and the change notifications) and
tracks the version in a one-row table.
"""

from __future__ import annotations

import re
import sqlite3

from batchtui.core.store.records import StoreError

MIGRATIONS: list[tuple[str, ...]] = [
    # 0 -> 1: runs, jobs, submission intents, events.
    (
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            label TEXT,
            created_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE jobs (
            local_id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id),
            parent_local_id TEXT REFERENCES jobs(local_id) ON DELETE SET NULL,
            part_index INTEGER,
            profile TEXT NOT NULL,
            provider TEXT NOT NULL,
            batch_id TEXT,
            label TEXT,
            status TEXT NOT NULL,
            raw_status TEXT,
            counts TEXT NOT NULL DEFAULT '{}',
            times TEXT NOT NULL DEFAULT '{}',
            model TEXT,
            endpoint TEXT,
            snapshot TEXT,
            input_path TEXT,
            input_sha256 TEXT,
            request_count INTEGER,
            input_file_id TEXT,
            output_file_id TEXT,
            error_file_id TEXT,
            results_path TEXT,
            results_offsets TEXT NOT NULL DEFAULT '{}',
            results_complete INTEGER NOT NULL DEFAULT 0,
            adopted INTEGER NOT NULL DEFAULT 0,
            notes TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            last_polled_at REAL,
            next_poll_at REAL
        )
        """,
        "CREATE UNIQUE INDEX jobs_profile_batch ON jobs(profile, batch_id)",
        "CREATE INDEX jobs_batch ON jobs(batch_id)",
        "CREATE INDEX jobs_sha ON jobs(profile, input_sha256)",
        "CREATE INDEX jobs_parent ON jobs(parent_local_id)",
        "CREATE INDEX jobs_run ON jobs(run_id)",
        "CREATE INDEX jobs_next_poll ON jobs(next_poll_at)",
        """
        CREATE TABLE intents (
            local_id TEXT PRIMARY KEY REFERENCES jobs(local_id) ON DELETE CASCADE,
            profile TEXT NOT NULL,
            provider TEXT NOT NULL,
            state TEXT NOT NULL,
            input_path TEXT,
            sha256 TEXT,
            request_count INTEGER,
            input_file_id TEXT,
            batch_id TEXT,
            window_start REAL,
            window_end REAL,
            reason TEXT,
            options TEXT NOT NULL DEFAULT '{}',
            pid INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """,
        "CREATE INDEX intents_state ON intents(state, profile)",
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            local_id TEXT NOT NULL REFERENCES jobs(local_id) ON DELETE CASCADE,
            at REAL NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL
        )
        """,
        "CREATE INDEX events_job ON events(local_id, id)",
    ),
    # 1 -> 2: money and hygiene (issue 7): the estimate made at submission and the actual cost
    # (JSON), when the counts or status last moved (stale jobs), what was deleted at the
    # provider (clean), and a provider limit or quota refusal of the submission (JSON).
    (
        "ALTER TABLE jobs ADD COLUMN estimate TEXT",
        "ALTER TABLE jobs ADD COLUMN cost TEXT",
        "ALTER TABLE jobs ADD COLUMN progress_at REAL",
        "ALTER TABLE jobs ADD COLUMN cleaned TEXT",
        "ALTER TABLE jobs ADD COLUMN failure TEXT",
        "CREATE INDEX jobs_profile_created ON jobs(profile, created_at)",
    ),
    # 2 -> 3: sending again after transient faults (issue 10): how many uploads and creates
    # a submission sent, and the uploaded files its batch does not use (deleted once the
    # batch exists; what could not be deleted is left for `clean`).
    (
        "ALTER TABLE intents ADD COLUMN uploads_sent INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE intents ADD COLUMN creates_sent INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE jobs ADD COLUMN stray_files TEXT",
    ),
    # 3 -> 4: a store shared by a team (issue 15): who submitted a job, which machine holds
    # its results cache, which machine a submission runs on (a process id means nothing on
    # another one), and the poll lease that lets one process poll a job at a time.
    (
        "ALTER TABLE jobs ADD COLUMN submitted_by TEXT",
        "ALTER TABLE jobs ADD COLUMN results_host TEXT",
        "ALTER TABLE jobs ADD COLUMN lease_owner TEXT",
        "ALTER TABLE jobs ADD COLUMN lease_until REAL",
        "ALTER TABLE intents ADD COLUMN host TEXT",
        "CREATE INDEX jobs_updated ON jobs(updated_at)",
        "CREATE INDEX jobs_lease ON jobs(lease_until)",
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)


CHANGES_CHANNEL = "batchtui_jobs"
"""The PostgreSQL channel a job's local id is sent on when its row changes."""

_POSTGRES_ONLY: dict[int, tuple[str, ...]] = {
    3: (
        # Every insert, and every update that moved `updated_at` (a poll that changed nothing
        # only touches `last_polled_at` and the lease), tells listeners which job changed.
        """
        CREATE FUNCTION batchtui_job_changed() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('batchtui_jobs', NEW.local_id);
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """,
        """
        CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
        FOR EACH ROW EXECUTE FUNCTION batchtui_job_changed()
        """,
        """
        CREATE TRIGGER jobs_changed AFTER UPDATE ON jobs
        FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at)
        EXECUTE FUNCTION batchtui_job_changed()
        """,
    ),
}


def postgres_statements(index: int, migrations: list[tuple[str, ...]] | None = None) -> list[str]:
    """Migration ``index`` as PostgreSQL runs it."""
    steps = MIGRATIONS if migrations is None else migrations
    out = []
    for statement in steps[index]:
        text = re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)
        text = text.replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        )
        text = re.sub(
            r"CREATE TABLE (jobs|intents) \(",
            r"CREATE TABLE \1 (\n rowid BIGINT GENERATED BY DEFAULT AS IDENTITY,",
            text,
        )
        out.append(text)
    if migrations is None:
        out.extend(_POSTGRES_ONLY.get(index, ()))
    return out


def newer_schema(version: int, known: int) -> StoreError:
    """The refusal of a database written by a newer batchtui."""
    return StoreError(
        f"the job store has schema version {version}, newer than this batchtui "
        f"understands ({known}); upgrade batchtui"
    )


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's `user_version`."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: list[tuple[str, ...]] | None = None) -> int:
    """Apply every pending migration in one transaction; returns the resulting version.

    The connection must be in autocommit mode (``isolation_level=None``). On any error nothing
    is applied. A database newer than this code is refused.
    """
    steps = MIGRATIONS if migrations is None else migrations
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)
        if version > len(steps):
            raise newer_schema(version, len(steps))
        for index in range(version, len(steps)):
            for statement in steps[index]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {index + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(steps)
