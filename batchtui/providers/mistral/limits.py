"""Mistral's per-batch limits and per-request rules, as facts from shared/providers.md §4, §9."""

from __future__ import annotations

from batchtui.core.inputs.limits import MB, ProviderLimits

CHAT_ENDPOINT = "/v1/chat/completions"
EMBEDDINGS_ENDPOINT = "/v1/embeddings"
FIM_ENDPOINT = "/v1/fim/completions"
MODERATIONS_ENDPOINT = "/v1/moderations"
CHAT_MODERATIONS_ENDPOINT = "/v1/chat/moderations"
OCR_ENDPOINT = "/v1/ocr"
CLASSIFICATIONS_ENDPOINT = "/v1/classifications"
CHAT_CLASSIFICATIONS_ENDPOINT = "/v1/chat/classifications"
CONVERSATIONS_ENDPOINT = "/v1/conversations"
TRANSCRIPTIONS_ENDPOINT = "/v1/audio/transcriptions"

ENDPOINTS = frozenset(
    {
        CHAT_ENDPOINT,
        EMBEDDINGS_ENDPOINT,
        FIM_ENDPOINT,
        MODERATIONS_ENDPOINT,
        CHAT_MODERATIONS_ENDPOINT,
        OCR_ENDPOINT,
        CLASSIFICATIONS_ENDPOINT,
        CHAT_CLASSIFICATIONS_ENDPOINT,
        CONVERSATIONS_ENDPOINT,
        TRANSCRIPTIONS_ENDPOINT,
    }
)
"""The ``endpoint`` values a Mistral batch job takes (SDK enum ``APIEndpoint``, §4) [S]."""

LIMITS = ProviderLimits(
    provider="mistral",
    # §9: the docs disagree (1,000,000 requests per batch on one page; 100,000 requests and
    # 512 MB per file on the known-limitations page) [D]; the smaller is taken.
    max_requests=100_000,
    max_bytes=512 * MB,
    part_overhead_bytes=0,
    # Mistral documents no custom_id limit [U]: long ids are only warned about, at OpenAI's 64.
    custom_id_max_len=64,
    custom_id_pattern=None,
    long_custom_id_is_error=False,
    endpoints=ENDPOINTS,
    default_endpoint=CHAT_ENDPOINT,
    # Chat message roles of the mistralai SDK (system, user, assistant, tool messages) [S].
    roles=frozenset({"system", "user", "assistant", "tool"}),
    # The SDK only recommends 0.0-0.7 and states no maximum [S]; 1.5 is the bound Mistral's API
    # reference has shown [U].
    temperature_max=1.5,
    max_tokens_required=False,
    # The model may be named once, on the job (§4) [S]; whether a job without one may mix
    # models across lines is not documented [U]: one model per batch, the safe reading.
    one_model_per_batch=True,
    one_endpoint_per_batch=True,
    chat_endpoints=frozenset({CHAT_ENDPOINT}),
    input_endpoints=frozenset(
        {EMBEDDINGS_ENDPOINT, MODERATIONS_ENDPOINT, CLASSIFICATIONS_ENDPOINT}
    ),
    # An assistant message that calls tools may carry no content (SDK AssistantMessage) [S].
    tool_call_keys=("tool_calls",),
)
