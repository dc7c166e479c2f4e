"""Google's error answers read into the typed errors.

Google answers ``{"error": {"code": int, "message", "status": "INVALID_ARGUMENT" | …,
"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason", …}, …]}}``
(providers.md §3 [O]). The shared transport reads the message and types the error by HTTP
status only; this module adds Google's ``status`` as the error type and the ``ErrorInfo``
reason (else the status) as the code, and moves the errors whose class the status alone gets
wrong: a wrong key is 400 INVALID_ARGUMENT with reason API_KEY_INVALID (§9 [S]), an auth error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from batchtui.core.provider import (
    AuthError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    ServerError,
)

T = TypeVar("T")

AUTH_REASONS = frozenset(
    {"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED", "ACCESS_TOKEN_EXPIRED"}
)
"""ErrorInfo reasons of a key that is wrong, expired or not allowed (Google's API-key reasons)."""

AUTH_STATUSES = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})


def error_info_reason(details: Any) -> str | None:
    """The ``reason`` of the first ``ErrorInfo`` (or any detail with a reason) in ``details``."""
    if not isinstance(details, list):
        return None
    for item in details:
        if isinstance(item, dict) and isinstance(item.get("reason"), str) and item["reason"]:
            return str(item["reason"])
    return None


def google_error(error: ProviderError) -> ProviderError:
    """``error`` with Google's status as its type and the ErrorInfo reason (else the status) as
    its code, of the class those facts call for; the error itself when its body is not
    Google's shape."""
    body = error.body
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict) or not isinstance(err.get("status"), str):
        return error
    status = str(err["status"])
    reason = error_info_reason(err.get("details"))
    cls: type[ProviderError] = type(error)
    if reason in AUTH_REASONS or status in AUTH_STATUSES:
        cls = AuthError
    elif status == "NOT_FOUND" and error.status_code == 404:
        cls = NotFoundError
    kwargs: dict[str, Any] = {
        "provider": error.provider,
        "status_code": error.status_code,
        "request_id": error.request_id,
        "error_type": status,
        "code": reason or status,
        "param": error.param,
        "body": body,
    }
    if issubclass(cls, RateLimitedError | ServerError):
        retry_after = getattr(error, "retry_after", None)
        kwargs["retry_after"] = retry_after
    return cls(error.message, **kwargs)


@contextmanager
def google_errors() -> Iterator[None]:
    """Re-raise a ProviderError raised inside as `google_error` reads it."""
    try:
        yield
    except ProviderError as exc:
        better = google_error(exc)
        if better is exc:
            raise
        raise better from exc


async def reraised(items: AsyncIterator[T]) -> AsyncIterator[T]:
    """The items of ``items``, with errors raised on the way read as Google's."""
    with google_errors():
        async for item in items:
            yield item
