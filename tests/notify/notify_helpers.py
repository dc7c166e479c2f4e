"""Helpers of the notification tests: a tiny Python hook that writes its stdin and
environment to files, one pair per run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HOOK = """\
import json, os, sys, time
out = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "ok"
data = sys.stdin.read()
n = len([f for f in os.listdir(out) if f.endswith(".json")])
with open(os.path.join(out, f"run{n}.json"), "w") as fh:
    fh.write(data)
env = {k: v for k, v in os.environ.items() if k.startswith("BATCHTUI_")}
with open(os.path.join(out, f"run{n}.env"), "w") as fh:
    json.dump(env, fh)
if mode == "sleep":
    time.sleep(60)
if mode == "fail":
    print("something broke", file=sys.stderr)
    sys.exit(3)
"""


def hook_command(tmp: Path, mode: str = "ok") -> tuple[list[str], Path]:
    """(argv of the hook, the folder it writes to)."""
    script = tmp / "hook.py"
    script.write_text(HOOK, encoding="utf-8")
    out = tmp / "runs"
    out.mkdir(exist_ok=True)
    return [sys.executable, str(script), str(out), mode], out


def runs(out: Path) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """(stdin as JSON, BATCHTUI_* environment) of every run so far, in order."""
    found = sorted(out.glob("run*.json"), key=lambda p: int(p.stem[3:]))
    return [
        (json.loads(p.read_text()), json.loads(p.with_suffix(".env").read_text())) for p in found
    ]
