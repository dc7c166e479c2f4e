"""OpenAI Batch API: Files + Batches (the adapter, its input format and limits, its result
lines and its status map)."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import Capability
from batchtui.core.registry import ProviderSpec

SPEC = ProviderSpec(
    name="openai",
    title="OpenAI",
    classifier="batchtui.providers.openai.classify:classify_openai",
    inputs="batchtui.providers.openai.inputs:NATIVE",
    limits="batchtui.providers.openai.limits:LIMITS",
    adapter="batchtui.providers.openai.adapter:OpenAIProvider",
    key_env="OPENAI_API_KEY",
    base_url_env="OPENAI_BASE_URL",
    env_options={"organization": "OPENAI_ORG_ID", "project": "OPENAI_PROJECT_ID"},
    capabilities=Capability.CANCEL
    | Capability.DELETE_FILES
    | Capability.LIVE_COUNTS
    | Capability.FILE_UPLOAD
    | Capability.METADATA,
    id_prefix="batch_",
    limit_error_codes=frozenset(
        {
            "token_limit_exceeded",  # the org's enqueued-token limit for the model is full
            "insufficient_quota",  # 429, out of credit
        }
    ),
    job_usage="batchtui.providers.openai.status:openai_usage",
    key_prefixes=("sk-", "sk-proj-", "sk-svcacct-", "sk-admin-"),
    result_marker="response",
    # Standard Webhooks signing; the SDK reads the secret from OPENAI_WEBHOOK_SECRET [S].
    webhook_event="batchtui.providers.openai.webhooks:openai_batch_id",
    webhook_secret_env="OPENAI_WEBHOOK_SECRET",
    order=0,
)


def __getattr__(name: str) -> Any:
    """`OpenAIProvider` is imported on first use (listing providers imports no adapter)."""
    if name == "OpenAIProvider":
        from batchtui.providers.openai.adapter import OpenAIProvider

        return OpenAIProvider
    raise AttributeError(name)


__all__ = ["SPEC", "OpenAIProvider"]
