"""A Gemini batch (an Operation named ``batches/…`` whose ``metadata`` is the batch) mapped to
the neutral BatchJob snapshot and canonical status (providers.md §3, §9)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.providers.gemini.limits import GENERATE_CONTENT
from batchtui.providers.values import dict_of, list_of, nonempty_str, rfc3339_time

STATUS_MAP: dict[str, BatchStatus] = {
    # The Developer API's REST states [S]; PENDING is waiting to run (the first live state).
    "BATCH_STATE_PENDING": BatchStatus.VALIDATING,
    "BATCH_STATE_RUNNING": BatchStatus.IN_PROGRESS,
    "BATCH_STATE_SUCCEEDED": BatchStatus.COMPLETED,
    "BATCH_STATE_FAILED": BatchStatus.FAILED,
    "BATCH_STATE_CANCELLED": BatchStatus.CANCELLED,
    "BATCH_STATE_EXPIRED": BatchStatus.EXPIRED,
    # The SDK's spellings (t_job_state renames BATCH_STATE_* to JOB_STATE_*), including the
    # Vertex values its JobState union holds [S].
    "JOB_STATE_PENDING": BatchStatus.VALIDATING,
    "JOB_STATE_QUEUED": BatchStatus.VALIDATING,
    "JOB_STATE_RUNNING": BatchStatus.IN_PROGRESS,
    "JOB_STATE_UPDATING": BatchStatus.IN_PROGRESS,
    "JOB_STATE_PAUSED": BatchStatus.IN_PROGRESS,
    "JOB_STATE_SUCCEEDED": BatchStatus.COMPLETED,
    "JOB_STATE_PARTIALLY_SUCCEEDED": BatchStatus.COMPLETED,
    "JOB_STATE_FAILED": BatchStatus.FAILED,
    "JOB_STATE_CANCELLING": BatchStatus.CANCELLING,
    "JOB_STATE_CANCELLED": BatchStatus.CANCELLED,
    "JOB_STATE_EXPIRED": BatchStatus.EXPIRED,
}
"""Raw state → canonical status; anything else (``BATCH_STATE_UNSPECIFIED`` included) counts as
running."""

EXPIRY = timedelta(hours=48)
"""A batch that runs or waits more than 48 h ends EXPIRED [D] (§9)."""


def gemini_status(state: str) -> BatchStatus:
    """The canonical status of a raw Gemini state (unknown values count as running)."""
    return STATUS_MAP.get(state, BatchStatus.IN_PROGRESS)


def stat_count(value: Any) -> int:
    """An int64 count of ``batchStats``: proto3 JSON writes int64 as a decimal string, so both
    a number and a string of digits are read; anything else is 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def gemini_counts(stats: Mapping[str, Any] | None, status: BatchStatus) -> RequestCounts:
    """Neutral counts from ``batchStats`` (requestCount, successfulRequestCount,
    failedRequestCount, pendingRequestCount).

    What is neither succeeded nor failed is ``processing`` while the batch runs; once it has
    ended cancelled or expired, those requests were never run and count as canceled or expired.
    """
    stats = stats or {}
    total = stat_count(stats.get("requestCount"))
    succeeded = stat_count(stats.get("successfulRequestCount"))
    errored = stat_count(stats.get("failedRequestCount"))
    pending = stat_count(stats.get("pendingRequestCount"))
    rest = max(total - succeeded - errored, 0) if total else pending
    total = max(total, succeeded + errored + rest)
    if status is BatchStatus.CANCELLED:
        return RequestCounts(total, 0, succeeded, errored, canceled=rest)
    if status is BatchStatus.EXPIRED:
        return RequestCounts(total, 0, succeeded, errored, expired=rest)
    if status.is_terminal:
        return RequestCounts(total, 0, succeeded, errored + rest)
    return RequestCounts(total, rest, succeeded, errored)


def batch_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The batch fields of an answer: an Operation's ``metadata``, or the batch itself (the
    resource read bare)."""
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and ("state" in metadata or "model" in metadata):
        return metadata
    return dict(data)


def output_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The batch's output (``responsesFile`` or ``inlinedResponses``): from the metadata, else
    from a finished Operation's ``response``."""
    found = dict_of(batch_of(data).get("output"))
    if not found:
        found = dict_of(data.get("response"))
    return found


def inlined_responses(output: Mapping[str, Any]) -> list[Any]:
    """The list of inline responses of an output (``inlinedResponses.inlinedResponses``)."""
    wrapper = output.get("inlinedResponses")
    if isinstance(wrapper, dict):
        return list_of(wrapper.get("inlinedResponses"))
    return list_of(wrapper)


def model_name(value: Any) -> str | None:
    """A model id without its ``models/`` resource prefix (the name prices know)."""
    name = nonempty_str(value)
    if name is None:
        return None
    return name.removeprefix("models/")


def gemini_job(data: Mapping[str, Any], *, profile: str | None = None) -> BatchJob:
    """A BatchJob snapshot from a Gemini batch Operation.

    The id is the resource name (``batches/…``). Gemini has one end time; it is filed as the
    completed, failed, cancelled or expired time according to the status. ``expires_at`` is
    the documented 48 h after creation. Results are available when the output names a
    responses file or holds inline responses, except for an expired batch, which "will not have
    any results" [D].
    """
    batch = batch_of(data)
    raw_state = str(batch.get("state") or "")
    status = gemini_status(raw_state)
    counts = gemini_counts(dict_of(batch.get("batchStats")), status)
    created = rfc3339_time(batch.get("createTime"))
    ended = rfc3339_time(batch.get("endTime"))
    times = Timestamps(
        created_at=created,
        expires_at=created + EXPIRY if created is not None else None,
        ended_at=ended,
        completed_at=ended if status is BatchStatus.COMPLETED else None,
        failed_at=ended if status is BatchStatus.FAILED else None,
        cancelled_at=ended if status is BatchStatus.CANCELLED else None,
        expired_at=ended if status is BatchStatus.EXPIRED else None,
    )
    output = output_of(data)
    responses_file = nonempty_str(output.get("responsesFile"))
    inline = inlined_responses(output)
    input_config = dict_of(batch.get("inputConfig"))
    name = nonempty_str(data.get("name")) or nonempty_str(batch.get("name")) or ""
    return BatchJob(
        provider="gemini",
        id=name,
        status=status,
        raw_status=raw_state,
        counts=counts,
        times=times,
        endpoint=GENERATE_CONTENT,
        model=model_name(batch.get("model")),
        input_file_id=nonempty_str(input_config.get("fileName")),
        output_file_id=responses_file,
        results_available=bool(responses_file or inline) and status is not BatchStatus.EXPIRED,
        raw=dict(data),
        profile=profile,
    )
