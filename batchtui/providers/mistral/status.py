"""A Mistral batch job mapped to the neutral BatchJob snapshot and canonical status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from batchtui.core.models import (
    BatchJob,
    BatchStatus,
    ProviderErrorDetail,
    RequestCounts,
    Timestamps,
)
from batchtui.providers.values import count_of, list_of, nonempty_str, split_counts, unix_time

MISTRAL_STATUS: dict[str, BatchStatus] = {
    "QUEUED": BatchStatus.VALIDATING,
    "RUNNING": BatchStatus.IN_PROGRESS,
    "SUCCESS": BatchStatus.COMPLETED,
    "FAILED": BatchStatus.FAILED,
    "TIMEOUT_EXCEEDED": BatchStatus.EXPIRED,
    "CANCELLATION_REQUESTED": BatchStatus.CANCELLING,
    "CANCELLED": BatchStatus.CANCELLED,
}
"""Mistral's job statuses (SDK ``BatchJobStatus``, §4) [S] -> canonical status."""


def mistral_status(raw: str) -> BatchStatus:
    """Canonical status of a Mistral job; an unknown value is treated as still running."""
    return MISTRAL_STATUS.get(raw, BatchStatus.IN_PROGRESS)


def mistral_counts(data: Mapping[str, Any], status: BatchStatus) -> RequestCounts:
    """Neutral counts from ``total/succeeded/failed_requests``.

    What is neither succeeded nor failed is still running while the job lives, canceled once
    it is cancelled, expired once its timeout passed, and errored after any other end (a
    failed job, or a job that ended with requests unaccounted for).
    """
    total = count_of(data.get("total_requests"))
    succeeded = count_of(data.get("succeeded_requests"))
    errored = count_of(data.get("failed_requests"))
    return split_counts(total, succeeded, errored, status)


def _mistral_errors(raw: Any) -> tuple[ProviderErrorDetail, ...]:
    """A job's ``errors: [{message, count?}]`` (the count, when above one, joins the text)."""
    found = []
    for item in list_of(raw):
        if not isinstance(item, dict):
            continue
        message = str(item.get("message") or "")
        count = item.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count > 1:
            message = f"{message} ({count} times)"
        found.append(ProviderErrorDetail(code=None, message=message))
    return tuple(found)


def mistral_job(data: Mapping[str, Any], *, profile: str | None = None) -> BatchJob:
    """A BatchJob snapshot from a Mistral batch job object.

    Times are Unix seconds. ``completed_at`` is when the job ended, whichever way: it becomes
    ``ended_at`` and the time of the terminal state reached. The first of ``input_files`` is
    the job's input file (batchtui uploads one per job).
    """
    raw_status = str(data.get("status") or "")
    status = mistral_status(raw_status)
    ended = unix_time(data.get("completed_at")) if status.is_terminal else None
    times = Timestamps(
        created_at=unix_time(data.get("created_at")),
        in_progress_at=unix_time(data.get("started_at")),
        completed_at=ended if status is BatchStatus.COMPLETED else None,
        failed_at=ended if status is BatchStatus.FAILED else None,
        expired_at=ended if status is BatchStatus.EXPIRED else None,
        cancelled_at=ended if status is BatchStatus.CANCELLED else None,
        ended_at=ended,
    )
    inputs = [f for f in list_of(data.get("input_files")) if isinstance(f, str) and f]
    output_file_id = nonempty_str(data.get("output_file"))
    error_file_id = nonempty_str(data.get("error_file"))
    metadata = data.get("metadata")
    return BatchJob(
        provider="mistral",
        id=str(data.get("id") or ""),
        status=status,
        raw_status=raw_status,
        counts=mistral_counts(data, status),
        times=times,
        endpoint=nonempty_str(data.get("endpoint")),
        model=nonempty_str(data.get("model")),
        input_file_id=inputs[0] if inputs else None,
        output_file_id=output_file_id,
        error_file_id=error_file_id,
        # Whatever file a job names can be read, also after a cancel, a timeout or a failure
        # (§9: partial results are [U]; the safe reading downloads any file named).
        results_available=bool(output_file_id or error_file_id),
        errors=_mistral_errors(data.get("errors")),
        metadata={str(k): str(v) for k, v in metadata.items()}
        if isinstance(metadata, dict)
        else {},
        raw=dict(data),
        profile=profile,
    )
