"""Anthropic Message Batches (the adapter, its input format and limits, its result lines and
its status map)."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import Capability
from batchtui.core.registry import ProviderSpec

SPEC = ProviderSpec(
    name="anthropic",
    title="Anthropic",
    classifier="batchtui.providers.anthropic.classify:classify_anthropic",
    inputs="batchtui.providers.anthropic.inputs:NATIVE",
    limits="batchtui.providers.anthropic.limits:LIMITS",
    adapter="batchtui.providers.anthropic.adapter:AnthropicProvider",
    key_env="ANTHROPIC_API_KEY",
    base_url_env="ANTHROPIC_BASE_URL",
    capabilities=Capability.CANCEL | Capability.DELETE_JOB,
    id_prefix="msgbatch_",
    limit_error_codes=frozenset(
        {
            "enforced_spend_limit_reached",  # the workspace's spend limit
            "billing_error",  # 402: a billing problem on the account
        }
    ),
    key_prefixes=("sk-ant-", r"sk-ant-api\d+-", r"sk-ant-admin\d+-"),
    result_marker="result",
    order=1,
)


def __getattr__(name: str) -> Any:
    """The adapter is imported on first use (listing providers imports no adapter)."""
    if name in ("AnthropicProvider", "requests_body"):
        from batchtui.providers.anthropic import adapter

        return getattr(adapter, name)
    raise AttributeError(name)


__all__ = ["SPEC", "AnthropicProvider", "requests_body"]
