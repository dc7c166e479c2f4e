"""B3 pieces: submitting an input to the emulator with batchtui's adapters or the official SDKs.

Every piece times the whole client side: reading the file from disk, sending it, and the
create call (the emulator's own work is in both sides' times; it runs in its own process).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENDPOINT = "/v1/chat/completions"


def openai_batchtui(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """OpenAIProvider.upload_input (streamed multipart) + create."""
    from batchtui.core.provider import SubmitOptions
    from batchtui.providers.openai import OpenAIProvider

    path = Path(args["path"])

    async def go() -> str:
        provider = OpenAIProvider(args["api_key"], args["base_url"])
        try:
            file_id = await provider.upload_input(path)
            job = await provider.create(
                path, input_file_id=file_id, options=SubmitOptions(endpoint=ENDPOINT)
            )
            return job.id
        finally:
            await provider.aclose()

    def run() -> dict[str, Any]:
        import time

        start = time.perf_counter()
        batch_id = asyncio.run(go())
        return {"seconds": time.perf_counter() - start, "batch_id": batch_id}

    return run


def openai_sdk(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The official SDK: ``client.files.create`` then ``client.batches.create``."""
    import openai

    path = Path(args["path"])

    def run() -> dict[str, Any]:
        import time

        start = time.perf_counter()
        client = openai.OpenAI(api_key=args["api_key"], base_url=args["base_url"], max_retries=0)
        with path.open("rb") as handle:
            uploaded = client.files.create(file=(path.name, handle), purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h"
        )
        seconds = time.perf_counter() - start
        client.close()
        return {"seconds": seconds, "batch_id": batch.id}

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
        import time

        start = time.perf_counter()
        batch_id = asyncio.run(go())
        return {"seconds": time.perf_counter() - start, "batch_id": batch_id}

    return run


def anthropic_sdk(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The official SDK: read the JSONL into a list, ``messages.batches.create(requests=...)``."""
    import anthropic

    path = Path(args["path"])

    def run() -> dict[str, Any]:
        import time

        start = time.perf_counter()
        client = anthropic.Anthropic(
            api_key=args["api_key"], base_url=args["base_url"], max_retries=0
        )
        with path.open("rb") as handle:
            requests = [json.loads(line) for line in handle if line.strip()]
        batch = client.messages.batches.create(requests=requests)
        seconds = time.perf_counter() - start
        client.close()
        return {"seconds": seconds, "batch_id": batch.id}

    return run
