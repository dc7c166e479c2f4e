"""A compatible server's batch object as the neutral BatchJob: OpenAI's mapping
(`batchtui.providers.openai.status`), with each preset's spelling of status, times and progress
read first."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from batchtui.core.models import BatchJob, ProviderErrorDetail, RequestCounts, Timestamps
from batchtui.providers.openai.status import openai_job
from batchtui.providers.openai_compatible.preset import Preset
from batchtui.providers.values import nonempty_str, rfc3339_time, unix_time

_ALIASES = {"canceling": "cancelling", "canceled": "cancelled"}
"""Together spells CANCELING with one "l" (providers.md §0, §5)."""

_TIME_FIELDS = tuple(f.name for f in dataclasses.fields(Timestamps) if f.name != "ended_at")

_DEADLINE_FIELD = "job_deadline"
"""Together's deadline of a job (§5), read as ``expires_at``."""


def _time(value: Any) -> Any:
    """Unix seconds (OpenAI, Groq) or an ISO 8601 string (Together §9)."""
    return unix_time(value) or rfc3339_time(value)


def _times(data: Mapping[str, Any]) -> Timestamps:
    times = {name: _time(data.get(name)) for name in _TIME_FIELDS}
    if times["expires_at"] is None:
        times["expires_at"] = _time(data.get(_DEADLINE_FIELD))
    times["ended_at"] = (
        times["completed_at"] or times["failed_at"] or times["expired_at"] or times["cancelled_at"]
    )
    return Timestamps(**times)


def percent_counts(data: Mapping[str, Any]) -> RequestCounts:
    """Counts of a job that reports only ``progress`` (0–100): unknown, so all zero (a percent
    without a total cannot be turned into request numbers). The percent stays in ``raw``."""
    return RequestCounts()


def progress_percent(job: BatchJob) -> float | None:
    """The ``progress`` (0–100) a percent-reporting job carries, if any."""
    value = job.raw.get("progress")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(min(100.0, max(0.0, value)))


def compatible_job(data: Mapping[str, Any], preset: Preset, *, profile: str | None) -> BatchJob:
    """A BatchJob from one batch object of a server speaking ``preset``.

    Status: lower-cased for upper-case spellers, with one-"l" cancel spellings aliased; an
    unknown value counts as running (as for OpenAI). Times: Unix seconds or ISO strings,
    whichever the server sends. Errors: OpenAI's ``errors.data`` or a plain ``error`` string.
    """
    raw_status = str(data.get("status") or "")
    status = raw_status.lower() if preset.uppercase_status else raw_status
    status = _ALIASES.get(status, status)
    job = openai_job({**data, "status": status}, profile=profile)
    errors = job.errors
    plain_error = nonempty_str(data.get("error"))
    if not errors and plain_error:
        errors = (ProviderErrorDetail(code=None, message=plain_error),)
    return dataclasses.replace(
        job,
        provider=preset.name,
        raw_status=raw_status,
        counts=percent_counts(data) if preset.progress_percent else job.counts,
        times=_times(data),
        model=job.model or nonempty_str(data.get("model_id")),
        errors=errors,
        raw=dict(data),
        progress=_fraction(data) if preset.progress_percent else None,
    )


def _fraction(data: Mapping[str, Any]) -> float | None:
    """The ``progress`` percent (0–100) of a percent-reporting job as a fraction."""
    value = data.get("progress")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return min(100.0, max(0.0, float(value))) / 100.0
