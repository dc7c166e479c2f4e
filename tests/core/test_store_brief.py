"""`list_jobs(brief=True)`: the dashboard's one-query read gives the same records as the full
read, except the provider's raw object and metadata inside each snapshot."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from batchtui.core.clock import FixedClock
from batchtui.core.models import (
    BatchJob,
    BatchStatus,
    ProviderErrorDetail,
    RequestCounts,
    Timestamps,
)
from batchtui.core.store import open_store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _jobs() -> list[BatchJob]:
    times = Timestamps(created_at=T0, in_progress_at=T0, expires_at=T0)
    return [
        BatchJob(
            provider="openai",
            id="batch_plain",
            status=BatchStatus.IN_PROGRESS,
            raw_status="in_progress",
            counts=RequestCounts(total=10, succeeded=3, errored=1, processing=6),
            times=times,
            model="gpt-4o-mini",
            input_file_id="file-in",
            raw={"usage": {"input_tokens": 5}, "big": ["x"] * 100},
            metadata={"label": "nightly"},
        ),
        BatchJob(
            provider="openai",
            id="batch_failed",
            status=BatchStatus.FAILED,
            raw_status="failed",
            times=times,
            errors=(
                ProviderErrorDetail(code="bad", message="line 2 is wrong", line=2, param="body"),
                ProviderErrorDetail(code=None, message="ünïcode ✓"),
            ),
            raw={"errors": {"data": []}},
        ),
        BatchJob(
            provider="together",
            id="batch_progress",
            status=BatchStatus.COMPLETED,
            raw_status="COMPLETED",
            times=times,
            progress=0.5,
            results_available=True,
            results_url="https://example.invalid/r",
            output_file_id="file-out",
            raw={"status": "COMPLETED"},
        ),
    ]


def test_brief_records_equal_full_records_but_raw(tmp_path: Path, store_url: str | None) -> None:
    store = open_store(tmp_path, store_url, clock=FixedClock(T0))
    try:
        for job in _jobs():
            store.upsert_snapshot(job, "p")
        full = {r.local_id: r for r in store.list_jobs()}
        brief = {r.local_id: r for r in store.list_jobs(brief=True)}
    finally:
        store.close()
    assert full.keys() == brief.keys() and len(full) == 3
    for local_id, record in full.items():
        short = brief[local_id]
        assert dataclasses.replace(short, snapshot=None) == dataclasses.replace(
            record, snapshot=None
        )
        assert record.snapshot is not None and short.snapshot is not None
        assert short.snapshot.raw == {} and short.snapshot.metadata == {}
        assert record.snapshot.raw  # the full read keeps it
        expected = dataclasses.replace(record.snapshot, raw={}, metadata={})
        assert short.snapshot == expected


def test_a_job_may_be_stale_exactly_in_the_statuses_the_stale_rule_marks(
    tmp_path: Path, store_url: str | None
) -> None:
    store = open_store(tmp_path, store_url, clock=FixedClock(T0))
    try:
        store.upsert_snapshot(_jobs()[0], "p")
        record = store.list_jobs(brief=True)[0]
    finally:
        store.close()
    for status in BatchStatus:
        job = dataclasses.replace(record, status=status)
        assert job.may_be_stale == (job.stale_since(60.0) is not None), status
