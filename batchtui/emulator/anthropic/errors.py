"""Anthropic's error answers: the body shape, the type per status, and the faults' and auth's
errors."""

from __future__ import annotations

from batchtui.emulator.errors import ApiError
from batchtui.emulator.httpio import Response

TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_response(err: ApiError, request_id: str) -> Response:
    """`{"type": "error", "error": {type, message}, "request_id": ...}`."""
    error: dict[str, object] = {
        "type": err.type or TYPES.get(err.status, "api_error"),
        "message": err.message,
    }
    if err.details:
        error["details"] = err.details
    return err.answer({"type": "error", "error": error, "request_id": request_id})


def invalid(message: str) -> ApiError:
    """A 400 ``invalid_request_error``."""
    return ApiError(400, message, type="invalid_request_error")


def quota_error() -> ApiError:
    """The non-retryable 429 of a workspace over its spend limit."""
    err = ApiError(
        429,
        "You have reached your specified workspace API usage limits.",
        type="rate_limit_error",
    )
    err.details = {"error_code": "enforced_spend_limit_reached"}
    return err


def status_error(status: int, headers: dict[str, str]) -> ApiError:
    """The error an injected 429, 529, 503 or 500 answers with."""
    if status == 429:
        msg = "Number of requests has exceeded your rate limit. Please try again later."
        return ApiError(429, msg, headers=headers)
    if status == 529:
        return ApiError(529, "Overloaded", headers=headers)
    if status == 503:
        return ApiError(503, "Service unavailable", headers=headers)
    return ApiError(500, "Internal server error", headers=headers)
