"""An Anthropic MessageBatch mapped to the neutral BatchJob snapshot and canonical status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from batchtui.core.models import (
    BatchJob,
    BatchStatus,
    RequestCounts,
    Timestamps,
)
from batchtui.providers.values import nonempty_str, rfc3339_time


def _int(value: Any) -> int:
    """An int field, with anything missing or malformed read as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


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
    results_url = nonempty_str(data.get("results_url"))
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
