"""What the emulator reads from one request, whatever the provider: its custom id, model,
output limit, prompt size and marker. Each half extracts these from its own request format.

Request markers, looked for in the text of the first user message (each half says where that is
and what the marker means on its wire):

- ``[[http_error]]`` — the request fails with an invalid-request error.
- ``[[refuse]]`` — the model refuses (reply stop ``refuse``).
- ``[[filter]]`` — a partial answer cut by a content filter (reply stop ``filter``), where the
  provider has one.
- A tiny output limit (any limit below the natural reply length) — the reply is cut (stop
  ``length``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

HTTP_ERROR_MARKER = "[[http_error]]"
REFUSE_MARKER = "[[refuse]]"
FILTER_MARKER = "[[filter]]"


@dataclass(frozen=True)
class Facts:
    """What the emulator needs to know about one request to produce its result."""

    custom_id: str
    model: str
    marker: str | None
    max_tokens: int | None
    prompt_tokens: int
    n_inputs: int = 1  # inputs one request carries (an embeddings request may carry several)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return ""


def first_user_text(messages: Any) -> str:
    """The text of the first user message (string or list-of-parts content)."""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        for msg in messages:
            if isinstance(msg, dict) and msg.get("role", "user") == "user":
                return _text_of(msg.get("content"))
    return ""


def marker_in(text: str) -> str | None:
    """The marker the text carries (``http_error``, ``refuse`` or ``filter``), or None."""
    if HTTP_ERROR_MARKER in text:
        return "http_error"
    if REFUSE_MARKER in text:
        return "refuse"
    if FILTER_MARKER in text:
        return "filter"
    return None


def as_int(value: Any) -> int | None:
    """value if it is an int (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def prompt_tokens_of(payload: Any) -> int:
    """The prompt tokens billed for a payload (a quarter of its compact JSON length)."""
    return max(1, len(json.dumps(payload, separators=(",", ":"))) // 4)
