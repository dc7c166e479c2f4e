"""Helpers for `batchtui serve` tests and the browser screenshot: a real server process on a
throwaway home, Debian's Chromium through Playwright, and the text of the page's terminal.

Imported by the tests in this folder and by screenshots/make_browser_screenshot.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ENV = "BATCHTUI_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)

TERMINAL_HOOK = """
(() => {
  // textual.js keeps its xterm Terminal on `this.terminal` of an object that has already set
  // `websocket_url`; catch that assignment once and keep the Terminal for the tests.
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    set(value) {
      Object.defineProperty(this, "terminal", {
        value, writable: true, configurable: true, enumerable: true,
      });
      if ("websocket_url" in this) window.__batchtuiTerminal = value;
    },
  });
})();
"""
"""An init script: exposes textual-serve's xterm.js Terminal as ``window.__batchtuiTerminal``."""

READ_TERMINAL = """
() => {
  const term = window.__batchtuiTerminal;
  if (!term) return null;
  const buffer = term.buffer.active;
  const lines = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}
"""
"""Evaluated in the page: the terminal's visible rows as text (None before it exists)."""


def find_chromium() -> str | None:
    """Debian's Chromium (or the binary $BATCHTUI_CHROMIUM names); None when there is none."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named if os.access(named, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def isolated_env(root: Path) -> dict[str, str]:
    """This environment without any variable that may hold a secret, every home under ``root``."""
    env = {name: value for name, value in os.environ.items() if not _SECRET_NAME.search(name)}
    for name in ("home", "tmp", "batchtui", "config", "data", "cache"):
        (root / name).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(root / "home"),
        TMPDIR=str(root / "tmp"),  # the demo's own throwaway home goes here
        BATCHTUI_HOME=str(root / "batchtui"),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_CACHE_HOME=str(root / "cache"),
        PYTHONPATH=str(REPO),
    )
    return env


@dataclass
class Served:
    """A running `batchtui serve`: its process, the printed URL and what it wrote so far."""

    process: subprocess.Popen[str]
    url: str
    stdout: list[str]
    stderr: list[str]

    @property
    def base(self) -> str:
        """The URL without its query (no token)."""
        return self.url.split("?", 1)[0]


def _pump(stream: Any, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def _children(pid: int) -> list[int]:
    """Processes whose session is ``pid``'s (the server started its own session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == pid and int(entry.name) != pid:  # fields[3]: session id
            found.append(int(entry.name))
    return found


@contextlib.contextmanager
def serve(root: Path, *args: str, start_timeout: float = 20.0) -> Iterator[Served]:
    """Run ``batchtui serve --port 0 ARGS`` on an isolated home; stopped (and checked for
    leftover processes, which are then killed) when the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "batchtui", "serve", "--port", "0", *args],
        cwd=root,
        env=isolated_env(root),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the server and every dashboard it runs share one session
    )
    stdout: list[str] = []
    stderr: list[str] = []
    for stream, into in ((process.stdout, stdout), (process.stderr, stderr)):
        threading.Thread(target=_pump, args=(stream, into), daemon=True).start()
    try:
        deadline = time.monotonic() + start_timeout
        url = None
        while url is None:
            for line in stdout:
                match = re.search(r"http://\S+", line)
                if match:
                    url = match.group(0)
            if url is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"batchtui serve did not start: {''.join(stdout)}{''.join(stderr)}"
                    )
                time.sleep(0.05)
        yield Served(process, url, stdout, stderr)
    finally:
        stop(process)


def stop(process: subprocess.Popen[str], timeout: float = 20.0) -> list[int]:
    """SIGTERM the server, wait for it; kill whatever of its session is left and return those
    pids (an empty list when the server ended every dashboard itself)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    left = []
    deadline = time.monotonic() + 5.0
    while (left := _children(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return left


@contextlib.contextmanager
def chromium_page(executable: str, width: int = 1280, height: int = 800) -> Iterator[Any]:
    """A page in headless Debian Chromium (never a downloaded browser), with the terminal hook;
    requests to any host but loopback are aborted (the page links a web font)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.add_init_script(TERMINAL_HOOK)
            context.route(
                re.compile(r"^https?://(?!127\.|localhost|\[::1\])"),
                lambda route: route.abort(),
            )
            yield context.new_page()
        finally:
            browser.close()


def terminal_text(page: Any) -> str:
    """The terminal's visible rows (empty before the terminal exists)."""
    return page.evaluate(READ_TERMINAL) or ""


def wait_for_text(page: Any, pattern: str, timeout: float = 30.0) -> str:
    """Wait until the terminal's text matches the regular expression; return that text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = terminal_text(page)
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(200)
    raise AssertionError(f"no {pattern!r} in the terminal after {timeout:.0f}s:\n{text}")
