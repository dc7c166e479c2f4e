"""Store schema v2 (issue 7): estimate, cost, progress time, cleaned, failure; the queue's
atomic FIFO release, raced from several threads and connections."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.core.store import MIGRATIONS, IntentState, JobRecord, JobStore
from batchtui.core.store.schema import migrate

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def snapshot(
    batch_id: str, done: int = 0, status: BatchStatus = BatchStatus.IN_PROGRESS
) -> BatchJob:
    return BatchJob(
        provider="openai",
        id=batch_id,
        status=status,
        raw_status=status.value,
        counts=RequestCounts(total=10, processing=10 - done, succeeded=done),
        times=Timestamps(created_at=T0),
    )


def record(store: JobStore, name: str, *, queued: bool = False, tokens: int = 0) -> str:
    return store.record_intent(
        profile="openai",
        provider="openai",
        input_path=f"/{name}.jsonl",
        sha256=name * 8,
        request_count=10,
        queued=queued,
        estimate={"input_tokens": tokens, "cost_usd_high": 0.5} if tokens else None,
    ).local_id


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store(open_db: Callable[..., JobStore], clock: FixedClock) -> JobStore:
    """The store under test: on SQLite, then on PostgreSQL (`store_url`)."""
    return open_db(clock=clock)


def test_a_version_1_sqlite_store_gains_the_money_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:1])
    conn.execute("INSERT INTO runs (id, created_at) VALUES ('run_1', 0)")
    conn.execute(
        "INSERT INTO jobs (local_id, run_id, profile, provider, status, created_at, updated_at) "
        "VALUES ('j1', 'run_1', 'openai', 'openai', 'completed', 0, 0)"
    )
    conn.close()
    with JobStore(path) as upgraded:
        assert upgraded.schema_version == len(MIGRATIONS) == 4
        old = upgraded.require("j1")
        assert old.stray_files == ()
        assert (old.estimate, old.cost, old.cleaned, old.failure, old.progress_at) == (
            None,
            None,
            None,
            None,
            None,
        )
        data = old.to_json()
        assert {"estimate", "cost", "limit_error", "cleaned", "progress_at"} <= set(data)


def test_money_fields_round_trip(store: JobStore) -> None:
    local_id = record(store, "a", tokens=1234)
    job = store.require(local_id)
    assert job.estimate == {"input_tokens": 1234, "cost_usd_high": 0.5}
    assert job.estimated_input_tokens == 1234 and job.estimate_usd_high == 0.5
    job = store.set_cost(local_id, {"cost_usd": 0.25, "sync_cost_usd": 0.5, "source": "results"})
    assert job.cost_usd == 0.25 and job.to_json()["cost"]["source"] == "results"
    job = store.set_failure(local_id, {"code": "insufficient_quota", "message": "no credit"})
    assert job.limit_error == {"code": "insufficient_quota", "message": "no credit"}
    store.mark_cleaned(local_id, file_id="file-1", role="input")
    job = store.mark_cleaned(local_id, batch=True)
    assert job.cleaned is not None
    assert job.cleaned["files"] == {"file-1": "input"} and job.cleaned["batch"] is True
    kinds = [e.kind for e in store.events(local_id)]
    assert kinds.count("cleaned") == 2 and "cost" in kinds


def test_progress_time_moves_only_when_counts_or_status_do(
    store: JobStore, clock: FixedClock
) -> None:
    local_id = record(store, "a")
    store.mark_creating(local_id)
    store.mark_created(local_id, snapshot("batch_1"))
    first = store.require(local_id).progress_at
    assert first == T0
    clock.advance(60)
    store.upsert_snapshot(snapshot("batch_1"), "openai")  # the same snapshot
    job = store.require(local_id)
    assert job.progress_at == T0 and job.last_polled_at is not None and job.last_polled_at > T0
    clock.advance(60)
    store.upsert_snapshot(snapshot("batch_1", done=3), "openai")
    assert store.require(local_id).progress_at == T0.replace(minute=2)


def test_queued_intents_are_released_oldest_first_while_they_fit(store: JobStore) -> None:
    names = [record(store, n, queued=True, tokens=100) for n in "abcd"]
    assert [j.status for j in map(store.require, names)] == [BatchStatus.QUEUED] * 4

    def two_at_a_time(job: JobRecord, in_flight: list[JobRecord]) -> bool:
        return len(in_flight) < 2

    first = store.release_next_queued("openai", two_at_a_time)
    second = store.release_next_queued("openai", two_at_a_time)
    assert [first.local_id, second.local_id] == names[:2]  # type: ignore[union-attr]
    assert store.release_next_queued("openai", two_at_a_time) is None  # 2 in flight
    assert store.require(names[0]).status is BatchStatus.SUBMITTING
    assert store.require(names[2]).status is BatchStatus.QUEUED
    store.mark_failed(names[0], "refused")  # a terminal job frees its place
    third = store.release_next_queued("openai", two_at_a_time)
    assert third is not None and third.local_id == names[2]
    assert store.release_next_queued("other-profile", two_at_a_time) is None


def test_racing_releases_never_hand_out_one_submission_twice(
    open_db: Callable[..., JobStore],
) -> None:
    with open_db() as setup:
        queued = [record(setup, f"{i:02d}", queued=True) for i in range(40)]
    released: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        with open_db() as mine:  # one connection each, as separate processes have
            while True:
                intent = mine.release_next_queued("openai", lambda job, live: True)
                if intent is None:
                    return
                with lock:
                    released.append(intent.local_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(released) == sorted(queued) and len(released) == len(set(released))
    with open_db() as check:
        states = {check.get_intent(i).state for i in queued}  # type: ignore[union-attr]
    assert states == {IntentState.RECORDED}
