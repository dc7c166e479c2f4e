"""Where batchtui keeps its config and data: `$BATCHTUI_HOME`, else the XDG directories."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOME_ENV = "BATCHTUI_HOME"
APP_DIR = "batchtui"
CONFIG_NAME = "config.toml"
DB_NAME = "batchtui.db"


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def batchtui_home(env: Mapping[str, str] | None = None) -> Path | None:
    """The directory named by `$BATCHTUI_HOME`, or None when it is unset or empty."""
    value = _env(env).get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file: `$BATCHTUI_HOME/config.toml`, else `$XDG_CONFIG_HOME/batchtui/...`."""
    env = _env(env)
    home = batchtui_home(env)
    if home is not None:
        return home / CONFIG_NAME
    xdg = env.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else _home(env) / ".config"
    return base / APP_DIR / CONFIG_NAME


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The data directory: `$BATCHTUI_HOME`, else `$XDG_DATA_HOME/batchtui` (~/.local/share)."""
    env = _env(env)
    home = batchtui_home(env)
    if home is not None:
        return home
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else _home(env) / ".local" / "share"
    return base / APP_DIR


def db_path(env: Mapping[str, str] | None = None) -> Path:
    """The job store's SQLite file inside the data directory."""
    return data_dir(env) / DB_NAME


def ensure_private_dir(path: Path) -> Path:
    """Create a directory (and parents) readable by the user only, and return it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


MACHINE_ENV = "BATCHTUI_MACHINE"


def machine_name() -> str:
    """This machine's name in a shared store (whose results cache, whose process):
    ``$BATCHTUI_MACHINE``, else the host name."""
    import os
    import socket

    return os.environ.get(MACHINE_ENV) or socket.gethostname()
