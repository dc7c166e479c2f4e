"""Regenerate screenshots/*.svg: every screen and modal of the dashboard, on fixed data.

Run from the repository root:  .venv/bin/python screenshots/make_screenshots.py
The scenarios are the ones the snapshot tests check (tests/ui/ui_scenarios.py): the same fake
workspace with a frozen clock, so the pictures only change when the UI does.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")  # before Textual is imported

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "ui"))

from ui_scenarios import SCENARIOS, Scenario  # noqa: E402


def stable(svg: str) -> str:
    """Drop the random id Rich puts in every SVG, so unchanged screens give unchanged files."""
    return re.sub(r"\bterminal-\d+-([\w-]+)", r"terminal-\1", svg)


async def shoot(scenario: Scenario) -> str:
    """Run one scenario headless and return its SVG."""
    app = scenario.app()
    async with app.run_test(size=scenario.size) as pilot:
        await scenario.run_before(pilot)
        await pilot.pause()
        return stable(app.export_screenshot(title=f"batchtui — {scenario.description}"))


def write_index(names: list[tuple[str, str]]) -> None:
    """screenshots/README.md: every picture with its caption."""
    lines = [
        "# Screenshots",
        "",
        "Regenerate with `.venv/bin/python screenshots/make_screenshots.py`.",
        "",
    ]
    for name, description in names:
        lines += [f"## {description}", "", f"![{description}]({name}.svg)", ""]
    (HERE / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    done: list[tuple[str, str]] = []
    for scenario in SCENARIOS:
        svg = asyncio.run(shoot(scenario))
        (HERE / f"{scenario.name}.svg").write_text(svg, encoding="utf-8")
        done.append((scenario.name, scenario.description))
        print(f"screenshots/{scenario.name}.svg  {scenario.description}")
    write_index(done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
