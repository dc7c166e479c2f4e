"""`batchtui serve --demo` in a real headless Chromium (Debian's, driven by Playwright): the job
table arrives in the page's terminal, jobs finishing in the emulator change it, enter opens the
results screen, and stopping the server ends every dashboard it ran."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from web_helpers import chromium_page, find_chromium, serve, stop, terminal_text, wait_for_text

pytestmark = pytest.mark.slow

TERMINAL = ("completed", "cancelled", "expired", "failed")
ROW = re.compile(
    r"^│? ?(\S.*?\S)\s{2,}(openai|anthropic|gemini|mistral|groq|together)\s+\S+\s+(\w+)"
)


def statuses(text: str) -> dict[str, str]:
    """Each job row of the table on screen: label -> status."""
    found = {}
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            found[match.group(1)] = match.group(3)
    return found


@pytest.fixture
def chromium() -> str:
    pytest.importorskip("playwright.sync_api", reason="playwright not installed: the test extra")
    found = find_chromium()
    if found is None:
        pytest.skip(
            "chromium not installed: apt-get install chromium (.ci/run does as root), "
            "or name the binary in $BATCHTUI_CHROMIUM"
        )
    return found


def test_dashboard_in_chromium(chromium: str, tmp_path: Path) -> None:
    started = time.monotonic()
    # Off loopback (127.0.0.2), so the browser goes through the token and its cookie.
    with serve(tmp_path, "--demo", "--host", "127.0.0.2") as served:
        assert "?token=" in served.url
        with chromium_page(chromium) as page:
            page.goto(served.url, wait_until="domcontentloaded")
            first = wait_for_text(page, r"eval set\s+anthropic", timeout=60)
            assert "Label" in first and "Status" in first
            before = statuses(first)
            # The demo's throwaway home is under the test's $TMPDIR, not the real one.
            assert list((tmp_path / "tmp").glob("batchtui-demo-*"))

            # The emulator moves jobs along: some job seen unfinished shows a final status.
            deadline = time.monotonic() + 60
            finished: dict[str, str] = {}
            while not finished and time.monotonic() < deadline:
                page.wait_for_timeout(300)
                now = statuses(terminal_text(page))
                finished = {
                    label: status
                    for label, status in now.items()
                    if status in TERMINAL and before.get(label, "new") not in TERMINAL
                }
            assert finished, f"no job finished on the page; first seen: {before}"

            # enter on the highlighted (first) job, once it has results: its results screen.
            wait_for_text(page, r"eval set\s+anthropic\s+\S+\s+completed", timeout=60)
            page.locator(".xterm-helper-textarea").focus()
            page.keyboard.press("Enter")
            results = wait_for_text(page, r"eval-\d{4}\s+(succeeded|errored)", timeout=30)
            assert "eval set" in results and re.search(r"custom_id\s+outcome", results)
            assert "60 of 60 results" in results

            # Stopping the server while the session is open ends its dashboard too (which
            # removes its throwaway home).
            assert stop(served.process) == []
            assert list((tmp_path / "tmp").iterdir()) == []
    assert served.process.returncode == 0, "".join(served.stderr)
    assert "Traceback" not in "".join(served.stdout + served.stderr)
    assert time.monotonic() - started < 120


def test_plain_serve_runs_the_users_dashboard(chromium: str, tmp_path: Path) -> None:
    """Without --demo each session is `python -m batchtui` on the server's own environment:
    its job store is the one $BATCHTUI_HOME names; q ends the session, and the page says so."""
    with serve(tmp_path) as served, chromium_page(chromium) as page:
        page.goto(served.url, wait_until="domcontentloaded")
        text = wait_for_text(page, r"0 jobs · 0 live", timeout=60)
        assert "No API key" in text or "Label" in text
        assert (tmp_path / "batchtui" / "batchtui.db").exists()
        page.locator(".xterm-helper-textarea").focus()
        page.keyboard.press("q")
        page.wait_for_selector("body.-closed", timeout=30_000)
        assert stop(served.process) == []
