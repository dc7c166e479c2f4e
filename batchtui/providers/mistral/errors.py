"""Mistral's error answers read into the typed errors.

The shared transport types an error by its HTTP status; it reads messages only from the
``{"error": {...}}`` shapes of OpenAI and Anthropic. Mistral answers flat objects instead —
``{"object": "error", "message", "type", "param", "code"}``, ``{"message", "request_id"}``, or
a validation error ``{"detail": [{"loc", "msg", "type"}]}`` (the SDK's ``HTTPValidationError``)
[S] — so this module puts Mistral's own message, type and code into the error, keeping its class
and retry advice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from batchtui.core.provider import ProviderError, RateLimitedError, ServerError

T = TypeVar("T")


def _detail_text(detail: Any) -> str | None:
    """A validation ``detail`` (a string, or a list of ``{loc, msg}``) as one line."""
    if isinstance(detail, str) and detail:
        return detail
    if not isinstance(detail, list):
        return None
    parts = []
    for item in detail:
        if not isinstance(item, dict):
            continue
        loc = item.get("loc")
        where = ".".join(str(p) for p in loc if p != "body") if isinstance(loc, list) else ""
        msg = str(item.get("msg") or item.get("message") or "invalid")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or None


def mistral_error(error: ProviderError) -> ProviderError:
    """``error`` with the message, type and code of a Mistral error body (a new error of the
    same class); the error itself when its body holds nothing of Mistral's."""
    body = error.body
    if not isinstance(body, dict) or isinstance(body.get("error"), dict):
        return error
    message = body.get("message")
    if isinstance(message, dict):  # a validation detail wrapped in the flat shape
        message = _detail_text(message.get("detail"))
    if not isinstance(message, str) or not message:
        message = _detail_text(body.get("detail"))
    if not message:
        return error
    kind = body.get("type")
    code = body.get("code")
    param = body.get("param")
    request_id = body.get("request_id")
    kwargs: dict[str, Any] = {
        "provider": error.provider,
        "status_code": error.status_code,
        "request_id": error.request_id or (request_id if isinstance(request_id, str) else None),
        "error_type": kind if isinstance(kind, str) and kind else error.error_type,
        "code": str(code) if isinstance(code, str | int) and not isinstance(code, bool) else None,
        "param": param if isinstance(param, str) else None,
        "body": body,
    }
    if isinstance(error, RateLimitedError | ServerError):
        kwargs["retry_after"] = error.retry_after
    return type(error)(message, **kwargs)


@contextmanager
def mistral_errors() -> Iterator[None]:
    """Re-raise a ProviderError raised inside with Mistral's message (`mistral_error`)."""
    try:
        yield
    except ProviderError as exc:
        better = mistral_error(exc)
        if better is exc:
            raise
        raise better from exc


async def reraised(lines: AsyncIterator[T]) -> AsyncIterator[T]:
    """The items of ``lines``, with errors raised on the way read as Mistral's."""
    with mistral_errors():
        async for item in lines:
            yield item
