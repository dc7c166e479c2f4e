"""Moving a store: copy this machine's SQLite store into a team store (`batchtui store
migrate`), and describe the store in use (`batchtui store info`).

The copy is one exclusive write transaction on the target (all or nothing), made of
multi-row inserts so ten thousand jobs take seconds. It is idempotent: rows are matched by
their keys (``runs.id``, ``jobs.local_id``, ``intents.local_id``; events, whose ids belong to
one database, by ``(local_id, at, kind, message)``), so a second run copies nothing. A job
whose provider batch the target already holds under another local id (recorded by another
machine, e.g. adopted there) is skipped and reported, with its intent and events; jobs that
name it as their parent point at the target's row instead.

Every column both databases have is copied as it is, except what belongs to this machine or
process: the results cache stays here (``results_host`` is set to this machine where a job
has results and names no holder), a submission's ``host`` is set to this machine where it is
missing (its ``pid`` means nothing elsewhere), and poll leases are not copied. Results files
and kept inputs are not copied.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.core.paths import DB_NAME, machine_name
from batchtui.core.store.database import Connection
from batchtui.core.store.records import StoreError
from batchtui.core.store.schema import SCHEMA_VERSION, newer_schema

if TYPE_CHECKING:
    from batchtui.core.store import JobStore

TABLES = ("runs", "jobs", "intents", "events")
"""What is copied, in the order the foreign keys need."""

_MAX_PARAMS = 16000
"""Parameters per insert statement (SQLite allows 32766, PostgreSQL 65535)."""

_JSON_ROWS = 2000
"""Rows per insert statement on PostgreSQL."""

_NOT_COPIED = {"jobs": ("rowid", "lease_owner", "lease_until"), "intents": ("rowid",)}
"""Target columns left to their defaults: the target's own row ids and this process's
poll leases."""

_SAME_BATCH_SHOWN = 20
"""How many skipped same-batch jobs a summary names."""

Progress = Callable[[str, int, int], None]
"""``progress(table, done, total)``, called after each batch of inserted rows."""


@dataclass
class TableCopy:
    """What happened to one table's rows."""

    copied: int = 0
    already: int = 0
    """Rows the target already held under the same key."""
    same_batch: int = 0
    """Rows left out because their job's batch is in the target under another local id."""

    def as_dict(self) -> dict[str, int]:
        return {"copied": self.copied, "already": self.already, "same_batch": self.same_batch}


@dataclass(frozen=True)
class SameBatch:
    """A job not copied: the target records its provider batch under another local id."""

    local_id: str
    target_local_id: str
    profile: str
    batch_id: str

    def as_dict(self) -> dict[str, str]:
        return {
            "local_id": self.local_id,
            "target_local_id": self.target_local_id,
            "profile": self.profile,
            "batch_id": self.batch_id,
        }


@dataclass
class MigrationSummary:
    """The outcome of `copy_store` / `migrate_store`."""

    source: str
    target: str
    tables: dict[str, TableCopy] = field(default_factory=lambda: {t: TableCopy() for t in TABLES})
    same_batch: list[SameBatch] = field(default_factory=list)
    results_host: str | None = None
    """The machine named as the holder of copied jobs' results (None: no job had results)."""
    results_marked: int = 0
    """Copied jobs whose ``results_host`` was set to this machine."""

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables.values())

    @property
    def already(self) -> int:
        return sum(t.already for t in self.tables.values())

    @property
    def skipped_same_batch(self) -> int:
        return sum(t.same_batch for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "copied": self.copied,
            "already": self.already,
            "same_batch": self.skipped_same_batch,
            "tables": {name: copy.as_dict() for name, copy in self.tables.items()},
            "same_batch_jobs": [s.as_dict() for s in self.same_batch[:_SAME_BATCH_SHOWN]],
            "results_host": self.results_host,
            "results_marked": self.results_marked,
        }

    def lines(self) -> list[str]:
        """The summary as a few lines of text (the first one says it all)."""
        t = self.tables
        head = (
            f"copied {t['runs'].copied} runs, {t['jobs'].copied} jobs, "
            f"{t['intents'].copied} intents, {t['events'].copied} events to {self.target}; "
            f"{self.already} already there"
        )
        if self.skipped_same_batch:
            head += (
                f"; {t['jobs'].same_batch} job(s) already there under another local id "
                "(same batch), not copied"
            )
        out = [head]
        for skip in self.same_batch[:_SAME_BATCH_SHOWN]:
            out.append(
                f"  same batch: {skip.profile} {skip.batch_id} is {skip.target_local_id} there "
                f"(here {skip.local_id}); its history stays here"
            )
        if len(self.same_batch) > _SAME_BATCH_SHOWN:
            out.append(f"  … and {len(self.same_batch) - _SAME_BATCH_SHOWN} more")
        if self.results_marked:
            out.append(
                f"results of {self.results_marked} job(s) stay on {self.results_host}; "
                "other machines download them again"
            )
        return out


