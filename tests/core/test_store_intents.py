"""Submission intents: every transition, crash safety at the store level, and reconciliation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.core.store import (
    DEFAULT_GRACE_S,
    DEFAULT_SKEW_S,
    Decision,
    DecisionKind,
    IntentRecord,
    IntentState,
    JobStore,
    StoreError,
    reconcile_intent,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
S = IntentState


def batch(
    batch_id: str,
    provider: str = "openai",
    *,
    created_at: datetime = T0,
    total: int = 3,
    file_id: str | None = None,
    status: BatchStatus = BatchStatus.VALIDATING,
) -> BatchJob:
    return BatchJob(
        provider=provider,
        id=batch_id,
        status=status,
        raw_status=status.value,
        counts=RequestCounts(total=total, processing=total),
        times=Timestamps(created_at=created_at),
        input_file_id=file_id,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store(open_db: Callable[..., JobStore], clock: FixedClock) -> JobStore:
    """The store under test: on SQLite, then on PostgreSQL (`store_url`)."""
    return open_db(clock=clock)


def record(store: JobStore, provider: str = "openai", **kw) -> str:
    return store.record_intent(
        profile=kw.pop("profile", provider),
        provider=provider,
        input_path=kw.pop("input_path", "/kept/x.jsonl"),
        sha256=kw.pop("sha256", "c" * 64),
        request_count=kw.pop("request_count", 3),
        **kw,
    ).local_id


# --- transitions ---------------------------------------------------------------------------

# How to reach each state from a fresh intent.
PATHS: dict[IntentState, list[str]] = {
    S.QUEUED: [],
    S.RECORDED: [],
    S.UPLOADING: ["uploading"],
    S.UPLOADED: ["uploading", "uploaded"],
    S.CREATING: ["creating"],
    S.CREATED: ["creating", "created"],
    S.UNKNOWN: ["creating", "unknown"],
    S.ABANDONED: ["abandoned"],
    S.FAILED: ["failed"],
}

# Every legal move, written out independently of the implementation's table.
LEGAL = {
    (S.QUEUED, S.RECORDED),
    (S.QUEUED, S.ABANDONED),
    (S.QUEUED, S.FAILED),
    (S.RECORDED, S.UPLOADING),
    (S.RECORDED, S.CREATING),
    (S.RECORDED, S.ABANDONED),
    (S.RECORDED, S.FAILED),
    (S.UPLOADING, S.UPLOADED),
    (S.UPLOADING, S.ABANDONED),
    (S.UPLOADING, S.FAILED),
    (S.UPLOADED, S.CREATING),
    (S.UPLOADED, S.ABANDONED),
    (S.UPLOADED, S.FAILED),
    (S.CREATING, S.CREATED),
    (S.CREATING, S.UNKNOWN),
    (S.CREATING, S.ABANDONED),
    (S.CREATING, S.FAILED),
    (S.UNKNOWN, S.CREATED),
    (S.UNKNOWN, S.UNKNOWN),
    (S.UNKNOWN, S.CREATING),  # two looks at the list agreed nothing was made: send again
    (S.UNKNOWN, S.ABANDONED),
    (S.UNKNOWN, S.FAILED),
    (S.ABANDONED, S.CREATED),
    (S.CREATED, S.CREATED),
}


def step(store: JobStore, local_id: str, name: str, n: int = 0) -> object:
    """Run one store call by name; `n` makes batch ids unique."""
    calls: dict[str, Callable[[], object]] = {
        "recorded": lambda: store.release_queued(local_id),
        "uploading": lambda: store.mark_uploading(local_id),
        "uploaded": lambda: store.mark_uploaded(local_id, f"file-{local_id}"),
        "creating": lambda: store.mark_creating(local_id),
        "created": lambda: store.mark_created(local_id, batch(f"batch_{local_id}_{n}")),
        "unknown": lambda: store.mark_create_unknown(local_id, reason="timeout"),
        "abandoned": lambda: store.mark_abandoned(local_id, "nothing at the provider"),
        "failed": lambda: store.mark_failed(local_id, "HTTP 400 invalid input"),
    }
    return calls[name]()


@pytest.mark.parametrize("start", list(IntentState))
def test_every_transition_is_allowed_or_refused(store: JobStore, start: IntentState) -> None:
    for target in IntentState:
        if target is S.QUEUED:
            continue  # nothing moves back into the queue; no call exists for it
        local_id = record(store, queued=start is S.QUEUED)
        for name in PATHS[start]:
            step(store, local_id, name)
        assert store.get_intent(local_id).state is start
        if (start, target) in LEGAL:
            step(store, local_id, target.value, n=1)
            assert store.get_intent(local_id).state is target
        else:
            with pytest.raises(StoreError, match=f"cannot go from {start.value}"):
                step(store, local_id, target.value, n=1)
            assert store.get_intent(local_id).state is start


def test_job_row_follows_the_intent(store: JobStore, clock: FixedClock) -> None:
    local_id = record(store, "openai", label="x", options={"endpoint": "/v1/chat/completions"})
    job = store.require(local_id)
    assert (job.status, job.raw_status, job.id, job.intent_state) == (
        BatchStatus.SUBMITTING,
        "recorded",
        None,
        S.RECORDED,
    )
    intent = store.get_intent(local_id)
    assert intent.options == {"endpoint": "/v1/chat/completions"}
    assert intent.request_count == 3 and intent.sha256 == "c" * 64
    assert intent.input_path == Path("/kept/x.jsonl")
    assert intent.pid == os.getpid()
    store.mark_uploading(local_id)
    assert store.require(local_id).raw_status == "uploading"
    store.mark_uploaded(local_id, "file-abc")
    assert store.require(local_id).input_file_id == "file-abc"
    assert store.get_intent(local_id).input_file_id == "file-abc"
    clock.advance(2)
    intent = store.mark_creating(local_id)
    assert intent.window_start == clock.now() and intent.window_end is None
    clock.advance(30)
    intent = store.mark_create_unknown(local_id, reason="read timeout")
    assert intent.window_start == T0 + timedelta(seconds=2)
    assert intent.window_end == clock.now() and intent.reason == "read timeout"
    job = store.require(local_id)
    assert (job.status, job.raw_status) == (BatchStatus.SUBMITTING, "unknown")
    job = store.mark_created(local_id, batch("batch_9", file_id="file-abc"))
    assert (job.id, job.status, job.intent_state) == ("batch_9", BatchStatus.VALIDATING, S.CREATED)
    assert store.get_intent(local_id).batch_id == "batch_9"
    assert store.claimed_batch_ids("openai") == {"batch_9"}
    history = [e.message for e in store.events(local_id)]
    assert history[0] == "recorded: 3 requests"
    assert "creating -> unknown: read timeout" in history
    assert history[-1] == "unknown -> created: batch_9"


def test_explicit_unknown_window(store: JobStore) -> None:
    local_id = record(store, "anthropic")
    store.mark_creating(local_id)
    start, end = T0 - timedelta(seconds=5), T0 + timedelta(seconds=50)
    intent = store.mark_create_unknown(local_id, start, end.timestamp())
    assert (intent.window_start, intent.window_end) == (start, end)


def test_failed_and_abandoned_submissions_end_the_job(store: JobStore) -> None:
    failed = record(store)
    store.mark_failed(failed, "HTTP 400: bad endpoint")
    job = store.require(failed)
    assert (job.status, job.raw_status, job.notes) == (
        BatchStatus.FAILED,
        "submit_failed",
        "HTTP 400: bad endpoint",
    )
    abandoned = record(store)
    store.mark_creating(abandoned)
    store.mark_abandoned(abandoned, "no batch after the grace period")
    job = store.require(abandoned)
    assert (job.status, job.raw_status) == (BatchStatus.FAILED, "abandoned")
    assert store.unsettled_intents() == []


def test_queued_submissions_wait_outside_the_unsettled_list(store: JobStore) -> None:
    first = record(store, queued=True)
    second = record(store, queued=True, sha256="d" * 64)
    assert store.require(first).status is BatchStatus.QUEUED
    assert [i.local_id for i in store.queued_intents()] == [first, second]
    assert store.unsettled_intents() == []
    store.release_queued(first)
    assert store.require(first).status is BatchStatus.SUBMITTING
    assert [i.local_id for i in store.queued_intents("openai")] == [second]
    assert [i.local_id for i in store.unsettled_intents()] == [first]


def test_mark_created_twice_with_the_same_batch_is_harmless(store: JobStore) -> None:
    local_id = record(store)
    store.mark_creating(local_id)
    store.mark_created(local_id, batch("batch_1"))
    job = store.mark_created(local_id, batch("batch_1"))
    assert job.id == "batch_1" and len(store.list_jobs()) == 1


# --- the list meets open intents -----------------------------------------------------------


def test_listed_batch_settles_an_openai_intent_by_file_id(store: JobStore) -> None:
    local_id = record(store)
    store.mark_uploading(local_id)
    store.mark_uploaded(local_id, "file-7")
    store.mark_creating(local_id)
    # The create's answer is lost; the poller's list call sees the batch first.
    rec, changed = store.upsert_snapshot(batch("batch_7", file_id="file-7"), "openai")
    assert changed and rec.local_id == local_id and not rec.adopted
    assert store.get_intent(local_id).state is S.CREATED
    # The late answer arrives after all.
    assert store.mark_created(local_id, batch("batch_7", file_id="file-7")).local_id == local_id
    assert len(store.list_jobs()) == 1
    # A batch with another file is somebody else's.
    other, _ = store.upsert_snapshot(batch("batch_8", file_id="file-8"), "openai")
    assert other.adopted


def test_listed_batch_settles_an_anthropic_intent_by_window(
    store: JobStore, clock: FixedClock
) -> None:
    local_id = record(store, "anthropic", request_count=5)
    store.mark_creating(local_id)
    clock.advance(10)
    store.mark_create_unknown(local_id, reason="HTTP 529 overloaded")
    wrong_count = batch("msgbatch_a", "anthropic", created_at=T0 + timedelta(seconds=4), total=4)
    assert store.upsert_snapshot(wrong_count, "anthropic")[0].adopted
    too_early = batch("msgbatch_b", "anthropic", created_at=T0 - timedelta(hours=1), total=5)
    assert store.upsert_snapshot(too_early, "anthropic")[0].adopted
    ours = batch("msgbatch_c", "anthropic", created_at=T0 + timedelta(seconds=4), total=5)
    rec, _ = store.upsert_snapshot(ours, "anthropic")
    assert rec.local_id == local_id and not rec.adopted
    assert store.unsettled_intents() == []


def test_late_batch_of_an_abandoned_intent_is_still_attached(
    store: JobStore, clock: FixedClock
) -> None:
    local_id = record(store)
    store.mark_uploading(local_id)
    store.mark_uploaded(local_id, "file-late")
    store.mark_creating(local_id)
    store.mark_create_unknown(local_id)
    clock.advance(DEFAULT_GRACE_S * 2)
    store.mark_abandoned(local_id, "grace period over")
    rec, _ = store.upsert_snapshot(batch("batch_late", file_id="file-late"), "openai")
    assert rec.local_id == local_id and rec.status is BatchStatus.VALIDATING
    assert store.get_intent(local_id).state is S.CREATED


def test_created_merges_a_row_adopted_before_the_intent_knew_its_batch(
    store: JobStore, tmp_path: Path
) -> None:
    local_id = record(store)
    store.mark_uploading(local_id)
    store.mark_uploaded(local_id, "file-1")
    # Seen by a list before the intent reached "creating" (e.g. another process's poller).
    adopted, _ = store.upsert_snapshot(batch("batch_1", file_id="file-1"), "openai")
    assert adopted.adopted
    store.set_results_state(adopted.local_id, path=tmp_path / "r.jsonl", offsets={"output": 5})
    child = record(store, parent=adopted.local_id, sha256="e" * 64)
    store.mark_creating(local_id)
    job = store.mark_created(local_id, batch("batch_1", file_id="file-1"))
    assert job.local_id == local_id and job.id == "batch_1" and not job.adopted
    assert job.results_path == tmp_path / "r.jsonl" and job.results_offsets == {"output": 5}
    assert store.get(adopted.local_id) is None
    assert store.require(child).parent_local_id == local_id
    assert [j.id for j in store.list_jobs() if j.id] == ["batch_1"]
    assert any(e.kind == "adopted" for e in store.events(local_id))


def test_a_mistaken_window_match_is_moved_aside(store: JobStore, clock: FixedClock) -> None:
    local_id = record(store, "anthropic")
    store.mark_creating(local_id)
    stranger = batch("msgbatch_other", "anthropic", created_at=T0 + timedelta(seconds=1))
    assert store.upsert_snapshot(stranger, "anthropic")[0].local_id == local_id
    clock.advance(2)
    ours = batch("msgbatch_ours", "anthropic", created_at=T0 + timedelta(seconds=2))
    job = store.mark_created(local_id, ours)
    assert job.id == "msgbatch_ours"
    moved = store.require("msgbatch_other")
    assert moved.adopted and moved.local_id != local_id
    assert store.get_intent(local_id).batch_id == "msgbatch_ours"


def test_two_intents_cannot_claim_one_batch(store: JobStore) -> None:
    first = record(store)
    store.mark_creating(first)
    store.mark_created(first, batch("batch_1"))
    second = record(store, sha256="9" * 64)
    store.mark_creating(second)
    with pytest.raises(StoreError, match="already belongs to submission"):
        store.mark_created(second, batch("batch_1"))
    assert store.get_intent(second).state is S.CREATING


# --- crash safety --------------------------------------------------------------------------

CRASHER = """
import json, os, sys
from pathlib import Path
from batchtui.core.store import open_store

