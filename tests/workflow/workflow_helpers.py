"""Helpers for end-to-end workflow tests: the CLI in-process against the emulator over loopback.

``cli("submit", path, "--profile", "openai")`` runs ``batchtui.cli.main`` with BATCHTUI_HOME,
the base URLs and the keys of both providers set, and returns the exit code and the captured
output. The emulator's clock is a FixedClock that starts at the real time (so the store's
create windows and the emulator's ``created_at`` agree) and only moves when a test advances it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from batchtui.cli import main
from batchtui.core.clock import FixedClock
from batchtui.emulator import EmulatorServer

KINDS = ("openai", "anthropic")
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
# Distinctive fake keys: the secrets test greps the data dir for them.
KEYS = {
    "openai": "sk-proj-WorkflowOpenAIKey0123456789abcdef",
    "anthropic": "sk-ant-api03-WorkflowAnthropicKey9876543210zyx",
}
JOB_SECONDS = 10.0
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    """One CLI invocation: exit code, standard output and standard error."""

    rc: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.rc == 0, f"exit {self.rc}: {self.err}"
        return json.loads(self.out)


def scrub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove variables of the user's environment that would change what the CLI reads."""
    for name in (
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "BATCHTUI_TEST_CRASH_AT",
    ):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Env:
    """A data dir, an emulator and the environment the CLI reads, all set for one test."""

    emulator: EmulatorServer
    home: Path
    work: Path
    capsys: pytest.CaptureFixture[str]

    @property
    def clock(self) -> FixedClock:
        return self.emulator.clock  # type: ignore[return-value]

    def __call__(self, *args: object) -> Run:
        """Run `batchtui ARGS...` in-process and capture what it printed."""
        self.capsys.readouterr()
        rc = main([str(a) for a in args])
        captured = self.capsys.readouterr()
        return Run(rc, captured.out, captured.err)

    def ok(self, *args: object) -> Any:
        """Run with --json, require exit 0, and return the parsed output."""
        return self(*args, "--json").json()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def provider_get(self, kind: str, path: str) -> dict[str, Any]:
        """GET one emulator path with the provider's auth headers, as a JSON object."""
        if kind == "openai":
            url = self.emulator.openai_base_url + path
            headers = {"authorization": f"Bearer {KEYS['openai']}"}
        else:
            url = self.emulator.anthropic_base_url + path
            headers = {"x-api-key": KEYS["anthropic"], "anthropic-version": "2023-06-01"}
        # Plain HTTP on loopback: no TLS context to build (that costs ~0.1 s a client).
        response = httpx.get(url, headers=headers, timeout=10, verify=False)
        response.raise_for_status()
        return response.json()

    def batch_ids(self, kind: str) -> list[str]:
        """Every batch the emulator holds for a provider (through its list API)."""
        path = "/batches?limit=100" if kind == "openai" else "/v1/messages/batches?limit=100"
        data = self.provider_get(kind, path)["data"]
        return [b["id"] for b in data]

    def file_ids(self) -> list[str]:
        """Every file uploaded to the emulator's OpenAI Files API."""
        return [f["id"] for f in self.provider_get("openai", "/files")["data"]]


def use_env(
    monkeypatch: pytest.MonkeyPatch, server: EmulatorServer, home: Path, *, keys: bool = True
) -> None:
    """Point the CLI at ``server`` and ``home`` (and set both keys unless told not to)."""
    scrub_env(monkeypatch)
    monkeypatch.setenv("BATCHTUI_HOME", str(home))
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_base_url)
    for kind in KINDS:
        name = "OPENAI_API_KEY" if kind == "openai" else "ANTHROPIC_API_KEY"
        if keys:
            monkeypatch.setenv(name, KEYS[kind])
        else:
            monkeypatch.delenv(name, raising=False)


# --- inputs --------------------------------------------------------------------------------


def neutral_line(
    kind: str, custom_id: str, n: int = 0, *, text: str | None = None, **extra: Any
) -> dict[str, Any]:
    """One request of the neutral JSONL format for a provider's model."""
    record: dict[str, Any] = {
        "custom_id": custom_id,
        "model": MODELS[kind],
        "messages": [{"role": "user", "content": text or f"Say something about {n}."}],
        "max_tokens": 64,
    }
    record.update(extra)
    return record


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_input(path: Path, kind: str, count: int, *, prefix: str = "req") -> Path:
    """A neutral JSONL input of ``count`` requests named PREFIX-000..."""
    return write_jsonl(path, [neutral_line(kind, f"{prefix}-{i:03d}", i) for i in range(count)])


def ids_in(path: Path) -> list[str]:
    """The custom_ids of a JSONL file, in order."""
    return [json.loads(line)["custom_id"] for line in path.read_text().splitlines() if line]


# --- the store, read from outside ----------------------------------------------------------


def read_db(home: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Rows of a query against the store, read-only (safe while another process writes)."""
    db = home / "batchtui.db"
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # schema not created yet
        return []
    finally:
        conn.close()


def intents(home: Path) -> list[sqlite3.Row]:
    return read_db(home, "SELECT * FROM intents ORDER BY created_at, rowid")


# --- subprocesses --------------------------------------------------------------------------


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment (already pointed at the emulator) for a `batchtui` subprocess."""
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    out.update(extra or {})
    return out


def spawn(args: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `python -m batchtui ARGS` in its own process group."""
    return subprocess.Popen(
        [sys.executable, "-m", "batchtui", *args],
        env=cli_env(extra_env),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )


def default_sigint() -> None:
    """In a child before exec: Ctrl-C as a shell gives it (an ignored SIGINT is inherited, so
    a test worker that ever ignored it would make every Ctrl-C test hang)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def kill(proc: subprocess.Popen[str], sig: int = signal.SIGKILL) -> tuple[int, str, str]:
    """Send ``sig`` and collect the exit status and output."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def free_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
