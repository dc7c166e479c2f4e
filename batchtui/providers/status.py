"""Pure mappings from each provider's batch object to the neutral BatchJob snapshot."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from batchtui.core.models import (
    BatchJob,
    BatchStatus,
    ProviderErrorDetail,
    RequestCounts,
    Timestamps,
)

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


def unix_time(value: Any) -> datetime | None:
    """An aware UTC datetime from Unix seconds (OpenAI), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


_FRACTION = re.compile(r"(\.\d{6})\d+")


def rfc3339_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 string (Anthropic), or None."""
    if not isinstance(value, str) or not value:
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


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
    rest = max(0, total - succeeded - errored)
    counts = {"total": total, "succeeded": succeeded, "errored": errored}
    if not status.is_terminal:
        counts["processing"] = rest
    elif status is BatchStatus.CANCELLED:
        counts["canceled"] = rest
    elif status is BatchStatus.EXPIRED:
        counts["expired"] = rest
    else:
        counts["errored"] = errored + rest
    return RequestCounts(**counts)


def anthropic_counts(raw: Mapping[str, Any] | None) -> RequestCounts:
    """Neutral counts from Anthropic's request_counts (same five buckets; total is their sum)."""
    raw = raw or {}
    values = {
        key: _int(raw.get(key))
        for key in ("processing", "succeeded", "errored", "canceled", "expired")
    }
    return RequestCounts(total=sum(values.values()), **values)


def anthropic_status(
    processing_status: str, *, cancel_initiated_at: Any, expired_count: int
) -> BatchStatus:
    """Canonical status of an Anthropic batch (which only says in_progress/canceling/ended)."""
    if processing_status == "canceling":
        return BatchStatus.CANCELLING
    if processing_status == "ended":
        if cancel_initiated_at:
            return BatchStatus.CANCELLED
        if expired_count > 0:
            return BatchStatus.EXPIRED
        return BatchStatus.COMPLETED
    return BatchStatus.IN_PROGRESS


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _openai_errors(raw: Any) -> tuple[ProviderErrorDetail, ...]:
    """Validation errors of a failed OpenAI batch (``errors.data``)."""
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, list):
        return ()
    return tuple(
        ProviderErrorDetail(
            code=_str_or_none(item.get("code")),
            message=str(item.get("message") or ""),
            line=item.get("line") if isinstance(item.get("line"), int) else None,
            param=_str_or_none(item.get("param")),
        )
        for item in data
        if isinstance(item, dict)
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
    output_file_id = _str_or_none(data.get("output_file_id"))
    error_file_id = _str_or_none(data.get("error_file_id"))
    metadata = data.get("metadata")
    return BatchJob(
        provider="openai",
        id=str(data.get("id") or ""),
        status=status,
        raw_status=raw_status,
        counts=openai_counts(data.get("request_counts"), status),
        times=Timestamps(**times),
        endpoint=_str_or_none(data.get("endpoint")),
        model=_str_or_none(data.get("model")),
        input_file_id=_str_or_none(data.get("input_file_id")),
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


def anthropic_job(data: Mapping[str, Any], *, profile: str | None = None) -> BatchJob:
    """A BatchJob snapshot from an Anthropic MessageBatch object.

    Anthropic has one end time; it is also filed as completed/expired/cancelled time according
    to the derived status. Results count as available once ``results_url`` is set and the batch
    is not archived (archived results can no longer be downloaded).
    """
    raw_status = str(data.get("processing_status") or "")
    counts = anthropic_counts(data.get("request_counts"))
    status = anthropic_status(
        raw_status,
        cancel_initiated_at=data.get("cancel_initiated_at"),
        expired_count=counts.expired,
    )
    ended_at = rfc3339_time(data.get("ended_at"))
    archived_at = rfc3339_time(data.get("archived_at"))
    times = Timestamps(
        created_at=rfc3339_time(data.get("created_at")),
        expires_at=rfc3339_time(data.get("expires_at")),
        cancelling_at=rfc3339_time(data.get("cancel_initiated_at")),
        ended_at=ended_at,
        archived_at=archived_at,
        completed_at=ended_at if status is BatchStatus.COMPLETED else None,
        expired_at=ended_at if status is BatchStatus.EXPIRED else None,
        cancelled_at=ended_at if status is BatchStatus.CANCELLED else None,
    )
    results_url = _str_or_none(data.get("results_url"))
    return BatchJob(
        provider="anthropic",
        id=str(data.get("id") or ""),
        status=status,
        raw_status=raw_status,
        counts=counts,
        times=times,
        endpoint="/v1/messages",
        results_url=results_url,
        results_available=bool(results_url) and archived_at is None,
        raw=dict(data),
        profile=profile,
    )
