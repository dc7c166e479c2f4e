"""Jobs created with the official SDKs directly (another tool, the web console) are adopted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anthropic
import openai
import pytest
from workflow_helpers import JOB_SECONDS, KEYS, KINDS, MODELS, Env

from batchtui.core.clock import FixedClock
from batchtui.core.store import LABEL_METADATA_KEY, JobRecord
from batchtui.core.workspace import Workspace


def sdk_batch(env: Env, kind: str, count: int = 3, *, label: str | None = None) -> str:
    """Create a batch with the official SDK, bypassing batchtui; returns its id."""
    if kind == "openai":
        client = openai.OpenAI(
            api_key=KEYS["openai"], base_url=env.emulator.openai_base_url, max_retries=0
        )
        lines = [
            {
                "custom_id": f"sdk-{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": MODELS["openai"],
                    "messages": [{"role": "user", "content": f"hello {i}"}],
                },
            }
            for i in range(count)
        ]
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        file = client.files.create(file=("in.jsonl", data), purpose="batch")
        batch = client.batches.create(
            input_file_id=file.id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={LABEL_METADATA_KEY: label} if label else None,
        )
        client.close()
        return batch.id
    client_a = anthropic.Anthropic(
        api_key=KEYS["anthropic"], base_url=env.emulator.anthropic_base_url, max_retries=0
    )
    made = client_a.messages.batches.create(
        requests=[
            {
                "custom_id": f"sdk-{i}",
                "params": {
                    "model": MODELS["anthropic"],
                    "max_tokens": 32,
                    "messages": [{"role": "user", "content": f"hello {i}"}],
                },
            }
            for i in range(count)
        ]
    )
    client_a.close()
    return made.id


@pytest.mark.parametrize("kind", KINDS)
def test_show_adopts_an_sdk_created_batch(env: Env, kind: str) -> None:
    batch_id = sdk_batch(env, kind, 3)
    assert env.ok("list") == []
    shown = env.ok("show", batch_id)
    assert shown["id"] == batch_id
    assert shown["provider"] == kind and shown["profile"] == kind
    assert shown["adopted"] is True
    assert shown["counts"]["total"] in (0, 3)  # OpenAI counts appear after validation
    assert [j["id"] for j in env.ok("list")] == [batch_id]
    # Adopted once: a second show refreshes the same row.
    env.advance(JOB_SECONDS * 2)
    again = env.ok("show", batch_id)
    assert again["local_id"] == shown["local_id"]
    assert again["status"] == "completed"
    assert len(env.ok("list")) == 1

    # Its results can be fetched and exported like any other job's.
    rows = [json.loads(x) for x in env("results", batch_id).out.splitlines()]
    assert sorted(r["custom_id"] for r in rows) == ["sdk-0", "sdk-1", "sdk-2"]
    assert {r["outcome"] for r in rows} == {"succeeded"}
    # It has no kept input, so a retry says why instead of guessing.
    recover = env("recover", batch_id)
    assert recover.rc == 1
    assert "every request already has a success" in recover.err or "kept input" in recover.err


@pytest.mark.parametrize("kind", KINDS)
def test_commands_taking_an_id_adopt_unknown_provider_ids(env: Env, kind: str) -> None:
    first = sdk_batch(env, kind, 2)
    run = env("results", first)
    assert run.rc == 1 and "no results yet" in run.err
    assert [j["id"] for j in env.ok("list")] == [first]

    second = sdk_batch(env, kind, 2)
    cancelled = env.ok("cancel", second)
    assert cancelled["id"] == second and cancelled["adopted"] is True
    assert cancelled["status"] in {"cancelling", "cancelled"}


@pytest.mark.parametrize("kind", KINDS)
async def test_the_pollers_list_adopts_batches_made_elsewhere(
    env: Env, kind: str, tmp_path: Path
) -> None:
    batch_id = await asyncio.to_thread(sdk_batch, env, kind, 2, label="from the console")
    ws = Workspace.open(env.home, clock=FixedClock(env.clock.time()))
    seen: asyncio.Queue[JobRecord] = asyncio.Queue()
    ws.subscribe(seen.put_nowait)
    try:
        ws.start_polling_task()
        while True:
            record = await asyncio.wait_for(seen.get(), timeout=10)
            if record.id == batch_id:
                break
        assert record.adopted
        assert record.profile == kind
        if kind == "openai":  # only OpenAI keeps metadata, where the label travels
            assert record.label == "from the console"
    finally:
        await ws.aclose()
    with Workspace.open(env.home).store as store:
        (stored,) = store.list_jobs()
    assert stored.id == batch_id and stored.adopted
