"""Small HTTP plumbing: a request-body reader (Content-Length or chunked) and a response value."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Protocol


class BodyError(Exception):
    """The request body was malformed (bad chunk framing, early end)."""


class Readable(Protocol):
    """What the body reader needs of the socket file."""

    def read(self, n: int, /) -> bytes: ...

    def readline(self, limit: int, /) -> bytes: ...


class BodyReader:
    """Reads a request body from the socket file, de-chunking if needed; never reads past it."""

    def __init__(self, rfile: Readable, length: int | None, chunked: bool) -> None:
        self._rfile = rfile
        self._chunked = chunked
        self._remaining = 0 if chunked else (length or 0)
        self._done = not chunked and self._remaining == 0
        self.consumed = 0

    @property
    def done(self) -> bool:
        """Whether the whole body has been read."""
        return self._done

    def _next_chunk_size(self) -> int:
        line = self._rfile.readline(65537)
        if not line.endswith(b"\n"):
            raise BodyError("bad chunk header")
        size_text = line.split(b";", 1)[0].strip()
        try:
            return int(size_text, 16)
        except ValueError as exc:
            raise BodyError("bad chunk size") from exc

    def read(self, n: int = 65536) -> bytes:
        """Return up to n bytes of body; b"" at the end."""
        if self._done:
            return b""
        if self._chunked and self._remaining == 0:
            size = self._next_chunk_size()
            if size == 0:
                while True:  # trailers until blank line
                    line = self._rfile.readline(65537)
                    if line in (b"\r\n", b"\n", b""):
                        break
                self._done = True
                return b""
            self._remaining = size
        data = self._rfile.read(min(n, self._remaining))
        if not data:
            raise BodyError("body ended early")
        self._remaining -= len(data)
        self.consumed += len(data)
        if self._remaining == 0:
            if self._chunked:
                if self._rfile.read(2) not in (b"\r\n", b"\n"):
                    raise BodyError("bad chunk trailer")
            else:
                self._done = True
        return data

    def read_all(self, limit: int) -> bytes | None:
        """Read the whole body; None if it exceeds limit bytes (the rest is then drained)."""
        parts: list[bytes] = []
        total = 0
        while chunk := self.read():
            total += len(chunk)
            if total > limit:
                self.drain()
                return None
            parts.append(chunk)
        return b"".join(parts)

    def drain(self) -> None:
        """Read and discard the rest of the body."""
        while self.read(1 << 20):
            pass


@dataclass
class Request:
    """One parsed HTTP request as the routes see it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: BodyReader
    base_url: str

    def header(self, name: str, default: str = "") -> str:
        """A request header (case-insensitive)."""
        value = self.headers.get(name)
        return default if value is None else str(value)


@dataclass
class Response:
    """What a route answers: status, headers and either bytes or a byte range of a file."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    file_path: Path | None = None
    file_offset: int = 0
    file_length: int = 0
    content_type: str = "application/json"
    downloadable: bool = False  # results/content downloads; the `cut` fault applies to these
    delay: float = 0.0  # seconds to wait before answering (the `slow` fault)
    cut_share: float | None = None  # send this share of the body, then drop the connection

    @classmethod
    def json(cls, obj: object, status: int = 200) -> Response:
        """A JSON response."""
        return cls(status=status, body=json.dumps(obj).encode())

    @property
    def length(self) -> int:
        """Body length in bytes."""
        return self.file_length if self.file_path is not None else len(self.body)
