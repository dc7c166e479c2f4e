"""Google's error answers for the Gemini half: ``{"error": {"code", "message", "status",
"details"?}}`` (providers.md §3 [O]); a wrong key is 400 INVALID_ARGUMENT with an ErrorInfo
reason API_KEY_INVALID (§9 [S])."""

from __future__ import annotations

from typing import Any

from batchtui.emulator.errors import ApiError
from batchtui.emulator.httpio import Response

STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""google.rpc.Code names by HTTP status (the canonical mapping)."""

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
SERVICE = "generativelanguage.googleapis.com"


class GoogleError(ApiError):
    """An ApiError carrying google.rpc detail objects (``details``)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        rpc_status: str | None = None,
        rpc_details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, type=rpc_status, headers=headers)
        self.rpc_details = rpc_details or []


def error_response(err: ApiError, request_id: str) -> Response:
    """The Google RPC error body of ``err`` (a plain ApiError's ``code`` becomes an ErrorInfo
    reason)."""
    error: dict[str, Any] = {
        "code": err.status,
        "message": err.message,
        "status": err.type or STATUSES.get(err.status, "UNKNOWN"),
    }
    details = list(err.rpc_details) if isinstance(err, GoogleError) else []
    if not details and err.code:
        details = [error_info(err.code)]
    if details:
        error["details"] = details
    return err.answer({"error": error})


def error_info(reason: str, **metadata: str) -> dict[str, Any]:
    """A google.rpc.ErrorInfo detail."""
    return {
        "@type": ERROR_INFO,
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": SERVICE, **metadata},
    }


def invalid(message: str) -> GoogleError:
    """A 400 INVALID_ARGUMENT."""
    return GoogleError(400, message, rpc_status="INVALID_ARGUMENT")


def not_found(message: str) -> GoogleError:
    """A 404 NOT_FOUND."""
    return GoogleError(404, message, rpc_status="NOT_FOUND")


def bad_key() -> GoogleError:
    """What a wrong key gets: 400 INVALID_ARGUMENT, reason API_KEY_INVALID (not 401) [S]."""
    return GoogleError(
        400,
        "API key not valid. Please pass a valid API key.",
        rpc_status="INVALID_ARGUMENT",
        rpc_details=[error_info("API_KEY_INVALID")],
    )


def no_key() -> GoogleError:
    """What a call without any key gets: 403 PERMISSION_DENIED."""
    return GoogleError(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
        rpc_status="PERMISSION_DENIED",
    )


def quota_error() -> GoogleError:
    """The 429 of an exhausted quota (RESOURCE_EXHAUSTED with a QuotaFailure)."""
    return GoogleError(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        rpc_status="RESOURCE_EXHAUSTED",
        rpc_details=[
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": f"{SERVICE}/batch_requests",
                        "quotaId": "BatchRequestsPerDayPerProject",
                    }
                ],
            }
        ],
    )


def status_error(status: int, headers: dict[str, str]) -> GoogleError:
    """The error an injected 429, 500 or 503 answers with."""
    if status == 429:
        return GoogleError(
            429,
            "Resource has been exhausted (e.g. check quota).",
            rpc_status="RESOURCE_EXHAUSTED",
            headers=headers,
        )
    if status == 503:
        return GoogleError(503, "The model is overloaded. Please try again later.", headers=headers)
    return GoogleError(
        500, "An internal error has occurred. Please retry or report it.", headers=headers
    )
