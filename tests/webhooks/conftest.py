"""Fixtures of the webhook tests (helpers live in webhook_helpers.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from webhook_helpers import SECRET_ENV, Hooks, new_secret

from batchtui.core.clock import SystemClock
from batchtui.core.config import load_config
from batchtui.core.workspace import Workspace
from batchtui.emulator import EmulatorServer


@pytest.fixture
def make_hooks(
    make_emulator: Callable[..., EmulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Any]:
    """Factory (async context): make_hooks(profile_toml_extra, **emulator config) -> Hooks."""
    made: list[Hooks] = []

    def factory(extra: str = "", base_url_for_gemini: bool = False, **config: Any) -> Hooks:
        config.setdefault("clock", SystemClock())
        config.setdefault("job_seconds", 1.0)
        server = make_emulator(**config)
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        secret = new_secret()
        for name in list(os.environ):
            if name.endswith(("_API_KEY", "_BASE_URL", "_WEBHOOK_SECRET")):
                monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("BATCHTUI_HOME", str(home))
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-webhooks-key")
        monkeypatch.setenv(SECRET_ENV, secret)
        text = (
            "[profiles.openai]\n"
            'provider = "openai"\n'
            f'base_url = "{server.openai_base_url}"\n'
            "list_interval_s = 3600\n" + extra
        )
        if base_url_for_gemini:
            text = text.replace("{url}", server.provider_base_url("gemini"))
            monkeypatch.setenv("GEMINI_API_KEY", "AIza-test-webhooks-key")
        (home / "config.toml").write_text(text)
        ws = Workspace.open(home, config=load_config(home / "config.toml"))
        hooks = Hooks(server, ws, secret, work)
        made.append(hooks)
        return hooks

    return factory
