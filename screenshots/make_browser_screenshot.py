"""Regenerate screenshots/dashboard-chromium.png: `batchtui serve --demo` in headless Chromium.

Run from the repository root:  .venv/bin/python screenshots/make_browser_screenshot.py
Needs Debian's chromium (`apt-get install chromium`, or $BATCHTUI_CHROMIUM naming a binary) and
the `test` extra (Playwright). The server runs on a throwaway home with every secret-looking
variable removed from its environment; the demo's fake key is checked to be nowhere on screen.
The demo runs in real time, so the picture differs a little from run to run.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "web"))

from web_helpers import (  # noqa: E402
    chromium_page,
    find_chromium,
    serve,
    terminal_text,
    wait_for_text,
)

from batchtui.demo import DEMO_KEY  # noqa: E402

OUT = HERE / "dashboard-chromium.png"
TOAST = re.compile(
    r"eval set completed|summaries cancelled|translations expired|\bfailed\s*│?\s*$", re.M
)
LOOKS_LIKE_A_KEY = re.compile(r"\b(sk-[A-Za-z0-9_-]{8,}|sk-ant-[A-Za-z0-9_-]{8,}|AIza\S{20,})")


def main() -> int:
    chromium = find_chromium()
    if chromium is None:
        print("chromium not installed: apt-get install chromium", file=sys.stderr)
        return 1
    with (
        tempfile.TemporaryDirectory(prefix="batchtui-shot-") as root,
        serve(Path(root), "--demo") as served,
        chromium_page(chromium) as page,
    ):
        page.goto(served.url, wait_until="domcontentloaded")
        # Jobs in every state, once the notifications of the first ones have gone.
        wait_for_text(page, r"summaries\s+openai\s+\S+\s+cancelled", timeout=60)
        for _ in range(150):
            text = terminal_text(page)
            if not TOAST.search(text):
                break
            page.wait_for_timeout(200)
        if DEMO_KEY in text or LOOKS_LIKE_A_KEY.search(text):
            print("refusing to save: something like an API key is on screen", file=sys.stderr)
            return 1
        page.screenshot(path=str(OUT))
    print(f"wrote {OUT.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
