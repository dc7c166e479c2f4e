"""The Gemini Batch Mode adapter (Developer API: Files + batches) over one httpx.AsyncClient."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

from batchtui.core.models import BatchJob, BatchResult, BatchStatus, ResultLine
from batchtui.core.provider import (
    AttemptCallback,
    AuthError,
    BatchtuiError,
    ProgressCallback,
    ProviderError,
    SubmitOptions,
)
from batchtui.providers.base import HttpAdapter
from batchtui.providers.download import stream_result_lines
from batchtui.providers.gemini import SPEC
from batchtui.providers.gemini.errors import google_errors, reraised
from batchtui.providers.gemini.results import parse_gemini_line
from batchtui.providers.gemini.status import gemini_job, inlined_responses, output_of
from batchtui.providers.http import SUBMIT_TIMEOUT, Sleep, json_body
from batchtui.providers.jsonl import read_chunks

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
API = "/v1beta"
FALLBACK_KEY_ENV = "GOOGLE_API_KEY"
"""google-genai also reads this key variable (it even prefers it) [S]."""

LIST_PAGE_MAX = 100
"""Page size cap for batch and file lists; the API's maximum is not documented here [U]."""

INPUT_MIME_TYPE = "application/jsonl"
INLINE_SOURCE = "inline"
"""The result source of a batch whose responses came back inside the batch."""

_MODEL = re.compile(r"(models|tunedModels)/[A-Za-z0-9._-]+|[A-Za-z0-9][A-Za-z0-9._-]*")


def model_path(model: str | None) -> str:
    """The model resource of a create (``models/{model}``); BatchtuiError when there is no
    usable model name."""
    if model is None:
        raise BatchtuiError(
            "a Gemini batch runs one model, named when it is created, and this input names "
            "none (or several): give the model (--model)"
        )
    if not _MODEL.fullmatch(model):
        raise BatchtuiError(
            f"{model!r} is not a Gemini model name (e.g. gemini-2.5-flash): give the batch's "
            "model (--model)"
        )
    return model if "/" in model else f"models/{model}"


def resource(name: str, collection: str) -> str:
    """``collection/{id}`` of a resource name or bare id, its id quoted for a path."""
    ident = name.removeprefix(f"{collection}/")
    if not ident:
        raise BatchtuiError(f"{name!r} is not a {collection} name")
    return f"{collection}/{quote(ident, safe='')}"


