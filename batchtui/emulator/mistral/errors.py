"""Mistral's error answers (providers.md §4; the SDK's error models).

Mistral answers flat objects, not OpenAI's ``{"error": {...}}``:

- most errors: ``{"object": "error", "message", "type", "param", "code"}``;
- 401 and rate limits: ``{"message", "request_id"}`` (the gateway's shape) [U];
- 422: ``{"detail": [{"type", "loc", "msg", "input"}]}``, the SDK's ``HTTPValidationError`` [S].
"""

from __future__ import annotations

from typing import Any

from batchtui.emulator.errors import ApiError
from batchtui.emulator.httpio import Request, Response

TYPES = {
    400: "invalid_request_error",
    402: "insufficient_quota",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    500: "internal_server_error",
    503: "service_unavailable",
}

GATEWAY_STATUSES = (401, 429)
"""Answered by the gateway in front of the API: ``{"message", "request_id"}``."""


class ValidationFailed(ApiError):
    """A 422 with FastAPI's ``detail`` list."""

    def __init__(self, loc: list[str | int], msg: str, kind: str, given: Any = None) -> None:
        super().__init__(422, msg)
        self.detail = [{"type": kind, "loc": loc, "msg": msg, "input": given}]


def error_response(err: ApiError, request_id: str) -> Response:
    """The error body for err in Mistral's shape (see the module docstring)."""
    if isinstance(err, ValidationFailed):
        return err.answer({"detail": err.detail})
    if err.status in GATEWAY_STATUSES:
        return err.answer({"message": err.message, "request_id": request_id})
    return err.answer(
        {
            "object": "error",
            "message": err.message,
            "type": err.type or TYPES.get(err.status, "internal_server_error"),
            "param": err.param,
            "code": err.code,
        }
    )


def invalid(loc: list[str | int], msg: str, given: Any = None) -> ValidationFailed:
    """A 422 for one bad field of the request body."""
    return ValidationFailed(["body", *loc], msg, "value_error", given)


def missing(loc: list[str | int]) -> ValidationFailed:
    """A 422 for a required field that is absent."""
    return ValidationFailed(["body", *loc], "Field required", "missing")


def auth_error() -> ApiError:
    """The 401 for a missing or wrong key."""
    return ApiError(401, "Unauthorized")


def not_found(request: Request) -> ApiError:
    """The 404 for a path no route matches."""
    return ApiError(404, "Not Found", type="not_found")


def quota_error() -> ApiError:
    """An exhausted quota or spend limit: Mistral documents none; 402 is the choice here [U]."""
    return ApiError(
        402,
        "You have exceeded your spending limit. Please check your plan and billing details.",
        type="insufficient_quota",
        code="insufficient_quota",
    )


def status_error(status: int, headers: dict[str, str]) -> ApiError:
    """The error an injected 429, 503 or 500 answers with (529 faults answer 503 here)."""
    if status == 429:
        return ApiError(429, "Requests rate limit exceeded", headers=headers)
    if status == 503:
        return ApiError(503, "Service unavailable.", headers=headers)
    return ApiError(500, "Internal server error.", headers=headers)
