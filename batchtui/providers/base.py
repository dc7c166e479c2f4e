"""What both adapters share: base URL, auth headers, the retrying transport, JSON calls."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar, Self
from urllib.parse import quote

import httpx

from batchtui.core.models import BatchJob, BatchResult, ResultLine
from batchtui.core.provider import AuthError, ProgressCallback, ProviderError
from batchtui.core.registry import ProviderSpec
from batchtui.providers.download import stream_result_lines
from batchtui.providers.http import RetryPolicy, Sleep, Transport, json_body


class HttpAdapter:
    """The plumbing of one provider account: subclasses add the batch API itself."""

    name = ""
    spec: ClassVar[ProviderSpec]
    """The provider's registry entry: its key, base-URL and option variables."""

    @classmethod
    def from_env(cls, **kwargs: Any) -> Self:
        """Build from the environment variables the provider's SDK reads (named by ``spec``):
        the key, the base URL and any provider-only options not given."""
        spec = cls.spec
        api_key = kwargs.pop("api_key", None) or os.environ.get(spec.key_env)
        if not api_key:
            raise AuthError(f"{spec.key_env} is not set", provider=cls.name)
        if spec.base_url_env:
            kwargs.setdefault("base_url", os.environ.get(spec.base_url_env) or None)
        for option, variable in spec.env_options.items():
            kwargs.setdefault(option, os.environ.get(variable) or None)
        return cls(api_key, **kwargs)

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        client: httpx.AsyncClient | None = None,
        max_retries: int = 10,
        retry_budget: float = 60.0,
        timeout: httpx.Timeout | float | None = None,
        profile: str | None = None,
        sleep: Sleep | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        """``client`` is shared if given (never closed here); ``retry_budget`` is the seconds
        that retries of one call may take in all; ``sleep``/``monotonic`` are for tests."""
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self._headers = headers
        self._http = Transport(
            self.name,
            client=client,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries, budget=retry_budget),
            sleep=sleep,
            monotonic=monotonic,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, profile={self.profile!r})"

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def _json(self, method: str, path: str, *, idempotent: bool, **kw: Any) -> Any:
        response = await self._http.request(
            method, self._url(path), headers=self._headers, idempotent=idempotent, **kw
        )
        return json_body(self.name, response)

    def _checked(self, data: Any) -> dict[str, Any]:
        """A batch object from an answer, or a ProviderError when it is not one."""
        if not isinstance(data, dict) or not data.get("id"):
            raise ProviderError("the provider answered without a batch object", provider=self.name)
        return data

    def result_lines(
        self,
        job: BatchJob,
        *,
        start: dict[str, int] | None = None,
        progress: ProgressCallback | None = None,
    ) -> AsyncIterator[ResultLine]:
        """Every raw result line of a job (each adapter streams its own files)."""
        raise NotImplementedError

    def parse_result(self, line: ResultLine) -> BatchResult:
        """One raw result line as the neutral result (each adapter parses its own shape)."""
        raise NotImplementedError

    async def _file_lines(
        self,
        job: BatchJob,
        content_path: Callable[[str], str],
        *,
        start: dict[str, int] | None,
        progress: ProgressCallback | None,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator[ResultLine]:
        """The lines of a job's output file, then its error file (those it names), each from
        its ``start`` offset; ``content_path(file_id)`` is where a file's bytes are read."""
        start = start or {}
        for source, file_id in (("output", job.output_file_id), ("error", job.error_file_id)):
            if not file_id:
                continue
            async for line in stream_result_lines(
                self._http,
                self._url(content_path(quote(file_id, safe=""))),
                headers=headers or self._headers,
                source=source,
                start=start.get(source, 0),
                progress=progress,
            ):
                yield line

    async def results(self, job: BatchJob) -> AsyncIterator[BatchResult]:
        """Every result the provider has for the job (any outcome), parsed, streamed."""
        async for line in self.result_lines(job):
            yield self.parse_result(line)

    async def aclose(self) -> None:
        """Close the HTTP client if this adapter created it."""
        await self._http.aclose()
