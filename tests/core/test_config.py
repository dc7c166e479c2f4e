"""Config and profiles: locations, parsing, every kind of bad file, key resolution, redaction."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from batchtui.core.config import (
    ConfigError,
    Profile,
    UiSettings,
    default_profiles,
    dumps_config,
    load_config,
    provider_kwargs,
    redact,
    resolve_api_key,
    resolve_base_url,
    write_default_config,
)
from batchtui.core.paths import config_path, data_dir, db_path
from batchtui.core.provider import BatchtuiError
from batchtui.core.registry import provider_specs

FAKE_OPENAI = "sk-proj-FAKEFAKEFAKE0123456789abcdef"
FAKE_ANTHROPIC = "sk-ant-api03-FAKEFAKEFAKE0123456789"


WITHOUT_CONFIG = {name for name, spec in provider_specs().items() if spec.default_profile}
"""The providers that get a profile with no config: every one that needs no URL of the user's."""
assert {"openai", "anthropic"} <= WITHOUT_CONFIG
assert not WITHOUT_CONFIG & {"azure", "litellm", "openai-compatible"}  # they need a base URL


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- locations -----------------------------------------------------------------------------


def test_locations_follow_batchtui_home(tmp_path: Path) -> None:
    env = {"BATCHTUI_HOME": str(tmp_path / "bt"), "XDG_CONFIG_HOME": "/x", "HOME": "/h"}
    assert config_path(env) == tmp_path / "bt" / "config.toml"
    assert data_dir(env) == tmp_path / "bt"
    assert db_path(env) == tmp_path / "bt" / "batchtui.db"


def test_locations_follow_xdg_then_home() -> None:
    env = {"XDG_CONFIG_HOME": "/cfg", "XDG_DATA_HOME": "/data", "HOME": "/h"}
    assert config_path(env) == Path("/cfg/batchtui/config.toml")
    assert data_dir(env) == Path("/data/batchtui")
    env = {"HOME": "/h", "BATCHTUI_HOME": ""}
    assert config_path(env) == Path("/h/.config/batchtui/config.toml")
    assert data_dir(env) == Path("/h/.local/share/batchtui")


# --- no config -----------------------------------------------------------------------------


def test_no_config_gives_both_providers_from_environment(tmp_path: Path) -> None:
    env = {"BATCHTUI_HOME": str(tmp_path), "OPENAI_API_KEY": FAKE_OPENAI}
    config = load_config(env=env)
    assert config.path is None
    assert set(config.profiles) == WITHOUT_CONFIG
    assert config.default_profile == "openai"
    openai = config.profile()
    assert (openai.provider, openai.api_key_env) == ("openai", "OPENAI_API_KEY")
    assert config.profiles["anthropic"].api_key_env == "ANTHROPIC_API_KEY"
    assert resolve_api_key(openai, env) == FAKE_OPENAI
    assert resolve_api_key(config.profiles["anthropic"], env) is None
    assert openai.retry_budget_s == 60.0
    assert openai.max_cost_usd is None and openai.stale_after_s is None


def test_no_config_defaults_to_anthropic_when_only_its_key_is_set(tmp_path: Path) -> None:
    env = {"BATCHTUI_HOME": str(tmp_path), "ANTHROPIC_API_KEY": FAKE_ANTHROPIC}
    assert load_config(env=env).default_profile == "anthropic"


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found") as info:
        load_config(tmp_path / "nope.toml", env={})
    assert "nope.toml" in str(info.value)


def test_config_without_profiles_keeps_the_default_profiles(tmp_path: Path) -> None:
    path = write(tmp_path, '[ui]\ntheme = "nord"\n')
    config = load_config(path, env={})
    assert set(config.profiles) == WITHOUT_CONFIG
    assert config.ui.theme == "nord"


# --- good config ---------------------------------------------------------------------------

GOOD = """
default_profile = "work"

[ui]
theme = "gruvbox"

[keymap]
quit = "q"
retry = "ctrl+r"

[profiles.work]
provider = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "WORK_OPENAI_KEY"
organization = "org-1"
project = "proj_1"
default_model = "gpt-4o-mini"
default_max_tokens = 512
poll_min_s = 1
poll_max_s = 30.5
max_concurrency = 2
list_interval_s = 60
retry_budget_s = 0.5
settle_pause_s = 0.25
max_cost_usd = 12.5
max_cost_usd_per_day = 100
max_in_flight = 3
max_enqueued_tokens = 2000000
stale_after_s = 3600

[profiles.anthropic]
default_model = "claude-sonnet-4-5"
"""


