"""The store's database connection: one protocol, two implementations (SQLite, PostgreSQL).

Everything above this module writes portable SQL with ``?`` placeholders; a `Database` runs
it, translating where its engine needs to. Nothing above the store knows which is in use.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Cursor(Protocol):
    """What a statement returns: rows addressable by column name."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    @property
    def rowcount(self) -> int: ...


class Connection(Protocol):
    """A connection inside a transaction (or autocommit, outside one)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...


class Database(Protocol):
    """One connection to the store's database, used under the store's own lock."""

    kind: str
    """``"sqlite"`` or ``"postgresql"``."""

    display: str
    """Where the database is, safe to print (no password)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement outside any explicit transaction."""
        ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and plain tuple rows (the cheap read for long lists)."""
        ...

    def write(self, *, exclusive: bool = True) -> AbstractContextManager[Connection]:
        """A write transaction. ``exclusive`` holds the store's writer lock from its start,
        across processes and machines, so a read-then-write inside it cannot race another
        writer; without it, only the rows a statement locks are held."""
        ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...

    def listen(self) -> Iterator[str] | None:
        """Local ids of jobs changed by any process, as they change (blocking), or None when
        the engine cannot tell (SQLite: each process polls its own store)."""
        ...
