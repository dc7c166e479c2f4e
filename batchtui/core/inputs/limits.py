"""Per-provider input rules and per-batch limits, as facts from shared/providers.md.

Sizes use decimal megabytes (200 MB = 200,000,000 bytes): the providers do not say which
megabyte they mean, and the smaller reading is the safe one. Tests may replace an entry of
``LIMITS`` (or pass ``limits=``) to exercise splitting with small numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

MB = 1_000_000

OPENAI_ENDPOINTS = frozenset(
    {
        "/v1/responses",
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/completions",
        "/v1/moderations",
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/videos",
    }
)
"""Endpoints an OpenAI batch takes (providers.md §1.3, SDK enum 2026-08) [S]."""

OPENAI_CHAT_ENDPOINT = "/v1/chat/completions"
ANTHROPIC_ENDPOINT = "/v1/messages"


@dataclass(frozen=True, slots=True)
class ProviderLimits:
    """What one provider's batch API accepts, per request and per batch."""

    provider: str
    max_requests: int
    max_bytes: int
    part_overhead_bytes: int  # bytes a batch adds around its requests (Anthropic's JSON wrapper)
    custom_id_max_len: int
    custom_id_pattern: re.Pattern[str] | None  # when set, a custom_id must match it (error)
    long_custom_id_is_error: bool  # over custom_id_max_len: error (True) or warning (False)
    endpoints: frozenset[str]  # endpoints a request may name; empty = no endpoint concept
    default_endpoint: str
    roles: frozenset[str]
    temperature_max: float
    max_tokens_required: bool
    one_model_per_batch: bool
    one_endpoint_per_batch: bool

    def with_(self, **changes: object) -> ProviderLimits:
        """A copy with some fields changed (for tests and for profiles with other limits)."""
        return replace(self, **changes)  # type: ignore[arg-type]


OPENAI = ProviderLimits(
    provider="openai",
    # providers.md §1.3: ≤ 50,000 requests and ≤ 200 MB per batch input file [S][D].
    max_requests=50_000,
    max_bytes=200 * MB,
    part_overhead_bytes=0,
    # §1.3: OpenAI documents no custom_id limit; 64 chars is quoted by third parties [U].
    custom_id_max_len=64,
    custom_id_pattern=None,
    long_custom_id_is_error=False,
    endpoints=OPENAI_ENDPOINTS,
    default_endpoint=OPENAI_CHAT_ENDPOINT,
    # Chat message roles of the openai SDK 3.57 (ChatCompletion*MessageParam) [S].
    roles=frozenset({"system", "developer", "user", "assistant", "tool", "function"}),
    # openai SDK docstring: temperature between 0 and 2 [S].
    temperature_max=2.0,
    max_tokens_required=False,
    # §1.3: all lines one model (model_mismatch), url equal to the batch endpoint [D].
    one_model_per_batch=True,
    one_endpoint_per_batch=True,
)

ANTHROPIC = ProviderLimits(
    provider="anthropic",
    # providers.md §2.3: 1 to 100,000 requests and ≤ 256 MB request body [D].
    max_requests=100_000,
    max_bytes=256 * MB,
    part_overhead_bytes=len(b'{"requests":[]}') + 1,
    # §2.3: custom_id must match ^[a-zA-Z0-9_-]{1,64}$ [D][S-spec].
    custom_id_max_len=64,
    custom_id_pattern=re.compile(r"[a-zA-Z0-9_-]{1,64}"),
    long_custom_id_is_error=True,
    endpoints=frozenset({ANTHROPIC_ENDPOINT}),
    default_endpoint=ANTHROPIC_ENDPOINT,
    # anthropic SDK 2.14 MessageParam = User | Assistant | System message params [S].
    roles=frozenset({"user", "assistant", "system"}),
    # Historical Messages API range 0.0-1.0 (the 2.14 SDK no longer lists temperature) [U].
    temperature_max=1.0,
    # §2.3: max_tokens must be ≥ 1 in a batch (0 is not allowed) [D]; SDK: Required[int] [S].
    max_tokens_required=True,
    one_model_per_batch=False,
    one_endpoint_per_batch=False,
)

LIMITS: dict[str, ProviderLimits] = {"openai": OPENAI, "anthropic": ANTHROPIC}
PROVIDERS: tuple[str, ...] = tuple(LIMITS)


def limits_for(provider: str) -> ProviderLimits:
    """The current limits of ``provider`` (looked up at call time, so tests can patch LIMITS)."""
    try:
        return LIMITS[provider]
    except KeyError:
        raise ValueError(f"unknown provider {provider!r} (one of: {', '.join(LIMITS)})") from None
