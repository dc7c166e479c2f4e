"""Gemini Batch Mode's per-batch limits and per-request rules, as facts from shared/providers.md
(§3, §9); where the sources are silent the safe reading is taken and marked [U]."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from batchtui.core.inputs.limits import MB, ProviderLimits

GENERATE_CONTENT = "generateContent"
"""What every request of a batch runs: ``GenerateContentRequest``s of the batch's one model
(``models/{model}:batchGenerateContent``). Batch lines name no endpoint."""

CHAT_ENDPOINT = "/v1/chat/completions"
"""A neutral request naming the chat endpoint is converted (the chat shape maps onto
``contents``)."""

NEUTRAL_KEYS = frozenset(
    {"model", "messages", "system", "max_tokens", "max_completion_tokens", "temperature"}
    | {"top_p", "stop"}
)
"""Neutral chat parameters the conversion maps onto the Gemini request."""


def text_only(content: Any) -> bool:
    """Whether message content is text the conversion can carry: a string, or a list of
    ``{"type": "text", "text": str}`` blocks."""
    if isinstance(content, str):
        return True
    if not isinstance(content, list):
        return False
    return all(
        isinstance(block, dict)
        and block.get("type", "text") == "text"
        and isinstance(block.get("text"), str)
        for block in content
    )


def check_request(body: dict[str, Any], endpoint: str) -> Iterable[tuple[str, str, str]]:
    """Gemini's rules beyond the shared ones: a chat body's messages hold text only (images
    and tool calls are not translated); a native body has a non-empty ``contents`` list."""
    messages = body.get("messages")
    if messages is not None:
        if isinstance(messages, list):
            for i, message in enumerate(messages):
                if isinstance(message, dict) and not text_only(message.get("content")):
                    yield (
                        f"messages[{i}].content",
                        "only text content converts to a Gemini request",
                        "unsupported_content",
                    )
        return
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        yield ("contents", "missing or empty (a Gemini request needs contents)", "missing_contents")


LIMITS = ProviderLimits(
    provider="gemini",
    # No per-batch request cap is documented [U]: 100,000 (Anthropic's) is taken so very large
    # inputs are split rather than refused.
    max_requests=100_000,
    # §9: a JSONL input file of up to 2 GB [D]; decimal bytes, the smaller reading.
    max_bytes=2_000 * MB,
    part_overhead_bytes=0,
    # The line's "key" has no documented rule [U]: no pattern; over 64 characters is a warning.
    custom_id_max_len=64,
    custom_id_pattern=None,
    long_custom_id_is_error=False,
    endpoints=frozenset({GENERATE_CONTENT, CHAT_ENDPOINT}),
    default_endpoint=GENERATE_CONTENT,
    fixed_endpoint=True,
    bad_endpoint_message="{endpoint}: {title} batches run generateContent requests only",
    # A neutral body with messages is checked as chat (it is converted); a native body
    # (contents) is not chat-shaped.
    messages_endpoints=frozenset({GENERATE_CONTENT}),
    # The model is on the batch (the create path), not in the line.
    model_optional_endpoints=frozenset({GENERATE_CONTENT}),
    # system → systemInstruction, user → user, assistant → model.
    roles=frozenset({"system", "user", "assistant"}),
    # systemInstruction holds text parts.
    system_text_only=True,
    # Gemini 2.x models take temperature 0.0-2.0 [D]; older ones 0-1 (the API refuses those).
    temperature_max=2.0,
    max_tokens_required=False,
    # One batch is created on one model (models/{model}:batchGenerateContent) [S].
    one_model_per_batch=True,
    model_on_job=True,
    one_endpoint_per_batch=False,
    extra_check=check_request,
)
