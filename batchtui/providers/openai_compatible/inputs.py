"""Together's batch input line ``{custom_id, body}`` (no method, no url; providers.md §5 [D]).

Groq, Azure, LiteLLM and generic servers take OpenAI's own line
(`batchtui.providers.openai.inputs:NATIVE`). Mistral's line has the same shape as Together's;
this format is Together's own until one shared object exists.
"""

from __future__ import annotations

from typing import Any

from batchtui.core.inputs.native import EnvelopeFormat
from batchtui.providers.openai.inputs import native_body as openai_native_body
from batchtui.providers.openai_compatible.preset import CHAT_ENDPOINT


def together_body(body: dict[str, Any], endpoint: str | None) -> dict[str, Any]:
    """A neutral body as a Together chat-completions body (a system prompt becomes the first
    message, as for OpenAI); every Together batch line runs on the batch's endpoint."""
    return openai_native_body(body, endpoint or CHAT_ENDPOINT)


TOGETHER_NATIVE = EnvelopeFormat(
    name="together",
    body_key="body",
    # A first record with custom_id and body and no url; OpenAI's detection (listed first)
    # also takes such a line, which reads the same request either way.
    detect_keys=(frozenset({"custom_id", "body"}),),
    native_body=together_body,
)
