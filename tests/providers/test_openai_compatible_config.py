"""OpenAI-compatible profiles from a config file: the generic preset's options, the env
variables each preset reads, and the clear error of a profile without a required base URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchtui.core.config import ConfigError, default_profiles, load_config, provider_kwargs
from batchtui.core.inputs.limits import limits_for
from batchtui.core.inputs.native import native_format
from batchtui.core.provider import Provider
from batchtui.core.registry import provider_spec
from batchtui.providers import make_provider
from batchtui.providers.openai_compatible import SPECS
from batchtui.providers.openai_compatible.adapter import (
    AzureProvider,
    CompatibleProvider,
    GenericProvider,
    GroqProvider,
    TogetherProvider,
)


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


async def test_generic_profile_options_reach_the_adapter(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        """
default_profile = "local"

[profiles.local]
provider = "openai-compatible"
base_url = "http://127.0.0.1:8000"
api_key_env = "LOCAL_KEY"
path_prefix = "/api/v2"
auth_header = "X-Key"
auth_scheme = "none"
upload_purpose = "batch-input"
lines_carry_method_url = "false"
completion_window = "48h"
uppercase_status = "true"
create_wrapper = "job"
progress_percent = "yes"
list_paging = "no"
""",
    )
    cfg = load_config(path, env={})
    profile = cfg.profiles["local"]
    assert profile.options["path_prefix"] == "/api/v2"
    kwargs = provider_kwargs(profile, env={"LOCAL_KEY": "k-local"})
    adapter = make_provider(profile.provider, **kwargs)
    assert isinstance(adapter, GenericProvider)
    assert isinstance(adapter, Provider)
    try:
        preset = adapter.active_preset
        assert adapter.base_url == "http://127.0.0.1:8000/api/v2"
        assert adapter._headers == {"X-Key": "k-local"}
        assert preset.upload_purpose == "batch-input"
        assert preset.lines_carry_method_url is False
        assert preset.completion_window == "48h"
        assert preset.uppercase_status is True
        assert preset.create_wrapper == "job"
        assert preset.progress_percent is True
        assert preset.list_paging is False
        assert adapter.profile == "local"
    finally:
        await adapter.aclose()


def test_generic_options_are_refused_on_other_providers(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        """
[profiles.g]
provider = "groq"
upload_purpose = "batch-api"
""",
    )
    with pytest.raises(ConfigError, match="upload_purpose"):
        load_config(path, env={})


@pytest.mark.parametrize(
    ("provider", "variable"),
    [
        ("azure", "AZURE_OPENAI_ENDPOINT"),
        ("litellm", "LITELLM_PROXY_API_BASE"),
        ("openai-compatible", "OPENAI_COMPATIBLE_BASE_URL"),
    ],
)
def test_missing_base_url_names_the_profile_and_the_key(
    tmp_path: Path, provider: str, variable: str
) -> None:
    path = config(tmp_path, f'[profiles.mine]\nprovider = "{provider}"\napi_key_env = "K"\n')
    profile = load_config(path, env={}).profiles["mine"]
    kwargs = provider_kwargs(profile, env={"K": "secret-key"})
    with pytest.raises(ConfigError) as info:
        make_provider(profile.provider, **kwargs)
    text = str(info.value)
    assert "profiles.mine.base_url" in text
    assert variable in text
    assert "secret-key" not in text


async def test_azure_reads_endpoint_and_api_version_from_the_sdk_variables() -> None:
    env = {
        "AZURE_OPENAI_API_KEY": "az",
        "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com",
        "OPENAI_API_VERSION": "2025-03-01-preview",
    }
    profile = load_config(None, env={}).profiles.get("azure")
    assert profile is None  # default_profile=False: azure needs the user's endpoint
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        adapter = make_provider("azure")
    assert isinstance(adapter, AzureProvider)
    try:
        assert adapter.base_url == "https://res.openai.azure.com/openai"
        assert adapter._url("/batches").endswith("/openai/batches?api-version=2025-03-01-preview")
    finally:
        await adapter.aclose()


def test_default_profiles_exist_only_for_presets_with_a_default_address() -> None:
    profiles = default_profiles()
    assert "groq" in profiles and "together" in profiles
    for name in ("azure", "litellm", "openai-compatible"):
        assert name not in profiles


def test_specs_are_registered_under_their_names_in_order() -> None:
    assert [spec.name for spec in SPECS] == [
        "groq",
        "together",
        "azure",
        "litellm",
        "openai-compatible",
    ]
    assert [spec.order for spec in SPECS] == [4, 5, 6, 7, 8]
    for spec in SPECS:
        assert provider_spec(spec.name) is spec
        cls = spec.adapter_class()
        assert isinstance(cls, type) and issubclass(cls, CompatibleProvider)
        assert cls.spec is spec and cls.name == spec.name == cls.preset.name
        assert cls.capabilities == spec.capabilities


def test_limits_and_input_formats_of_each_preset() -> None:
    assert limits_for("groq").max_bytes == 100_000_000
    assert limits_for("groq").endpoints == frozenset({"/v1/chat/completions"})
    together = limits_for("together")
    assert (together.max_requests, together.max_bytes) == (50_000, 100_000_000)
    assert together.custom_id_max_len == 64 and together.long_custom_id_is_error
    assert native_format("groq") is native_format("openai")
    assert native_format("together") is native_format("mistral")
    line = native_format("together").to_native(
        native_format("openai").from_native(
            {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"x": 1}}
        )
    )
    assert line == {"custom_id": "a", "body": {"x": 1}}


async def test_groq_and_together_read_their_sdk_variables() -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GROQ_API_KEY", "gsk_abc")
        mp.setenv("GROQ_BASE_URL", "http://groq.local")
        mp.setenv("TOGETHER_API_KEY", "tgp_v1_abc")
        mp.delenv("TOGETHER_BASE_URL", raising=False)
        groq = make_provider("groq")
        together = make_provider("together")
    assert isinstance(groq, GroqProvider) and isinstance(together, TogetherProvider)
    try:
        assert groq.base_url == "http://groq.local/openai/v1"
        assert groq._headers["Authorization"] == "Bearer gsk_abc"
        assert together.base_url == "https://api.together.xyz/v1"
    finally:
        await groq.aclose()
        await together.aclose()
