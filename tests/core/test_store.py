"""Job store: schema and migrations, snapshots and adoption, lookups, runs, results state,
kept inputs, concurrent writers, and keys never reaching the data dir."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.config import load_config, resolve_api_key
from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.core.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    JobStore,
    StoreError,
    job_from_dict,
    job_to_dict,
    keep_input,
    open_store,
    rows,
    sha256_file,
)
from batchtui.core.store.schema import migrate

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def ojob(
    batch_id: str = "batch_1",
    status: BatchStatus = BatchStatus.IN_PROGRESS,
    done: int = 0,
    total: int = 10,
    file_id: str | None = "file-1",
    **kw,
) -> BatchJob:
    counts = RequestCounts(total=total, processing=total - done, succeeded=done)
    return BatchJob(
        provider="openai",
        id=batch_id,
        status=status,
        raw_status=status.value,
        counts=counts,
        times=Timestamps(created_at=kw.pop("created_at", T0)),
        input_file_id=file_id,
        **kw,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store(open_db: Callable[..., JobStore], tmp_path: Path, clock: FixedClock) -> JobStore:
    """The store under test: on SQLite, then on PostgreSQL (`store_url`)."""
    return open_db(tmp_path / "data", clock)


def record(store: JobStore, **kw) -> str:
    kw.setdefault("profile", "openai")
    kw.setdefault("provider", "openai")
    kw.setdefault("input_path", "/in.jsonl")
    kw.setdefault("sha256", "a" * 64)
    kw.setdefault("request_count", 10)
    return store.record_intent(**kw).local_id


# --- schema --------------------------------------------------------------------------------


def test_new_sqlite_store_is_migrated_wal_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "d" / "b.db"
    with JobStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        conn = store._db._conn  # type: ignore[attr-defined]  # the SQLite file itself
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"runs", "jobs", "intents", "events"} <= tables
    assert (path.stat().st_mode & 0o077) == 0
    assert (path.parent.stat().st_mode & 0o077) == 0


def test_reopen_is_idempotent_and_keeps_data(open_db: Callable[..., JobStore]) -> None:
    with open_db() as store:
        local_id = record(store)
    with open_db() as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.require(local_id).status is BatchStatus.SUBMITTING
    with open_db() as store:
        assert len(store.list_jobs()) == 1


def test_migrations_apply_in_order_from_any_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    steps = [("CREATE TABLE a (x)",), ("ALTER TABLE a ADD COLUMN y",)]
    assert migrate(conn, steps[:1]) == 1
    conn.execute("INSERT INTO a (x) VALUES (1)")
    assert migrate(conn, steps) == 2
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT x, y FROM a").fetchall() == [(1, None)]
    assert migrate(conn, steps) == 2  # nothing pending: no error, nothing re-run


def test_failed_migration_leaves_nothing_applied(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    steps = [("CREATE TABLE a (x)",), ("CREATE TABLE b (x)", "THIS IS NOT SQL")]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, steps)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_newer_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        JobStore(path)


def test_default_location_follows_batchtui_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHTUI_HOME", str(tmp_path / "home"))
    with JobStore() as store:
        assert store.path == tmp_path / "home" / "batchtui.db"
        assert store.inputs_dir == tmp_path / "home" / "inputs"
    assert (tmp_path / "home" / "batchtui.db").exists()


# --- snapshots -----------------------------------------------------------------------------


def test_snapshot_serialization_round_trips() -> None:
    job = ojob(
        status=BatchStatus.COMPLETED,
        done=10,
        output_file_id="file-out",
        metadata={"label": "x"},
        raw={"id": "batch_1", "nested": {"a": [1, 2]}},
        profile="openai",
        results_available=True,
    )
    assert job_from_dict(job_to_dict(job)) == job


def test_upsert_updates_in_place_and_reports_change(store: JobStore, clock: FixedClock) -> None:
    local_id = record(store)
    store.mark_creating(local_id)
    store.mark_created(local_id, ojob(status=BatchStatus.VALIDATING))
    clock.advance(5)
    rec, changed = store.upsert_snapshot(ojob(done=3), "openai")
    assert changed and rec.local_id == local_id and rec.counts.succeeded == 3
    assert rec.status is BatchStatus.IN_PROGRESS and rec.updated_at == clock.now()
    clock.advance(5)
    rec, changed = store.upsert_snapshot(ojob(done=3), "openai")
    assert not changed
    assert rec.last_polled_at == clock.now() and rec.updated_at == clock.now() - timedelta(
        seconds=5
    )
    assert len(store.list_jobs()) == 1


def test_stale_snapshot_never_moves_a_job_backwards(store: JobStore) -> None:
    store.upsert_snapshot(ojob(done=5), "openai")
    rec, changed = store.upsert_snapshot(ojob(done=2), "openai")
    assert not changed and rec.counts.succeeded == 5
    store.upsert_snapshot(ojob(status=BatchStatus.COMPLETED, done=10), "openai")
    rec, changed = store.upsert_snapshot(ojob(status=BatchStatus.FINALIZING, done=10), "openai")
    assert not changed and rec.status is BatchStatus.COMPLETED
    archived = ojob(status=BatchStatus.COMPLETED, done=10, raw={"archived": True})
    rec, changed = store.upsert_snapshot(archived, "openai")
    assert changed and rec.snapshot is not None and rec.snapshot.raw == {"archived": True}


def test_terminal_snapshot_clears_the_next_poll(store: JobStore, clock: FixedClock) -> None:
    rec, _ = store.upsert_snapshot(ojob(), "openai")
    store.set_next_poll(rec.local_id, clock.now() + timedelta(seconds=30))
    assert store.require(rec.local_id).next_poll_at == clock.now() + timedelta(seconds=30)
    rec, _ = store.upsert_snapshot(ojob(status=BatchStatus.EXPIRED, done=4), "openai")
    assert rec.next_poll_at is None


def test_unknown_batch_is_adopted_with_its_label(store: JobStore) -> None:
    job = ojob("batch_web", metadata={"label": "from the console"})
    rec, changed = store.upsert_snapshot(job, "work")
    assert changed and rec.adopted and rec.id == "batch_web" and rec.profile == "work"
    assert rec.label == "from the console" and rec.intent_state is None
    assert rec.request_count == 10
    assert store.get_intent(rec.local_id) is None
    assert store.get_run(rec.run_id) is not None
    assert [e.kind for e in store.events(rec.local_id)] == ["adopted"]
    assert store.list_jobs(adopted=True) == [rec]


def test_snapshot_without_profile_is_refused(store: JobStore) -> None:
    with pytest.raises(StoreError, match="no profile"):
        store.upsert_snapshot(ojob())


def test_same_batch_id_in_two_profiles_gives_two_rows(store: JobStore) -> None:
    a, _ = store.upsert_snapshot(ojob(), "one")
    b, _ = store.upsert_snapshot(ojob(), "two")
    assert a.local_id != b.local_id
    assert store.get("batch_1", profile="two") == b


# --- lookups -------------------------------------------------------------------------------


def test_get_by_local_id_provider_id_and_prefix(store: JobStore) -> None:
    rec, _ = store.upsert_snapshot(ojob("batch_x"), "openai")
    assert store.get(rec.local_id) == rec
    assert store.get("batch_x") == rec
    assert store.get(rec.local_id[:6]) == rec
    assert store.get(rec.local_id[:6].upper()) == rec  # the same on both engines
    assert store.get("batch_nope") is None
    assert store.get(rec.local_id[:3]) is None  # too short to be a prefix
    with pytest.raises(StoreError, match="no job batch_nope"):
        store.require("batch_nope")


def test_ambiguous_prefix_is_an_error(store: JobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = iter(["abcd00000000000a", "abcd00000000000b", "abce00000000000c"])
    monkeypatch.setattr(rows, "new_local_id", lambda: next(fresh))
    for batch_id in ("b1", "b2", "b3"):
        store.upsert_snapshot(ojob(batch_id), "openai")
    with pytest.raises(StoreError, match="several local ids: abcd00000000000a, abcd"):
        store.get("abcd")
    assert store.get("abce").id == "b3"
    assert store.get("abcd00000000000b").id == "b2"


def test_list_filters(store: JobStore, clock: FixedClock) -> None:
    live, _ = store.upsert_snapshot(ojob("b_live"), "openai")
    clock.advance(1)
    done, _ = store.upsert_snapshot(ojob("b_done", BatchStatus.COMPLETED, 10), "openai")
    clock.advance(1)
    other, _ = store.upsert_snapshot(ojob("b_other"), "other")
    clock.advance(1)
    local = store.require(record(store, profile="openai"))
    assert [j.local_id for j in store.list_jobs()] == [
        local.local_id,
        other.local_id,
        done.local_id,
        live.local_id,
    ]
    assert [j.id for j in store.list_jobs(profile="openai", live=True)] == [None, "b_live"]
    assert [j.id for j in store.list_jobs(live=False)] == ["b_done"]
    assert [j.id for j in store.list_jobs(statuses=[BatchStatus.IN_PROGRESS])] == [
        "b_other",
        "b_live",
    ]
    assert store.list_jobs(statuses=[]) == []
    assert len(store.list_jobs(limit=2)) == 2
    # The poller's lists only hold jobs the provider has.
    assert {j.id for j in store.live_jobs()} == {"b_live", "b_other"}
    assert {j.id for j in store.live_jobs("other")} == {"b_other"}


def test_due_jobs_follow_next_poll_times(store: JobStore, clock: FixedClock) -> None:
    a, _ = store.upsert_snapshot(ojob("a"), "openai")
    b, _ = store.upsert_snapshot(ojob("b"), "openai")
    store.upsert_snapshot(ojob("c"), "openai")
    store.set_next_poll(a.local_id, clock.now() + timedelta(seconds=10))
    store.set_next_poll(b.local_id, clock.now() - timedelta(seconds=1), last_polled_at=T0)
    assert {j.id for j in store.due_jobs()} == {"b", "c"}
    assert {j.id for j in store.due_jobs(clock.now() + timedelta(seconds=10))} == {"a", "b", "c"}
    with pytest.raises(StoreError):
        store.set_next_poll("nope", None)


def test_runs_parts_retries_and_children(store: JobStore, clock: FixedClock) -> None:
    run = store.create_run("big input")
    parts = [record(store, run_id=run.id, part_index=i, sha256=f"{i}" * 64) for i in (1, 0)]
    parent = parts[1]
    store.mark_creating(parent)
    store.mark_created(parent, ojob("batch_p", BatchStatus.CANCELLED, 4))
    clock.advance(1)
    retry = store.record_intent(
        profile="openai",
        provider="openai",
        input_path="/r.jsonl",
        sha256="r" * 64,
        request_count=6,
        parent="batch_p",
    )
    assert retry.run_id == run.id
    assert (retry.parent_local_id, retry.parent_id) == (parent, "batch_p")
    assert retry.to_json()["parent"] == "batch_p"
    assert [j.local_id for j in store.children(parent)] == [retry.local_id]
    assert [j.local_id for j in store.run_jobs(run.id)] == [parent, parts[0], retry.local_id]
    assert store.get_run(run.id).label == "big input"
    assert run.id in [r.id for r in store.list_runs()]
    with pytest.raises(StoreError, match="no parent job"):
        record(store, parent="batch_unknown")
    with pytest.raises(StoreError, match="no run"):
        record(store, run_id="run_nope")


def test_forget_removes_job_and_unlinks_children(store: JobStore) -> None:
    parent = record(store)
    child = record(store, parent=parent)
    store.forget(parent)
    assert store.get(parent) is None and store.get_intent(parent) is None
    assert store.events(parent) == []
    assert store.require(child).parent_local_id is None
    with pytest.raises(StoreError):
        store.forget(parent)


def test_find_by_sha256_skips_dropped_submissions(store: JobStore) -> None:
    sha = "f" * 64
    failed = record(store, sha256=sha)
    store.mark_failed(failed, "400 bad request")
    live = record(store, sha256=sha)
    other_profile = record(store, sha256=sha, profile="other")
    assert [j.local_id for j in store.find_by_sha256("openai", sha)] == [live]
    assert {j.local_id for j in store.find_by_sha256("openai", sha, include_dropped=True)} == {
        failed,
        live,
    }
    assert [j.local_id for j in store.find_by_sha256("other", sha)] == [other_profile]
    assert store.find_by_sha256("openai", "0" * 64) == []


def test_results_state_is_recorded(store: JobStore, tmp_path: Path) -> None:
    rec, _ = store.upsert_snapshot(ojob(status=BatchStatus.COMPLETED, done=10), "openai")
    out = tmp_path / "results" / "x.jsonl"
    rec = store.set_results_state(rec.local_id, path=out, offsets={"output": 100, "error": 7})
    assert (rec.results_path, rec.results_offsets, rec.results_complete) == (
        out,
        {"output": 100, "error": 7},
        False,
    )
    rec = store.set_results_state(rec.local_id, offsets={"output": 250, "error": 7}, complete=True)
    assert rec.results_offsets == {"output": 250, "error": 7} and rec.results_complete
    assert rec.results_path == out
    with pytest.raises(StoreError):
        store.set_results_state("nope", complete=True)


def test_to_json_has_the_stable_cli_keys(store: JobStore) -> None:
    local_id = record(store, label="nightly")
    pending = store.require(local_id).to_json()
    assert pending["id"] is None and pending["local_id"] == local_id
    assert pending["status"] == "submitting"
    assert pending["counts"]["total"] == 10
    store.mark_creating(local_id)
    rec = store.mark_created(local_id, ojob(created_at=T0 - timedelta(seconds=3)))
    data = rec.to_json()
    for key in ("id", "local_id", "provider", "profile", "status", "counts", "label", "parent"):
        assert key in data
    assert data["id"] == "batch_1" and data["provider"] == "openai"
    assert data["status"] == "in_progress" and data["label"] == "nightly"
    assert data["run_id"] == rec.run_id and data["parent"] is None
    assert data["created_at"] == "2026-01-01T11:59:57+00:00"
    assert data["timestamps"]["created_at"] == "2026-01-01T11:59:57+00:00"
    assert data["counts"] == {
        "total": 10,
        "processing": 10,
        "succeeded": 0,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }


# --- kept inputs ---------------------------------------------------------------------------


def test_keep_input_copies_by_hash_atomically(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    payload = b'{"custom_id":"a"}\n' * 1000
    src.write_bytes(payload)
    root = tmp_path / "data"
    kept = keep_input(src, root)
    digest = hashlib.sha256(payload).hexdigest()
    assert kept == root / "inputs" / f"{digest}.jsonl"
    assert kept.read_bytes() == payload and sha256_file(kept) == digest
    assert (kept.stat().st_mode & 0o077) == 0
    src.write_bytes(b"changed\n")  # the kept copy does not follow the source
    assert keep_input(root / "inputs" / f"{digest}.jsonl", root) == kept
    assert kept.read_bytes() == payload
    assert sorted(p.name for p in (root / "inputs").iterdir()) == [f"{digest}.jsonl"]


def test_store_keeps_inputs_beside_its_database(store: JobStore, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("{}\n")
    kept = store.keep_input(src)
    assert kept.parent == store.root / "inputs"


# --- concurrency ---------------------------------------------------------------------------


def test_two_threads_and_two_connections_write_snapshots(
    open_db: Callable[..., JobStore],
) -> None:
    first = open_db()
    second = open_db()  # as another process would
    ids = [f"batch_{i}" for i in range(12)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def writer(stores: list[JobStore], order: list[str]) -> None:
        try:
            barrier.wait()
            for done in range(0, 11, 2):
                for n, batch_id in enumerate(order):
                    stores[n % len(stores)].upsert_snapshot(ojob(batch_id, done=done), "openai")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=([first], ids)),
        threading.Thread(target=writer, args=([first, second], ids[::-1])),
        threading.Thread(target=writer, args=([second], ids[3:] + ids[:3])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    rows = first.list_jobs()
    assert sorted(j.id for j in rows) == sorted(ids)  # each batch adopted exactly once
    assert all(j.counts.succeeded == 10 for j in rows)
    first.close()
    second.close()


# --- keys never stored ---------------------------------------------------------------------


def test_keys_never_reach_the_data_dir(
    tmp_path: Path, clock: FixedClock, store_url: str | None
) -> None:
    fake = "sk-proj-NEVERSTOREDe3b0c44298fc1c149afbf4c8996fb924"
    home = tmp_path / "home"
    env = {"BATCHTUI_HOME": str(home), "OPENAI_API_KEY": fake}
    profile = load_config(env=env).profile("openai")
    key = resolve_api_key(profile, env)
    assert key == fake
    src = tmp_path / "in.jsonl"
    src.write_text('{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\n')
    store = open_store(home, store_url, clock=clock)
    kept = store.keep_input(src)
    first = store.record_intent(
        profile="openai",
        provider="openai",
        input_path=kept,
        sha256=kept.stem,
        request_count=1,
        label="demo",
        options={"endpoint": "/v1/chat/completions"},
    ).local_id
    store.mark_uploading(first)
    store.mark_uploaded(first, "file-1")
    store.mark_creating(first)
    store.mark_create_unknown(first, reason=f"500 from server; sent Authorization: Bearer {key}")
    store.mark_created(first, ojob(status=BatchStatus.VALIDATING))
    store.upsert_snapshot(ojob(done=1, status=BatchStatus.COMPLETED), "openai")
    store.log_event(first, "note", f"401 Incorrect API key provided: {key}")
    store.set_notes(first, f"api_key={key}")
    second = store.record_intent(
        profile="openai",
        provider="openai",
        input_path=kept,
        sha256=kept.stem,
        request_count=1,
        notes=f"retry with {key}",
    ).local_id
    store.mark_failed(second, f"AuthError: invalid x-api-key: {key}")
    store.upsert_snapshot(ojob("batch_web", file_id="file-9"), "openai")
    files = [p for p in home.rglob("*") if p.is_file()]
    if store_url is None:
        assert any(p.name.endswith("-wal") for p in files)
    else:  # the team store's rows, every column as text
        for table in ("runs", "jobs", "intents", "events"):
            for row in store._query(f"SELECT * FROM {table}"):
                assert fake not in repr(dict(row)), table
    for p in files:
        assert fake.encode() not in p.read_bytes(), p
    assert "***" in store.require(first).notes
    store.close()
    for p in (p for p in home.rglob("*") if p.is_file()):
        assert fake.encode() not in p.read_bytes(), p
