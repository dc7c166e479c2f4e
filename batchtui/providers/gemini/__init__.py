"""Google Gemini Batch Mode, Developer API (the adapter, its input format and limits, its
result lines and its status map)."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import Capability
from batchtui.core.registry import ProviderSpec

SPEC = ProviderSpec(
    name="gemini",
    title="Gemini",
    classifier="batchtui.providers.gemini.classify:classify_gemini",
    inputs="batchtui.providers.gemini.inputs:NATIVE",
    limits="batchtui.providers.gemini.limits:LIMITS",
    adapter="batchtui.providers.gemini.adapter:GeminiProvider",
    # google-genai reads GOOGLE_API_KEY, then GEMINI_API_KEY (_api_client.get_env_api_key);
    # the adapter's from_env falls back to GOOGLE_API_KEY. Its base-URL override is
    # GOOGLE_GEMINI_BASE_URL (_base_url.get_base_url) [S].
    key_env="GEMINI_API_KEY",
    base_url_env="GOOGLE_GEMINI_BASE_URL",
    capabilities=Capability.CANCEL  # POST /v1beta/batches/{id}:cancel [S]
    | Capability.DELETE_JOB  # DELETE /v1beta/batches/{id} [S]
    | Capability.DELETE_FILES  # DELETE /v1beta/files/{id} (Files API)
    | Capability.FILE_UPLOAD,  # JSONL through the resumable Files upload [S][D]
    # No LIVE_COUNTS: whether batchStats move while a batch runs is not documented [U].
    # No METADATA: a batch has a display name, not free-form labels.
    id_prefix="batches/",
    # RESOURCE_EXHAUSTED is Google's status for a full quota (and for rate limits).
    limit_error_codes=frozenset({"RESOURCE_EXHAUSTED"}),
    job_usage=None,  # batches report counts, no token usage
    key_prefixes=("AIza",),
    price_key="google",  # genai-prices prices gemini-* models under "google"
    # Responses-file lines are {"key", "response" | "error"}: no other provider's line has "key".
    result_marker="key",
    # Standard Webhooks signing [S]; the SDK names no variable for the secret, so a profile
    # sets webhook_secret_env (docs/webhooks.md).
    webhook_event="batchtui.providers.gemini.webhooks:gemini_batch_id",
    order=2,
)


def __getattr__(name: str) -> Any:
    """`GeminiProvider` is imported on first use (listing providers imports no adapter)."""
    if name == "GeminiProvider":
        from batchtui.providers.gemini.adapter import GeminiProvider

        return GeminiProvider
    raise AttributeError(name)


__all__ = ["SPEC", "GeminiProvider"]
