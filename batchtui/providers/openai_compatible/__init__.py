"""OpenAI-compatible batch servers (Groq, Together AI, Azure OpenAI, a LiteLLM proxy, any
other): one adapter, `CompatibleProvider`, driven by a `Preset` of data per server.

Each spec's ``adapter`` names a one-line subclass that only binds its preset and spec
(`adapter.py`); results and their classifier are OpenAI's, the wire being the same.
"""

from __future__ import annotations

from typing import Any

from batchtui.core.registry import ProviderSpec
from batchtui.providers.openai_compatible import preset as presets

_PACKAGE = "batchtui.providers.openai_compatible"
_OPENAI_CLASSIFIER = "batchtui.providers.openai.classify:classify_openai"
_OPENAI_INPUTS = "batchtui.providers.openai.inputs:NATIVE"
_OPENAI_USAGE = "batchtui.providers.openai.status:openai_usage"
_OPENAI_LIMIT_CODES = frozenset({"token_limit_exceeded", "insufficient_quota"})

GROQ = ProviderSpec(
    name="groq",
    title=presets.GROQ.title,
    adapter=f"{_PACKAGE}.adapter:GroqProvider",
    classifier=_OPENAI_CLASSIFIER,
    # groq SDK: GROQ_API_KEY, GROQ_BASE_URL (host only; batch paths add /openai/v1) [S].
    key_env="GROQ_API_KEY",
    base_url_env="GROQ_BASE_URL",
    capabilities=presets.GROQ.capabilities,
    id_prefix="batch_",
    inputs=_OPENAI_INPUTS,
    limits=f"{_PACKAGE}.limits:GROQ_LIMITS",
    limit_error_codes=_OPENAI_LIMIT_CODES,
    job_usage=_OPENAI_USAGE,
    key_prefixes=("gsk_",),
    order=4,
)

TOGETHER = ProviderSpec(
    name="together",
    title=presets.TOGETHER.title,
    adapter=f"{_PACKAGE}.adapter:TogetherProvider",
    classifier=_OPENAI_CLASSIFIER,
    # together SDK 3.x: TOGETHER_API_KEY, TOGETHER_BASE_URL [S].
    key_env="TOGETHER_API_KEY",
    base_url_env="TOGETHER_BASE_URL",
    capabilities=presets.TOGETHER.capabilities,
    # Together's lines are {custom_id, body} (§5 [D]), Mistral's shape: one shared format.
    inputs="batchtui.providers.mistral.inputs:NATIVE",
    limits=f"{_PACKAGE}.limits:TOGETHER_LIMITS",
    key_prefixes=("tgp_v1_",),
    order=5,
)

AZURE = ProviderSpec(
    name="azure",
    title=presets.AZURE.title,
    adapter=f"{_PACKAGE}.adapter:AzureProvider",
    classifier=_OPENAI_CLASSIFIER,
    # openai SDK's AzureOpenAI: AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT (the resource,
    # "/openai" is added), OPENAI_API_VERSION [S].
    key_env="AZURE_OPENAI_API_KEY",
    base_url_env="AZURE_OPENAI_ENDPOINT",
    env_options={"api_version": "OPENAI_API_VERSION"},
    default_profile=False,
    capabilities=presets.AZURE.capabilities,
    id_prefix="batch_",
    inputs=_OPENAI_INPUTS,
    limits=f"{_PACKAGE}.limits:AZURE_LIMITS",
    limit_error_codes=_OPENAI_LIMIT_CODES,
    job_usage=_OPENAI_USAGE,
    price_key="azure",
    order=6,
)

LITELLM = ProviderSpec(
    name="litellm",
    title=presets.LITELLM.title,
    adapter=f"{_PACKAGE}.adapter:LiteLLMProvider",
    classifier=_OPENAI_CLASSIFIER,
    # LiteLLM's docs for its proxy: LITELLM_PROXY_API_KEY, LITELLM_PROXY_API_BASE [D].
    key_env="LITELLM_PROXY_API_KEY",
    base_url_env="LITELLM_PROXY_API_BASE",
    profile_options=("target_model",),
    default_profile=False,
    capabilities=presets.LITELLM.capabilities,
    inputs=_OPENAI_INPUTS,
    limits=f"{_PACKAGE}.limits:LITELLM_LIMITS",
    limit_error_codes=_OPENAI_LIMIT_CODES,
    job_usage=_OPENAI_USAGE,
    key_prefixes=("sk-",),
    order=7,
)

GENERIC = ProviderSpec(
    name="openai-compatible",
    title=presets.GENERIC.title,
    adapter=f"{_PACKAGE}.adapter:GenericProvider",
    classifier=_OPENAI_CLASSIFIER,
    # No SDK of its own: batchtui's variables, so an OpenAI key is never sent to another
    # server by default [U].
    key_env="OPENAI_COMPATIBLE_API_KEY",
    base_url_env="OPENAI_COMPATIBLE_BASE_URL",
    profile_options=(*presets.GENERIC_OPTIONS, "api_version_param", "api_version", "target_model"),
    default_profile=False,
    capabilities=presets.GENERIC.capabilities,
    inputs=_OPENAI_INPUTS,
    limits=f"{_PACKAGE}.limits:GENERIC_LIMITS",
    limit_error_codes=_OPENAI_LIMIT_CODES,
    job_usage=_OPENAI_USAGE,
    order=8,
)

SPECS: tuple[ProviderSpec, ...] = (GROQ, TOGETHER, AZURE, LITELLM, GENERIC)
"""The five specs, as the entry points name them (pyproject.toml)."""

_ADAPTERS = (
    "CompatibleProvider",
    "GroqProvider",
    "TogetherProvider",
    "AzureProvider",
    "LiteLLMProvider",
    "GenericProvider",
)


def __getattr__(name: str) -> Any:
    """The adapter classes are imported on first use (listing providers imports none)."""
    if name in _ADAPTERS:
        from batchtui.providers.openai_compatible import adapter

        return getattr(adapter, name)
    raise AttributeError(name)


__all__ = ["AZURE", "GENERIC", "GROQ", "LITELLM", "SPECS", "TOGETHER", *_ADAPTERS]