# --- opening -------------------------------------------------------------------------------


def source_schema_version(path: Path) -> int:
    """The schema version of a SQLite store, read without writing it (StoreError when the
    file is not there or not a store)."""
    if not path.is_file():
        raise StoreError(f"no store to copy at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the store {path}: {exc}") from None


def migrate_store(
    source: Path,
    target_url: str,
    *,
    host: str | None = None,
    submitted_by: str | None = None,
    progress: Progress | None = None,
) -> MigrationSummary:
    """Copy the SQLite store at ``source`` into the team store at ``target_url``.

    Refused (StoreError, nothing written) when the source is missing or newer than this
    program, or the target cannot be used (a bad URL, a newer schema, an old server);
    StoreUnavailable when the server cannot be reached. The source is migrated forward to
    this program's schema first, as opening it anywhere would. ``submitted_by`` fills the
    submitter of jobs submitted here that name none (rows older than the team store).
    """
    from batchtui.core.store import JobStore, open_store

    version = source_schema_version(source)
    if version > SCHEMA_VERSION:
        raise newer_schema(version, SCHEMA_VERSION)
    target = open_store(source.parent, target_url)
    try:
        if not target.shared:
            raise StoreError("the target is not a team store: give --to postgresql://…")
        with JobStore(source) as src:
            if src.schema_version != SCHEMA_VERSION:  # pragma: no cover - JobStore migrates
                raise StoreError(
                    f"the store {source} has schema version {src.schema_version}; this "
                    f"batchtui copies version {SCHEMA_VERSION}"
                )
            import psycopg  # open_store imported it: the target is a team store

            try:
                return copy_store(
                    src, target, host=host, submitted_by=submitted_by, progress=progress
                )
            except (psycopg.Error, sqlite3.Error, ValueError) as exc:  # rolled back
                why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise StoreError(f"the copy failed, nothing was copied: {why}") from None
    finally:
        target.close()


# --- copying -------------------------------------------------------------------------------


def copy_store(
    source: JobStore,
    target: JobStore,
    *,
    host: str | None = None,
    submitted_by: str | None = None,
    progress: Progress | None = None,
) -> MigrationSummary:
    """Copy every row of ``source`` (a `JobStore`) the ``target`` (another `JobStore`, of the
    same schema version) lacks, in one exclusive transaction on the target."""
    if source.location == target.location and source.kind == target.kind:
        raise StoreError(f"the source and the target are the same store ({source.location})")
    if source.schema_version != target.schema_version:
        raise StoreError(
            f"schema versions differ: {source.location} has {source.schema_version}, "
            f"{target.location} has {target.schema_version}"
        )
    host = host or machine_name()
    summary = MigrationSummary(source=source.location, target=target.location)
    data = {table: _read_all(source, table) for table in TABLES}
    with target._lock, target._db.write(exclusive=True) as conn:
        columns = {table: _columns(conn, target.kind, table) for table in TABLES}
        _copy_runs(conn, data["runs"], columns["runs"], summary, progress)
        kept = _copy_jobs(
            conn, data["jobs"], columns["jobs"], summary, progress, host, submitted_by
        )
        _copy_intents(conn, data["intents"], columns["intents"], kept, summary, progress, host)
        _copy_events(conn, data["events"], columns["events"], kept, summary, progress)
    return summary


