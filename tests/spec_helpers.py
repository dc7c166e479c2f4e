"""Provider specs for tests: the fields every test spec shares, given once."""

from __future__ import annotations

from typing import Any

from batchtui.core.registry import ProviderSpec


def spec_for_tests(name: str, **fields: Any) -> ProviderSpec:
    """A spec named ``name`` that borrows the OpenAI adapter and classifier, its key in
    ``<NAME>_API_KEY``, titled after its name; ``fields`` set or override any other field."""
    defaults: dict[str, Any] = {
        "title": name.title(),
        "adapter": "batchtui.providers.openai.adapter:OpenAIProvider",
        "classifier": "batchtui.providers.openai.classify:classify_openai",
        "key_env": f"{name.upper()}_API_KEY",
    }
    return ProviderSpec(name=name, **{**defaults, **fields})
