"""An OpenAI Batch object mapped to the neutral BatchJob snapshot and canonical status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from batchtui.core.models import (
    BatchJob,
    BatchStatus,
    ProviderErrorDetail,
    RequestCounts,
    Timestamps,
    Usage,
)
from batchtui.providers.values import nonempty_str, split_counts, unix_time

OPENAI_STATUS: dict[str, BatchStatus] = {
    "validating": BatchStatus.VALIDATING,
    "in_progress": BatchStatus.IN_PROGRESS,
    "finalizing": BatchStatus.FINALIZING,
    "completed": BatchStatus.COMPLETED,
    "failed": BatchStatus.FAILED,
    "expired": BatchStatus.EXPIRED,
    "cancelling": BatchStatus.CANCELLING,
    "cancelled": BatchStatus.CANCELLED,
}


def _int(value: Any) -> int:
    """An int field, with anything missing or malformed read as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def openai_status(raw: str) -> BatchStatus:
    """Canonical status of an OpenAI batch; an unknown value is treated as still running."""
    return OPENAI_STATUS.get(raw, BatchStatus.IN_PROGRESS)


def openai_counts(raw: Mapping[str, Any] | None, status: BatchStatus) -> RequestCounts:
    """Neutral counts from OpenAI's ``{total, completed, failed}``.

    OpenAI's ``failed`` leaves out cancelled and expired lines, so the remainder is what is
    still running while the job lives, the canceled or expired requests once it is cancelled or
    expired, and requests that did not succeed (errored) after any other end.
    """
    raw = raw or {}
    total = _int(raw.get("total"))
    succeeded = _int(raw.get("completed"))
    errored = _int(raw.get("failed"))
    return split_counts(total, succeeded, errored, status)


def _openai_errors(raw: Any) -> tuple[ProviderErrorDetail, ...]:
    """Validation errors of a failed OpenAI batch (``errors.data``)."""
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, list):
        return ()
    return tuple(
        ProviderErrorDetail(
            code=nonempty_str(item.get("code")),
            message=str(item.get("message") or ""),
            line=item.get("line") if isinstance(item.get("line"), int) else None,
            param=nonempty_str(item.get("param")),
        )
        for item in data
        if isinstance(item, dict)
    )


def openai_usage(data: Mapping[str, Any]) -> Usage | None:
    """A batch's aggregate ``usage`` (prompt tokens already count the cached ones), if any."""
    usage = data.get("usage")
    if not isinstance(usage, dict):
        return None
    details = usage.get("input_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else 0
    return Usage(
        input_tokens=_int(usage.get("input_tokens")),
        output_tokens=_int(usage.get("output_tokens")),
        cached_input_tokens=_int(cached),
    )


def openai_job(data: Mapping[str, Any], *, profile: str | None = None) -> BatchJob:
    """A BatchJob snapshot from an OpenAI Batch object.

    ``ended_at`` is derived: the time of whichever terminal state the batch reached.
    """
    raw_status = str(data.get("status") or "")
    status = openai_status(raw_status)
    times = {
        name: unix_time(data.get(name))
        for name in (
            "created_at",
            "in_progress_at",
            "finalizing_at",
            "completed_at",
            "failed_at",
            "expired_at",
            "cancelling_at",
            "cancelled_at",
            "expires_at",
        )
    }
    times["ended_at"] = (
        times["completed_at"] or times["failed_at"] or times["expired_at"] or times["cancelled_at"]
    )
    output_file_id = nonempty_str(data.get("output_file_id"))
    error_file_id = nonempty_str(data.get("error_file_id"))
    metadata = data.get("metadata")
    return BatchJob(
        provider="openai",
        id=str(data.get("id") or ""),
        status=status,
        raw_status=raw_status,
        counts=openai_counts(data.get("request_counts"), status),
        times=Timestamps(**times),
        endpoint=nonempty_str(data.get("endpoint")),
        model=nonempty_str(data.get("model")),
        input_file_id=nonempty_str(data.get("input_file_id")),
        output_file_id=output_file_id,
        error_file_id=error_file_id,
        results_available=bool(output_file_id or error_file_id),
        errors=_openai_errors(data.get("errors")),
        metadata={str(k): str(v) for k, v in metadata.items()}
        if isinstance(metadata, dict)
        else {},
        raw=dict(data),
        profile=profile,
    )
