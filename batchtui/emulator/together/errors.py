"""Together's error answers: the body shape, the type per status, the auth and fault errors.

Together answers errors OpenAI-style, ``{"error": {"message", "type", "param", "code"}}``
(the together SDK reads ``error.message``). The ``type`` per status beyond
``invalid_request_error`` is not documented in the sources we have [U]; clients should decide
on the HTTP status, and these types only label it.
"""

from __future__ import annotations

from batchtui.emulator.errors import ApiError
from batchtui.emulator.httpio import Request, Response

TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_exceeded",
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


def invalid(message: str, param: str | None = None) -> ApiError:
    """A 400 invalid_request_error."""
    return ApiError(400, message, param=param, code="invalid_request")


def auth_error(given: str | None) -> ApiError:
    """The 401 for a missing (given None) or wrong bearer key."""
    if not given:
        return ApiError(
            401,
            "No API key provided. Pass your API key in the Authorization header as "
            "'Bearer YOUR_KEY'.",
            code="invalid_api_key",
        )
    return ApiError(401, "Invalid API key provided.", code="invalid_api_key")


def not_found(request: Request) -> ApiError:
    """The 404 for a path no route matches."""
    return ApiError(404, f"Unknown endpoint: {request.method} {request.path}", code="not_found")


def quota_error() -> ApiError:
    """The non-retryable 429 of an exhausted credit balance."""
    return ApiError(
        429,
        "You have exceeded your credit limit; add credits to your account to continue.",
        type="credit_limit",
        code="credit_limit",
    )


def status_error(status: int, headers: dict[str, str]) -> ApiError:
    """The error an injected 429, 503 or 500 answers with (a 529 fault answers 503 here)."""
    if status == 429:
        msg = "You have exceeded the rate limit. Please slow down and try again later."
        return ApiError(429, msg, code="rate_limit_exceeded", headers=headers)
    if status == 503:
        return ApiError(503, "The server is overloaded; try again later.", headers=headers)
    return ApiError(500, "The server had an error processing your request.", headers=headers)
