"""The team store database: PostgreSQL through psycopg 3 (the optional extra ``team``).

The portable SQL of the store runs unchanged: ``?`` placeholders become ``%s``. A write
transaction that must not race another writer takes one transaction-level advisory lock, the
same guarantee SQLite's ``BEGIN IMMEDIATE`` gives across processes, now across machines; the
queue and the poll leases also lock rows (``FOR UPDATE SKIP LOCKED``). Row changes reach every
listener through ``LISTEN``/``NOTIFY`` (triggers made by the schema). A lost connection is
reported as `StoreUnavailable` and reopened on the next call.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from batchtui.core.store.records import StoreError, StoreUnavailable
from batchtui.core.store.schema import (
    CHANGES_CHANNEL,
    MIGRATIONS,
    newer_schema,
    postgres_statements,
)

if TYPE_CHECKING:
    import psycopg

MIN_SERVER_VERSION = 120000
"""PostgreSQL 12: the oldest server the team store supports."""

WRITER_LOCK = 0x62617463  # "batc": the advisory lock key every exclusive write takes
MIGRATE_LOCK = 0x62617464
_CONNECT_TIMEOUT_S = 5


def display_url(url: str) -> str:
    """A store URL safe to print: no password, whether in the URL or its query."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return "postgresql://…"
    user = str(parts.get("user") or "")
    host = parts.get("host") or "localhost"
    port = parts.get("port")
    name = parts.get("dbname") or ""
    where = f"{host}:{port}" if port else str(host)
    return f"postgresql://{user + '@' if user else ''}{where}/{name}"


def _translate(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class _Conn:
    """The connection as the store's SQL sees it: ``?`` placeholders."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self._conn.execute(_translate(sql), tuple(params))


class PostgresDatabase:
    """A `Database` on a PostgreSQL server (`url` is a libpq URL or conninfo string; the
    password comes from it, ``PGPASSWORD`` or a 0600 ``~/.pgpass``, libpq's own rules)."""

    kind = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.display = display_url(url)
        self._conn: psycopg.Connection[Any] | None = None
        conn = self._connect()
        try:
            self._migrate(conn)
        except BaseException:
            conn.close()
            self._conn = None
            raise

    # --- connection ---

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg
        from psycopg.rows import dict_row

        conn = self._open("batchtui", row_factory=dict_row)
        # Every transaction reads what committed before each of its statements, whatever the
        # server's default: an exclusive write must see the writes it waited for.
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        version = conn.info.server_version
        if version < MIN_SERVER_VERSION:
            conn.close()
            raise StoreError(
                f"the team store {self.display} runs PostgreSQL {_version_text(version)}; "
                f"batchtui needs {_version_text(MIN_SERVER_VERSION)} or newer"
            )
        self._conn = conn
        return conn

    def _open(self, name: str, **kwargs: Any) -> psycopg.Connection[Any]:
        """A new autocommit connection; StoreUnavailable (no password) when it fails."""
        import psycopg

        try:
            return psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=_CONNECT_TIMEOUT_S,
                application_name=name,
                **kwargs,
            )
        except psycopg.Error as exc:
            raise StoreUnavailable(
                f"cannot reach the team store {self.display}: {_why(exc, self.url)}"
            ) from None

    def _live(self) -> psycopg.Connection[Any]:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            conn = self._connect()
        return conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.OperationalError as exc:
            conn = self._conn
            if conn is None or conn.closed or conn.broken:
                raise StoreUnavailable(
                    f"lost the team store {self.display}: {_why(exc, self.url)}"
                ) from None
            raise StoreError(f"the team store refused: {_why(exc, self.url)}") from None

    # --- the Database protocol ---

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._guard():
            return _Conn(self._live()).execute(sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        from psycopg.rows import tuple_row

        with self._guard():
            cursor = self._live().cursor(row_factory=tuple_row)
            cursor.execute(_translate(sql), tuple(params))
            names = [column.name for column in cursor.description or ()]
            return names, cursor.fetchall()

    @contextmanager
    def write(self, *, exclusive: bool = True) -> Iterator[_Conn]:
        with self._guard():
            conn = self._live()
            with conn.transaction():
                if exclusive:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
                yield _Conn(conn)

    def schema_version(self) -> int:
        with self._guard():
            return _version(self._live())

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()

    def listen(self) -> Iterator[str] | None:
        """Job ids from ``NOTIFY``, on a connection of its own; ends when that connection is
        lost (raising `StoreUnavailable`) or the generator is closed."""
        return self._notifications()  # skips what this store's own connection wrote

    def _notifications(self) -> Iterator[str]:
        import psycopg

        conn = self._open("batchtui-listen")
        try:
            conn.execute(f"LISTEN {CHANGES_CHANNEL}")
            while True:
                try:
                    for note in conn.notifies(timeout=1.0):
                        own = self._conn
                        mine = own is not None and not own.closed
                        if not (mine and own is not None and note.pid == own.info.backend_pid):
                            yield note.payload  # changed by another process
                except psycopg.OperationalError as exc:
                    raise StoreUnavailable(
                        f"lost the team store {self.display}: {_why(exc, self.url)}"
                    ) from None
                yield ""  # a heartbeat: lets the reader stop between notifications
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    # --- schema ---

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        with self._guard(), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS batchtui_schema (version INTEGER NOT NULL)")
            version = _version(conn)
            if version > len(MIGRATIONS):
                raise newer_schema(version, len(MIGRATIONS))
            for index in range(version, len(MIGRATIONS)):
                for statement in postgres_statements(index):
                    conn.execute(statement)
            if version < len(MIGRATIONS):
                conn.execute("DELETE FROM batchtui_schema")
                conn.execute("INSERT INTO batchtui_schema VALUES (%s)", (len(MIGRATIONS),))


def _version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT max(version) AS version FROM batchtui_schema").fetchone()
    value = row["version"] if row is not None else None
    return int(value or 0)


def _version_text(number: int) -> str:
    return f"{number // 10000}.{number % 10000}" if number >= 100000 else str(number)


_URL_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s\"']*:)[^@\s\"']*@")
_OPTION_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&\"']+)")


def _why(exc: BaseException, url: str) -> str:
    """The first line of a driver error, without the password: libpq quotes a URL it cannot
    parse in full."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    text = text.replace(url, display_url(url))
    text = _URL_PASSWORD.sub(r"\1***@", text)
    return _OPTION_PASSWORD.sub(r"\1***", text)
