"""Retry and recovery read a kept input through its provider's format: the id under the
format's own key, and a new max_tokens where that format keeps the limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.recovery import submitted_ids, write_subset

LINES = {
    "openai": [
        {
            "custom_id": "a",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "m", "max_completion_tokens": 5, "messages": []},
        },
        {"custom_id": "b", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}},
    ],
    "anthropic": [
        {"custom_id": "a", "params": {"model": "m", "max_tokens": 5, "messages": []}},
        {"custom_id": "b", "params": {"model": "m", "max_tokens": 5, "messages": []}},
    ],
    "gemini": [
        {"key": "a", "request": {"contents": [], "generationConfig": {"maxOutputTokens": 5}}},
        {"key": "b", "request": {"contents": []}},
    ],
    "mistral": [
        {"custom_id": "a", "body": {"max_tokens": 5, "messages": []}},
        {"custom_id": "b", "body": {"messages": []}},
    ],
}
LIMIT = {
    "openai": lambda line: line["body"].get(
        "max_completion_tokens", line["body"].get("max_tokens")
    ),
    "anthropic": lambda line: line["params"]["max_tokens"],
    "gemini": lambda line: line["request"]["generationConfig"]["maxOutputTokens"],
    "mistral": lambda line: line["body"]["max_tokens"],
}


@pytest.mark.parametrize("provider", sorted(LINES))
def test_ids_and_max_tokens_follow_the_providers_format(tmp_path: Path, provider: str) -> None:
    source = tmp_path / "kept.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in LINES[provider]) + "\n")
    assert submitted_ids(source, provider) == ["a", "b"]
    dest = tmp_path / "retry.jsonl"
    count, _sha, _size = write_subset(source, ["b", "a"], dest, provider, max_tokens=99)
    assert count == 2
    written = [json.loads(line) for line in dest.read_text().splitlines()]
    assert [LIMIT[provider](line) for line in written] == [99, 99]
    assert len(written[0]) == len(LINES[provider][0])  # nothing but the limit changed
    untouched = tmp_path / "same.jsonl"
    write_subset(source, ["a"], untouched, provider)
    assert untouched.read_text() == json.dumps(LINES[provider][0]) + "\n"
