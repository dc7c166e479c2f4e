"""A results screen opens on a first screen of rows; the rest is indexed in the background."""

from __future__ import annotations

import asyncio

import pytest
from workflow_helpers import Env, write_input

from batchtui.core.workspace import Workspace


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_preview_first_then_catch_up_to_every_line(env: Env, kind: str) -> None:
    (job,) = [env.ok("submit", write_input(env.work / "in.jsonl", kind, 40), "-p", kind)]
    env.advance(3600)
    assert env("results", job["id"], "-o", env.work / "all.jsonl").rc == 0
    assert len((env.work / "all.jsonl").read_text(encoding="utf-8").splitlines()) == 40
    asyncio.run(_preview_then_catch_up(job["id"]))


async def _preview_then_catch_up(batch_id: str) -> None:
    ws = Workspace.open()
    try:
        record = ws.job(batch_id)
        for saved in ws.results_dir.glob("*.index"):
            saved.unlink()  # as on a first open of a freshly downloaded file
        preview = ws.results_preview(record.local_id, lines=5)
        assert preview is not None
        assert preview.count == 5 and not preview.is_current()
        grew: list[int] = []
        index = await ws.fetch_results(record.local_id, on_lines=lambda _: grew.append(1))
        assert index is preview and index.count == 40 and index.is_current()
        assert grew, "the caller is told as the index catches up"
        assert ws.results(record.local_id).count == 40
    finally:
        await ws.aclose()
