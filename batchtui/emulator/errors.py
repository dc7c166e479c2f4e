"""Both providers' error bodies, and the exception routes raise to answer with one."""

from __future__ import annotations

from batchtui.emulator.httpio import Response

OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    429: "requests",
    500: "server_error",
    503: "server_error",
}

ANTHROPIC_TYPES = {
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


class ApiError(Exception):
    """An error answer; rendered in the shape of the provider whose path was called."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}
        self.details: dict[str, str] | None = None


def openai_error(err: ApiError) -> Response:
    """`{"error": {message, type, param, code}}` with all four keys present."""
    body = {
        "error": {
            "message": err.message,
            "type": err.type or OPENAI_TYPES.get(err.status, "server_error"),
            "param": err.param,
            "code": err.code,
        }
    }
    resp = Response.json(body, err.status)
    resp.headers.update(err.headers)
    return resp


def anthropic_error(err: ApiError, request_id: str) -> Response:
    """`{"type": "error", "error": {type, message}, "request_id": ...}`."""
    error: dict[str, object] = {
        "type": err.type or ANTHROPIC_TYPES.get(err.status, "api_error"),
        "message": err.message,
    }
    if err.details:
        error["details"] = err.details
    body = {"type": "error", "error": error, "request_id": request_id}
    resp = Response.json(body, err.status)
    resp.headers.update(err.headers)
    return resp
