"""Providers are found through the ``batchtui.providers`` entry points: the bundled ones, one
installed from a distribution of its own, and one registered in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from spec_helpers import spec_for_tests

from batchtui.core.config import (
    ConfigError,
    Profile,
    default_profiles,
    dumps_config,
    load_config,
    provider_kwargs,
    redact,
)
from batchtui.core.costs import job_usage, unit_prices
from batchtui.core.models import Usage
from batchtui.core.registry import (
    ENTRY_POINT_GROUP,
    ProviderSpec,
    find_spec,
    limit_error_codes,
    provider_names,
    provider_spec,
    provider_specs,
    registered,
)
from batchtui.providers import make_provider

ROOT = Path(__file__).resolve().parents[2]

FAKE_MODULE = """
from batchtui.core.registry import ProviderSpec

class FakeAdapter:
    name = "fakebatch"

    def __init__(self, api_key=None, base_url=None, **options):
        self.api_key, self.base_url, self.options = api_key, base_url, options

    @classmethod
    def from_env(cls, **kwargs):
        return cls(None, **kwargs)

SPEC = ProviderSpec(
    name="fakebatch",
    title="Fake Batch",
    adapter="fakebatch_provider:FakeAdapter",
    classifier="batchtui.providers.openai.classify:classify_openai",
    key_env="FAKEBATCH_API_KEY",
    base_url_env="FAKEBATCH_BASE_URL",
)
"""


def test_the_bundled_providers_come_from_entry_points() -> None:
    names = {point.name for point in entry_points(group=ENTRY_POINT_GROUP)}
    assert {"openai", "anthropic"} <= names
    assert provider_names()[:2] == ("openai", "anthropic")
    assert provider_spec("openai").key_env == "OPENAI_API_KEY"
    with pytest.raises(KeyError, match="expected one of openai, anthropic"):
        provider_spec("nosuch")


def entry_point_names() -> list[str]:
    """The providers of this installation's entry points, in listing order."""
    names = {point.name for point in entry_points(group=ENTRY_POINT_GROUP)}
    return [name for name in provider_names() if name in names]


def distribution(folder: Path) -> Path:
    """A tiny installed distribution publishing one provider under the entry-point group."""
    folder.mkdir()
    (folder / "fakebatch_provider.py").write_text(FAKE_MODULE)
    info = folder / "fakebatch_provider-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fakebatch-provider\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nfakebatch = fakebatch_provider:SPEC\n"
    )
    return folder