def test_good_config_parses_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    config = load_config(path, env={})
    assert config.path == path
    assert list(config.profiles) == ["work", "anthropic"]
    assert config.default_profile == "work"
    assert config.ui.theme == "gruvbox"
    assert config.keymap == {"quit": "q", "retry": "ctrl+r"}
    work = config.profile()
    assert work == Profile(
        name="work",
        provider="openai",
        base_url="http://127.0.0.1:9/v1",
        api_key_env="WORK_OPENAI_KEY",
        options={"organization": "org-1", "project": "proj_1"},
        default_model="gpt-4o-mini",
        default_max_tokens=512,
        poll_min_s=1.0,
        poll_max_s=30.5,
        max_concurrency=2,
        list_interval_s=60.0,
        retry_budget_s=0.5,
        settle_pause_s=0.25,
        max_cost_usd=12.5,
        max_cost_usd_per_day=100.0,
        max_in_flight=3,
        max_enqueued_tokens=2000000,
        stale_after_s=3600.0,
    )
    assert isinstance(work.poll_min_s, float)
    anthropic = config.profile("anthropic")
    assert anthropic.provider == "anthropic"  # inferred from the profile's name
    assert anthropic.api_key_env == "ANTHROPIC_API_KEY"


def test_dumped_config_reads_back_equal(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), env={})
    again = load_config(write(tmp_path, dumps_config(config)), env={})
    assert again.profiles == config.profiles
    assert (again.default_profile, again.ui, again.keymap) == (
        config.default_profile,
        config.ui,
        config.keymap,
    )


def test_unknown_profile_name_lists_known_ones(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), env={})
    with pytest.raises(ConfigError, match=r"no profile named 'x' \(known: anthropic, work\)"):
        config.profile("x")


# --- bad config ----------------------------------------------------------------------------

BAD = [
    ("profiles = [", None, "not valid TOML"),
    ("colour = 1", "colour", "unknown key 'colour'"),
    ("[profiles.p]\nprovider='openai'\npoll_every=3", "profiles.p.poll_every", "unknown key"),
    ("[profiles.p]\nprovider='openai'\npoll_min_s='fast'", "profiles.p.poll_min_s", "a string"),
    ("[profiles.p]\nprovider='openai'\nmax_concurrency=2.5", "max_concurrency", "an integer"),
    ("[profiles.p]\nprovider='openai'\nmax_concurrency=true", "max_concurrency", "a boolean"),
    ("[profiles.p]\nprovider='openai'\ndefault_model=3", "default_model", "got an integer"),
    ("[profiles.p]\nprovider='openai'\nbase_url=['a']", "base_url", "got an array"),
    ("[profiles.p]\nprovider='openai'\nmax_in_flight=0", "max_in_flight", "at least 1"),
    ("[profiles.p]\nprovider='openai'\nmax_cost_usd=0", "max_cost_usd", "positive"),
    ("[profiles.p]\nprovider='openai'\nmax_cost_usd_per_day=-1", "per_day", "positive"),
    ("[profiles.p]\nprovider='openai'\nretry_budget_s=-1", "retry_budget_s", "positive"),
    ("[profiles.p]\nprovider='openai'\nretry_budget_s=0", "retry_budget_s", "positive"),
    ("[profiles.p]\nprovider='openai'\nsettle_pause_s=0", "settle_pause_s", "positive"),
    ("[profiles.p]\nprovider='openai'\nsettle_pause_s='3'", "settle_pause_s", "number"),
    ("[profiles.p]\nprovider='openai'\nstale_after_s=0", "stale_after_s", "positive"),
    ("[profiles.p]\nprovider='openai'\npoll_min_s=10\npoll_max_s=5", "poll_max_s", "below"),
    ("[profiles.p]\nprovider='openai'\ndefault_model=''", "default_model", "empty"),
    ("[profiles.p]\nprovider='nosuchai'", "profiles.p.provider", "unknown provider 'nosuchai'"),
    ("[profiles.p]\ndefault_model='m'", "profiles.p.provider", "missing key 'provider'"),
    ("[profiles.p]\nprovider='anthropic'\norganization='o'", "organization", "openai profiles"),
    ("[profiles]\np = 3", "profiles.p", "expected a table"),
    ("profiles = 3", "profiles", "expected a table"),
    ("[profiles]", "profiles", "no profiles defined"),
    ("[profiles.'bad name!']\nprovider='openai'", "bad name!", "profile names use"),
    ("default_profile='ghost'\n[profiles.p]\nprovider='openai'", "default_profile", "names no"),
    ("default_profile=1", "default_profile", "expected a string"),
    ("ui = 'dark'", "ui", "expected a table"),
    ("[ui]\ncolours='x'", "ui.colours", "unknown key"),
    ("[ui]\ntheme=2", "ui.theme", "expected a string"),
    ("keymap = 1", "keymap", "expected a table"),
    ("[keymap]\nquit=1", "keymap.quit", "expected a string"),
    ("[profiles.p]\nprovider='openai'\non_end='notify-send done'", "profiles.p.on_end", "array"),
    ("[profiles.p]\nprovider='openai'\non_end=[]", "profiles.p.on_end", "must not be empty"),
    ("[profiles.p]\nprovider='openai'\non_end=['x', 2]", "profiles.p.on_end[1]", "string"),
    ("[profiles.p]\nprovider='openai'\non_end=['']", "profiles.p.on_end[0]", "empty"),
    ("[profiles.p]\nprovider='openai'\nnotify_urls='ntfy://t'", "notify_urls", "array"),
    ("[profiles.p]\nprovider='openai'\nnotify_urls=[1]", "notify_urls[0]", "string"),
    ("[ui]\nbell='yes'", "ui.bell", "expected a boolean"),
    ("[ui]\ndesktop_notify='growl'", "ui.desktop_notify", "osc9, osc777, off"),
    ("[ui]\ndesktop_notify=9", "ui.desktop_notify", "expected a string"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD)
def test_bad_config_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str | None, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    error = info.value
    assert isinstance(error, BatchtuiError)
    assert error.path == path
    message = str(error)
    assert message.startswith(str(path))
    assert problem in message
    if key is not None:
        assert key in (error.key or "")
        assert key in message
    assert "\n" not in message


def test_a_key_in_the_config_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, f"[profiles.p]\nprovider='openai'\napi_key='{FAKE_OPENAI}'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert "profiles.p.api_key" in message and "api_key_env" in message
    assert FAKE_OPENAI not in message


def test_a_key_in_api_key_env_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, f"[profiles.p]\nprovider='openai'\napi_key_env='{FAKE_OPENAI}'\n")
    with pytest.raises(ConfigError, match="must name an environment variable") as info:
        load_config(path, env={})
    assert FAKE_OPENAI not in str(info.value)


