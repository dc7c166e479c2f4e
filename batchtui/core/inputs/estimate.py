"""A cheap input-token estimate for a request, replaceable by a real tokenizer (issue 7).

Heuristic: about 4 characters per token over all prompt text, rounded up: the system prompt
and message contents (strings and text blocks) of a chat request; for a request without
``messages``, its ``input``/``prompt``/``instructions`` text instead. Images,
files and tool definitions are not counted. Good to roughly ±30% on English prose; it
undercounts code and non-Latin scripts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

CHARS_PER_TOKEN = 4

TokenEstimator = Callable[[Mapping[str, Any]], int]
"""Takes a neutral request body, returns its estimated input tokens."""


def text_chars(value: Any) -> int:
    """Characters of text in a content value: a string, or a list of strings / text blocks."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        total = 0
        for item in value:
            if isinstance(item, str):
                total += len(item)
            elif isinstance(item, dict):
                text = item.get("text")
                if isinstance(text, str):
                    total += len(text)
                else:
                    content = item.get("content")
                    if content is not None:
                        total += text_chars(content)
        return total
    return 0


def estimate_input_tokens(body: Mapping[str, Any]) -> int:
    """Estimated input tokens of one neutral request body (``ceil(chars / 4)``)."""
    chars = text_chars(body.get("system"))
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict):
                chars += text_chars(message.get("content"))
        return -(-chars // CHARS_PER_TOKEN)
    for key in ("input", "prompt", "instructions"):
        value = body.get(key)
        if value is not None:
            chars += text_chars(value)
    return -(-chars // CHARS_PER_TOKEN)
