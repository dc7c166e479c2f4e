"""OpenAI's error answers: the body shape, the type per status, the auth and fault errors."""

from __future__ import annotations

from batchtui.emulator.errors import ApiError
from batchtui.emulator.httpio import Request, Response

TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    429: "requests",
    500: "server_error",
    503: "server_error",
}


def error_response(err: ApiError) -> Response:
    """`{"error": {message, type, param, code}}` with all four keys present."""
    body = {
        "error": {
            "message": err.message,
            "type": err.type or TYPES.get(err.status, "server_error"),
            "param": err.param,
            "code": err.code,
        }
    }
    return err.answer(body)


def auth_error(given: str | None) -> ApiError:
    """The 401 for a missing (given None) or wrong bearer key."""
    if not given:
        return ApiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    return ApiError(401, "Incorrect API key provided.", code="invalid_api_key")


def not_found(request: Request) -> ApiError:
    """The 404 for a path no route matches."""
    return ApiError(
        404, f"Invalid URL ({request.method} {request.path})", type="invalid_request_error"
    )


def quota_error() -> ApiError:
    """The non-retryable 429 of an exhausted quota."""
    return ApiError(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        type="insufficient_quota",
        code="insufficient_quota",
    )


def status_error(status: int, headers: dict[str, str]) -> ApiError:
    """The error an injected 429, 503 or 500 answers with (a 529 fault answers 503 here)."""
    if status == 429:
        msg = "Rate limit reached for requests. Please try again later."
        return ApiError(429, msg, type="requests", code="rate_limit_exceeded", headers=headers)
    if status == 503:
        msg = "The server is overloaded or not ready yet."
        return ApiError(503, msg, type="server_error", headers=headers)
    msg = "The server had an error while processing your request. Sorry about that!"
    return ApiError(500, msg, type="server_error", headers=headers)
