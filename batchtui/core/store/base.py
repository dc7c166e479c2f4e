"""The store's connection: opening, pragmas, migrations, locking and transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from batchtui.core.clock import Clock, SystemClock
from batchtui.core.paths import DB_NAME, data_dir, ensure_private_dir
from batchtui.core.store.kept import INPUTS_DIR, keep_input
from batchtui.core.store.records import JobRecord
from batchtui.core.store.rows import JOB_SELECT
from batchtui.core.store.schema import migrate, schema_version


class StoreBase:
    """One SQLite connection in WAL mode, shared by threads under a lock.

    Every method is synchronous and short; callers on an event loop run them in a thread.
    Several processes may open the same file: writes take the database lock up front
    (`BEGIN IMMEDIATE`) and wait up to `timeout_s` for it.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        clock: Clock | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.path = Path(path) if path is not None else data_dir() / DB_NAME
        self.root = self.path.parent
        self.clock: Clock = clock or SystemClock()
        ensure_private_dir(self.root)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            migrate(self._conn)
        except BaseException:
            self._conn.close()
            raise
        try:
            self.path.chmod(0o600)
        except OSError:
            pass

    # --- lifecycle ---

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        with self._lock:
            return schema_version(self._conn)

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
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database lock from its start."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _jobs(
        self,
        where: str = "",
        params: Sequence[Any] = (),
        order: str = "j.created_at DESC, j.rowid DESC",
        *,
        brief: bool = False,
    ) -> list[JobRecord]:
        sql = JOB_SELECT + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
        if not brief:
            return [JobRecord.from_row(row) for row in self._query(sql, params)]
        with self._lock:  # plain tuples made into dicts: far cheaper than sqlite3.Row lookups
            cursor = self._conn.cursor()
            cursor.row_factory = None
            rows = cursor.execute(sql, params).fetchall()
            names = [column[0] for column in cursor.description]
        return [JobRecord.from_brief_row(dict(zip(names, row, strict=True))) for row in rows]
