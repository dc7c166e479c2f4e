"""Conversions between stored values (JSON text, epoch seconds) and the core models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import msgspec

from batchtui.core.jsonline import DECODE_ERRORS
from batchtui.core.models import (
    BatchJob,
    BatchStatus,
    ProviderErrorDetail,
    RequestCounts,
    Timestamps,
)


def to_epoch(value: datetime | float | int | None) -> float | None:
    """Epoch seconds of an aware datetime (naive is taken as UTC), a number, or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


def from_epoch(value: float | None) -> datetime | None:
    """An aware UTC datetime from epoch seconds, or None."""
    return None if value is None else datetime.fromtimestamp(value, UTC)


def epoch_time(value: float) -> datetime:
    """An aware UTC datetime from epoch seconds of a column that is never NULL."""
    return datetime.fromtimestamp(value, UTC)


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON so equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def counts_from_dict(data: dict[str, Any] | None) -> RequestCounts:
    """RequestCounts from its `as_dict()` form, ignoring unknown keys."""
    data = data or {}
    fields = ("total", "processing", "succeeded", "errored", "canceled", "expired")
    return RequestCounts(**{k: int(data.get(k) or 0) for k in fields})


class SnapshotBrief(msgspec.Struct):
    """The fields of a stored snapshot that a list of jobs shows; the rest (the provider's raw
    object above all) is skipped by the decoder without building Python objects."""

    progress: Any = None
    errors: Any = None
    results_available: Any = False
    model: Any = None
    results_url: Any = None


_SNAPSHOT_BRIEF = msgspec.json.Decoder(SnapshotBrief)
_COUNTS = msgspec.json.Decoder(RequestCounts)
_TIMES = msgspec.json.Decoder(Timestamps)
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    *DECODE_ERRORS,
    TypeError,
)  # a field of another type


def snapshot_brief(text: str) -> SnapshotBrief:
    """The list fields of a stored snapshot's JSON."""
    try:
        return _SNAPSHOT_BRIEF.decode(text)
    except _DECODE_ERRORS:  # anything msgspec refuses: the stdlib decides
        data = json.loads(text)
        return SnapshotBrief(
            data.get("progress"),
            data.get("errors"),
            data.get("results_available", False),
            data.get("model"),
            data.get("results_url"),
        )


def counts_from_json(text: str | None) -> RequestCounts:
    """A stored counts column (typed decode; what it refuses goes the `counts_from_dict` way)."""
    if not text:
        return RequestCounts()
    try:
        return _COUNTS.decode(text)
    except _DECODE_ERRORS:
        return counts_from_dict(json.loads(text))


def times_from_json(text: str | None) -> Timestamps:
    """A stored times column (typed decode of its ISO 8601 strings; what it refuses goes the
    `times_from_dict` way)."""
    if not text:
        return Timestamps()
    try:
        return _TIMES.decode(text)
    except _DECODE_ERRORS:
        return times_from_dict(json.loads(text))


def times_from_dict(data: dict[str, Any] | None) -> Timestamps:
    """Timestamps from its `as_dict()` form (ISO 8601 strings or None)."""
    data = data or {}
    values = {}
    for name in Timestamps.__slots__:
        raw = data.get(name)
        values[name] = datetime.fromisoformat(raw) if raw else None
    return Timestamps(**values)


def job_to_dict(job: BatchJob) -> dict[str, Any]:
    """A JSON-ready dict holding every field of a BatchJob snapshot."""
    return {
        "provider": job.provider,
        "id": job.id,
        "status": job.status.value,
        "raw_status": job.raw_status,
        "counts": job.counts.as_dict(),
        "times": job.times.as_dict(),
        "endpoint": job.endpoint,
        "model": job.model,
        "input_file_id": job.input_file_id,
        "output_file_id": job.output_file_id,
        "error_file_id": job.error_file_id,
        "results_url": job.results_url,
        "results_available": job.results_available,
        "progress": job.progress,
        "errors": [
            {"code": e.code, "message": e.message, "line": e.line, "param": e.param}
            for e in job.errors
        ],
        "metadata": dict(job.metadata),
        "raw": job.raw,
        "profile": job.profile,
    }


def job_from_dict(data: dict[str, Any]) -> BatchJob:
    """The BatchJob a `job_to_dict()` dict describes."""
    return BatchJob(
        provider=data["provider"],
        id=data["id"],
        status=BatchStatus(data["status"]),
        raw_status=data.get("raw_status") or "",
        counts=counts_from_dict(data.get("counts")),
        times=times_from_dict(data.get("times")),
        endpoint=data.get("endpoint"),
        model=data.get("model"),
        input_file_id=data.get("input_file_id"),
        output_file_id=data.get("output_file_id"),
        error_file_id=data.get("error_file_id"),
        results_url=data.get("results_url"),
        results_available=bool(data.get("results_available")),
        progress=fraction(data.get("progress")),
        errors=errors_from_list(data.get("errors")),
        metadata=dict(data.get("metadata") or {}),
        raw=dict(data.get("raw") or {}),
        profile=data.get("profile"),
    )


def errors_from_list(items: Any) -> tuple[ProviderErrorDetail, ...]:
    """The stored error list of a snapshot (None or empty: no errors)."""
    return tuple(
        ProviderErrorDetail(
            code=e.get("code"),
            message=e.get("message", ""),
            line=e.get("line"),
            param=e.get("param"),
        )
        for e in items or ()
    )


def fraction(value: Any) -> float | None:
    """A stored progress fraction (None when absent or not a number in 0..1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0.0 <= value <= 1.0 else None
