"""Gemini's webhook events: which batch an event is about.

Facts: signing follows Standard Webhooks like OpenAI's (providers.md §9). The batch event
types a webhook subscribes to are ``batch.succeeded``, ``batch.failed`` and ``batch.expired``
(the SDK's ``Webhook.subscribed_events``; there is no cancelled event) [S]. The body's shape is
not documented in what we read, and Google's own notebook names events inconsistently [U].

Safe reading, written down: an event is ``{"type": str, "data": {...}}`` in the Standard
Webhooks manner; any ``batch.*`` type is a batch event; the batch is the first
``batches/<id>`` string under ``data.name``, ``data.batch``, ``data.id`` or the body's own
``name`` (a bare id under ``data.id`` gets the ``batches/`` prefix, the form batchtui stores).
A batch event naming no batch is refused as malformed; other types are ignored.
"""

from __future__ import annotations

from typing import Any

PREFIX = "batches/"


def gemini_batch_id(event: dict[str, Any]) -> str | None:
    """The batch name (``batches/<id>``) of a batch event; None for another event type;
    ValueError when a batch event names no batch."""
    kind = event.get("type")
    if not isinstance(kind, str):
        raise ValueError("not a Gemini event (no type)")
    if not kind.startswith("batch."):
        return None
    data = event.get("data")
    data = data if isinstance(data, dict) else {}
    candidates = (data.get("name"), data.get("batch"), data.get("id"), event.get("name"))
    for value in candidates:
        if isinstance(value, str) and value.startswith(PREFIX) and len(value) > len(PREFIX):
            return value
    bare = data.get("id")
    if isinstance(bare, str) and bare and "/" not in bare:
        return PREFIX + bare
    raise ValueError(f"{kind} event names no batch")
