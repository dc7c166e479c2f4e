"""Provider packages (one per batch API, each publishing a `ProviderSpec` through the
``batchtui.providers`` entry points) and the HTTP plumbing they share."""

from __future__ import annotations

from typing import Any

from batchtui.core.provider import Provider
from batchtui.core.registry import provider_spec


def make_provider(kind: str, **kwargs: Any) -> Provider:
    """Build the adapter of the registered provider ``kind``.

    Keyword arguments go to the adapter's constructor; without ``api_key`` the key (and any
    base URL not given) comes from the environment as the official SDKs read it.
    """
    try:
        spec = provider_spec(kind)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    cls: Any = spec.adapter_class()
    if kwargs.get("api_key"):
        adapter: Provider = cls(**kwargs)
        return adapter
    kwargs.pop("api_key", None)
    adapter = cls.from_env(**kwargs)
    return adapter


__all__ = ["make_provider"]
