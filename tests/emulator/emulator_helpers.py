"""Helpers for the emulator tests: input builders and small HTTP steps."""

from __future__ import annotations

import json
from typing import Any

import httpx

CHAT = "/v1/chat/completions"


def openai_line(
    custom_id: str,
    text: str = "Say hello",
    *,
    model: str = "gpt-4o-mini",
    url: str = CHAT,
    max_tokens: int | None = 100,
) -> dict[str, Any]:
    """One OpenAI batch input line for the chat endpoint."""
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": text}]}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def jsonl(lines: list[Any]) -> bytes:
    """Lines as JSONL bytes (objects are dumped; strings are kept verbatim)."""
    return b"".join(
        (line if isinstance(line, str) else json.dumps(line)).encode() + b"\n" for line in lines
    )


def anthropic_request(
    custom_id: str, text: str = "Say hello", *, max_tokens: int = 100
) -> dict[str, Any]:
    """One Anthropic batch request."""
    return {
        "custom_id": custom_id,
        "params": {
            "model": "claude-sonnet-4-5",
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": text}],
        },
    }


def read_jsonl(data: bytes) -> list[dict[str, Any]]:
    """Parse JSONL bytes (split on \\n only)."""
    return [json.loads(line) for line in data.split(b"\n") if line.strip()]


def upload(client: httpx.Client, data: bytes, filename: str = "input.jsonl") -> dict[str, Any]:
    """Upload a batch input file; returns the File object."""
    resp = client.post("/files", files={"file": (filename, data)}, data={"purpose": "batch"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def create_batch(client: httpx.Client, lines: list[Any], **extra: Any) -> dict[str, Any]:
    """Upload lines and create a chat batch from them."""
    file = upload(client, jsonl(lines))
    body = {"input_file_id": file["id"], "endpoint": CHAT, "completion_window": "24h", **extra}
    resp = client.post("/batches", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()
