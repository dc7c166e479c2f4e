"""Fixtures of the workflow tests (helpers live in workflow_helpers.py)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from workflow_helpers import JOB_SECONDS, Env, use_env

from batchtui.core.clock import FixedClock
from batchtui.emulator import EmulatorServer

_SSL_CONTEXTS: dict[tuple[Any, ...], ssl.SSLContext] = {}
_create_default_context = ssl.create_default_context


def _cached_default_context(*args: Any, **kwargs: Any) -> ssl.SSLContext:
    key = (args, tuple(sorted(kwargs.items())))
    if key not in _SSL_CONTEXTS:
        _SSL_CONTEXTS[key] = _create_default_context(*args, **kwargs)
    return _SSL_CONTEXTS[key]


@pytest.fixture(autouse=True)
def _reuse_tls_contexts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the default TLS context once: every in-process CLI run makes fresh httpx clients,
    and loading the CA bundle costs ~0.1 s each. These tests speak plain HTTP on loopback, so
    nothing under test depends on it."""
    monkeypatch.setattr(ssl, "create_default_context", _cached_default_context)


@pytest.fixture
def make_env(
    make_emulator: Callable[..., EmulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Env]:
    """Factory: make_env(**emulator config) -> Env with the CLI pointed at a fresh emulator."""

    def factory(**config: Any) -> Env:
        config.setdefault("clock", FixedClock(time.time()))
        config.setdefault("job_seconds", JOB_SECONDS)
        server = make_emulator(**config)
        home = tmp_path / "home"
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        use_env(monkeypatch, server, home)
        return Env(server, home, work, capsys)

    return factory


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    """An Env on an emulator with no failures and a FixedClock at the real time."""
    return make_env()
