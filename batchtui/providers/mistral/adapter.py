"""The Mistral batch adapter (Files + Batch jobs) over one httpx.AsyncClient."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from batchtui.core.models import BatchJob, BatchResult, ResultLine
from batchtui.core.provider import (
    AttemptCallback,
    ProgressCallback,
    ProviderError,
    SubmitOptions,
)
from batchtui.providers.base import HttpAdapter
from batchtui.providers.http import SUBMIT_TIMEOUT, json_body
from batchtui.providers.mistral import SPEC
from batchtui.providers.mistral.errors import mistral_errors, reraised
from batchtui.providers.mistral.limits import CHAT_ENDPOINT
from batchtui.providers.mistral.results import parse_mistral_line
from batchtui.providers.mistral.status import mistral_job
from batchtui.providers.upload import multipart_upload, upload_filename

DEFAULT_BASE_URL = "https://api.mistral.ai"
LIST_PAGE_MAX = 100
"""Page size cap for job and file lists: the API's default page size (100) [S]; a larger
maximum is not documented [U]."""

_WINDOW = re.compile(r"\s*(\d+)\s*h\s*\Z", re.IGNORECASE)


def timeout_hours(window: str | None) -> int | None:
    """A completion window such as ``"24h"`` as Mistral's ``timeout_hours`` (None: the API's
    default of 24 h); anything else is refused."""
    if window is None:
        return None
    match = _WINDOW.match(window)
    if not match or int(match.group(1)) < 1:
        raise ValueError(
            f"Mistral takes a completion window in whole hours, such as '24h' (not {window!r})"
        )
    return int(match.group(1))


class MistralProvider(HttpAdapter):
    """One Mistral account speaking the batch API (``/v1/files``, ``/v1/batch/jobs``)."""

    name = "mistral"
    spec = SPEC
    capabilities = SPEC.capabilities

    def __init__(self, api_key: str | None, base_url: str | None = None, **options: Any) -> None:
        headers: dict[str, str] = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        super().__init__(base_url or DEFAULT_BASE_URL, headers, **options)

    def _job(self, data: Any) -> BatchJob:
        return mistral_job(self._checked(data), profile=self.profile)

    async def _json(self, method: str, path: str, *, idempotent: bool, **kw: Any) -> Any:
        with mistral_errors():
            return await super()._json(method, path, idempotent=idempotent, **kw)

    async def upload_input(
        self,
        path: Path,
        *,
        progress: ProgressCallback | None = None,
        name: str | None = None,
        on_attempt: AttemptCallback | None = None,
    ) -> str | None:
        """Upload a batch JSONL file (``purpose=batch``) as a multipart body streamed from disk.

        Sent again (from the start) after a 5xx, timeout or cut connection within the retry
        budget; each send may leave a file named ``name`` (default: the file's own name),
        which `find_uploads` lists.
        """
        upload = multipart_upload(
            Path(path),
            fields={"purpose": "batch"},
            filename=upload_filename(name or Path(path).name),
            progress=progress,
        )
        headers = {**self._headers, **upload.headers}
        with mistral_errors():
            response = await self._http.request(
                "POST",
                self._url("/v1/files"),
                headers=headers,
                idempotent=True,
                body=upload.body,
                timeout=SUBMIT_TIMEOUT,
                on_attempt=on_attempt,
            )
        data = json_body(self.name, response)
        file_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(file_id, str) or not file_id:
            raise ProviderError("upload answered without a file id", provider=self.name)
        return file_id

    async def _pages(self, path: str, page_size: int, **params: Any) -> AsyncIterator[Any]:
        """Every item of a page-numbered list (``page`` from 0, ``page_size``; ``data`` and
        ``total``), until a short or empty page, the total, or a page of items seen before."""
        size = max(1, min(page_size, LIST_PAGE_MAX))
        seen: set[str] = set()
        page = 0
        while True:
            answer = await self._json(
                "GET", path, idempotent=True, params={**params, "page": page, "page_size": size}
            )
            items = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(items, list):
                raise ProviderError("a list call answered without data", provider=self.name)
            ids = {str(i.get("id")) for i in items if isinstance(i, dict) and i.get("id")}
            if ids and ids <= seen:
                return  # the server ignored the page number
            seen |= ids
            for item in items:
                yield item
            total = answer.get("total")
            if len(items) < size or (isinstance(total, int) and len(seen) >= total):
                return
            page += 1

    async def find_uploads(self, name: str) -> list[str]:
        """The ids of the batch files stored under ``name`` (as `upload_input` names them)."""
        wanted = upload_filename(name)
        found = []
        async for item in self._pages("/v1/files", LIST_PAGE_MAX, purpose="batch"):
            if isinstance(item, dict) and item.get("filename") == wanted and item.get("id"):
                found.append(str(item["id"]))
        return found

    async def create(
        self, path: Path, *, input_file_id: str | None, options: SubmitOptions
    ) -> BatchJob:
        """Create a batch job from an uploaded file; never retried after an ambiguous failure.

        The model goes on the job when the batch has one (``options.model``); otherwise every
        line names its own in its body.
        """
        if not input_file_id:
            raise ValueError("Mistral batch jobs here need an uploaded input file id")
        payload: dict[str, Any] = {
            "input_files": [input_file_id],
            "endpoint": options.endpoint or CHAT_ENDPOINT,
        }
        if options.model:
            payload["model"] = options.model
        if options.metadata:
            payload["metadata"] = dict(options.metadata)
        hours = timeout_hours(options.completion_window)
        if hours is not None:
            payload["timeout_hours"] = hours
        return self._job(
            await self._json(
                "POST", "/v1/batch/jobs", idempotent=False, json=payload, timeout=SUBMIT_TIMEOUT
            )
        )

    async def get(self, batch_id: str) -> BatchJob:
        """Retrieve a batch job."""
        return self._job(
            await self._json("GET", f"/v1/batch/jobs/{quote(batch_id, safe='')}", idempotent=True)
        )

    async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
        """Every batch job of the account, newest first, page by page."""
        async for item in self._pages("/v1/batch/jobs", page_size, order_by="-created"):
            yield self._job(item)

    async def cancel(self, batch_id: str) -> BatchJob:
        """Ask for a cancel (the job goes to CANCELLATION_REQUESTED); safe to repeat."""
        return self._job(
            await self._json(
                "POST", f"/v1/batch/jobs/{quote(batch_id, safe='')}/cancel", idempotent=True
            )
        )

    async def delete_job(self, batch_id: str) -> None:
        """Delete a batch job."""
        await self._json("DELETE", f"/v1/batch/jobs/{quote(batch_id, safe='')}", idempotent=True)

    async def delete_file(self, file_id: str) -> None:
        """Delete an uploaded input file or a job's output/error file."""
        await self._json("DELETE", f"/v1/files/{quote(file_id, safe='')}", idempotent=True)

    async def result_lines(
        self,
        job: BatchJob,
        *,
        start: dict[str, int] | None = None,
        progress: ProgressCallback | None = None,
    ) -> AsyncIterator[ResultLine]:
        """Stream the output file, then the error file, from ``start={"output": n, "error": m}``.

        Whatever files the job names are read, whatever its status (a cancelled or timed-out
        job keeps what finished, the safe reading of §9).
        """
        lines = self._file_lines(
            job,
            lambda file_id: f"/v1/files/{file_id}/content",
            start=start,
            progress=progress,
            headers={**self._headers, "Accept": "application/octet-stream"},
        )
        async for line in reraised(lines):
            yield line

    def parse_result(self, line: ResultLine) -> BatchResult:
        """Parse one output- or error-file line."""
        return parse_mistral_line(line)