class _Rows:
    """One source table: its column names and rows (plain tuples)."""

    def __init__(self, names: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.names = names
        self.rows = rows
        self.index = {name: n for n, name in enumerate(names)}

    def get(self, row: Sequence[Any], name: str) -> Any:
        return row[self.index[name]]


def _read_all(store: JobStore, table: str) -> _Rows:
    order = {"runs": "id", "jobs": "created_at, rowid", "intents": "rowid", "events": "id"}
    with store._lock:
        names, rows = store._db.rows(f"SELECT * FROM {table} ORDER BY {order[table]}")
    return _Rows(list(names), [tuple(r) for r in rows])


def _columns(conn: Connection, kind: str, table: str) -> list[str]:
    """The target table's column names, in order."""
    if kind == "sqlite":
        return [str(r["name"]) for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [str(r["column_name"]) for r in rows]


def _shared(src: _Rows, target: list[str], table: str, skip: Iterable[str] = ()) -> list[str]:
    """The columns to copy: the source's, each of which the target must have."""
    left_out = set(_NOT_COPIED.get(table, ())) | set(skip)
    missing = [c for c in src.names if c not in target and c not in left_out]
    if missing:
        raise StoreError(
            f"the target's {table} table lacks column(s) {', '.join(missing)}; "
            "is it the same schema version?"
        )
    return [c for c in src.names if c not in left_out]


def _keys(conn: Connection, sql: str, values: Sequence[Any]) -> list[Any]:
    """Rows of ``sql`` (one ``IN ({marks})`` placeholder) over ``values``, in chunks."""
    out: list[Any] = []
    for start in range(0, len(values), 1000):
        chunk = list(values[start : start + 1000])
        if chunk:
            marks = ", ".join("?" for _ in chunk)
            out.extend(conn.execute(sql.format(marks=marks), chunk).fetchall())
    return out


def _insert(
    conn: Connection,
    table: str,
    names: list[str],
    rows: list[tuple[Any, ...]],
    progress: Progress | None,
) -> None:
    """Insert ``rows`` (tuples in ``names`` order) in batches: on PostgreSQL one JSON
    parameter per batch expanded by the server (``json_populate_recordset``, typed by the
    table itself), since a client splitting statements of thousands of placeholders costs
    more than the copy; elsewhere multi-row ``VALUES``."""
    if not rows:
        return
    columns = ", ".join(names)
    if _postgres(conn):
        per = _JSON_ROWS
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {columns} "
            f"FROM json_populate_recordset(NULL::{table}, ?::json)"
        )
    else:
        per = max(1, _MAX_PARAMS // max(1, len(names)))
        one = "(" + ", ".join("?" for _ in names) + ")"
    for start in range(0, len(rows), per):
        batch = rows[start : start + per]
        if _postgres(conn):
            records = [dict(zip(names, row, strict=True)) for row in batch]
            conn.execute(sql, (json.dumps(records, allow_nan=False),))
        else:
            params = [value for row in batch for value in row]
            conn.execute(
                f"INSERT INTO {table} ({columns}) VALUES " + ", ".join(one for _ in batch),
                params,
            )
        if progress is not None:
            progress(table, start + len(batch), len(rows))


def _postgres(conn: Connection) -> bool:
    return not isinstance(conn, sqlite3.Connection)


def _copy_runs(
    conn: Connection,
    src: _Rows,
    target_columns: list[str],
    summary: MigrationSummary,
    progress: Progress | None,
) -> None:
    names = _shared(src, target_columns, "runs")
    ids = [src.get(r, "id") for r in src.rows]
    have = {r["id"] for r in _keys(conn, "SELECT id FROM runs WHERE id IN ({marks})", ids)}
    new = [r for r in src.rows if src.get(r, "id") not in have]
    _insert(conn, "runs", names, [_pick(src, r, names) for r in new], progress)
    summary.tables["runs"].copied = len(new)
    summary.tables["runs"].already = len(src.rows) - len(new)


def _pick(src: _Rows, row: tuple[Any, ...], names: list[str]) -> tuple[Any, ...]:
    return tuple(row[src.index[n]] for n in names)


def _copy_jobs(
    conn: Connection,
    src: _Rows,
    target_columns: list[str],
    summary: MigrationSummary,
    progress: Progress | None,
    host: str,
    submitted_by: str | None,
) -> dict[str, str]:
    """Copy the jobs; returns where each source job is in the target (its local id, or the
    target's id of the same batch) for the intents, events and children that follow."""
    names = _shared(src, target_columns, "jobs")
    ids = [src.get(r, "local_id") for r in src.rows]
    have = {
        r["local_id"]
        for r in _keys(conn, "SELECT local_id FROM jobs WHERE local_id IN ({marks})", ids)
    }
    batches = sorted({src.get(r, "batch_id") for r in src.rows} - {None})
    held = {
        (r["profile"], r["batch_id"]): r["local_id"]
        for r in _keys(
            conn,
            "SELECT local_id, profile, batch_id FROM jobs WHERE batch_id IN ({marks})",
            batches,
        )
    }
    where: dict[str, str] = {}  # source local id -> target local id
    new: list[tuple[Any, ...]] = []
    table = summary.tables["jobs"]
    for row in src.rows:
        local_id = src.get(row, "local_id")
        if local_id in have:
            where[local_id] = local_id
            table.already += 1
            continue
        other = held.get((src.get(row, "profile"), src.get(row, "batch_id")))
        if other is not None:
            where[local_id] = other
            table.same_batch += 1
            summary.same_batch.append(
                SameBatch(local_id, other, src.get(row, "profile"), src.get(row, "batch_id"))
            )
            continue
        where[local_id] = local_id
        new.append(row)
    out = []
    for row in _parents_first(src, new):
        values = dict(zip(src.names, row, strict=True))
        parent = values.get("parent_local_id")
        if parent is not None:
            values["parent_local_id"] = where.get(parent)
        if values.get("results_path") and not values.get("results_host"):
            values["results_host"] = host
            summary.results_marked += 1
            summary.results_host = host
        if submitted_by and not values.get("submitted_by") and not values.get("adopted"):
            values["submitted_by"] = submitted_by
        out.append(tuple(values[n] for n in names))
    _insert(conn, "jobs", names, out, progress)
    table.copied = len(out)
    return where


def _parents_first(src: _Rows, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``rows`` ordered so that a parent comes before its children (foreign keys)."""
    by_id = {src.get(r, "local_id"): r for r in rows}
    done: set[str] = set()
    out: list[tuple[Any, ...]] = []
    for row in rows:
        chain: list[tuple[Any, ...]] = []
        current: tuple[Any, ...] | None = row
        while current is not None and src.get(current, "local_id") not in done:
            chain.append(current)
            done.add(src.get(current, "local_id"))
            current = by_id.get(src.get(current, "parent_local_id"))
        out.extend(reversed(chain))
    return out


def _copy_intents(
    conn: Connection,
    src: _Rows,
    target_columns: list[str],
    where: dict[str, str],
    summary: MigrationSummary,
    progress: Progress | None,
    host: str,
) -> None:
    names = _shared(src, target_columns, "intents")
    ids = [src.get(r, "local_id") for r in src.rows]
    have = {
        r["local_id"]
        for r in _keys(conn, "SELECT local_id FROM intents WHERE local_id IN ({marks})", ids)
    }
    table = summary.tables["intents"]
    out = []
    for row in src.rows:
        local_id = src.get(row, "local_id")
        if where.get(local_id) != local_id:
            table.same_batch += 1
        elif local_id in have:
            table.already += 1
        else:
            values = dict(zip(src.names, row, strict=True))
            if "host" in values and not values["host"]:
                values["host"] = host
            out.append(tuple(values[n] for n in names))
    _insert(conn, "intents", names, out, progress)
    table.copied = len(out)


def _copy_events(
    conn: Connection,
    src: _Rows,
    target_columns: list[str],
    where: dict[str, str],
    summary: MigrationSummary,
    progress: Progress | None,
) -> None:
    names = _shared(src, target_columns, "events", skip=("id",))
    ids = sorted({src.get(r, "local_id") for r in src.rows})
    key = ("local_id", "at", "kind", "message")
    have = Counter(
        tuple(r[k] for k in key)
        for r in _keys(
            conn,
            "SELECT local_id, at, kind, message FROM events WHERE local_id IN ({marks})",
            ids,
        )
    )
    table = summary.tables["events"]
    out = []
    for row in src.rows:
        local_id = src.get(row, "local_id")
        if where.get(local_id) != local_id:
            table.same_batch += 1
            continue
        mark = tuple(src.get(row, k) for k in key)
        if have[mark] > 0:
            have[mark] -= 1
            table.already += 1
        else:
            out.append(_pick(src, row, names))
    _insert(conn, "events", names, out, progress)
    table.copied = len(out)


# --- describing ----------------------------------------------------------------------------


def store_info(store: JobStore, *, who: bool = True) -> dict[str, Any]:
    """What `batchtui store info` shows of an open `JobStore`: kind, where (no password),
    schema version, job count; for a team store the server's version and, with ``who``,
    who is connected to its database (user, application, address)."""
    with store._lock:
        jobs = int(store._db.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"])
        runs = int(store._db.execute("SELECT count(*) AS n FROM runs").fetchone()["n"])
    info: dict[str, Any] = {
        "kind": store.kind,
        "location": store.location,
        "schema_version": store.schema_version,
        "program_schema_version": SCHEMA_VERSION,
        "jobs": jobs,
        "runs": runs,
    }
    if store.kind == "sqlite":
        info["path"] = str(store.path)
        return info
    info["home"] = str(store.path.parent if store.path.name == DB_NAME else store.path)
    with store._lock:
        row = store._db.execute("SELECT current_setting('server_version') AS v").fetchone()
        info["server_version"] = str(row["v"])
        if who:
            rows = store._db.execute(
                "SELECT usename, application_name, host(client_addr) AS addr, count(*) AS n "
                "FROM pg_stat_activity WHERE datname = current_database() "
                "GROUP BY usename, application_name, client_addr ORDER BY usename, "
                "application_name"
            ).fetchall()
            info["connected"] = [
                {
                    "user": r["usename"],
                    "application": r["application_name"] or None,
                    "address": r["addr"],
                    "connections": int(r["n"]),
                }
                for r in rows
            ]
    return info
