"""Mistral's batch input line ``{custom_id, body}`` and its conversion (providers.md §4).

The line names no endpoint and no HTTP method: the endpoint (and perhaps the model) is named
once, on the job. The shape is generic — Together's batch lines are the same — so this one
format object serves every provider whose lines are ``{custom_id, body}``.

Reading keeps the body as it is (native -> neutral -> native is the identity). Writing from
the neutral request: a chat body (one with ``messages``) gets its ``system`` parameter as a
leading system message and ``max_completion_tokens`` as ``max_tokens``; any other body is
written as it is. The model stays in the body.
"""

from __future__ import annotations

from typing import Any

from batchtui.core.inputs.native import EnvelopeFormat


def native_body(body: dict[str, Any], endpoint: str | None) -> dict[str, Any]:
    """The ``body`` of a neutral request body (a new dict; ``endpoint`` is not needed: the
    conversion only touches chat-shaped bodies)."""
    out = dict(body)
    if "messages" not in out:
        return out
    if "max_tokens" not in out and "max_completion_tokens" in out:
        out["max_tokens"] = out.pop("max_completion_tokens")
    if "system" in out:
        system = out.pop("system")
        if system is not None:
            messages = out.get("messages")
            rest = list(messages) if isinstance(messages, list) else []
            out["messages"] = [{"role": "system", "content": _system_content(system)}, *rest]
    return out


def _system_content(system: Any) -> Any:
    """A system prompt as message content: a string stays, text blocks keep type and text."""
    if isinstance(system, list):
        return [
            {"type": "text", "text": block["text"]}
            if isinstance(block, dict) and isinstance(block.get("text"), str)
            else block
            for block in system
        ]
    return system


NATIVE = EnvelopeFormat(
    name="mistral",
    body_key="body",
    # A first record with custom_id and body. Detection takes the first registered format
    # whose keys a record holds; OpenAI's lines also hold these two keys, and OpenAI (listed
    # first) must claim them by its method/url (see docs/providers/mistral.md).
    detect_keys=(frozenset({"custom_id", "body"}),),
    native_body=native_body,
)
