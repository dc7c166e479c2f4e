"""OpenAI's webhook events: which batch an event is about.

Facts (providers.md §1.10, §9): the batch events are ``batch.completed``, ``batch.failed``,
``batch.expired`` and ``batch.cancelled``; the body is ``{"id": <event id>, "object":
"event", "created_at", "type", "data": {"id": <batch id>}}`` — only the id, so the receiver
fetches the batch. Other event types (responses, evals, fine-tuning) are ignored.
"""

from __future__ import annotations

from typing import Any

BATCH_EVENTS = frozenset({"batch.completed", "batch.failed", "batch.expired", "batch.cancelled"})


def openai_batch_id(event: dict[str, Any]) -> str | None:
    """The batch id of a batch event; None for another event type; ValueError when the body
    is not an OpenAI event."""
    kind = event.get("type")
    if not isinstance(kind, str) or event.get("object") != "event":
        raise ValueError("not an OpenAI event (no object 'event' with a type)")
    if kind not in BATCH_EVENTS:
        return None
    data = event.get("data")
    batch_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(batch_id, str) or not batch_id:
        raise ValueError(f"{kind} event without data.id")
    return batch_id
