"""Provider adapters: one module per batch API, all implementing core.provider.Provider."""

from __future__ import annotations

from typing import Any

from batchtui.core.provider import Provider

PROVIDER_KINDS = ("openai", "anthropic")


def make_provider(kind: str, **kwargs: Any) -> Provider:
    """Build the adapter for ``kind`` ("openai" or "anthropic").

    Keyword arguments go to the adapter's constructor; without ``api_key`` the key (and any
    base URL not given) comes from the environment as the official SDKs read it.
    """
    if kind == "openai":
        from batchtui.providers.openai import OpenAIProvider as cls
    elif kind == "anthropic":
        from batchtui.providers.anthropic import AnthropicProvider as cls
    else:
        raise ValueError(f"unknown provider {kind!r}; expected one of {', '.join(PROVIDER_KINDS)}")
    if kwargs.get("api_key"):
        return cls(**kwargs)
    kwargs.pop("api_key", None)
    return cls.from_env(**kwargs)


__all__ = ["PROVIDER_KINDS", "make_provider"]
