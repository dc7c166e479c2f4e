"""OpenAI's batch input line ``{custom_id, method: "POST", url, body}`` and its conversion.

Neutral -> OpenAI: for chat completions a ``system`` parameter becomes a leading system
message; for ``/v1/responses`` the chat shape is mapped to ``input``/``instructions``/
``max_output_tokens``; other endpoints take the body as it is. OpenAI -> neutral keeps the
``url`` as the request's endpoint. Round trips: native -> neutral -> native gives the same
line; neutral -> OpenAI -> neutral gives the request with its system prompt moved into
``messages`` (an OpenAI line has nowhere else to keep it).
"""

from __future__ import annotations

from typing import Any

from batchtui.core.inputs.native import EnvelopeFormat
from batchtui.providers.openai.limits import CHAT_ENDPOINT, RESPONSES_ENDPOINT


def native_body(body: dict[str, Any], endpoint: str | None) -> dict[str, Any]:
    """The OpenAI ``body`` of a neutral request body for ``endpoint`` (a new dict)."""
    if endpoint == CHAT_ENDPOINT:
        if "system" not in body:
            return dict(body)
        out = dict(body)
        system = out.pop("system")
        if system is None:
            return out
        messages = out.get("messages")
        rest = list(messages) if isinstance(messages, list) else []
        out["messages"] = [{"role": "system", "content": _system_content(system)}, *rest]
        return out
    if endpoint == RESPONSES_ENDPOINT and "messages" in body and "input" not in body:
        out = {}
        for key, value in body.items():
            if key == "messages":
                out["input"] = value
            elif key == "system" and "instructions" not in body:
                if value is not None:
                    out["instructions"] = _plain_text(value)
            elif key == "max_tokens" and "max_output_tokens" not in body:
                out["max_output_tokens"] = value
            else:
                out[key] = value
        return out
    return dict(body)


def _system_content(system: Any) -> Any:
    """A system prompt as OpenAI content: strings stay, text blocks keep only type and text."""
    if isinstance(system, list):
        return [
            {"type": "text", "text": block["text"]}
            if isinstance(block, dict) and isinstance(block.get("text"), str)
            else block
            for block in system
        ]
    return system


def _plain_text(system: Any) -> Any:
    if isinstance(system, list):
        texts = [b.get("text") for b in system if isinstance(b, dict)]
        strings = [t for t in texts if isinstance(t, str)]
        if len(strings) == len(texts):
            return "\n\n".join(strings)
    return system


NATIVE = EnvelopeFormat(
    name="openai",
    body_key="body",
    endpoint_key="url",
    method="POST",
    default_endpoint=CHAT_ENDPOINT,
    # A first record naming its url (and method) is an OpenAI line; a bare {custom_id, body}
    # is Mistral's shape (and Together's), detected by that format.
    detect_keys=(frozenset({"url", "method"}), frozenset({"url"})),
    native_body=native_body,
    # Chat completions take max_completion_tokens (or the older max_tokens); /v1/responses
    # takes max_output_tokens.
    max_tokens_keys=("max_completion_tokens", "max_output_tokens", "max_tokens"),
)
