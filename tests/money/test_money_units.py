"""The pure parts: cost totals per profile and day, queue room, and the clean plan's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.budget import cost_totals, day_start, spent
from batchtui.core.clean import job_items
from batchtui.core.config import Profile
from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.core.queue import QueueLimitError, check_fits_alone, has_room
from batchtui.core.store import IntentState, JobRecord

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def job(**fields: Any) -> JobRecord:
    base: dict[str, Any] = {
        "local_id": "l1",
        "id": "batch_1",
        "provider": "openai",
        "profile": "openai",
        "status": BatchStatus.COMPLETED,
        "raw_status": "completed",
        "counts": RequestCounts(),
        "times": Timestamps(),
        "run_id": "r",
        "created_at": T0,
    }
    base.update(fields)
    return JobRecord(**base)


def test_cost_totals_per_profile_and_day() -> None:
    records = [
        job(cost={"cost_usd": 1.0, "sync_cost_usd": 2.0, "saved_usd": 1.0}),
        job(
            local_id="l2",
            created_at=T0 - timedelta(days=1),
            cost={"cost_usd": 0.5, "sync_cost_usd": 1.0, "saved_usd": 0.5},
        ),
        job(local_id="l3", status=BatchStatus.IN_PROGRESS, estimate={"cost_usd_high": 0.25}),
        job(local_id="l4", estimate={"cost_usd_high": None, "unpriced_models": ["x"]}),
        # Never reached the provider: costs nothing, counted nowhere.
        job(local_id="l5", id=None, intent_state=IntentState.FAILED, estimate={"cost_usd_high": 9}),
        job(local_id="l6", profile="anthropic", cost={"cost_usd": 0.1, "sync_cost_usd": 0.2}),
    ]
    totals = {(t.profile, t.day): t for t in cost_totals(records)}
    whole = totals[("openai", None)]
    assert (whole.jobs, whole.costed_jobs, whole.unpriced_jobs) == (4, 2, 1)
    assert whole.cost_usd == pytest.approx(1.5) and whole.saved_usd == pytest.approx(1.5)
    assert whole.pending_usd_high == pytest.approx(0.25)
    today = totals[("openai", T0.astimezone().date().isoformat())]
    assert today.jobs == 3 and today.cost_usd == pytest.approx(1.0)
    order = [(t.profile, t.day) for t in cost_totals(records)]
    assert order[0] == ("anthropic", None) and order[1][1] is not None
    assert order[2] == ("openai", None) and order[3][1] > order[4][1]  # type: ignore[operator]
    assert spent(records) == pytest.approx(1.0 + 0.5 + 0.25 + 0.1)
    assert day_start(T0) <= T0 < day_start(T0) + timedelta(days=1)


def test_queue_room_counts_jobs_and_estimated_tokens() -> None:
    prof = Profile(name="p", provider="openai", max_in_flight=2, max_enqueued_tokens=1000)
    new = job(estimate={"input_tokens": 400})
    live = [job(local_id="a", estimate={"input_tokens": 500})]
    assert has_room(prof, new, live)
    assert not has_room(prof, new, [*live, job(local_id="b", estimate={"input_tokens": 10})])
    assert not has_room(prof, job(estimate={"input_tokens": 600}), live)
    assert has_room(prof, job(estimate={"input_tokens": 5000}), []), "an empty queue takes it"
    check_fits_alone(prof, [1000, 999])
    with pytest.raises(QueueLimitError, match="part 2 of the input holds ~1001"):
        check_fits_alone(prof, [10, 1001])


def snapshot(**fields: Any) -> BatchJob:
    base: dict[str, Any] = {
        "provider": "openai",
        "id": "batch_1",
        "status": BatchStatus.COMPLETED,
        "raw_status": "completed",
    }
    base.update(fields)
    return BatchJob(**base)


def test_the_clean_plan_never_touches_what_is_not_safely_cached(tmp_path: Path) -> None:
    files = {"input_file_id": "f-in", "output_file_id": "f-out", "error_file_id": "f-err"}
    ready = job(results_complete=True, snapshot=snapshot(results_available=True), **files)
    items = job_items(ready, can_delete_files=True, can_delete_job=False)
    assert [(i.target, i.role) for i in items] == [
        ("f-in", "input"),
        ("f-out", "output"),
        ("f-err", "error"),
    ]
    not_cached = job(snapshot=snapshot(results_available=True), **files)
    assert job_items(not_cached, can_delete_files=True, can_delete_job=True) == []
    running = job(
        status=BatchStatus.IN_PROGRESS, results_complete=True, snapshot=snapshot(), **files
    )
    assert job_items(running, can_delete_files=True, can_delete_job=True) == []
    done_before = job(
        results_complete=True,
        snapshot=snapshot(results_available=True),
        cleaned={"files": {"f-in": "input", "f-out": "output"}, "batch": False},
        **files,
    )
    assert [
        i.target for i in job_items(done_before, can_delete_files=True, can_delete_job=False)
    ] == ["f-err"]
    nothing_to_fetch = job(
        status=BatchStatus.FAILED, snapshot=snapshot(status=BatchStatus.FAILED), input_file_id="f"
    )
    assert [
        i.role for i in job_items(nothing_to_fetch, can_delete_files=True, can_delete_job=False)
    ] == ["input"]
    refused = job(id=None, intent_state=IntentState.FAILED, input_file_id="f-orphan")
    assert [i.target for i in job_items(refused, can_delete_files=True, can_delete_job=True)] == [
        "f-orphan"
    ]
    unsettled = job(id=None, intent_state=IntentState.UNKNOWN, input_file_id="f-maybe")
    assert job_items(unsettled, can_delete_files=True, can_delete_job=True) == []
    anthropic = job(
        provider="anthropic", id="msgbatch_1", results_complete=True, snapshot=snapshot()
    )
    batch = job_items(anthropic, can_delete_files=False, can_delete_job=True)
    assert [(i.kind, i.target) for i in batch] == [("batch", "msgbatch_1")]
