"""OpenAI's per-batch limits and per-request rules, as facts from shared/providers.md."""

from __future__ import annotations

from batchtui.core.inputs.limits import MB, ProviderLimits

CHAT_ENDPOINT = "/v1/chat/completions"
RESPONSES_ENDPOINT = "/v1/responses"
EMBEDDINGS_ENDPOINT = "/v1/embeddings"
MODERATIONS_ENDPOINT = "/v1/moderations"

ENDPOINTS = frozenset(
    {
        RESPONSES_ENDPOINT,
        CHAT_ENDPOINT,
        EMBEDDINGS_ENDPOINT,
        "/v1/completions",
        MODERATIONS_ENDPOINT,
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/videos",
    }
)
"""Endpoints an OpenAI batch takes (providers.md §1.3, SDK enum 2026-08) [S]."""

LIMITS = ProviderLimits(
    provider="openai",
    # providers.md §1.3: ≤ 50,000 requests and ≤ 200 MB per batch input file [S][D].
    max_requests=50_000,
    max_bytes=200 * MB,
    part_overhead_bytes=0,
    # §1.3: OpenAI documents no custom_id limit; 64 chars is quoted by third parties [U].
    custom_id_max_len=64,
    custom_id_pattern=None,
    long_custom_id_is_error=False,
    # A request runs on the endpoint it names (its line's url), one of these.
    endpoints=ENDPOINTS,
    default_endpoint=CHAT_ENDPOINT,
    # Chat message roles of the openai SDK 3.57 (ChatCompletion*MessageParam) [S].
    roles=frozenset({"system", "developer", "user", "assistant", "tool", "function"}),
    # openai SDK docstring: temperature between 0 and 2 [S].
    temperature_max=2.0,
    max_tokens_required=False,
    # §1.3: all lines one model (model_mismatch), url equal to the batch endpoint [D].
    one_model_per_batch=True,
    one_endpoint_per_batch=True,
    chat_endpoints=frozenset({CHAT_ENDPOINT}),
    # The neutral chat shape is mapped to input/instructions for /v1/responses (see inputs.py).
    messages_endpoints=frozenset({RESPONSES_ENDPOINT}),
    input_endpoints=frozenset({RESPONSES_ENDPOINT, EMBEDDINGS_ENDPOINT}),
    # Moderation requests may leave the model to the API's default.
    model_optional_endpoints=frozenset({MODERATIONS_ENDPOINT}),
    # An assistant message that calls tools may carry no content.
    tool_call_keys=("tool_calls", "function_call"),
)
