"""The team store (issue 15): poll leases, the change feed, one submission per input across
racing stores, who submitted a job and whose machine holds its results, and a PostgreSQL
server that is down, lost, too old or newer in schema. Each store object stands for another
process (or machine); tests that apply to both engines run on SQLite and PostgreSQL."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.core.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    InputAlreadySent,
    JobStore,
    StoreError,
    StoreUnavailable,
    open_store,
    postgres_db,
    schema,
)
from batchtui.core.store.schema import postgres_statements
from batchtui.localpg import free_port

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
OpenDb = Callable[..., JobStore]


def snapshot(batch_id: str, done: int = 0) -> BatchJob:
    return BatchJob(
        provider="openai",
        id=batch_id,
        status=BatchStatus.IN_PROGRESS,
        raw_status="in_progress",
        counts=RequestCounts(total=10, processing=10 - done, succeeded=done),
        times=Timestamps(created_at=T0),
    )


def record(store: JobStore, sha: str = "a", **kw: Any) -> str:
    return store.record_intent(
        profile=kw.pop("profile", "openai"),
        provider="openai",
        input_path=f"/kept/{sha}.jsonl",
        sha256=sha * 64,
        request_count=3,
        **kw,
    ).local_id


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store(open_db: OpenDb, clock: FixedClock) -> JobStore:
    return open_db(clock=clock)


# --- poll leases ---------------------------------------------------------------------------


def test_claims_take_free_own_and_expired_leases_but_not_held_ones(
    open_db: OpenDb, clock: FixedClock
) -> None:
    mine, theirs = open_db(clock=clock), open_db(clock=clock)
    ids = [mine.upsert_snapshot(snapshot(f"b{n}"), "openai")[0].local_id for n in range(3)]
    assert mine.claim_polls(ids[:2], "alice", 60) == set(ids[:2])  # free
    assert theirs.claim_polls(ids, "bob", 60) == {ids[2]}  # two are held by alice
    clock.advance(30)
    assert mine.claim_polls(ids[:2], "alice", 60) == set(ids[:2])  # renewed, to T0 + 90
    clock.advance(40)  # T0 + 70: bob's lease (to T0 + 60) ran out, alice's did not
    assert mine.claim_polls(ids, "alice", 60) == set(ids)
    assert theirs.claim_polls(ids, "bob", 60) == set()
    clock.advance(61)
    assert theirs.claim_polls(ids, "bob", 60) == set(ids)  # every lease of alice expired
    assert theirs.claim_polls(["nope", *ids[:1]], "bob", 60) == {ids[0]}  # unknown ids: none


def test_released_leases_are_free_at_once(open_db: OpenDb, clock: FixedClock) -> None:
    mine, theirs = open_db(clock=clock), open_db(clock=clock)
    ids = [mine.upsert_snapshot(snapshot(f"b{n}"), "openai")[0].local_id for n in range(3)]
    assert mine.claim_polls(ids, "alice", 60) == set(ids)
    assert theirs.release_polls("bob") == 0  # bob holds nothing, takes nothing from alice
    assert theirs.claim_polls(ids, "bob", 60) == set()
    assert mine.release_polls("alice") == 3
    assert theirs.claim_polls(ids, "bob", 60) == set(ids)


def test_claims_are_made_in_chunks(store: JobStore) -> None:
    ids = [store.upsert_snapshot(snapshot(f"b{n}"), "openai")[0].local_id for n in range(3)]
    asked = [f"missing{n:04d}" for n in range(1200)]
    asked[10], asked[700], asked[1199] = ids  # one in each chunk of 500
    assert store.claim_polls(asked, "alice", 60) == set(ids)


def test_leases_do_not_count_as_changes(store: JobStore, clock: FixedClock) -> None:
    first = store.upsert_snapshot(snapshot("b1"), "openai")[0]
    clock.advance(1)
    second = store.upsert_snapshot(snapshot("b2"), "openai")[0]
    clock.advance(1)
    store.claim_polls([first.local_id, second.local_id], "alice", 60)
    store.upsert_snapshot(snapshot("b1"), "openai")  # a poll that changed nothing
    assert [j.local_id for j in store.changed_since(T0.timestamp() - 1)] == [
        first.local_id,
        second.local_id,
    ]
    assert [j.local_id for j in store.changed_since(T0.timestamp())] == [second.local_id]
    clock.advance(1)
    store.upsert_snapshot(snapshot("b1", done=4), "openai")
    assert [j.local_id for j in store.changed_since(T0.timestamp())] == [
        second.local_id,
        first.local_id,
    ]
    assert store.changed_since(clock.time()) == []


# --- the change feed -----------------------------------------------------------------------


def test_sqlite_has_no_change_feed(tmp_path: Path) -> None:
    with open_store(tmp_path, None) as store:
        assert store.changes() is None


class Feed:
    """`store.changes()` read on a thread of its own; ``seen`` gets (arrival time, id)."""

    def __init__(self, store: JobStore) -> None:
        feed = store.changes()
        assert feed is not None
        self._feed = feed
        self.seen: queue.Queue[tuple[float, str]] = queue.Queue()
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for local_id in self._feed:
                self.seen.put((time.monotonic(), local_id))
                if self._stop.is_set():
                    break
        except BaseException as exc:
            self.errors.append(exc)
            self.seen.put((time.monotonic(), "<error>"))
        finally:
            self._feed.close()

    def next(self, timeout: float = 5.0) -> tuple[float, str]:
        return self.seen.get(timeout=timeout)

    def until(self, wanted: str, timeout: float = 5.0) -> tuple[float, list[str]]:
        """Read until ``wanted`` arrives: its arrival time and every id read before it."""
        before: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            at, local_id = self.next(max(0.01, deadline - time.monotonic()))
            if local_id == wanted:
                return at, before
            before.append(local_id)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def feed_of() -> Iterator[Callable[[JobStore], Feed]]:
    feeds: list[Feed] = []

    def make(store: JobStore) -> Feed:
        feed = Feed(store)
        feeds.append(feed)
        return feed

    yield make
    for feed in feeds:
        feed.stop()


def test_changes_tell_other_stores_writes_and_not_ones_own(
    pg_url: str, tmp_path: Path, feed_of: Callable[[JobStore], Feed]
) -> None:
    with open_store(tmp_path / "a", pg_url) as mine, open_store(tmp_path / "b", pg_url) as theirs:
        feed = feed_of(mine)
        assert feed.next()[1] == ""  # the heartbeat: listening now
        own = record(mine, "1")  # told to every other listener, not back to its writer
        began = time.monotonic()
        other = record(theirs, "2")
        at, before = feed.until(other)
        assert at - began < 1.0
        assert own not in before and set(before) <= {""}
        # An update that moves the row is told; a poll time or a lease is not.
        marker = record(theirs, "3")
        assert set(feed.until(marker)[1]) <= {""}
        mine.set_label(own, "mine again")
        theirs.set_next_poll(other, None)
        theirs.claim_polls([other, own], "bob", 60)
        began = time.monotonic()
        theirs.set_label(marker, "renamed")
        at, before = feed.until(marker)  # told in commit order: nothing else came first
        assert at - began < 1.0 and set(before) <= {""}
        assert not feed.errors


def test_a_lost_feed_connection_is_store_unavailable(
    pg_url: str, tmp_path: Path, feed_of: Callable[[JobStore], Feed]
) -> None:
    with open_store(tmp_path, pg_url) as store:
        feed = feed_of(store)
        assert feed.next()[1] == ""
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'batchtui-listen' AND datname = current_database()"
            )
        deadline = time.monotonic() + 5
        while not feed.errors and time.monotonic() < deadline:
            feed.next(timeout=5)
        assert feed.errors and isinstance(feed.errors[0], StoreUnavailable)
        assert "lost the team store" in str(feed.errors[0])
        assert store.list_jobs() == []  # the store's own connection was not touched


# --- one submission per input --------------------------------------------------------------


def test_racing_stores_record_one_input_once(open_db: OpenDb) -> None:
    stores = [open_db(), open_db()]  # two processes, two threads each
    rounds = 8
    outcomes: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barriers = [threading.Barrier(4) for _ in range(rounds)]

    def submitter(store: JobStore) -> None:
        for n in range(rounds):
            barriers[n].wait(timeout=30)
            try:
                local_id = record(store, f"{n:x}", unique_input=True)
                outcome = local_id
            except InputAlreadySent as exc:
                outcome = "already:" + exc.job.local_id
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                continue
            with lock:
                outcomes.append((n, outcome))

    threads = [threading.Thread(target=submitter, args=(s,)) for s in stores for _ in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    for n in range(rounds):
        mine = [o for r, o in outcomes if r == n]
        recorded = [o for o in mine if not o.startswith("already:")]
        assert len(mine) == 4 and len(recorded) == 1, mine
        assert {o for o in mine if o.startswith("already:")} == {"already:" + recorded[0]}
        jobs = stores[0].find_by_sha256("openai", f"{n:x}" * 64, include_dropped=True)
        assert [j.local_id for j in jobs] == recorded


def race_unique(stores: list[JobStore], sha: str) -> list[str]:
    """Each store records input ``sha`` (unique) at once, on a thread of its own."""
    barrier = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def submit(store: JobStore) -> None:
        barrier.wait(timeout=30)
        try:
            record(store, sha, unique_input=True)
            outcomes.append("recorded")
        except InputAlreadySent:
            outcomes.append("already")
        except StoreError as exc:  # pragma: no cover - the failure shown
            outcomes.append(str(exc))

    threads = [threading.Thread(target=submit, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_racing_stores_record_one_input_once_whatever_the_server_isolation(
    pg_url: str, tmp_path: Path
) -> None:
    """The exclusive writes hold only with READ COMMITTED (each statement sees what committed
    while the writer lock was awaited); a server or database default of REPEATABLE READ or
    SERIALIZABLE must not change that."""
    name = pg_url.rsplit("/", 1)[1]
    for level in ("repeatable read", "serializable"):
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE {name} SET default_transaction_isolation = '{level}'")
        stores = [open_store(tmp_path, pg_url) for _ in range(4)]
        try:
            for n in range(5):
                outcomes = race_unique(stores, f"{level[0]}{n}")
                assert sorted(outcomes) == ["already"] * 3 + ["recorded"], (level, outcomes)
        finally:
            for store in stores:
                store.close()


def test_dropped_submissions_do_not_block_the_same_input(store: JobStore) -> None:
    failed = record(store, "d", unique_input=True)
    store.mark_failed(failed, "400 refused")
    abandoned = record(store, "d", unique_input=True)
    store.mark_creating(abandoned)
    store.mark_create_unknown(abandoned, reason="HTTP 502")
    store.mark_abandoned(abandoned, "nothing was created")
    withdrawn = record(store, "d", unique_input=True, queued=True)
    assert store.withdraw_queued(withdrawn)
    live = record(store, "d", unique_input=True)
    with pytest.raises(InputAlreadySent, match="already submitted on profile 'openai'") as info:
        record(store, "d", unique_input=True)
    assert info.value.job.local_id == live
    record(store, "d", unique_input=True, profile="other")  # another profile: its own input
    kept = store.find_by_sha256("openai", "d" * 64, include_dropped=True)
    assert {j.local_id for j in kept} == {failed, abandoned, withdrawn, live}


# --- who and where -------------------------------------------------------------------------


def test_submitted_by_round_trips(open_db: OpenDb) -> None:
    mine, theirs = open_db(), open_db()
    by_alice = record(mine, "1", submitted_by="alice@laptop")
    nobody = record(mine, "2")
    job = theirs.require(by_alice)
    assert job.submitted_by == "alice@laptop" and job.to_json()["submitted_by"] == "alice@laptop"
    assert theirs.require(nobody).submitted_by is None
    brief = {j.local_id: j.submitted_by for j in theirs.list_jobs(brief=True)}
    assert brief == {by_alice: "alice@laptop", nobody: None}


def test_results_cached_on_another_machine_are_not_here(
    open_db: OpenDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = open_db(), open_db()  # (on SQLite, one file read on two "machines")
    monkeypatch.setenv("BATCHTUI_MACHINE", "alpha")
    local_id = mine.upsert_snapshot(snapshot("b1", done=10), "openai")[0].local_id
    out = tmp_path / "alpha" / "results" / "b1.jsonl"
    mine.set_results_state(local_id, path=out, offsets={"output": 120}, complete=True)
    here = theirs.require(local_id)
    assert (here.results_path, here.results_offsets, here.results_complete) == (
        out,
        {"output": 120},
        True,
    )
    monkeypatch.setenv("BATCHTUI_MACHINE", "beta")  # read on another machine
    for job in (theirs.require(local_id), theirs.list_jobs(brief=True)[0]):
        assert (job.results_path, job.results_offsets, job.results_complete) == (None, {}, False)
        assert job.to_json()["results_complete"] is False
    # Beta downloads its own copy: now it is beta's, and alpha's is no longer known.
    mine_too = tmp_path / "beta" / "results" / "b1.jsonl"
    theirs.set_results_state(local_id, path=mine_too, offsets={"output": 0}, complete=False)
    assert theirs.require(local_id).results_path == mine_too
    monkeypatch.setenv("BATCHTUI_MACHINE", "alpha")
    assert mine.require(local_id).results_path is None


def test_a_row_written_before_results_host_counts_as_here(store: JobStore) -> None:
    local_id = store.upsert_snapshot(snapshot("b1", done=10), "openai")[0].local_id
    store.set_results_state(local_id, path="/r/b1.jsonl", complete=True)
    with store._tx() as c:
        c.execute("UPDATE jobs SET results_host = NULL WHERE local_id = ?", (local_id,))
    job = store.require(local_id)
    assert job.results_path == Path("/r/b1.jsonl") and job.results_complete


# --- an unreachable, lost, old or newer server ---------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:s3cret-pw@127.0.0.1:{port}/team",
        "postgresql://alice@127.0.0.1:{port}/team?password=s3cret-pw",
        "postgresql://alice:s3cret-pw@127.0.0.1:{port}/team?connect_timeout=2",
    ],
)
def test_an_unreachable_server_is_store_unavailable_without_the_password(
    url: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(StoreUnavailable) as info:
        open_store(tmp_path, url.format(port=port))
    message = str(info.value)
    assert f"postgresql://alice@127.0.0.1:{port}/team" in message
    assert "s3cret" not in message and "s3cret" not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:s3cret-pw@127.0.0.1:notaport/team",
        "postgresql://alice:s3cret-pw@127.0.0.1:1/team?nosuchoption=1",
        "postgresql://alice:s3cret-pw@[::1/team",
    ],
)
def test_a_malformed_url_never_shows_its_password(url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        open_store(tmp_path, url)
    assert "s3cret" not in str(info.value), str(info.value)


def test_a_killed_connection_is_reopened(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path, pg_url) as store:
        first = record(store, "1")
        for action in ("read", "write"):
            pid = store._db._conn.info.backend_pid  # type: ignore[attr-defined]
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            try:  # the loss is told once, or the call itself reconnects
                if action == "read":
                    store.require(first)
                else:
                    record(store, "2")
            except StoreUnavailable as exc:
                assert "lost the team store" in str(exc) or "cannot reach" in str(exc)
            assert store.require(first).local_id == first  # the next call works
            new_pid = store._db._conn.info.backend_pid  # type: ignore[attr-defined]
            assert new_pid != pid
        second = record(store, "3")
        assert {j.local_id for j in store.list_jobs()} >= {first, second}


def test_a_lost_write_leaves_nothing_half_written(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path, pg_url) as store:
        pid = store._db._conn.info.backend_pid  # type: ignore[attr-defined]
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        try:
            local_id: str | None = record(store, "1")
        except StoreUnavailable:
            local_id = None
        jobs = store.list_jobs()
        assert [j.local_id for j in jobs] == ([local_id] if local_id else [])
        if local_id:
            assert store.get_intent(local_id) is not None


# --- the PostgreSQL schema -----------------------------------------------------------------


def pg_tables(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            name: int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])  # type: ignore[index]
            for name in names
        }


def pg_version(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [int(r[0]) for r in conn.execute("SELECT version FROM batchtui_schema")]


def test_a_new_team_store_is_migrated_with_its_version_table(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path, pg_url) as store:
        assert store.kind == "postgresql" and store.shared
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    assert pg_version(pg_url) == [SCHEMA_VERSION]
    assert set(pg_tables(pg_url)) == {"batchtui_schema", "runs", "jobs", "intents", "events"}
    with psycopg.connect(pg_url, autocommit=True) as conn:
        triggers = {r[0] for r in conn.execute("SELECT tgname FROM pg_trigger")}
        types = dict(
            conn.execute(  # type: ignore[arg-type]
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'jobs' AND column_name IN ('created_at', 'rowid', 'adopted')"
            ).fetchall()
        )
    assert {"jobs_inserted", "jobs_changed"} <= triggers
    assert types == {"created_at": "double precision", "rowid": "bigint", "adopted": "integer"}


def test_reopening_a_team_store_migrates_nothing_again(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path, pg_url) as store:
        local_id = record(store)
    for _ in range(2):
        with open_store(tmp_path, pg_url) as store:
            assert store.schema_version == SCHEMA_VERSION
            assert [j.local_id for j in store.list_jobs()] == [local_id]
    assert pg_version(pg_url) == [SCHEMA_VERSION]


def test_stores_opened_at_once_migrate_once(pg_url: str, tmp_path: Path) -> None:
    opened: list[JobStore] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def opener() -> None:
        barrier.wait(timeout=30)
        try:
            opened.append(open_store(tmp_path, pg_url))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for store in opened:
        store.close()
    assert not errors and len(opened) == 4
    assert pg_version(pg_url) == [SCHEMA_VERSION]


def test_a_version_1_team_store_gains_the_later_columns(pg_url: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for statement in postgres_statements(0):
            conn.execute(statement)  # type: ignore[call-overload]
        conn.execute("CREATE TABLE batchtui_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO batchtui_schema VALUES (1)")
        conn.execute("INSERT INTO runs (id, created_at) VALUES ('run_1', 0)")
        conn.execute(
            "INSERT INTO jobs (local_id, run_id, profile, provider, status, created_at, "
            "updated_at) VALUES ('j1', 'run_1', 'openai', 'openai', 'completed', 0, 0)"
        )
    with open_store(tmp_path, pg_url) as store:
        assert store.schema_version == len(MIGRATIONS)
        old = store.require("j1")
        assert (old.estimate, old.submitted_by, old.stray_files) == (None, None, ())
        assert old.status is BatchStatus.COMPLETED
    assert pg_version(pg_url) == [SCHEMA_VERSION]


def test_a_newer_team_store_is_refused_and_left_alone(pg_url: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE batchtui_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO batchtui_schema VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer") as info:
        open_store(tmp_path, pg_url)
    assert not isinstance(info.value, StoreUnavailable)
    assert pg_tables(pg_url) == {"batchtui_schema": 1}
    assert pg_version(pg_url) == [SCHEMA_VERSION + 1]


def test_a_failed_team_migration_leaves_nothing_applied(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path, pg_url) as store:
        local_id = record(store)
    broken = [*MIGRATIONS, ("ALTER TABLE jobs ADD COLUMN extra TEXT", "THIS IS NOT SQL")]
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    monkeypatch.setattr(postgres_db, "MIGRATIONS", broken)
    with pytest.raises(psycopg.Error):
        open_store(tmp_path, pg_url)
    assert pg_version(pg_url) == [SCHEMA_VERSION]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        columns = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs'"
            )
        }
    assert "extra" not in columns
    monkeypatch.undo()
    with open_store(tmp_path, pg_url) as store:
        assert [j.local_id for j in store.list_jobs()] == [local_id]


def test_a_server_older_than_12_is_refused(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_info = psycopg.Connection.info

    class OldServer:
        def __init__(self, info: Any) -> None:
            self._info = info

        server_version = 110009

        def __getattr__(self, name: str) -> Any:
            return getattr(self._info, name)

    monkeypatch.setattr(
        psycopg.Connection, "info", property(lambda conn: OldServer(real_info.fget(conn)))
    )
    with pytest.raises(StoreError, match=r"runs PostgreSQL 11\.9; batchtui needs 12\.0") as info:
        open_store(tmp_path, pg_url)
    assert not isinstance(info.value, StoreUnavailable)
    assert "postgresql://batchtui@127.0.0.1:" in str(info.value)
    monkeypatch.undo()
    assert pg_tables(pg_url) == {}  # refused before anything was written
