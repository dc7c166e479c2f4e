"""B4 pieces: download a finished batch's results and index them, or the SDK's way."""

from __future__ import annotations

import asyncio
import atexit
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def b4_batchtui(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """``provider.get`` then core ``download_results`` feeding a ``ResultIndex`` (saved)."""
    from batchtui.core.results import ResultIndex, ResultsFile, download_results
    from batchtui.providers.openai import OpenAIProvider

    dest = Path(tempfile.mkdtemp(prefix="bench-b4-"))
    atexit.register(shutil.rmtree, dest, True)

    async def go() -> tuple[int, int]:
        provider = OpenAIProvider(args["api_key"], args["base_url"])
        try:
            job = await provider.get(args["batch_id"])
            index = ResultIndex.open(ResultsFile.open(dest, job.id, provider="openai"))
            results = await download_results(provider, job, dest, index=index)
            return index.count, results.total_bytes
        finally:
            await provider.aclose()

    def run() -> dict[str, Any]:
        start, cpu = time.perf_counter(), time.process_time()
        rows, size = asyncio.run(go())
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "cpu_s": time.process_time() - cpu, "rows": rows, "bytes": size}

    return run


def b4_sdk(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """``batches.retrieve``, ``files.content`` of the output and error files, json.loads a line."""
    import openai

    def run() -> dict[str, Any]:
        start, cpu = time.perf_counter(), time.process_time()
        client = openai.OpenAI(api_key=args["api_key"], base_url=args["base_url"], max_retries=0)
        batch = client.batches.retrieve(args["batch_id"])
        rows: list[Any] = []
        size = 0
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = client.files.content(file_id).content
            size += len(content)
            rows.extend(json.loads(line) for line in content.splitlines() if line.strip())
        client.close()
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "cpu_s": time.process_time() - cpu,
            "rows": len(rows),
            "bytes": size,
        }

    return run
