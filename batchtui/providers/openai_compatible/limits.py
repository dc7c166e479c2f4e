"""Per-batch limits and per-request rules of each OpenAI-compatible preset (providers.md §5,
§9). Where the sources are silent the safe reading is taken, marked [U], and listed in
docs/providers/openai-compatible.md."""

from __future__ import annotations

from batchtui.core.inputs.limits import MB, ProviderLimits
from batchtui.providers.openai.limits import LIMITS as OPENAI_LIMITS
from batchtui.providers.openai_compatible.preset import CHAT_ENDPOINT

GROQ_LIMITS: ProviderLimits = OPENAI_LIMITS.with_(
    provider="groq",
    # §9: input file up to 100 MB [S]; the line cap per batch is [U]: OpenAI's 50,000.
    max_bytes=100 * MB,
    max_requests=50_000,
    # §5: only /v1/chat/completions [S].
    endpoints=frozenset({CHAT_ENDPOINT}),
    default_endpoint=CHAT_ENDPOINT,
    messages_endpoints=frozenset(),
    input_endpoints=frozenset(),
    model_optional_endpoints=frozenset(),
)

TOGETHER_LIMITS: ProviderLimits = OPENAI_LIMITS.with_(
    provider="together",
    # §9: up to 50,000 requests and 100 MB per file [D].
    max_requests=50_000,
    max_bytes=100 * MB,
    # §5: custom_id at most 64 characters [D]; a longer one would be refused, so an error.
    custom_id_max_len=64,
    long_custom_id_is_error=True,
    # Lines carry no url: every request runs on the batch's endpoint. Chat completions is the
    # only endpoint the docs show for batches [U].
    endpoints=frozenset({CHAT_ENDPOINT}),
    default_endpoint=CHAT_ENDPOINT,
    fixed_endpoint=True,
    messages_endpoints=frozenset(),
    input_endpoints=frozenset(),
    model_optional_endpoints=frozenset(),
)

AZURE_CHAT = "/chat/completions"
AZURE_ENDPOINTS = frozenset(
    {AZURE_CHAT, CHAT_ENDPOINT, "/embeddings", "/v1/embeddings", "/responses", "/v1/responses"}
)
"""Azure writes endpoints without /v1 on the api-version surface and with it on the v1
surface (§5 [D]); both spellings are accepted [U]."""

AZURE_LIMITS: ProviderLimits = OPENAI_LIMITS.with_(
    provider="azure",
    # §5: commonly 100,000 requests / 200 MB per file, not verified [U]: OpenAI's smaller
    # 50,000 requests are kept.
    max_requests=50_000,
    max_bytes=200 * MB,
    endpoints=AZURE_ENDPOINTS,
    default_endpoint=AZURE_CHAT,
    chat_endpoints=frozenset({AZURE_CHAT, CHAT_ENDPOINT}),
    messages_endpoints=frozenset({"/responses", "/v1/responses"}),
    input_endpoints=frozenset({"/responses", "/v1/responses", "/embeddings", "/v1/embeddings"}),
    model_optional_endpoints=frozenset(),
)

LITELLM_LIMITS: ProviderLimits = OPENAI_LIMITS.with_(
    provider="litellm",
    # The proxy forwards to the back end named at upload; OpenAI's limits are the reading
    # that no back end it lists is known to exceed [U]. One model per batch: the upload names
    # one target model (§9 [D]).
    one_model_per_batch=True,
)

GENERIC_LIMITS: ProviderLimits = OPENAI_LIMITS.with_(
    provider="openai-compatible",
    # An unknown server: OpenAI's limits, the most widely copied ones [U].
)
