"""The Anthropic Message Batches API adapter over one httpx.AsyncClient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from batchtui.core.models import BatchJob, BatchResult, ResultLine
from batchtui.core.provider import (
    AttemptCallback,
    BatchtuiError,
    ProgressCallback,
    SubmitOptions,
)
from batchtui.providers.anthropic import SPEC
from batchtui.providers.anthropic.results import parse_anthropic_line
from batchtui.providers.anthropic.status import anthropic_job
from batchtui.providers.base import HttpAdapter
from batchtui.providers.download import stream_result_lines
from batchtui.providers.http import (
    SUBMIT_TIMEOUT,
    cursor_pages,
    json_body,
)
from batchtui.providers.jsonl import CHUNK_SIZE, read_chunks

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_VERSION = "2023-06-01"
LIST_PAGE_MAX = 1000
UTF8_BOM = b"\xef\xbb\xbf"


async def requests_body(path: Path, *, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    """``{"requests":[line,line,...]}`` built from a native JSONL file, a chunk at a time.

    Each non-blank line is copied as it is (core validated it already), so a 256 MB input is
    never parsed or held whole; the work is done per chunk of the file, not per line.
    """
    yield b'{"requests":['
    first = True  # no line written yet
    at_start = True
    carry = b""
    async for chunk in read_chunks(path, size=chunk_size):
        if at_start:
            at_start = False
            if chunk.startswith(UTF8_BOM):
                chunk = chunk[len(UTF8_BOM) :]
        pieces = (carry + chunk).split(b"\n") if carry else chunk.split(b"\n")
        carry = pieces.pop()
        lines = [line for line in (piece.strip() for piece in pieces) if line]
        if lines:
            if not first:
                yield b","
            yield b",".join(lines)
            first = False
    carry = carry.strip()
    if carry:
        if not first:
            yield b","
        yield carry
    yield b"]}"


class AnthropicProvider(HttpAdapter):
    """One Anthropic workspace key speaking the Message Batches API."""

    name = "anthropic"
    spec = SPEC
    capabilities = SPEC.capabilities

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        version: str = DEFAULT_VERSION,
        **options: Any,
    ) -> None:
        headers: dict[str, str] = {"anthropic-version": version}
        if api_key:
            headers["x-api-key"] = api_key
        super().__init__(base_url or DEFAULT_BASE_URL, headers, **options)

    @staticmethod
    def _batch_path(batch_id: str, suffix: str = "") -> str:
        return f"/v1/messages/batches/{quote(batch_id, safe='')}{suffix}"

    def _job(self, data: Any) -> BatchJob:
        return anthropic_job(self._checked(data), profile=self.profile)

    async def upload_input(
        self,
        path: Path,
        *,
        progress: ProgressCallback | None = None,
        name: str | None = None,
        on_attempt: AttemptCallback | None = None,
    ) -> str | None:
        """Anthropic has no file upload: the requests go inline in the create call."""
        return None

    async def find_uploads(self, name: str) -> list[str]:
        """Anthropic keeps no uploaded files."""
        return []

    async def create(
        self, path: Path, *, input_file_id: str | None, options: SubmitOptions
    ) -> BatchJob:
        """Create a batch, streaming ``{"requests": [...]}`` from the native JSONL file.

        The body goes out with a Content-Length measured by a first streaming pass over the
        file, not chunked: proxies and simple servers (Python's http.server among them) handle a
        plain body, and a 413 for an oversize body can come before any upload. The create is
        never retried after an ambiguous failure (see Transport.request).
        """
        path = Path(path)
        length = 0
        try:
            async for chunk in requests_body(path):
                length += len(chunk)
        except OSError as exc:
            raise BatchtuiError(f"cannot read {path}: {exc.strerror or exc}") from exc

        async def body() -> AsyncIterator[bytes]:
            sent = 0
            held: bytes | None = None
            async for chunk in requests_body(path):
                if held is not None:
                    sent += len(held)
                    yield held
                held = chunk
            # Hold the last chunk back: a file that changed since it was measured must stop
            # the request before its body is complete, so the provider creates nothing.
            if held is None or sent + len(held) != length:
                raise BatchtuiError(f"{path} changed while it was being submitted")
            yield held

        headers = {
            **self._headers,
            "Content-Type": "application/json",
            "Content-Length": str(length),
        }
        response = await self._http.request(
            "POST",
            self._url("/v1/messages/batches"),
            headers=headers,
            idempotent=False,
            body=body,
            timeout=SUBMIT_TIMEOUT,
        )
        return self._job(json_body(self.name, response))

    async def get(self, batch_id: str) -> BatchJob:
        """Retrieve a batch."""
        return self._job(await self._json("GET", self._batch_path(batch_id), idempotent=True))

    async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
        """Every batch of the workspace, newest first, following ``after_id``/``has_more``."""
        limit = max(1, min(page_size, LIST_PAGE_MAX))

        def fetch(params: dict[str, Any]) -> Awaitable[Any]:
            return self._json("GET", "/v1/messages/batches", idempotent=True, params=params)

        async for item in cursor_pages(fetch, cursor="after_id", limit=limit, provider=self.name):
            yield self._job(item)

    async def cancel(self, batch_id: str) -> BatchJob:
        """Ask for a cancel (the batch goes to ``canceling``); safe to repeat, so retried."""
        path = self._batch_path(batch_id, "/cancel")
        return self._job(await self._json("POST", path, idempotent=True))

    async def delete_job(self, batch_id: str) -> None:
        """Delete an ended batch (the provider refuses while it is still processing)."""
        await self._json("DELETE", self._batch_path(batch_id), idempotent=True)

    async def delete_file(self, file_id: str) -> None:
        """Anthropic batches have no files; this always raises."""
        raise BatchtuiError("Anthropic batches have no files to delete; delete the batch instead")

    def _results_headers(self, url: str) -> dict[str, str]:
        """Auth headers for ``results_url``: sent to the API's own origin or over HTTPS only."""
        target = httpx.URL(url)
        base = httpx.URL(self.base_url)
        same_origin = (target.scheme, target.host, target.port) == (
            base.scheme,
            base.host,
            base.port,
        )
        if same_origin or target.scheme == "https":
            return dict(self._headers)
        return {"anthropic-version": self._headers["anthropic-version"]}

    async def result_lines(
        self,
        job: BatchJob,
        *,
        start: dict[str, int] | None = None,
        progress: ProgressCallback | None = None,
    ) -> AsyncIterator[ResultLine]:
        """Stream ``results_url`` from ``start={"results": n}``; nothing before the job ends."""
        url = job.results_url or (job.raw.get("results_url") if job.raw else None)
        if not url:
            return
        async for line in stream_result_lines(
            self._http,
            url,
            headers=self._results_headers(url),
            source="results",
            start=(start or {}).get("results", 0),
            progress=progress,
        ):
            yield line

    def parse_result(self, line: ResultLine) -> BatchResult:
        """Parse one results line."""
        return parse_anthropic_line(line)