s = open_store(Path(sys.argv[1]), sys.argv[2] or None)
def rec(n, provider="openai"):
    return s.record_intent(profile=provider, provider=provider, input_path=f"/k/{n}.jsonl",
                           sha256=str(n) * 64, request_count=3).local_id
ids = {}
ids["recorded"] = rec(1)
x = rec(2); s.mark_uploading(x); ids["uploading"] = x
x = rec(3); s.mark_uploading(x); s.mark_uploaded(x, "file-3"); ids["uploaded"] = x
x = rec(4); s.mark_uploading(x); s.mark_uploaded(x, "file-4"); s.mark_creating(x)
ids["creating"] = x
x = rec(5); s.mark_uploading(x); s.mark_uploaded(x, "file-5"); s.mark_creating(x)
s.mark_create_unknown(x, reason="HTTP 502"); ids["unknown"] = x
x = rec(6, "anthropic"); s.mark_creating(x); ids["anthropic_creating"] = x
print(json.dumps(ids), flush=True)
os._exit(9)  # killed: no close, no checkpoint, nothing after the last commit
"""


def test_a_killed_process_leaves_every_step_findable(
    open_db: Callable[..., JobStore], tmp_path: Path, store_url: str | None
) -> None:
    home = tmp_path / "home"
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER, str(home), store_url or ""],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 9, proc.stderr
    ids: dict[str, str] = json.loads(proc.stdout)
    with open_db(home) as store:
        unsettled = {i.local_id: i for i in store.unsettled_intents()}
        assert set(unsettled) == set(ids.values())
        states = {name: unsettled[local_id].state.value for name, local_id in ids.items()}
        assert states == {
            "recorded": "recorded",
            "uploading": "uploading",
            "uploaded": "uploaded",
            "creating": "creating",
            "unknown": "unknown",
            "anthropic_creating": "creating",
        }
        assert unsettled[ids["creating"]].input_file_id == "file-4"
        assert unsettled[ids["creating"]].window_start is not None
        assert unsettled[ids["unknown"]].window_end is not None
        assert [i.local_id for i in store.unsettled_intents("anthropic")] == [
            ids["anthropic_creating"]
        ]

        # Next start: reconcile with the provider's lists. The "creating" create did reach
        # OpenAI; the "unknown" one did not; the Anthropic one did.
        now = datetime.now(UTC)
        created = unsettled[ids["anthropic_creating"]].window_start + timedelta(seconds=1)
        lists = {
            "openai": [
                batch("batch_4", file_id="file-4", created_at=now),
                batch("batch_x", file_id="file-x", created_at=now),
            ],
            "anthropic": [batch("msgbatch_6", "anthropic", created_at=created, total=3)],
        }
        decisions: dict[str, Decision] = {}
        for name, local_id in ids.items():
            intent = unsettled[local_id]
            decision = reconcile_intent(
                intent, lists[intent.provider], now, known_ids=store.claimed_batch_ids("openai")
            )
            decisions[name] = decision
            store.apply_decision(local_id, decision)
        kinds = {name: d.kind.value for name, d in decisions.items()}
        assert kinds == {
            "recorded": "not_sent",
            "uploading": "not_sent",
            "uploaded": "not_sent",
            "creating": "matched",
            "unknown": "wait",
            "anthropic_creating": "matched",
        }
        assert store.require(ids["creating"]).id == "batch_4"
        assert store.require(ids["anthropic_creating"]).id == "msgbatch_6"
        # Past the grace period the unknown create is settled as "nothing was created".
        later = now + timedelta(seconds=DEFAULT_GRACE_S + 1)
        intent = store.get_intent(ids["unknown"])
        decision = reconcile_intent(intent, lists["openai"], later)
        assert decision.kind is DecisionKind.ABANDON
        store.apply_decision(ids["unknown"], decision)
        left = {i.local_id for i in store.unsettled_intents()}
        assert left == {ids["recorded"], ids["uploading"], ids["uploaded"]}


# --- reconcile_intent ----------------------------------------------------------------------


def intent(
    state: IntentState = S.UNKNOWN,
    provider: str = "anthropic",
    *,
    file_id: str | None = None,
    start: float | None = 0,
    end: float | None = 30,
    count: int = 3,
    updated: float = 30,
) -> IntentRecord:
    def at(seconds: float | None) -> datetime | None:
        return None if seconds is None else T0 + timedelta(seconds=seconds)

    return IntentRecord(
        local_id="l1",
        profile=provider,
        provider=provider,
        state=state,
        input_path=Path("/k.jsonl"),
        sha256="0" * 64,
        request_count=count,
        input_file_id=file_id,
        batch_id=None,
        window_start=at(start),
        window_end=at(end),
        reason=None,
        options={},
        pid=1,
        created_at=T0,
        updated_at=at(updated),  # type: ignore[arg-type]
    )


def ab(batch_id: str, seconds: float, total: int = 3) -> BatchJob:
    return batch(batch_id, "anthropic", created_at=T0 + timedelta(seconds=seconds), total=total)


def oa(batch_id: str, file_id: str, seconds: float = 10) -> BatchJob:
    return batch(batch_id, created_at=T0 + timedelta(seconds=seconds), file_id=file_id)


SOON = T0 + timedelta(seconds=60)
LATE = T0 + timedelta(seconds=30 + DEFAULT_GRACE_S + 1)

# fmt: off
RECONCILE_CASES = [
    # (name, intent, provider jobs, now, extra kwargs, expected kind, expected batch id)
    ("openai file match", intent(provider="openai", file_id="f1"),
     [oa("b0", "f0"), oa("b1", "f1")], SOON, {}, DecisionKind.MATCHED, "b1"),
    ("openai match is by file, not time", intent(provider="openai", file_id="f1"),
     [oa("b1", "f1", seconds=-9999)], LATE, {}, DecisionKind.MATCHED, "b1"),
    ("openai file match ignores known ids", intent(provider="openai", file_id="f1"),
     [oa("b1", "f1")], SOON, {"known_ids": {"b1"}}, DecisionKind.MATCHED, "b1"),
    ("openai no match in grace", intent(provider="openai", file_id="f1"),
     [oa("b0", "f0")], SOON, {}, DecisionKind.WAIT, None),
    ("openai no match after grace", intent(provider="openai", file_id="f1"),
     [oa("b0", "f0")], LATE, {}, DecisionKind.ABANDON, None),
    ("openai same-time batch with other file is not ours",
     intent(provider="openai", file_id="f1"), [oa("b0", "f0", seconds=5)], LATE, {},
     DecisionKind.ABANDON, None),
    ("list too short to rule out", intent(provider="openai", file_id="f1"),
     [], LATE, {"listed_since": T0 + timedelta(seconds=10)}, DecisionKind.WAIT, None),
    ("list reaching back far enough", intent(provider="openai", file_id="f1"),
     [], LATE, {"listed_since": T0 - timedelta(hours=1)}, DecisionKind.ABANDON, None),
    ("anthropic window and count", intent(), [ab("m0", 500), ab("m1", 12)], SOON, {},
     DecisionKind.MATCHED, "m1"),
    ("anthropic count differs", intent(), [ab("m1", 12, total=4)], SOON, {},
     DecisionKind.WAIT, None),
    ("anthropic before the window", intent(), [ab("m1", -DEFAULT_SKEW_S - 1)], LATE, {},
     DecisionKind.ABANDON, None),
    ("anthropic within skew before", intent(), [ab("m1", -DEFAULT_SKEW_S + 1)], SOON, {},
     DecisionKind.MATCHED, "m1"),
    ("anthropic within skew after", intent(), [ab("m1", 30 + DEFAULT_SKEW_S - 1)], SOON, {},
     DecisionKind.MATCHED, "m1"),
    ("anthropic after window and skew", intent(), [ab("m1", 30 + DEFAULT_SKEW_S + 1)], LATE,
     {}, DecisionKind.ABANDON, None),
    ("anthropic earliest of two", intent(), [ab("m2", 20), ab("m1", 5)], SOON, {},
     DecisionKind.MATCHED, "m1"),
    ("anthropic claimed id skipped", intent(), [ab("m1", 5), ab("m2", 20)], SOON,
     {"known_ids": {"m1"}}, DecisionKind.MATCHED, "m2"),
    ("anthropic only claimed ids", intent(), [ab("m1", 5)], LATE, {"known_ids": {"m1"}},
     DecisionKind.ABANDON, None),
    ("provider mismatch never matches", intent(), [oa("b1", "f1", seconds=5)], LATE, {},
     DecisionKind.ABANDON, None),
    ("custom grace", intent(), [], T0 + timedelta(seconds=100), {"grace_s": 60},
     DecisionKind.ABANDON, None),
    ("crash while creating: open window matches", intent(S.CREATING, end=None, updated=0),
     [ab("m1", 45)], SOON, {}, DecisionKind.MATCHED, "m1"),
    ("crash while creating: wait within grace", intent(S.CREATING, end=None, updated=0),
     [], SOON, {}, DecisionKind.WAIT, None),
    ("crash while creating: abandon after grace", intent(S.CREATING, end=None, updated=0),
     [], LATE, {}, DecisionKind.ABANDON, None),
    ("no window recorded: never abandon", intent(S.CREATING, start=None, end=None),
     [], LATE + timedelta(days=9), {}, DecisionKind.WAIT, None),
    ("recorded: create never sent", intent(S.RECORDED, start=None, end=None),
     [ab("m1", 5)], LATE, {}, DecisionKind.NOT_SENT, None),
    ("uploading: create never sent",
     intent(S.UPLOADING, provider="openai", start=None, end=None), [], LATE, {},
     DecisionKind.NOT_SENT, None),
    ("uploaded: not sent", intent(S.UPLOADED, provider="openai", file_id="f1", start=None,
     end=None), [oa("b0", "f0")], LATE, {}, DecisionKind.NOT_SENT, None),
    ("uploaded: file match still wins", intent(S.UPLOADED, provider="openai", file_id="f1",
     start=None, end=None), [oa("b1", "f1")], LATE, {}, DecisionKind.MATCHED, "b1"),
    ("created: settled", intent(S.CREATED), [ab("m1", 5)], SOON, {}, DecisionKind.SETTLED, None),
    ("abandoned: settled", intent(S.ABANDONED), [], SOON, {}, DecisionKind.SETTLED, None),
    ("failed: settled", intent(S.FAILED), [], SOON, {}, DecisionKind.SETTLED, None),
]
# fmt: on


@pytest.mark.parametrize(
    ("intent_", "jobs", "now", "kwargs", "kind", "batch_id"),
    [case[1:] for case in RECONCILE_CASES],
    ids=[case[0] for case in RECONCILE_CASES],
)
def test_reconcile_intent(
    intent_: IntentRecord,
    jobs: list[BatchJob],
    now: datetime,
    kwargs: dict,
    kind: DecisionKind,
    batch_id: str | None,
) -> None:
    decision = reconcile_intent(intent_, jobs, now, **kwargs)
    assert decision.kind is kind, decision.reason
    assert (decision.job.id if decision.job else None) == batch_id
    assert decision.reason


def test_reconcile_lists_every_candidate_when_several_match() -> None:
    decision = reconcile_intent(intent(), [ab("m2", 20), ab("m1", 5)], SOON)
    assert decision.candidates == ("m1", "m2")
    assert "2 candidates" in decision.reason


def test_reconcile_accepts_epoch_seconds() -> None:
    decision = reconcile_intent(intent(), [ab("m1", 5)], SOON.timestamp())
    assert decision.kind is DecisionKind.MATCHED
