"""B3 pieces: submitting an input to the emulator with batchtui's adapters or the official SDKs.

Every piece times the whole client side: building the client, reading the file from disk,
sending it, and the create call. The emulator's own work (it validates the file during the
OpenAI create) is in both sides' times; it runs in its own process. ``cpu_s`` is this
process's CPU time for the same span.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENDPOINT = "/v1/chat/completions"


class Span:
    """Wall and CPU time from construction, with named wall marks."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter() - self.wall

    def result(self, **extra: Any) -> dict[str, Any]:
        return {
            "seconds": time.perf_counter() - self.wall,
            "cpu_s": time.process_time() - self.cpu,
            **self.marks,
            **extra,
        }


def openai_batchtui(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """OpenAIProvider.upload_input (streamed multipart) + create."""
    from batchtui.core.provider import SubmitOptions
    from batchtui.providers.openai import OpenAIProvider

    path = Path(args["path"])

    async def go(span: Span) -> str:
        provider = OpenAIProvider(args["api_key"], args["base_url"])
        try:
            file_id = await provider.upload_input(path)
            span.mark("upload_s")
            job = await provider.create(
                path, input_file_id=file_id, options=SubmitOptions(endpoint=ENDPOINT)
            )
            return job.id
        finally:
            await provider.aclose()

    def run() -> dict[str, Any]:
        span = Span()
        batch_id = asyncio.run(go(span))
        return span.result(batch_id=batch_id)

    return run


def openai_sdk(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The official SDK: ``client.files.create`` then ``client.batches.create``."""
    import openai

    path = Path(args["path"])

    def run() -> dict[str, Any]:
        span = Span()
        client = openai.OpenAI(api_key=args["api_key"], base_url=args["base_url"], max_retries=0)
        with path.open("rb") as handle:
            uploaded = client.files.create(file=(path.name, handle), purpose="batch")
        span.mark("upload_s")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h"
        )
        out = span.result(batch_id=batch.id)
        client.close()
        return out

    return run


def anthropic_batchtui(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """AnthropicProvider.create, streaming ``{"requests": [...]}`` from the JSONL file."""
    from batchtui.core.provider import SubmitOptions
    from batchtui.providers.anthropic import AnthropicProvider

    path = Path(args["path"])

    async def go() -> str:
        provider = AnthropicProvider(args["api_key"], args["base_url"])
        try:
            job = await provider.create(path, input_file_id=None, options=SubmitOptions())
            return job.id
        finally:
            await provider.aclose()

    def run() -> dict[str, Any]:
        span = Span()
        batch_id = asyncio.run(go())
        return span.result(batch_id=batch_id)

    return run


def anthropic_sdk(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The official SDK: read the JSONL into a list, ``messages.batches.create(requests=...)``."""
    import anthropic

    path = Path(args["path"])

    def run() -> dict[str, Any]:
        span = Span()
        client = anthropic.Anthropic(
            api_key=args["api_key"], base_url=args["base_url"], max_retries=0
        )
        with path.open("rb") as handle:
            requests = [json.loads(line) for line in handle if line.strip()]
        span.mark("loaded_s")
        batch = client.messages.batches.create(requests=requests)
        out = span.result(batch_id=batch.id)
        client.close()
        return out

    return run