class GeminiProvider(HttpAdapter):
    """One Gemini API key speaking Batch Mode (``/v1beta/batches``, ``/v1beta/files``)."""

    name = "gemini"
    spec = SPEC
    capabilities = SPEC.capabilities

    @classmethod
    def from_env(cls, **kwargs: Any) -> Self:
        """As the base does, taking the key from ``GEMINI_API_KEY`` and, when that is not set,
        from ``GOOGLE_API_KEY`` (the SDK reads both)."""
        if not kwargs.get("api_key") and not os.environ.get(SPEC.key_env):
            fallback = os.environ.get(FALLBACK_KEY_ENV)
            if not fallback:
                raise AuthError(
                    f"{SPEC.key_env} (or {FALLBACK_KEY_ENV}) is not set", provider=cls.name
                )
            kwargs["api_key"] = fallback
        return super().from_env(**kwargs)

    def __init__(self, api_key: str | None, base_url: str | None = None, **options: Any) -> None:
        headers: dict[str, str] = {}
        if api_key:
            headers["x-goog-api-key"] = api_key
        self._sleep: Sleep = options.get("sleep") or asyncio.sleep
        self._monotonic: Callable[[], float] = options.get("monotonic") or time.monotonic
        super().__init__(base_url or DEFAULT_BASE_URL, headers, **options)

    def _job(self, data: Any) -> BatchJob:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise ProviderError("the provider answered without a batch object", provider=self.name)
        return gemini_job(data, profile=self.profile)

    async def _json(self, method: str, path: str, *, idempotent: bool, **kw: Any) -> Any:
        with google_errors():
            return await super()._json(method, path, idempotent=idempotent, **kw)

    # -- files -----------------------------------------------------------------------------

    async def _start_upload(self, size: int, display_name: str) -> str:
        """Open a resumable upload session; the URL the bytes go to."""
        headers = {
            **self._headers,
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(size),
            "X-Goog-Upload-Header-Content-Type": INPUT_MIME_TYPE,
        }
        with google_errors():
            response = await self._http.request(
                "POST",
                self._url(f"/upload{API}/files"),
                headers=headers,
                idempotent=True,  # a session holds no file until its bytes are finalized
                json={"file": {"displayName": display_name}},
                timeout=SUBMIT_TIMEOUT,
            )
        url = response.headers.get("x-goog-upload-url")
        if not url:
            raise ProviderError(
                "the upload was not given a session URL (no X-Goog-Upload-URL)",
                provider=self.name,
                status_code=response.status_code,
            )
        return str(url)

    async def upload_input(
        self,
        path: Path,
        *,
        progress: ProgressCallback | None = None,
        name: str | None = None,
        on_attempt: AttemptCallback | None = None,
    ) -> str | None:
        """Upload a batch JSONL file through Google's resumable upload, streamed from disk, with
        display name ``name`` (default: the file's own name).

        Each try opens a session and sends every byte with ``upload, finalize``. A failed
        send may still have made the file, so the bytes are never sent twice to one session:
        after a 5xx, timeout or cut connection a new session is opened and the file sent again
        (within the retry budget); `find_uploads` lists every copy by its display name.
        """
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise BatchtuiError(f"cannot read {path}: {exc.strerror or exc}") from exc
        display_name = name or path.name
        sends = 0

        def counted(_: int) -> None:
            nonlocal sends
            if on_attempt is not None:
                on_attempt(sends)
            sends += 1

        async def body() -> AsyncIterator[bytes]:
            sent = 0
            async for chunk in read_chunks(path, length=size):
                sent += len(chunk)
                if progress is not None:
                    progress(sent, size)
                yield chunk
            if sent != size:
                raise BatchtuiError(f"{path} changed while it was being uploaded")

        policy = self._http.retry
        started = self._monotonic()
        tries = 0
        while True:
            session = await self._start_upload(size, display_name)
            headers = {
                **self._headers,
                "X-Goog-Upload-Command": "upload, finalize",
                "X-Goog-Upload-Offset": "0",
                "Content-Type": INPUT_MIME_TYPE,
                "Content-Length": str(size),
            }
            try:
                with google_errors():
                    response = await self._http.request(
                        "POST",
                        session,
                        headers=headers,
                        idempotent=False,  # sent again only through a new session
                        body=body,
                        timeout=SUBMIT_TIMEOUT,
                        on_attempt=counted,
                    )
            except ProviderError as exc:
                wait = policy.backoff(tries)
                if (
                    not exc.retryable
                    or tries >= policy.max_retries
                    or self._monotonic() - started + wait > policy.budget
                ):
                    raise
                await self._sleep(wait)
                tries += 1
                continue
            break
        data = json_body(self.name, response)
        file = data.get("file") if isinstance(data, dict) else None
        file_name = file.get("name") if isinstance(file, dict) else None
        if not isinstance(file_name, str) or not file_name:
            raise ProviderError("upload answered without a file name", provider=self.name)
        return file_name

    async def _pages(self, path: str, key: str, page_size: int) -> AsyncIterator[Any]:
        """Every item under ``key`` of a ``pageToken``-paged list."""
        size = max(1, min(page_size, LIST_PAGE_MAX))
        token: str | None = None
        while True:
            params: dict[str, Any] = {"pageSize": size}
            if token:
                params["pageToken"] = token
            page = await self._json("GET", path, idempotent=True, params=params)
            if not isinstance(page, dict):
                raise ProviderError("a list call answered without a page", provider=self.name)
            items = page.get(key, [])
            if not isinstance(items, list):
                raise ProviderError(f"a list call answered without {key}", provider=self.name)
            for item in items:
                yield item
            following = page.get("nextPageToken")
            if not isinstance(following, str) or not following or following == token:
                return
            token = following

    async def find_uploads(self, name: str) -> list[str]:
        """The names (``files/…``) of the uploaded files whose display name is ``name``."""
        found = []
        async for item in self._pages(f"{API}/files", "files", LIST_PAGE_MAX):
            if isinstance(item, dict) and item.get("displayName") == name and item.get("name"):
                found.append(str(item["name"]))
        return found

    # -- batches ---------------------------------------------------------------------------

    async def create(
        self, path: Path, *, input_file_id: str | None, options: SubmitOptions
    ) -> BatchJob:
        """Create a batch of ``options.model`` from an uploaded file; never retried after an
        ambiguous failure (the create is not idempotent [D])."""
        model = model_path(options.model)
        if not input_file_id:
            raise ValueError("Gemini batches here need an uploaded input file name")
        payload = {
            "batch": {
                "displayName": f"batchtui {Path(path).stem}"[:128],
                "inputConfig": {"fileName": input_file_id},
            }
        }
        return self._job(
            await self._json(
                "POST",
                f"{API}/{model}:batchGenerateContent",
                idempotent=False,
                json=payload,
                timeout=SUBMIT_TIMEOUT,
            )
        )

    async def get(self, batch_id: str) -> BatchJob:
        """Retrieve a batch (``batches/…`` or its bare id)."""
        return self._job(
            await self._json("GET", f"{API}/{resource(batch_id, 'batches')}", idempotent=True)
        )

    async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
        """Every batch of the key, newest first.

        The API's list order is not documented [U], so every page is read and the batches
        are sorted by creation time before the first is given.
        """
        jobs = [
            self._job(item) async for item in self._pages(f"{API}/batches", "operations", page_size)
        ]
        jobs.sort(
            key=lambda job: job.times.created_at.timestamp() if job.times.created_at else 0.0,
            reverse=True,
        )
        for job in jobs:
            yield job

    async def cancel(self, batch_id: str) -> BatchJob:
        """Ask for a cancel (it answers nothing), then read the batch; safe to repeat."""
        await self._json(
            "POST", f"{API}/{resource(batch_id, 'batches')}:cancel", idempotent=True, json={}
        )
        return await self.get(batch_id)

    async def delete_job(self, batch_id: str) -> None:
        """Delete a batch."""
        await self._json("DELETE", f"{API}/{resource(batch_id, 'batches')}", idempotent=True)

    async def delete_file(self, file_id: str) -> None:
        """Delete an uploaded input file or a batch's responses file."""
        await self._json("DELETE", f"{API}/{resource(file_id, 'files')}", idempotent=True)

    # -- results ---------------------------------------------------------------------------

    async def result_lines(
        self,
        job: BatchJob,
        *,
        start: dict[str, int] | None = None,
        progress: ProgressCallback | None = None,
    ) -> AsyncIterator[ResultLine]:
        """The responses file (source ``output``) or the inline responses (source ``inline``,
        one compact JSON line each, ``key`` added), from byte offsets ``start``.

        An expired batch has no results [D]. Any other batch is read for whatever output it
        names, whatever its state (a cancelled one may keep what finished [U]).
        """
        if job.status is BatchStatus.EXPIRED:
            return
        start = start or {}
        if job.output_file_id:
            lines = stream_result_lines(
                self._http,
                self._url(f"/download{API}/{resource(job.output_file_id, 'files')}:download")
                + "?alt=media",
                headers=self._headers,
                source="output",
                start=start.get("output", 0),
                progress=progress,
            )
            async for line in reraised(lines):
                yield line
            return
        output = output_of(job.raw)
        if not output and job.id:  # a snapshot without its output (a list entry): read it
            fresh = await self.get(job.id)
            if fresh.output_file_id:
                async for line in self.result_lines(fresh, start=start, progress=progress):
                    yield line
                return
            output = output_of(fresh.raw)
        for line in inline_lines(inlined_responses(output), start.get(INLINE_SOURCE, 0), progress):
            yield line

    def parse_result(self, line: ResultLine) -> BatchResult:
        """Parse one responses-file line or inline response."""
        return parse_gemini_line(line)


def inline_lines(
    responses: list[Any], start: int, progress: ProgressCallback | None
) -> list[ResultLine]:
    """Inline responses as result lines (``{"key", "response" | "error", "metadata"}``), from
    byte ``start`` of their JSONL rendering. The key is ``metadata.key`` when the request gave
    one, else the response's position (inline results come in input order [S])."""
    rendered: list[bytes] = []
    for index, item in enumerate(responses):
        entry = dict(item) if isinstance(item, dict) else {"value": item}
        metadata = entry.get("metadata")
        key = metadata.get("key") if isinstance(metadata, dict) else None
        line = {"key": key if isinstance(key, str) else str(index), **entry}
        rendered.append(json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode())
    total = sum(len(data) + 1 for data in rendered)
    lines: list[ResultLine] = []
    end = 0
    for data in rendered:
        end += len(data) + 1
        if end <= start:
            continue
        lines.append(ResultLine(source=INLINE_SOURCE, data=data, end=end))
    if progress is not None:
        progress(total, total)
    return lines
