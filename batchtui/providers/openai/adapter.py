"""The OpenAI Batch API adapter (Files + Batches) over one httpx.AsyncClient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from batchtui.core.models import BatchJob, BatchResult, ResultLine
from batchtui.core.provider import (
    AttemptCallback,
    BatchtuiError,
    ProgressCallback,
    ProviderError,
    SubmitOptions,
)
from batchtui.providers.base import HttpAdapter
from batchtui.providers.http import (
    SUBMIT_TIMEOUT,
    cursor_pages,
    json_body,
)
from batchtui.providers.openai import SPEC
from batchtui.providers.openai.limits import CHAT_ENDPOINT
from batchtui.providers.openai.results import parse_openai_line
from batchtui.providers.openai.status import openai_job
from batchtui.providers.upload import multipart_upload, upload_filename

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LIST_PAGE_MAX = 100


FILE_LIST_PAGE = 10_000


COMPLETION_WINDOW = "24h"
"""The only completion window OpenAI batches take."""


class OpenAIShapedBatches(HttpAdapter):
    """The calls that are the same on every server speaking OpenAI's Batch API (OpenAI itself
    and the OpenAI-compatible presets): get, cancel, file deletion and the result files.
    A subclass supplies ``_job`` (its batch object) and ``spec`` (its title)."""

    async def get(self, batch_id: str) -> BatchJob:
        """Retrieve a batch."""
        return self._job(
            await self._json("GET", f"/batches/{quote(batch_id, safe='')}", idempotent=True)
        )

    async def cancel(self, batch_id: str) -> BatchJob:
        """Ask for a cancel (the batch goes to ``cancelling``); safe to repeat, so retried."""
        return self._job(
            await self._json("POST", f"/batches/{quote(batch_id, safe='')}/cancel", idempotent=True)
        )

    async def delete_job(self, batch_id: str) -> None:
        """These servers cannot delete a batch; this always raises."""
        raise BatchtuiError(
            f"{self.spec.title} has no way to delete a batch; delete its input, output and "
            "error files instead"
        )

    async def delete_file(self, file_id: str) -> None:
        """Delete an uploaded input file or a batch's output/error file."""
        await self._json("DELETE", f"/files/{quote(file_id, safe='')}", idempotent=True)

    async def result_lines(
        self,
        job: BatchJob,
        *,
        start: dict[str, int] | None = None,
        progress: ProgressCallback | None = None,
    ) -> AsyncIterator[ResultLine]:
        """Stream the output file, then the error file, from ``start={"output": n, "error": m}``."""
        async for line in self._file_lines(
            job, lambda file_id: f"/files/{file_id}/content", start=start, progress=progress
        ):
            yield line

    def parse_result(self, line: ResultLine) -> BatchResult:
        """Parse one output- or error-file line."""
        return parse_openai_line(line)

    def _job(self, data: Any) -> BatchJob:
        raise NotImplementedError


class OpenAIProvider(OpenAIShapedBatches):
    """One OpenAI account (or an OpenAI-compatible endpoint) speaking the Batch API."""

    name = "openai"
    spec = SPEC
    capabilities = SPEC.capabilities

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        organization: str | None = None,
        project: str | None = None,
        **options: Any,
    ) -> None:
        headers: dict[str, str] = {}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        if organization:
            headers["OpenAI-Organization"] = organization
        if project:
            headers["OpenAI-Project"] = project
        super().__init__(base_url or DEFAULT_BASE_URL, headers, **options)

    def _job(self, data: Any) -> BatchJob:
        return openai_job(self._checked(data), profile=self.profile)

    async def upload_input(
        self,
        path: Path,
        *,
        progress: ProgressCallback | None = None,
        name: str | None = None,
        on_attempt: AttemptCallback | None = None,
    ) -> str | None:
        """Upload a batch JSONL file (``purpose=batch``) as a multipart body streamed from disk.

        Sent again (from the start of the file, so progress restarts) after a 5xx, 529, timeout
        or cut connection, within the retry budget: each send may leave a file named ``name``
        (default: the file's own name), which `find_uploads` lists.
        """
        upload = multipart_upload(
            Path(path),
            fields={"purpose": "batch"},
            filename=upload_filename(name or Path(path).name),
            progress=progress,
        )
        headers = {**self._headers, **upload.headers}
        response = await self._http.request(
            "POST",
            self._url("/files"),
            headers=headers,
            idempotent=True,
            body=upload.body,
            timeout=SUBMIT_TIMEOUT,
            on_attempt=on_attempt,
        )
        data = json_body(self.name, response)
        file_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(file_id, str):
            raise ProviderError("upload answered without a file id", provider=self.name)
        return file_id

    async def find_uploads(self, name: str) -> list[str]:
        """The ids of the batch input files stored under ``name`` (as `upload_input` names
        them), newest first."""
        wanted = upload_filename(name)

        def fetch(params: dict[str, Any]) -> Awaitable[Any]:
            return self._json(
                "GET", "/files", idempotent=True, params={**params, "purpose": "batch"}
            )

        found = []
        async for item in cursor_pages(
            fetch, cursor="after", limit=FILE_LIST_PAGE, provider=self.name
        ):
            if isinstance(item, dict) and item.get("filename") == wanted and item.get("id"):
                found.append(str(item["id"]))
        return found

    async def create(
        self, path: Path, *, input_file_id: str | None, options: SubmitOptions
    ) -> BatchJob:
        """Create a batch from an uploaded file; never retried after an ambiguous failure."""
        if not input_file_id:
            raise ValueError("OpenAI batches need an uploaded input file id")
        payload: dict[str, Any] = {
            "input_file_id": input_file_id,
            "endpoint": options.endpoint or CHAT_ENDPOINT,
            "completion_window": options.completion_window or COMPLETION_WINDOW,
        }
        if options.metadata:
            payload["metadata"] = dict(options.metadata)
        return self._job(
            await self._json(
                "POST", "/batches", idempotent=False, json=payload, timeout=SUBMIT_TIMEOUT
            )
        )

    async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
        """Every batch of the account, newest first, following ``after``/``has_more``."""
        limit = max(1, min(page_size, LIST_PAGE_MAX))

        def fetch(params: dict[str, Any]) -> Awaitable[Any]:
            return self._json("GET", "/batches", idempotent=True, params=params)

        async for item in cursor_pages(fetch, cursor="after", limit=limit, provider=self.name):
            yield self._job(item)
