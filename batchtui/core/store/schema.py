"""The store's schema as an ordered list of migrations, tracked by `PRAGMA user_version`.

Migration ``i`` takes a database from version ``i`` to ``i + 1``. Append new migrations at the
end; never edit one that has shipped.
"""

from __future__ import annotations

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
]

SCHEMA_VERSION = len(MIGRATIONS)


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
            raise StoreError(
                f"the job store has schema version {version}, newer than this batchtui "
                f"understands ({len(steps)}); upgrade batchtui"
            )
        for index in range(version, len(steps)):
            for statement in steps[index]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {index + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(steps)
