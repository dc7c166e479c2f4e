"""The embedded store database: one SQLite file in WAL mode, one connection per process."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from batchtui.core.store.schema import migrate, schema_version


class SqliteDatabase:
    """A `Database` on a SQLite file. Writers take the file's lock up front
    (``BEGIN IMMEDIATE``) and wait up to ``timeout_s`` for it, so every write transaction is
    exclusive across processes whether asked for or not."""

    kind = "sqlite"

    def __init__(self, path: Path, *, timeout_s: float = 10.0) -> None:
        self.path = path
        self.display = str(path)
        self._conn = sqlite3.connect(
            path, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            # Sorts (every list of jobs is ordered) stay in memory: on disk, sorting the rows
            # of 10,000 jobs spilled to a temporary file and cost a third of the read.
            self._conn.execute("PRAGMA temp_store = MEMORY")
            migrate(self._conn)
        except BaseException:
            self._conn.close()
            raise
        try:
            path.chmod(0o600)
        except OSError:
            pass

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self._conn.cursor()
        cursor.row_factory = None
        rows = cursor.execute(sql, params).fetchall()
        return [column[0] for column in cursor.description], rows

    @contextmanager
    def write(self, *, exclusive: bool = True) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def schema_version(self) -> int:
        return schema_version(self._conn)

    def close(self) -> None:
        self._conn.close()

    def listen(self) -> Iterator[str] | None:
        return None
