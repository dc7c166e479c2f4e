"""Anthropic's per-batch limits and per-request rules, as facts from shared/providers.md."""

from __future__ import annotations

import re

from batchtui.core.inputs.limits import MB, ProviderLimits

MESSAGES_ENDPOINT = "/v1/messages"

LIMITS = ProviderLimits(
    provider="anthropic",
    # providers.md §2.3: 1 to 100,000 requests and ≤ 256 MB request body [D].
    max_requests=100_000,
    max_bytes=256 * MB,
    part_overhead_bytes=len(b'{"requests":[]}') + 1,
    # §2.3: custom_id must match ^[a-zA-Z0-9_-]{1,64}$ [D][S-spec].
    custom_id_max_len=64,
    custom_id_pattern=re.compile(r"[a-zA-Z0-9_-]{1,64}"),
    custom_id_rule="letters, digits, '_' and '-'",
    long_custom_id_is_error=True,
    # Every request runs as a Messages request; a neutral request naming the chat
    # completions endpoint is converted (the chat shape is the same).
    endpoints=frozenset({MESSAGES_ENDPOINT, "/v1/chat/completions"}),
    default_endpoint=MESSAGES_ENDPOINT,
    fixed_endpoint=True,
    bad_endpoint_message="{endpoint}: {title} batches run Messages requests only",
    chat_endpoints=frozenset({MESSAGES_ENDPOINT}),
    # anthropic SDK 2.14 MessageParam = User | Assistant | System message params [S].
    roles=frozenset({"user", "assistant", "system"}),
    # A system prompt (or system message) takes text blocks only.
    system_text_only=True,
    # Historical Messages API range 0.0-1.0 (the 2.14 SDK no longer lists temperature) [U].
    temperature_max=1.0,
    # §2.3: max_tokens must be ≥ 1 in a batch (0 is not allowed) [D]; SDK: Required[int] [S].
    max_tokens_required=True,
    one_model_per_batch=False,
    one_endpoint_per_batch=False,
)
