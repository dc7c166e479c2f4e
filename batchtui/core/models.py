"""Provider-neutral value objects: requests, job snapshots, results and the canonical status."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class BatchStatus(enum.StrEnum):
    """Canonical lifecycle of a batch job, shared by every provider.

    See docs/ARCHITECTURE.md "Canonical status".
    """

    QUEUED = "queued"  # local: held back until the profile has room
    SUBMITTING = "submitting"  # local: intent recorded, provider has not accepted it yet
    VALIDATING = "validating"
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_local(self) -> bool:
        return self in (BatchStatus.QUEUED, BatchStatus.SUBMITTING)


TERMINAL_STATUSES = frozenset(
    {BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.CANCELLED, BatchStatus.EXPIRED}
)


class Outcome(enum.StrEnum):
    """What became of one request of a batch."""

    SUCCEEDED = "succeeded"
    ERRORED = "errored"
    CANCELED = "canceled"
    EXPIRED = "expired"


class Capability(enum.Flag):
    """What a provider's batch API can do; the UI hides actions a provider lacks."""

    NONE = 0
    CANCEL = enum.auto()
    DELETE_JOB = enum.auto()  # the job itself can be deleted (Anthropic)
    DELETE_FILES = enum.auto()  # uploaded/result files can be deleted (OpenAI)
    LIVE_COUNTS = enum.auto()  # per-outcome counts move while the job runs (OpenAI)
    FILE_UPLOAD = enum.auto()  # input goes through a file upload first (OpenAI)
    METADATA = enum.auto()  # free-form labels are stored by the provider (OpenAI)


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """One request of a batch in the neutral form.

    ``body`` holds the request parameters besides ``custom_id`` (``model``, ``messages``,
    ``system``, ``max_tokens``, ``temperature``, ...); adapters convert it to their native form.
    ``endpoint`` is only meaningful for OpenAI (default ``/v1/chat/completions``).
    """

    custom_id: str
    body: dict[str, Any]
    endpoint: str | None = None

    @property
    def model(self) -> str | None:
        value = self.body.get("model")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """Per-outcome request counts of a job; ``processing`` is what has no outcome yet."""

    total: int = 0
    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @property
    def done(self) -> int:
        return self.succeeded + self.errored + self.canceled + self.expired

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "processing": self.processing,
            "succeeded": self.succeeded,
            "errored": self.errored,
            "canceled": self.canceled,
            "expired": self.expired,
        }


@dataclass(frozen=True, slots=True)
class Timestamps:
    """Every lifecycle timestamp a provider reports, as aware UTC datetimes or None."""

    created_at: datetime | None = None
    in_progress_at: datetime | None = None
    finalizing_at: datetime | None = None
    completed_at: datetime | None = None
    failed_at: datetime | None = None
    expired_at: datetime | None = None
    cancelling_at: datetime | None = None
    cancelled_at: datetime | None = None
    ended_at: datetime | None = None
    expires_at: datetime | None = None
    archived_at: datetime | None = None

    def as_dict(self) -> dict[str, str | None]:
        # Spelled out field by field: lists of 10,000 jobs print it per job.
        return {
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "in_progress_at": self.in_progress_at.isoformat() if self.in_progress_at else None,
            "finalizing_at": self.finalizing_at.isoformat() if self.finalizing_at else None,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "expired_at": self.expired_at.isoformat() if self.expired_at else None,
            "cancelling_at": self.cancelling_at.isoformat() if self.cancelling_at else None,
            "cancelled_at": self.cancelled_at.isoformat() if self.cancelled_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "archived_at": self.archived_at.isoformat() if self.archived_at else None,
        }


@dataclass(frozen=True, slots=True)
class ProviderErrorDetail:
    """One error the provider attached to a job (e.g. an OpenAI validation error)."""

    code: str | None
    message: str
    line: int | None = None
    param: str | None = None


@dataclass(frozen=True, slots=True)
class BatchJob:
    """An immutable snapshot of one job as the provider last described it."""

    provider: str
    id: str
    status: BatchStatus
    raw_status: str
    counts: RequestCounts = field(default_factory=RequestCounts)
    times: Timestamps = field(default_factory=Timestamps)
    endpoint: str | None = None
    model: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results_url: str | None = None
    results_available: bool = False
    errors: tuple[ProviderErrorDetail, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    profile: str | None = None
    progress: float | None = None
    """How far the job is (0..1) when the provider reports that instead of request counts;
    None when it reports counts (or nothing)."""

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage of one result, in the neutral vocabulary (the same for every provider).

    ``input_tokens`` counts every prompt token: the ones read fresh, the ones read from the
    prompt cache (``cached_input_tokens``) and the ones written to it
    (``cache_creation_input_tokens``); the last two are parts of it, not additions to it.
    OpenAI reports prompt tokens that way already; Anthropic's own ``input_tokens`` leaves both
    cache kinds out, so its adapter adds them in. ``reasoning_tokens`` are likewise part of
    ``output_tokens``. Costs price each part at its own rate (`uncached_input_tokens` at the
    input price).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def uncached_input_tokens(self) -> int:
        """Prompt tokens neither read from nor written to the cache (priced as plain input)."""
        return max(
            0, self.input_tokens - self.cached_input_tokens - self.cache_creation_input_tokens
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }


@dataclass(frozen=True, slots=True)
class ResultError:
    """Why a request did not succeed: the provider's error type, code and message."""

    type: str | None
    code: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"type": self.type, "code": self.code, "message": self.message}


UNPARSEABLE_LINE = "unparseable_line"
"""Error type of a result line that is not one JSON object alone on its line (not JSON, a JSON
value that is not an object, or anything but blanks after the object). Such a line is kept
(outcome errored, no custom_id, its bytes in the cache), counted, and left out of costs."""


class ResultFlag(enum.StrEnum):
    """A result the provider counts as a success (or a line in the wrong file) that is not one."""

    TRUNCATED = "truncated"
    FILTERED = "filtered"
    REFUSED = "refused"
    HTTP_ERROR = "http_error"


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The outcome of one request of a batch, parsed from a provider's result line."""

    custom_id: str
    outcome: Outcome
    text: str | None = None
    usage: Usage | None = None
    error: ResultError | None = None
    flag: ResultFlag | None = None
    finish_reason: str | None = None
    model: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResultLine:
    """One raw line of a job's results as the provider sent it, and which stream it came from.

    ``source`` is ``"output"`` or ``"error"`` for OpenAI's two files and ``"results"`` for
    Anthropic's single stream. ``data`` has no trailing newline. ``end``, when known, is the
    byte offset just past this line in the provider's stream (where a resumed download starts).
    """

    source: str
    data: bytes
    end: int | None = None
