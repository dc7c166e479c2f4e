"""One adapter for every server speaking OpenAI's Files + Batches API, parameterised by a
`Preset` (data) and by profile options; one tiny subclass per registered preset."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

from batchtui.core.config import ConfigError
from batchtui.core.models import BatchJob
from batchtui.core.provider import (
    AttemptCallback,
    BatchtuiError,
    InvalidRequestError,
    ProgressCallback,
    ProviderError,
    SubmitOptions,
)
from batchtui.core.registry import ProviderSpec
from batchtui.providers import openai_compatible as specs
from batchtui.providers.http import SUBMIT_TIMEOUT, cursor_pages, json_body
from batchtui.providers.openai.adapter import OpenAIShapedBatches
from batchtui.providers.openai_compatible import preset as presets
from batchtui.providers.openai_compatible.preset import Preset, window_hours
from batchtui.providers.openai_compatible.status import compatible_job
from batchtui.providers.upload import multipart_upload, upload_filename

LIST_PAGE_MAX = 100
FILE_LIST_PAGE = 10_000

_PRESET_FIELDS = frozenset(Preset.__dataclass_fields__) - {"name", "title", "capabilities"}


def join_base(base_url: str, path_prefix: str) -> str:
    """``base_url`` with ``path_prefix`` added unless it already ends with it."""
    base = base_url.rstrip("/")
    prefix = "/" + path_prefix.strip("/") if path_prefix.strip("/") else ""
    return base if not prefix or base.endswith(prefix) else base + prefix


def first_model(path: Path) -> str | None:
    """The ``body.model`` of the first request line of a JSONL file (None when it has none)."""
    with open(path, "rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                return None
            body = line.get("body") if isinstance(line, dict) else None
            model = body.get("model") if isinstance(body, dict) else None
            return model if isinstance(model, str) and model else None
    return None


def without_method_url(path: Path) -> Path | None:
    """A temporary copy of a JSONL file with ``method`` and ``url`` left out of each line, or
    None when no line has them (the file goes as it is). The caller deletes the copy."""
    with open(path, "rb") as source:
        if not any(_has_method_url(raw) for raw in source):
            return None
    handle, name = tempfile.mkstemp(prefix="batchtui-", suffix=".jsonl")
    with os.fdopen(handle, "wb") as out, open(path, "rb") as source:
        for raw in source:
            if not _has_method_url(raw):
                out.write(raw if raw.endswith(b"\n") else raw + b"\n")
                continue
            line = json.loads(raw)
            line.pop("method", None)
            line.pop("url", None)
            out.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
    return Path(name)


def _has_method_url(raw: bytes) -> bool:
    if b'"method"' not in raw and b'"url"' not in raw:
        return False
    try:
        line = json.loads(raw)
    except ValueError:
        return False
    return isinstance(line, dict) and ("method" in line or "url" in line)


class CompatibleProvider(OpenAIShapedBatches):
    """One account on an OpenAI-compatible batch server, as its `Preset` describes it.

    Options (keyword arguments, as a profile's options arrive): ``api_version`` for servers
    that take one as a query parameter, ``target_model`` for servers that want the model
    named on upload, and any `Preset` field (strings are accepted for booleans).
    """

    preset: ClassVar[Preset]
    spec: ClassVar[ProviderSpec]

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        api_version: str | None = None,
        target_model: str | None = None,
        **options: Any,
    ) -> None:
        preset_options = {k: options.pop(k) for k in list(options) if k in _PRESET_FIELDS}
        try:
            preset = type(self).preset.with_options(**preset_options)
        except ValueError as exc:
            raise ConfigError(str(exc), key=self._profile_key(options, "")) from None
        self.active_preset = preset
        base = base_url or preset.default_base_url
        if not base:
            variable = self.spec.base_url_env
            where = f" (or {variable})" if variable else ""
            raise ConfigError(
                f"{preset.title} has no default address: set base_url{where} to the server's URL",
                key=self._profile_key(options, "base_url"),
            )
        headers: dict[str, str] = dict(preset.extra_headers)
        if api_key:
            # "none" (a config cannot hold an empty string) sends the bare key.
            scheme = preset.auth_scheme.strip()
            bare = scheme.lower() in ("", "none")
            headers[preset.auth_header] = api_key if bare else f"{scheme} {api_key}"
        self._query: dict[str, str] = {}
        if preset.api_version_param:
            version = api_version or preset.default_api_version
            if not version:
                raise ConfigError(
                    f"{preset.title} needs an API version: set api_version",
                    key=self._profile_key(options, "api_version"),
                )
            self._query[preset.api_version_param] = version
        self.target_model = target_model or None
        super().__init__(join_base(base, preset.path_prefix), headers, **options)

    @classmethod
    def _profile_key(cls, options: dict[str, Any], key: str) -> str:
        profile = options.get("profile") or cls.spec.name
        return f"profiles.{profile}.{key}".rstrip(".")

    def _url(self, path: str) -> str:
        url = f"{self.base_url}{path}"
        return f"{url}?{urlencode(self._query)}" if self._query else url

    async def _json(self, method: str, path: str, *, idempotent: bool, **kw: Any) -> Any:
        # httpx replaces a URL's query with ``params``: the preset's query goes in them too.
        if self._query and kw.get("params") is not None:
            kw["params"] = {**self._query, **kw["params"]}
        return await super()._json(method, path, idempotent=idempotent, **kw)

    def _job(self, data: Any) -> BatchJob:
        wrapper = self.active_preset.create_wrapper
        if wrapper and isinstance(data, dict) and isinstance(data.get(wrapper), dict):
            data = data[wrapper]
        return compatible_job(self._checked(data), self.active_preset, profile=self.profile)

    async def upload_input(
        self,
        path: Path,
        *,
        progress: ProgressCallback | None = None,
        name: str | None = None,
        on_attempt: AttemptCallback | None = None,
    ) -> str | None:
        """Upload a batch JSONL file under the preset's purpose, streamed from disk.

        Lines lose ``method``/``url`` first where the server's lines carry neither; the
        preset's model header (LiteLLM) names ``target_model``, else the first line's model.
        """
        path = Path(path)
        preset = self.active_preset
        extra: dict[str, str] = {}
        if preset.model_header:
            model = self.target_model or await asyncio.to_thread(_readable, first_model, path)
            if not model:
                raise BatchtuiError(
                    f"{preset.title} needs the batch's model on upload: set target_model on "
                    f"profile {self.profile or self.name!r}, or name the model in the first line"
                )
            extra[preset.model_header] = model
        copy = None
        if not preset.lines_carry_method_url:
            copy = await asyncio.to_thread(_readable, without_method_url, path)
        try:
            return await self._upload(
                copy or path,
                extra,
                progress=progress,
                name=name or path.name,
                on_attempt=on_attempt,
            )
        finally:
            if copy is not None:
                copy.unlink(missing_ok=True)

    async def _upload(
        self,
        path: Path,
        extra_headers: dict[str, str],
        *,
        progress: ProgressCallback | None,
        name: str,
        on_attempt: AttemptCallback | None,
    ) -> str:
        preset = self.active_preset
        filename = upload_filename(name)
        fields = {"purpose": preset.upload_purpose, **preset.upload_fields}
        if preset.upload_name_field:
            fields[preset.upload_name_field] = filename
        upload = multipart_upload(path, fields=fields, filename=filename, progress=progress)
        headers = {**self._headers, **extra_headers, **upload.headers}
        response = await self._http.request(
            "POST",
            self._url(preset.upload_path),
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
        """The ids of the batch input files stored under ``name`` (as uploaded here)."""
        wanted = upload_filename(name)
        purpose = self.active_preset.upload_purpose
        found = []
        async for item in self._files():
            if (
                isinstance(item, dict)
                and item.get("filename") == wanted
                and item.get("purpose", purpose) == purpose
                and item.get("id")
            ):
                found.append(str(item["id"]))
        return found

    async def _files(self) -> AsyncIterator[Any]:
        purpose = self.active_preset.upload_purpose
        if not self.active_preset.list_paging:
            page = await self._json("GET", "/files", idempotent=True)
            for item in _items(page, self.name):
                yield item
            return

        def fetch(params: dict[str, Any]) -> Awaitable[Any]:
            return self._json(
                "GET", "/files", idempotent=True, params={**params, "purpose": purpose}
            )

        async for item in cursor_pages(
            fetch, cursor="after", limit=FILE_LIST_PAGE, provider=self.name
        ):
            yield item

    def _window(self, options: SubmitOptions) -> str:
        """The completion window to send; refused here when the preset's range excludes it."""
        preset = self.active_preset
        window = options.completion_window or preset.completion_window
        bounds = preset.window_hours
        if bounds is not None:
            hours = window_hours(window)
            low, high = bounds
            if hours is None or not low <= hours <= high:
                takes = f"{low:g}h" if low == high else f"{low:g}h to {high:g}h"
                raise InvalidRequestError(
                    f"completion window {window!r} is not one {preset.title} takes ({takes})",
                    provider=self.name,
                    param="completion_window",
                )
        return window

    async def create(
        self, path: Path, *, input_file_id: str | None, options: SubmitOptions
    ) -> BatchJob:
        """Create a batch from an uploaded file; never retried after an ambiguous failure."""
        if not input_file_id:
            raise ValueError(f"{self.active_preset.title} batches need an uploaded input file id")
        payload: dict[str, Any] = {
            "input_file_id": input_file_id,
            "endpoint": options.endpoint or self.active_preset.default_endpoint,
            "completion_window": self._window(options),
        }
        if options.metadata:
            payload["metadata"] = dict(options.metadata)
        return self._job(
            await self._json(
                "POST", "/batches", idempotent=False, json=payload, timeout=SUBMIT_TIMEOUT
            )
        )

    async def list(self, *, page_size: int = 100) -> AsyncIterator[BatchJob]:
        """Every batch of the account, newest first (paged with ``after`` where the server
        pages; otherwise one list, sorted here)."""
        if not self.active_preset.list_paging:
            page = await self._json("GET", "/batches", idempotent=True)
            jobs = [self._job(item) for item in _items(page, self.name)]
            jobs.sort(key=_created_key, reverse=True)
            for job in jobs:
                yield job
            return
        limit = max(1, min(page_size, LIST_PAGE_MAX))

        def fetch(params: dict[str, Any]) -> Awaitable[Any]:
            return self._json("GET", "/batches", idempotent=True, params=params)

        async for item in cursor_pages(fetch, cursor="after", limit=limit, provider=self.name):
            yield self._job(item)


def _readable(function: Any, path: Path) -> Any:
    """``function(path)``, with an unreadable file reported as a BatchtuiError."""
    try:
        return function(path)
    except OSError as exc:
        raise BatchtuiError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _items(page: Any, provider: str) -> list[Any]:
    """The items of an unpaged list answer: a bare array, or ``{"data": [...]}``."""
    items = page.get("data") if isinstance(page, dict) else page
    if not isinstance(items, list):
        raise ProviderError("a list call answered without data", provider=provider)
    return items


def _created_key(job: BatchJob) -> float:
    created = job.times.created_at
    return created.timestamp() if created is not None else 0.0


class GroqProvider(CompatibleProvider):
    """Groq's batch API (preset `preset.GROQ`)."""

    name = "groq"
    preset = presets.GROQ
    spec = specs.GROQ
    capabilities = presets.GROQ.capabilities


class TogetherProvider(CompatibleProvider):
    """Together AI's batch API (preset `preset.TOGETHER`)."""

    name = "together"
    preset = presets.TOGETHER
    spec = specs.TOGETHER
    capabilities = presets.TOGETHER.capabilities


class AzureProvider(CompatibleProvider):
    """Azure OpenAI global batch (preset `preset.AZURE`); models are deployment names."""

    name = "azure"
    preset = presets.AZURE
    spec = specs.AZURE
    capabilities = presets.AZURE.capabilities


class LiteLLMProvider(CompatibleProvider):
    """A LiteLLM proxy's batch API (preset `preset.LITELLM`)."""

    name = "litellm"
    preset = presets.LITELLM
    spec = specs.LITELLM
    capabilities = presets.LITELLM.capabilities


class GenericProvider(CompatibleProvider):
    """Any server speaking OpenAI's batch API; every preset field can come from the profile."""

    name = "openai-compatible"
    preset = presets.GENERIC
    spec = specs.GENERIC
    capabilities = presets.GENERIC.capabilities


__all__ = [
    "AzureProvider",
    "CompatibleProvider",
    "GenericProvider",
    "GroqProvider",
    "LiteLLMProvider",
    "TogetherProvider",
]