def test_a_provider_from_another_distribution_shows_in_config(tmp_path: Path) -> None:
    site = distribution(tmp_path / "site")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
        "BATCHTUI_HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "FAKEBATCH_API_KEY": "fb-secret-key-123",
    }
    run = subprocess.run(
        [sys.executable, "-m", "batchtui", "config", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert [p["name"] for p in data["providers"]][:2] == ["openai", "anthropic"]
    assert "fakebatch" in [p["name"] for p in data["providers"]]
    assert data["profiles"]["fakebatch"]["provider"] == "fakebatch"
    assert data["profiles"]["fakebatch"]["api_key_env"] == "FAKEBATCH_API_KEY"
    assert "fb-secret-key-123" not in run.stdout


@pytest.fixture
def fake_registered() -> Iterator[ProviderSpec]:
    spec = spec_for_tests(
        "fakebatch", title="Fake Batch", base_url_env="FAKEBATCH_BASE_URL", order=50
    )
    with registered(spec):
        yield spec


def test_a_registered_provider_gets_a_default_profile_and_an_adapter(
    fake_registered: ProviderSpec, tmp_path: Path
) -> None:
    bundled = tuple(entry_point_names())
    assert provider_names() == (*bundled, "fakebatch")  # listed after every bundled one
    assert default_profiles()["fakebatch"].key_env == "FAKEBATCH_API_KEY"
    adapter = make_provider("fakebatch", api_key="k", base_url="http://127.0.0.1:9/v1")
    assert type(adapter).__name__ == "OpenAIProvider"
    path = tmp_path / "config.toml"
    path.write_text("[profiles.team]\nprovider = 'fakebatch'\n")
    assert load_config(path, env={}).profile("team").provider == "fakebatch"


def test_an_unknown_provider_names_the_registered_ones(fake_registered: ProviderSpec) -> None:
    known = ", ".join([*entry_point_names(), "fakebatch"])
    with pytest.raises(ConfigError, match=f"expected one of {known}$"):
        Profile(name="x", provider="nosuch")
    with pytest.raises(ValueError, match="unknown provider 'nosuch'"):
        make_provider("nosuch")


def test_find_spec_follows_the_registry_without_handing_out_its_listing() -> None:
    assert find_spec("openai") is provider_specs()["openai"]
    assert find_spec("nosuch") is None
    spec = spec_for_tests("findme")
    with registered(spec):
        assert find_spec("findme") is spec
        assert limit_error_codes("findme") == spec.limit_error_codes
        provider_specs().pop("findme")  # a caller's copy: the registry keeps its own
        assert find_spec("findme") is spec
    assert find_spec("findme") is None


def test_provider_only_options_are_refused_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[profiles.p]\nprovider = 'anthropic'\nproject = 'x'\n")
    with pytest.raises(ConfigError, match="'project' applies to openai profiles only"):
        load_config(path, env={})


def test_a_registered_providers_keys_are_redacted_and_the_longest_prefix_is_kept() -> None:
    key = "ex-key-7-Zq0c9VfLr2x"
    assert redact(f"sent {key}") == f"sent {key}"
    with registered(spec_for_tests("keyed", key_prefixes=("ex-key-", r"ex-key-\d+-", "(broken"))):
        assert redact(f"sent {key}") == "sent ex-key-7-***"
        assert redact("sk-ant-api03-Zq0c9VfLr2x sk-proj-Zq0c9VfLr2x") == (
            "sk-ant-api03-*** sk-proj-***"
        )
    assert redact(f"sent {key}") == f"sent {key}"


def test_prices_are_looked_up_under_the_specs_price_key() -> None:
    assert unit_prices("openai", "gpt-4o-mini") is not None
    with registered(spec_for_tests("unpriced"), spec_for_tests("priced", price_key="openai")):
        assert unit_prices("unpriced", "gpt-4o-mini") is None
        assert unit_prices("priced", "gpt-4o-mini") == unit_prices("openai", "gpt-4o-mini")


def test_limit_codes_and_job_usage_come_from_the_provider() -> None:
    assert "token_limit_exceeded" in limit_error_codes("openai")
    assert "enforced_spend_limit_reached" in limit_error_codes("anthropic")
    assert "token_limit_exceeded" not in limit_error_codes("anthropic")
    assert limit_error_codes("nosuch") == frozenset()
    raw = {
        "usage": {
            "input_tokens": 120,
            "output_tokens": 30,
            "input_tokens_details": {"cached_tokens": 100},
        }
    }
    assert job_usage("openai", raw) == Usage(
        input_tokens=120, output_tokens=30, cached_input_tokens=100
    )
    assert job_usage("openai", {}) is None
    assert job_usage("anthropic", raw) is None  # its batches report no usage
    queued = spec_for_tests(
        "queued",
        limit_error_codes=frozenset({"queue_full"}),
        job_usage="batchtui.providers.openai.status:openai_usage",
    )
    with registered(queued):
        assert limit_error_codes("queued") == {"queue_full"}
        assert job_usage("queued", raw) == job_usage("openai", raw)


def test_a_providers_own_profile_options_are_read_passed_on_and_refused_elsewhere(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    with registered(spec_for_tests("prefixed", profile_options=("ex_route", "ex_purpose"))):
        path.write_text("[profiles.p]\nprovider = 'prefixed'\nex_route = '/v2'\n")
        profile = load_config(path, env={}).profile("p")
        assert profile.options == {"ex_route": "/v2"}
        kwargs = provider_kwargs(profile, {"PREFIXED_API_KEY": "k"})
        assert kwargs["ex_route"] == "/v2" and "ex_purpose" not in kwargs
        assert 'ex_route = "/v2"' in dumps_config(load_config(path, env={}))
        path.write_text("[profiles.p]\nprovider = 'openai'\nex_route = '/v2'\n")
        with pytest.raises(ConfigError, match="'ex_route' applies to prefixed profiles only"):
            load_config(path, env={})
        path.write_text("[profiles.p]\nprovider = 'prefixed'\nex_route = 3\n")
        with pytest.raises(ConfigError, match=r"profiles\.p\.ex_route: expected a string"):
            load_config(path, env={})
        with pytest.raises(ConfigError, match="unknown profile field 'nope'"):
            Profile(name="p", provider="prefixed", options={"nope": "x"})
    path.write_text("[profiles.p]\nprovider = 'openai'\nex_route = '/v2'\n")
    with pytest.raises(ConfigError, match="unknown key 'ex_route'"):
        load_config(path, env={})


def test_the_cli_help_names_what_the_registry_holds() -> None:
    from batchtui.cli.parser import build_parser

    def shown() -> str:  # the help text as one line (argparse wraps it)
        return " ".join(build_parser().format_help().split())

    titles = [spec.title for spec in provider_specs().values()]
    assert titles[:2] == ["OpenAI", "Anthropic"]
    assert f"({', '.join(titles)})" in shown()
    with registered(spec_for_tests("fakebatch", title="Fake Batch", order=50)):
        assert f"({', '.join([*titles, 'Fake Batch'])})" in shown()
