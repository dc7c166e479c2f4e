"""The async provider protocol every adapter implements, and the typed error hierarchy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from batchtui.core.models import BatchJob, BatchResult, Capability, ResultLine

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes done, bytes total or None) during uploads and downloads."""

AttemptCallback = Callable[[int], None]
"""Called with the attempt number (0 = the first send) just before a call goes out."""


class BatchtuiError(Exception):
    """Base of every error batchtui raises on purpose; its text is fit for a user."""


class SubmissionUnsettled(BatchtuiError):
    """A create failed ambiguously and the provider's list has not shown the batch yet."""


class ProviderError(BatchtuiError):
    """An error answered by (or on the way to) a provider.

    Always carries the provider's own message and, when the provider sent one, its request id,
    so a user can quote both to the provider's support.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        request_id: str | None = None,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.request_id = request_id
        self.error_type = error_type
        self.code = code
        self.param = param
        self.body = body

    def __str__(self) -> str:
        parts = []
        if self.provider:
            parts.append(f"{self.provider}:")
        if self.status_code:
            parts.append(f"HTTP {self.status_code}")
        if self.error_type:
            parts.append(f"{self.error_type}:")
        parts.append(self.message)
        text = " ".join(parts)
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class AuthError(ProviderError):
    """The key is missing, wrong, or lacks permission (401/403)."""


class NotFoundError(ProviderError):
    """The batch or file does not exist for this key (404)."""


class InvalidRequestError(ProviderError):
    """The provider refused the request as malformed (400/409/413/422)."""


class QuotaError(ProviderError):
    """A spend limit or quota is exhausted; retrying would not help (never retried)."""


class RateLimitedError(ProviderError):
    """Too many requests (429); ``retry_after`` is the provider's advice in seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ProviderError):
    """The provider failed or is overloaded (5xx, 529)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class NetworkError(ProviderError):
    """The provider could not be reached, or the connection broke or timed out."""

    retryable = True


@dataclass(frozen=True, slots=True)
class SubmitOptions:
    """What a create call needs besides the requests themselves.

    ``endpoint`` and ``completion_window`` are None for the provider's own default (a provider
    whose jobs name neither ignores them). ``model`` is the one model every request of the
    batch names (None when they name several or none), for providers whose jobs name their
    model (the others ignore it)."""

    endpoint: str | None = None
    completion_window: str | None = None
    model: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    """One provider account (a profile) speaking that provider's batch API.

    Submission is split in two so the job store can record each provider id the moment it
    exists: ``upload_input`` (OpenAI uploads the JSONL; providers without files return None),
    then ``create``, which is never retried blindly. Inputs are files of the provider's native
    JSONL, one request per line, streamed from disk.

    An upload is sent again after an ambiguous failure (within the retry budget); ``name`` is
    the file name it is stored under, so ``find_uploads(name)`` can later list every file a
    repeated upload may have left, and ``on_attempt`` is told of each send.
    """

    name: str
    capabilities: Capability

    async def upload_input(
        self,
        path: Path,
        *,
        progress: ProgressCallback | None = None,
        name: str | None = None,
        on_attempt: AttemptCallback | None = None,
    ) -> str | None: ...

    async def find_uploads(self, name: str) -> list[str]: ...

    async def create(
        self, path: Path, *, input_file_id: str | None, options: SubmitOptions
    ) -> BatchJob: ...

    async def get(self, batch_id: str) -> BatchJob: ...

    def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]: ...

    async def cancel(self, batch_id: str) -> BatchJob: ...

    async def delete_job(self, batch_id: str) -> None: ...

    async def delete_file(self, file_id: str) -> None: ...

    def result_lines(
        self,
        job: BatchJob,
        *,
        start: dict[str, int] | None = None,
        progress: ProgressCallback | None = None,
    ) -> AsyncIterator[ResultLine]: ...

    def parse_result(self, line: ResultLine) -> BatchResult: ...

    def results(self, job: BatchJob) -> AsyncIterator[BatchResult]: ...

    async def aclose(self) -> None: ...
