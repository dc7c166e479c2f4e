"""Status, count and timestamp mapping tables, case by case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from batchtui.core.models import BatchStatus, RequestCounts
from batchtui.providers.anthropic.status import anthropic_counts, anthropic_job, anthropic_status
from batchtui.providers.openai.status import openai_counts, openai_job, openai_status
from batchtui.providers.values import rfc3339_time, unix_time


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("validating", BatchStatus.VALIDATING),
        ("in_progress", BatchStatus.IN_PROGRESS),
        ("finalizing", BatchStatus.FINALIZING),
        ("completed", BatchStatus.COMPLETED),
        ("failed", BatchStatus.FAILED),
        ("expired", BatchStatus.EXPIRED),
        ("cancelling", BatchStatus.CANCELLING),
        ("cancelled", BatchStatus.CANCELLED),
        ("some_new_state", BatchStatus.IN_PROGRESS),
    ],
)
def test_openai_status(raw: str, expected: BatchStatus) -> None:
    assert openai_status(raw) is expected


@pytest.mark.parametrize(
    ("processing", "cancel_at", "expired", "expected"),
    [
        ("in_progress", None, 0, BatchStatus.IN_PROGRESS),
        ("canceling", "2026-01-01T00:00:00Z", 0, BatchStatus.CANCELLING),
        ("ended", None, 0, BatchStatus.COMPLETED),
        ("ended", None, 3, BatchStatus.EXPIRED),
        ("ended", "2026-01-01T00:00:00Z", 0, BatchStatus.CANCELLED),
        ("ended", "2026-01-01T00:00:00Z", 3, BatchStatus.CANCELLED),  # cancel wins over expiry
    ],
)
def test_anthropic_status(
    processing: str, cancel_at: str | None, expired: int, expected: BatchStatus
) -> None:
    got = anthropic_status(processing, cancel_initiated_at=cancel_at, expired_count=expired)
    assert got is expected


@pytest.mark.parametrize(
    ("status", "raw", "expected"),
    [
        (BatchStatus.VALIDATING, {"total": 0, "completed": 0, "failed": 0}, RequestCounts()),
        (
            BatchStatus.IN_PROGRESS,
            {"total": 10, "completed": 4, "failed": 1},
            RequestCounts(total=10, processing=5, succeeded=4, errored=1),
        ),
        (
            BatchStatus.CANCELLING,
            {"total": 10, "completed": 4, "failed": 1},
            RequestCounts(total=10, processing=5, succeeded=4, errored=1),
        ),
        (
            BatchStatus.COMPLETED,
            {"total": 9, "completed": 0, "failed": 9},
            RequestCounts(total=9, errored=9),
        ),
        (
            BatchStatus.CANCELLED,
            {"total": 8, "completed": 4, "failed": 0},
            RequestCounts(total=8, succeeded=4, canceled=4),
        ),
        (
            BatchStatus.EXPIRED,
            {"total": 10, "completed": 1, "failed": 0},
            RequestCounts(total=10, succeeded=1, expired=9),
        ),
        (
            BatchStatus.FAILED,
            {"total": 3, "completed": 0, "failed": 0},
            RequestCounts(total=3, errored=3),
        ),
        (BatchStatus.IN_PROGRESS, None, RequestCounts()),
    ],
)
def test_openai_counts(status: BatchStatus, raw: dict | None, expected: RequestCounts) -> None:
    assert openai_counts(raw, status) == expected


def test_anthropic_counts_map_directly() -> None:
    raw = {"processing": 1, "succeeded": 2, "errored": 3, "canceled": 4, "expired": 5}
    assert anthropic_counts(raw) == RequestCounts(
        total=15, processing=1, succeeded=2, errored=3, canceled=4, expired=5
    )


def test_unix_time_is_aware_utc() -> None:
    assert unix_time(1767268800) == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert unix_time(None) is None
    assert unix_time("1767268800") is None
    assert unix_time(True) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-08-20T18:37:24.100435Z", datetime(2024, 8, 20, 18, 37, 24, 100435, tzinfo=UTC)),
        ("2024-08-20T18:37:24.100435789Z", datetime(2024, 8, 20, 18, 37, 24, 100435, tzinfo=UTC)),
        ("2024-08-20T18:37:24Z", datetime(2024, 8, 20, 18, 37, 24, tzinfo=UTC)),
        ("2024-08-20T20:37:24+02:00", datetime(2024, 8, 20, 18, 37, 24, tzinfo=UTC)),
        (None, None),
        ("yesterday", None),
    ],
)
def test_rfc3339_time(text: str | None, expected: datetime | None) -> None:
    got = rfc3339_time(text)
    assert got == expected
    if got is not None:
        assert got.tzinfo is UTC


def _openai_batch(**fields: object) -> dict:
    base: dict = {
        "id": "batch_1",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "errors": None,
        "input_file_id": "file-in",
        "completion_window": "24h",
        "status": "in_progress",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": 1767268800,
        "in_progress_at": 1767268805,
        "expires_at": 1767355200,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 2, "completed": 1, "failed": 0},
        "metadata": None,
    }
    base.update(fields)
    return base


def test_openai_job_running_has_no_results() -> None:
    job = openai_job(_openai_batch(), profile="work")
    assert (job.provider, job.id, job.status, job.raw_status) == (
        "openai",
        "batch_1",
        BatchStatus.IN_PROGRESS,
        "in_progress",
    )
    assert job.profile == "work"
    assert not job.results_available
    assert job.metadata == {}
    assert job.times.created_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert job.times.ended_at is None
    assert job.raw["id"] == "batch_1"


@pytest.mark.parametrize(
    ("status", "output", "error", "available"),
    [
        ("completed", "file-out", None, True),
        ("completed", None, "file-err", True),  # all failed: still has results
        ("cancelled", "file-out", "file-err", True),
        ("expired", None, "file-err", True),
        ("failed", None, None, False),
        ("cancelling", None, None, False),
    ],
)
def test_openai_results_available_follows_file_ids(
    status: str, output: str | None, error: str | None, available: bool
) -> None:
    job = openai_job(_openai_batch(status=status, output_file_id=output, error_file_id=error))
    assert job.results_available is available


def test_openai_job_failed_validation_errors_and_ended_at() -> None:
    job = openai_job(
        _openai_batch(
            status="failed",
            failed_at=1767268810,
            metadata={"label": "x"},
            errors={
                "object": "list",
                "data": [
                    {"code": "duplicate_custom_id", "message": "dup", "param": None, "line": 3},
                    {
                        "code": "token_limit_exceeded",
                        "message": "quota",
                        "param": None,
                        "line": None,
                    },
                ],
            },
        )
    )
    assert job.status is BatchStatus.FAILED
    assert [(e.code, e.line) for e in job.errors] == [
        ("duplicate_custom_id", 3),
        ("token_limit_exceeded", None),
    ]
    assert job.metadata == {"label": "x"}
    assert job.times.ended_at == job.times.failed_at == unix_time(1767268810)


def _anthropic_batch(**fields: object) -> dict:
    base: dict = {
        "id": "msgbatch_1",
        "type": "message_batch",
        "processing_status": "in_progress",
        "request_counts": {
            "processing": 3,
            "succeeded": 0,
            "errored": 0,
            "canceled": 0,
            "expired": 0,
        },
        "ended_at": None,
        "created_at": "2026-01-01T12:00:00.000000Z",
        "expires_at": "2026-01-02T12:00:00.000000Z",
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": None,
    }
    base.update(fields)
    return base


def test_anthropic_job_running() -> None:
    job = anthropic_job(_anthropic_batch())
    assert job.status is BatchStatus.IN_PROGRESS
    assert job.counts.processing == 3 and job.counts.total == 3
    assert not job.results_available
    assert job.times.expires_at == datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def test_anthropic_job_cancelled_with_results() -> None:
    url = "https://api.anthropic.com/v1/messages/batches/msgbatch_1/results"
    job = anthropic_job(
        _anthropic_batch(
            processing_status="ended",
            cancel_initiated_at="2026-01-01T12:01:00Z",
            ended_at="2026-01-01T12:02:00Z",
            results_url=url,
            request_counts={
                "processing": 0,
                "succeeded": 1,
                "errored": 0,
                "canceled": 2,
                "expired": 0,
            },
        )
    )
    assert job.status is BatchStatus.CANCELLED
    assert job.results_available and job.results_url == url
    assert job.times.cancelling_at == datetime(2026, 1, 1, 12, 1, tzinfo=UTC)
    assert job.times.cancelled_at == job.times.ended_at == datetime(2026, 1, 1, 12, 2, tzinfo=UTC)
    assert job.times.completed_at is None


def test_anthropic_archived_job_has_no_results() -> None:
    job = anthropic_job(
        _anthropic_batch(
            processing_status="ended",
            ended_at="2026-01-01T13:00:00Z",
            archived_at="2026-01-30T12:00:00Z",
            results_url="https://api.anthropic.com/v1/messages/batches/msgbatch_1/results",
        )
    )
    assert job.status is BatchStatus.COMPLETED
    assert not job.results_available
