"""The store's connection: opening, locking and transactions over a `Database`."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from batchtui.core.clock import Clock, SystemClock
from batchtui.core.paths import DB_NAME, data_dir, ensure_private_dir
from batchtui.core.store.database import Connection, Database
from batchtui.core.store.kept import INPUTS_DIR, keep_input
from batchtui.core.store.records import JobRecord
from batchtui.core.store.row_records import job_records
from batchtui.core.store.rows import JOB_SELECT, JOB_SELECT_KEYED

NEWEST_FIRST = "j.created_at DESC, j.rowid DESC"
"""The order of lists of jobs: newest first (recorded in the store), the later insert first
among jobs recorded at the same moment."""


class StoreBase:
    """One database connection shared by threads under a lock.

    Every method is synchronous and short; callers on an event loop run them in a thread.
    `JobStore(path)` opens the embedded SQLite file (``data_dir()/batchtui.db`` by default);
    `JobStore(database=PostgresDatabase(url), path=home)` a team store, with ``path``'s folder
    still holding this machine's own files (kept inputs, results). Several processes may use
    the same database: exclusive writes wait for each other (see `Database.write`).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        clock: Clock | None = None,
        timeout_s: float = 10.0,
        database: Database | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else data_dir() / DB_NAME
        self.root = self.path.parent
        self.clock: Clock = clock or SystemClock()
        ensure_private_dir(self.root)
        self._lock = threading.RLock()
        if database is None:
            from batchtui.core.store.sqlite_db import SqliteDatabase

            database = SqliteDatabase(self.path, timeout_s=timeout_s)
        self._db: Database = database

    # --- lifecycle ---

    def close(self) -> None:
        """Close the connection (checkpointing SQLite's WAL)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def kind(self) -> str:
        """``"sqlite"`` (this machine's own store) or ``"postgresql"`` (a team store)."""
        return self._db.kind

    @property
    def location(self) -> str:
        """Where the store is, safe to print (a team store's URL without its password)."""
        return self._db.display

    @property
    def shared(self) -> bool:
        """Whether other machines may write this store (a team store)."""
        return self._db.kind != "sqlite"

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        with self._lock:
            return self._db.schema_version()

    @property
    def inputs_dir(self) -> Path:
        """Where kept copies of submitted inputs live."""
        return self.root / INPUTS_DIR

    def keep_input(self, src_path: Path | str) -> Path:
        """Copy an input into `inputs/<sha256>.jsonl` beside the database (atomic)."""
        return keep_input(src_path, self.root)

    # --- plumbing ---

    def _now(self) -> float:
        return self.clock.time()

    @contextmanager
    def _tx(self, *, exclusive: bool = True) -> Iterator[Connection]:
        """A write transaction; ``exclusive`` (the default) holds the store's writer lock
        from its start, so what it reads cannot change before it writes."""
        with self._lock, self._db.write(exclusive=exclusive) as conn:
            yield conn

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _jobs(
        self,
        where: str = "",
        params: Sequence[Any] = (),
        order: str = NEWEST_FIRST,
        *,
        brief: bool = False,
    ) -> list[JobRecord]:
        clause = f" WHERE {where}" if where else ""
        if order != NEWEST_FIRST:
            with self._lock:  # plain tuples: far cheaper than sqlite3.Row lookups
                names, rows = self._db.rows(JOB_SELECT + clause + f" ORDER BY {order}", params)
            return job_records(names, rows, brief=brief)
        # Newest first, sorted here by the two keys: the database would sort whole rows,
        # snapshots included (a seventh of the read at 10,000 jobs).
        with self._lock:
            names, rows = self._db.rows(JOB_SELECT_KEYED + clause, params)
        rows.sort(key=itemgetter(names.index("created_at"), 0), reverse=True)
        return job_records(names, rows, brief=brief)
