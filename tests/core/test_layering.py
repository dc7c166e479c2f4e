"""The layers stay in their rooms: headless code never loads Textual, the UI never speaks HTTP,
and the emulator shares no code with the adapters (so a bug in one cannot hide in the other)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "batchtui"


def _imports(folder: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update((str(path), alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add((str(path), node.module))
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("core", ("textual", "batchtui.ui", "batchtui.emulator", "batchtui.cli")),
        ("providers", ("textual", "batchtui.ui", "batchtui.emulator", "batchtui.cli")),
        ("emulator", ("textual", "batchtui.ui", "batchtui.providers", "batchtui.cli")),
        ("ui", ("httpx", "batchtui.providers", "batchtui.emulator")),
    ],
)
def test_layer_does_not_import(folder: str, forbidden: tuple[str, ...]) -> None:
    bad = sorted(
        (Path(path).relative_to(PACKAGE.parent).as_posix(), module)
        for path, module in _imports(folder)
        if any(module == name or module.startswith(name + ".") for name in forbidden)
    )
    assert bad == []


def test_headless_commands_do_not_load_textual() -> None:
    code = (
        "import sys, batchtui.cli, batchtui.cli.commands, batchtui.core.workspace;"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
