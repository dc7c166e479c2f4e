"""The exception a route raises to answer with an error; each provider half renders it in its
own shape (ProviderHalf.error_response)."""

from __future__ import annotations

from batchtui.emulator.httpio import Response


class ApiError(Exception):
    """An error answer; rendered in the shape of the provider half whose path was called.

    ``type`` None means the half's type for the status; ``details`` is an extra object some
    providers nest in their error (Anthropic's ``error.details``).
    """

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

    def answer(self, body: object) -> Response:
        """A JSON answer with this error's status and headers; body is the provider's shape."""
        resp = Response.json(body, self.status)
        resp.headers.update(self.headers)
        return resp
