"""TOML configuration: profiles (one provider account each), UI settings and the keymap.

Keys are never read from or written to the config: a profile names the environment variable
that holds its key (default the SDK's own) or a file of mode 0600 holding it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from batchtui.core.paths import config_path, data_dir
from batchtui.core.provider import BatchtuiError
from batchtui.core.registry import generation, provider_names, provider_spec, provider_specs

__all__ = [
    "DESKTOP_NOTIFY_MODES",
    "Config",
    "ConfigError",
    "Profile",
    "UiSettings",
    "config_path",
    "data_dir",
    "default_profiles",
    "dumps_config",
    "load_config",
    "provider_kwargs",
    "redact",
    "resolve_api_key",
    "resolve_base_url",
    "resolve_webhook_secret",
    "webhook_secret_env",
    "write_default_config",
]

_DEFAULT_THEME = "textual-dark"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(BatchtuiError):
    """A config file, profile or key file that cannot be used; names file, key and problem."""

    def __init__(self, problem: str, *, path: Path | str | None = None, key: str | None = None):
        self.path = Path(path) if path is not None else None
        self.key = key
        self.problem = problem
        where = ": ".join(str(part) for part in (path, key) if part)
        super().__init__(f"{where}: {problem}" if where else problem)


@dataclass(frozen=True, slots=True)
class Profile:
    """One provider account: where to reach it, where its key lives, and how to poll it."""

    name: str
    provider: str
    base_url: str | None = None
    api_key_env: str | None = None  # None: the SDK's own variable for the provider
    api_key_file: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    """Provider-only fields (the spec's ``option_names``, e.g. ``organization``); written
    flat in the profile's table like the common ones."""
    default_model: str | None = None
    default_max_tokens: int | None = None
    poll_min_s: float = 5.0
    poll_max_s: float = 120.0
    max_concurrency: int = 4
    list_interval_s: float = 300.0
    retry_budget_s: float = 60.0
    settle_pause_s: float = 3.0
    max_cost_usd: float | None = None
    max_cost_usd_per_day: float | None = None
    max_in_flight: int | None = None
    max_enqueued_tokens: int | None = None
    stale_after_s: float | None = None
    max_requests_per_minute: int | None = None
    webhook_secret_env: str | None = None
    """The variable holding the webhook signing secret (None: the provider's own, if any)."""
    webhook_poll_s: float = 600.0
    """While `batchtui webhooks` receives this profile's events, its running jobs are polled
    at most this often (polling is then only the fallback for a lost event)."""
    on_end: tuple[str, ...] | None = None
    """A command (argv, no shell) run once per job end with the job's JSON on stdin
    (docs/notifications.md); None: nothing runs."""
    notify_urls: tuple[str, ...] = ()
    """Apprise URLs told when a job ends (needs the ``notify`` extra)."""

    def __post_init__(self) -> None:
        try:
            spec = provider_spec(self.provider)
        except KeyError as exc:
            raise ConfigError(exc.args[0], key=f"profiles.{self.name}.provider") from None
        if self.api_key_env is None:
            object.__setattr__(self, "api_key_env", spec.key_env)
        for option in self.options:
            if option not in spec.option_names:
                raise ConfigError(_option_problem(option), key=f"profiles.{self.name}.{option}")

    @property
    def key_env(self) -> str:
        """The environment variable read for this profile's key."""
        return self.api_key_env or provider_spec(self.provider).key_env

    def as_dict(self) -> dict[str, Any]:
        """The profile as config-file values (no name, no None values, never a key)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "options":
                out.update(value)
            elif f.name in _LIST_FIELDS:
                if value:
                    out[f.name] = list(value)
            elif f.name != "name" and value is not None:
                out[f.name] = value
        return out


@dataclass(frozen=True, slots=True)
class UiSettings:
    """Settings of the terminal UI."""

    theme: str = _DEFAULT_THEME
    bell: bool = False
    """Ring the terminal bell when a job ends."""
    desktop_notify: str = "auto"
    """A desktop notification through the terminal's escape sequence when a job ends:
    ``auto`` (chosen from the terminal's environment), ``osc9``, ``osc777`` or ``off``."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything read from the config file (or the defaults when there is none)."""

    profiles: dict[str, Profile]
    default_profile: str
    ui: UiSettings = field(default_factory=UiSettings)
    keymap: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # the file read; None when the defaults were used
    store_url: str | None = None
    """A team store (``postgresql://…``) instead of this machine's SQLite file; may hold a
    password, so it is never printed (see `resolve_store_url`)."""
    store_url_file: str | None = None
    """A 0600 file holding the store URL (for a URL with a password in it)."""
    submitted_by: str | None = None
    """Who this machine's submissions are recorded as (default: the OS user)."""

    def profile(self, name: str | None = None) -> Profile:
        """The named profile (default: the default profile); ConfigError when unknown."""
        name = name or self.default_profile
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise ConfigError(
                f"no profile named {name!r} (known: {known})", path=self.path
            ) from None

    def as_dict(self) -> dict[str, Any]:
        """The config as a TOML-ready mapping."""
        out: dict[str, Any] = {"default_profile": self.default_profile}
        out["ui"] = {"theme": self.ui.theme}
        if self.ui.bell:
            out["ui"]["bell"] = True
        if self.ui.desktop_notify != "auto":
            out["ui"]["desktop_notify"] = self.ui.desktop_notify
        if self.keymap:
            out["keymap"] = dict(self.keymap)
        store = {
            "store_url": self.store_url,
            "store_url_file": self.store_url_file,
            "submitted_by": self.submitted_by,
        }
        out.update({key: value for key, value in store.items() if value is not None})
        out["profiles"] = {name: p.as_dict() for name, p in self.profiles.items()}
        return out


# --- parsing -------------------------------------------------------------------------------

_STR, _FLOAT, _INT, _LIST = "string", "number", "integer", "array"

# field -> (kind, minimum or None); minimum is exclusive for numbers (> 0) unless noted below.
_PROFILE_SPEC: dict[str, tuple[str, float | None]] = {
    "provider": (_STR, None),
    "base_url": (_STR, None),
    "api_key_env": (_STR, None),
    "api_key_file": (_STR, None),
    "default_model": (_STR, None),
    "default_max_tokens": (_INT, 1),
    "poll_min_s": (_FLOAT, 0),
    "poll_max_s": (_FLOAT, 0),
    "max_concurrency": (_INT, 1),
    "list_interval_s": (_FLOAT, 0),
    "retry_budget_s": (_FLOAT, 0),
    "settle_pause_s": (_FLOAT, 0),
    "max_cost_usd": (_FLOAT, 0),
    "max_cost_usd_per_day": (_FLOAT, 0),
    "max_in_flight": (_INT, 1),
    "max_enqueued_tokens": (_INT, 1),
    "stale_after_s": (_FLOAT, 0),
    "max_requests_per_minute": (_INT, 1),
    "webhook_secret_env": (_STR, None),
    "webhook_poll_s": (_FLOAT, 0),
    "on_end": (_LIST, 1),
    "notify_urls": (_LIST, 0),
}
_LIST_FIELDS = ("on_end", "notify_urls")
_TOP_KEYS = (
    "default_profile",
    "profiles",
    "ui",
    "keymap",
    "store_url",
    "store_url_file",
    "submitted_by",
)
_UI_KEYS = ("theme", "bell", "desktop_notify")
DESKTOP_NOTIFY_MODES = ("auto", "osc9", "osc777", "off")
_KEY_LIKE_NAMES = ("api_key", "key", "token", "secret", "apikey", "auth_token")


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


def _check_value(value: Any, kind: str, minimum: float | None, path: Path, key: str) -> Any:
    """Return the value converted to its field's type, or raise naming the bad type."""
    if kind == _LIST:
        return _check_strings(value, int(minimum or 0), path, key)
    if kind == _STR:
        if not isinstance(value, str):
            raise ConfigError(f"expected a string, got {_type_name(value)}", path=path, key=key)
        if not value.strip():
            raise ConfigError("must not be empty", path=path, key=key)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        article = "an" if kind == _INT else "a"
        raise ConfigError(f"expected {article} {kind}, got {_type_name(value)}", path=path, key=key)
    if kind == _INT and not isinstance(value, int):
        raise ConfigError(f"expected an integer, got {_type_name(value)}", path=path, key=key)
    if not math.isfinite(value):
        raise ConfigError(f"must be a finite number, got {value}", path=path, key=key)
    if minimum is not None:
        if kind == _INT and value < minimum:
            raise ConfigError(f"must be at least {int(minimum)}, got {value}", path=path, key=key)
        if kind == _FLOAT and value <= minimum:
            raise ConfigError(f"must be a positive number, got {value}", path=path, key=key)
    elif value < 0:
        raise ConfigError(f"must not be negative, got {value}", path=path, key=key)
    return float(value) if kind == _FLOAT else value


def _check_strings(value: Any, at_least: int, path: Path, key: str) -> tuple[str, ...]:
    """An array of non-empty strings (at least `at_least` of them), as a tuple."""
    if not isinstance(value, list):
        raise ConfigError(
            f"expected an array of strings, got {_type_name(value)}", path=path, key=key
        )
    if len(value) < at_least:
        raise ConfigError("must not be empty", path=path, key=key)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(
                f"expected a string, got {_type_name(item)}", path=path, key=f"{key}[{index}]"
            )
        if not item.strip():
            raise ConfigError("must not be empty", path=path, key=f"{key}[{index}]")
    return tuple(value)


def _check_bool(value: Any, path: Path, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"expected a boolean, got {_type_name(value)}", path=path, key=key)
    return value


def _unknown_key_error(key: str, path: Path, where: str, allowed: Iterable[str]) -> ConfigError:
    hint = ""
    if key.lower() in _KEY_LIKE_NAMES:
        hint = "; keys are never kept in the config: use api_key_env or api_key_file"
    return ConfigError(
        f"unknown key {key!r} (allowed: {', '.join(allowed)}){hint}",
        path=path,
        key=f"{where}.{key}" if where else key,
    )


def _parse_profile(name: str, table: Any, path: Path) -> Profile:
    where = f"profiles.{name}"
    if not isinstance(table, dict):
        raise ConfigError(f"expected a table, got {_type_name(table)}", path=path, key=where)
    if not _NAME_RE.match(name):
        raise ConfigError(
            "profile names use letters, digits, '_', '.' and '-' (at most 64)",
            path=path,
            key=where,
        )
    values: dict[str, Any] = {}
    options: dict[str, str] = {}
    every_option = {o: None for spec in provider_specs().values() for o in spec.option_names}
    for key, value in table.items():
        if key in every_option and key not in _PROFILE_SPEC:
            options[key] = _check_value(value, _STR, None, path, f"{where}.{key}")
            continue
        if key not in _PROFILE_SPEC:
            raise _unknown_key_error(key, path, where, [*_PROFILE_SPEC, *every_option])
        kind, minimum = _PROFILE_SPEC[key]
        values[key] = _check_value(value, kind, minimum, path, f"{where}.{key}")
    provider = values.pop("provider", None)
    known = provider_names()
    if provider is None:
        if name not in known:
            raise ConfigError(
                f"missing key 'provider' (one of {', '.join(known)})",
                path=path,
                key=f"{where}.provider",
            )
        provider = name
    if provider not in known:
        raise ConfigError(
            f"unknown provider {provider!r}; expected one of {', '.join(known)}",
            path=path,
            key=f"{where}.provider",
        )
    env_name = values.get("api_key_env")
    if env_name is not None and not _ENV_NAME_RE.match(env_name):
        raise ConfigError(
            "must name an environment variable (letters, digits and '_'), not hold a key",
            path=path,
            key=f"{where}.api_key_env",
        )
    hook_env = values.get("webhook_secret_env")
    if hook_env is not None and not _ENV_NAME_RE.match(hook_env):
        raise ConfigError(
            "must name an environment variable (letters, digits and '_'), not hold a secret",
            path=path,
            key=f"{where}.webhook_secret_env",
        )
    for key in options:
        if key not in provider_spec(provider).option_names:
            raise ConfigError(_option_problem(key), path=path, key=f"{where}.{key}")
    defaults = {f.name: f.default for f in dataclasses.fields(Profile)}
    poll_min = values.get("poll_min_s", defaults["poll_min_s"])
    poll_max = values.get("poll_max_s", defaults["poll_max_s"])
    if poll_max < poll_min:
        raise ConfigError(
            f"must not be below poll_min_s ({poll_min:g})", path=path, key=f"{where}.poll_max_s"
        )
    return Profile(name=name, provider=provider, options=options, **values)


def _option_problem(option: str) -> str:
    """Why a provider-only field is refused on a profile of another provider."""
    takers = [n for n, spec in provider_specs().items() if option in spec.option_names]
    if not takers:
        return f"unknown profile field {option!r}"
    return f"{option!r} applies to {' and '.join(takers)} profiles only"


def default_profiles() -> dict[str, Profile]:
    """The profiles that exist without a config: one per provider, read from the environment."""
    return {
        name: Profile(name=name, provider=name)
        for name, spec in provider_specs().items()
        if spec.default_profile
    }


def _default_profile_name(profiles: Mapping[str, Profile], env: Mapping[str, str]) -> str:
    """Without a config: the first provider (in listing order) whose key is set, else the
    first provider. With one: its first profile."""
    if set(profiles) == set(default_profiles()):
        with_key = [n for n in profiles if env.get(provider_spec(n).key_env)]
        return with_key[0] if with_key else next(iter(profiles))
    return next(iter(profiles))


def _parse_config(data: dict[str, Any], path: Path, env: Mapping[str, str]) -> Config:
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown_key_error(key, path, "", _TOP_KEYS)
    raw_profiles = data.get("profiles")
    if raw_profiles is None:
        profiles = default_profiles()
    else:
        if not isinstance(raw_profiles, dict):
            raise ConfigError(
                f"expected a table, got {_type_name(raw_profiles)}", path=path, key="profiles"
            )
        if not raw_profiles:
            raise ConfigError("no profiles defined", path=path, key="profiles")
        profiles = {name: _parse_profile(name, t, path) for name, t in raw_profiles.items()}
    default = data.get("default_profile")
    if default is None:
        default = _default_profile_name(profiles, env)
    else:
        default = _check_value(default, _STR, None, path, "default_profile")
        if default not in profiles:
            raise ConfigError(
                f"names no profile (known: {', '.join(profiles)})",
                path=path,
                key="default_profile",
            )
    ui_table = data.get("ui", {})
    if not isinstance(ui_table, dict):
        raise ConfigError(f"expected a table, got {_type_name(ui_table)}", path=path, key="ui")
    for key in ui_table:
        if key not in _UI_KEYS:
            raise _unknown_key_error(key, path, "ui", _UI_KEYS)
    mode = _check_value(
        ui_table.get("desktop_notify", "auto"), _STR, None, path, "ui.desktop_notify"
    )
    if mode not in DESKTOP_NOTIFY_MODES:
        raise ConfigError(
            f"expected one of {', '.join(DESKTOP_NOTIFY_MODES)}, got {mode!r}",
            path=path,
            key="ui.desktop_notify",
        )
    ui = UiSettings(
        theme=_check_value(ui_table.get("theme", _DEFAULT_THEME), _STR, None, path, "ui.theme"),
        bell=_check_bool(ui_table.get("bell", False), path, "ui.bell"),
        desktop_notify=mode,
    )
    keymap_table = data.get("keymap", {})
    if not isinstance(keymap_table, dict):
        raise ConfigError(
            f"expected a table, got {_type_name(keymap_table)}", path=path, key="keymap"
        )
    keymap = {
        action: _check_value(keys, _STR, None, path, f"keymap.{action}")
        for action, keys in keymap_table.items()
    }
    store = {
        key: _check_value(data[key], _STR, None, path, key)
        for key in ("store_url", "store_url_file", "submitted_by")
        if key in data
    }
    return Config(
        profiles=profiles, default_profile=default, ui=ui, keymap=keymap, path=path, **store
    )


def load_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (default location when `path` is None); defaults when absent.

    An explicit `path` that does not exist is an error; the default location may be absent.
    """
    env = os.environ if env is None else env
    explicit = path is not None
    file = Path(path).expanduser() if path is not None else config_path(env)
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        if explicit:
            raise ConfigError("config file not found", path=file) from None
        profiles = default_profiles()
        return Config(profiles=profiles, default_profile=_default_profile_name(profiles, env))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=file) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=file) from None
    return _parse_config(data, file, env)


# --- keys and endpoints --------------------------------------------------------------------


def resolve_api_key(profile: Profile, env: Mapping[str, str] | None = None) -> str | None:
    """The profile's key from its key file (must be mode 0600) or its environment variable.

    Read on every call and never cached, stored or logged. None when no key is configured.
    """
    env = os.environ if env is None else env
    if profile.api_key_file:
        file = Path(profile.api_key_file).expanduser()
        where = f"profiles.{profile.name}.api_key_file"
        try:
            st = file.stat()
        except FileNotFoundError:
            raise ConfigError("key file not found", path=file, key=where) from None
        except OSError as exc:
            problem = f"cannot read key file: {exc.strerror}"
            raise ConfigError(problem, path=file, key=where) from None
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError("key file is not a regular file", path=file, key=where)
        mode = stat.S_IMODE(st.st_mode)
        if os.name != "nt" and mode & 0o077:
            raise ConfigError(
                f"key file has mode {mode:04o}; it must be 0600 (no group or other "
                f"permissions); run: chmod 600 {file}",
                path=file,
                key=where,
            )
        try:
            text = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read key file: {exc}", path=file, key=where) from None
        return text or None
    value = env.get(profile.key_env, "").strip()
    return value or None


STORE_URL_ENV = "BATCHTUI_STORE_URL"


def resolve_store_url(config: Config, env: Mapping[str, str] | None = None) -> str | None:
    """The team store's URL: ``$BATCHTUI_STORE_URL``, else the config's ``store_url_file``
    (mode 0600), else its ``store_url``; None for this machine's own SQLite store. Read on
    every call, never cached or logged (it may hold a password)."""
    env = os.environ if env is None else env
    value = env.get(STORE_URL_ENV, "").strip()
    if value:
        return value
    if config.store_url_file:
        file = Path(config.store_url_file).expanduser()
        try:
            st = file.stat()
            mode = stat.S_IMODE(st.st_mode)
            if os.name != "nt" and mode & 0o077:
                raise ConfigError(
                    f"store URL file has mode {mode:04o}; it must be 0600; run: chmod 600 {file}",
                    path=file,
                    key="store_url_file",
                )
            text = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"cannot read store URL file: {exc.strerror}", path=file, key="store_url_file"
            ) from None
        return text or None
    url = config.store_url or None
    if url and _has_password(url):
        raise ConfigError(
            "holds a password, and config.toml is not a secret file: put the password in "
            "PGPASSWORD or ~/.pgpass (mode 0600), or the whole URL in $BATCHTUI_STORE_URL or a "
            "0600 file named by store_url_file",
            path=config.path,
            key="store_url",
        )
    return url


def _has_password(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        if urlsplit(url).password:
            return True
    except ValueError:
        return True
    return "password=" in url.lower()


def submitter(config: Config, env: Mapping[str, str] | None = None) -> str:
    """Who submissions from here are recorded as: the config's ``submitted_by``, else the
    OS user (``user@host`` on a team store, so two laptops of one login differ)."""
    if config.submitted_by:
        return config.submitted_by
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def resolve_base_url(profile: Profile, env: Mapping[str, str] | None = None) -> str | None:
    """The profile's base URL, else the provider's environment variable, else None (default)."""
    env = os.environ if env is None else env
    if profile.base_url:
        return profile.base_url
    variable = provider_spec(profile.provider).base_url_env
    return (env.get(variable) if variable else None) or None


def webhook_secret_env(profile: Profile) -> str | None:
    """The variable read for the profile's webhook secret (its own, else the provider's);
    None when neither names one."""
    return profile.webhook_secret_env or provider_spec(profile.provider).webhook_secret_env


def resolve_webhook_secret(profile: Profile, env: Mapping[str, str] | None = None) -> str | None:
    """The profile's webhook signing secret from its variable; None when unset or when its
    provider sends no webhooks. Read on every call, never cached, stored or logged."""
    if provider_spec(profile.provider).webhook_event is None:
        return None
    variable = webhook_secret_env(profile)
    if variable is None:
        return None
    env = os.environ if env is None else env
    value = env.get(variable, "").strip()
    return value or None


def provider_kwargs(profile: Profile, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments for `make_provider(profile.provider, **kwargs)`: key, URL, routing."""
    env = os.environ if env is None else env
    kwargs: dict[str, Any] = {
        "api_key": resolve_api_key(profile, env),
        "base_url": resolve_base_url(profile, env),
        "retry_budget": profile.retry_budget_s,
        "profile": profile.name,
    }
    spec = provider_spec(profile.provider)
    for option, variable in spec.env_options.items():
        kwargs[option] = profile.options.get(option) or env.get(variable) or None
    for option in spec.profile_options:
        if option in profile.options:
            kwargs[option] = profile.options[option]
    return kwargs


# --- writing -------------------------------------------------------------------------------

_HEADER = """\
# batchtui configuration.
# API keys are never written here: each profile names the environment variable that holds
# its key (api_key_env) or a key file of mode 0600 (api_key_file = "~/.config/openai.key").
# Profile keys: provider, base_url, api_key_env, api_key_file, the provider's own options
# (`batchtui config --json` lists each provider's), default_model, default_max_tokens,
# poll_min_s, poll_max_s, max_concurrency, list_interval_s,
# retry_budget_s (seconds all retries of one call may take, default 60), settle_pause_s (the
# pause between two looks at the provider's list after an ambiguous create, default 3),
# max_cost_usd, max_cost_usd_per_day, max_in_flight, max_enqueued_tokens,
# stale_after_s (default 1800), max_requests_per_minute (the poller's cap per profile),
# webhook_secret_env (the variable holding the webhook secret; default the provider's own),
# webhook_poll_s (how often `batchtui webhooks` still polls a covered running job, default 600),
# on_end (a command as an array, run once per job end with the job's JSON on stdin),
# notify_urls (apprise URLs told when a job ends; needs `pip install batchtui[notify]`).
# [ui] keys: theme, bell (ring the terminal bell when a job ends, default false),
# desktop_notify ("auto", "osc9", "osc777" or "off": a desktop notification when a job ends).

"""


def dumps_config(config: Config) -> str:
    """The config as TOML text (it never holds a key)."""
    return tomli_w.dumps(config.as_dict())


def write_default_config(
    path: Path | str | None = None,
    *,
    overwrite: bool = False,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Write a starter config (a profile per provider that works without one, each naming its
    key variable); returns its path.

    Refuses to replace an existing file unless `overwrite`. Never writes any key.
    """
    file = Path(path).expanduser() if path is not None else config_path(env)
    if file.exists() and not overwrite:
        raise ConfigError("config file already exists (not overwritten)", path=file)
    profiles = {
        name: Profile(name=name, provider=name, api_key_env=spec.key_env)
        for name, spec in provider_specs().items()
        if spec.default_profile
    }
    config = Config(profiles=profiles, default_profile=next(iter(profiles)))
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(_HEADER + dumps_config(config), encoding="utf-8")
        os.replace(tmp, file)
    finally:
        tmp.unlink(missing_ok=True)
    return file


# --- redaction -----------------------------------------------------------------------------

_REDACT_PATTERNS = (
    # Authorization headers and bearer tokens.
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=\-]{6,}"),
    # key=value / key: value / "key": "value" forms.
    re.compile(
        r"(?i)(\b(?:x-api-key|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}&*]{4,}"
    ),
)
_MASK = "***"
_key_patterns: tuple[int, re.Pattern[str] | None] = (-1, None)


def _provider_keys() -> re.Pattern[str] | None:
    """One pattern of every registered provider's key prefixes, the longest tried first (so a
    provider whose keys begin like another's, only longer, keeps its whole prefix)."""
    global _key_patterns
    seen, pattern = _key_patterns
    if seen != generation():
        prefixes = {
            p for spec in provider_specs().values() for p in spec.key_prefixes if _is_regex(p)
        }
        ordered = sorted(prefixes, key=lambda p: (-len(p), p))
        alternation = "|".join(f"(?:{p})" for p in ordered)
        pattern = re.compile(rf"\b({alternation})[A-Za-z0-9_\-]{{6,}}") if ordered else None
        _key_patterns = (generation(), pattern)
    return pattern


def _is_regex(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask anything in `text` that looks like an API key (and each of `secrets`), for logs."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, _MASK)
    keys = _provider_keys()
    for pattern in (*_REDACT_PATTERNS, keys) if keys else _REDACT_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + _MASK, text)
    return text