def test_profile_rejects_unknown_provider_when_built_in_code() -> None:
    with pytest.raises(ConfigError, match="unknown provider"):
        Profile(name="x", provider="nosuchai")


# --- keys, key files, base urls ------------------------------------------------------------


def test_api_key_from_a_custom_variable() -> None:
    profile = Profile(name="w", provider="openai", api_key_env="WORK_KEY")
    assert resolve_api_key(profile, {"WORK_KEY": f" {FAKE_OPENAI}\n"}) == FAKE_OPENAI
    assert resolve_api_key(profile, {"OPENAI_API_KEY": FAKE_OPENAI}) is None
    assert resolve_api_key(profile, {"WORK_KEY": ""}) is None


def test_api_key_file_with_mode_0600_is_read(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(FAKE_ANTHROPIC + "\n")
    key_file.chmod(0o600)
    profile = Profile(name="a", provider="anthropic", api_key_file=str(key_file))
    # The file wins over the environment.
    assert resolve_api_key(profile, {"ANTHROPIC_API_KEY": "sk-ant-other"}) == FAKE_ANTHROPIC


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o601])
def test_api_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(FAKE_ANTHROPIC)
    key_file.chmod(mode)
    profile = Profile(name="a", provider="anthropic", api_key_file=str(key_file))
    with pytest.raises(ConfigError) as info:
        resolve_api_key(profile, {})
    message = str(info.value)
    assert str(key_file) in message
    assert f"{mode:04o}" in message and "0600" in message
    assert FAKE_ANTHROPIC not in message


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_api_key_file_with_mode_0400_is_accepted(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(FAKE_ANTHROPIC)
    key_file.chmod(0o400)
    profile = Profile(name="a", provider="anthropic", api_key_file=str(key_file))
    assert resolve_api_key(profile, {}) == FAKE_ANTHROPIC


def test_api_key_file_missing_or_a_directory(tmp_path: Path) -> None:
    profile = Profile(name="a", provider="anthropic", api_key_file=str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="key file not found"):
        resolve_api_key(profile, {})
    (tmp_path / "dir").mkdir(mode=0o700)
    profile = Profile(name="a", provider="anthropic", api_key_file=str(tmp_path / "dir"))
    with pytest.raises(ConfigError, match="not a regular file"):
        resolve_api_key(profile, {})


def test_base_url_profile_then_environment_then_default() -> None:
    env = {"OPENAI_BASE_URL": "http://env/v1", "ANTHROPIC_BASE_URL": "http://env-a"}
    explicit = Profile(name="o", provider="openai", base_url="http://mine/v1")
    assert resolve_base_url(explicit, env) == "http://mine/v1"
    profiles = default_profiles()
    assert resolve_base_url(profiles["openai"], env) == "http://env/v1"
    assert resolve_base_url(profiles["anthropic"], env) == "http://env-a"
    assert resolve_base_url(profiles["openai"], {}) is None


def test_provider_kwargs_per_provider() -> None:
    env = {
        "OPENAI_API_KEY": FAKE_OPENAI,
        "OPENAI_ORG_ID": "org-env",
        "OPENAI_PROJECT_ID": "proj-env",
        "ANTHROPIC_API_KEY": FAKE_ANTHROPIC,
    }
    profiles = default_profiles()
    assert provider_kwargs(profiles["openai"], env) == {
        "api_key": FAKE_OPENAI,
        "base_url": None,
        "retry_budget": 60.0,
        "profile": "openai",
        "organization": "org-env",
        "project": "proj-env",
    }
    mine = Profile(name="o", provider="openai", options={"organization": "org-mine"})
    assert provider_kwargs(mine, env)["organization"] == "org-mine"
    assert provider_kwargs(profiles["anthropic"], env) == {
        "api_key": FAKE_ANTHROPIC,
        "base_url": None,
        "retry_budget": 60.0,
        "profile": "anthropic",
    }


# --- writing -------------------------------------------------------------------------------


def test_write_default_config_never_writes_a_key(tmp_path: Path) -> None:
    env = {
        "BATCHTUI_HOME": str(tmp_path / "home"),
        "OPENAI_API_KEY": FAKE_OPENAI,
        "ANTHROPIC_API_KEY": FAKE_ANTHROPIC,
    }
    path = write_default_config(env=env)
    assert path == tmp_path / "home" / "config.toml"
    text = path.read_text()
    assert FAKE_OPENAI not in text and FAKE_ANTHROPIC not in text
    config = load_config(env=env)
    assert config.path == path
    assert config.profiles == {name: Profile(name=name, provider=name) for name in WITHOUT_CONFIG}
    assert not list(path.parent.glob("*.tmp"))


def test_write_default_config_refuses_to_overwrite(tmp_path: Path) -> None:
    path = write(tmp_path, "[ui]\ntheme='mine'\n")
    with pytest.raises(ConfigError, match="already exists"):
        write_default_config(path)
    assert load_config(path, env={}).ui.theme == "mine"
    write_default_config(path, overwrite=True)
    assert load_config(path, env={}).ui.theme == "textual-dark"


# --- redaction -----------------------------------------------------------------------------

REDACT_CASES = [
    (f"key {FAKE_OPENAI} used", "key sk-proj-*** used"),
    (f"key {FAKE_ANTHROPIC}.", "key sk-ant-api03-***."),
    ("sk-abcdefghijklmnop", "sk-***"),
    ("Authorization: Bearer abc.def-ghi_jkl", "Authorization: Bearer ***"),
    (f"x-api-key: {FAKE_ANTHROPIC}", "x-api-key: ***"),
    ('{"api_key": "zzzzzzzzz", "n": 1}', '{"api_key": "***", "n": 1}'),
    ("https://h/?api-key=abcd1234&x=1", "https://h/?api-key=***&x=1"),
    ("nothing secret here: status 401", "nothing secret here: status 401"),
    ("task-management ask-me", "task-management ask-me"),
]


@pytest.mark.parametrize(("text", "expected"), REDACT_CASES)
def test_redact_masks_key_like_strings(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_masks_given_secrets() -> None:
    assert redact("token=abc token2 plainsecretvalue", ["plainsecretvalue"]) == (
        "token=abc token2 ***"
    )


def test_notification_fields_are_read_and_written_back(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[ui]
bell = true
desktop_notify = "osc777"

[profiles.p]
provider = "openai"
on_end = ["~/bin/on-batch-end", "--quiet"]
notify_urls = ["ntfy://batches"]

[profiles.q]
provider = "anthropic"
""",
    )
    config = load_config(path, env={})
    assert config.ui.bell is True and config.ui.desktop_notify == "osc777"
    p, q = config.profile("p"), config.profile("q")
    assert p.on_end == ("~/bin/on-batch-end", "--quiet")
    assert p.notify_urls == ("ntfy://batches",)
    assert q.on_end is None and q.notify_urls == ()
    again = write(tmp_path, dumps_config(config))
    assert load_config(again, env={}) == dataclasses.replace(config, path=again)
    plain = write(tmp_path, "[profiles.q]\nprovider='anthropic'\n")
    text = dumps_config(load_config(plain, env={}))
    assert "on_end" not in text and "notify_urls" not in text and "bell" not in text


def test_notification_defaults() -> None:
    assert UiSettings().bell is False and UiSettings().desktop_notify == "auto"
    profile = Profile("p", "openai")
    assert profile.on_end is None and profile.notify_urls == ()
