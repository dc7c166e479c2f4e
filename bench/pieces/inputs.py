"""B2 pieces: core input validation and the fastest installed JSON decoder's parse floor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.measure import best_of


def fastest_loads() -> tuple[str, Callable[[bytes], Any]]:
    """The fastest JSON decoder installed: orjson when present, else the stdlib."""
    try:
        import orjson

        return "orjson", orjson.loads
    except ImportError:
        import json

        return "json", json.loads


def b2_validate(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """``validate_file`` on an OpenAI batch input (report kept, requests not)."""
    from batchtui.core.inputs import validate_file

    path = Path(args["path"])
    heavy = int(args.get("heavy_repeats", 1))

    def run() -> dict[str, Any]:
        seconds, report = best_of(heavy, lambda: validate_file(path, "openai"), "work")
        return {
            "seconds": seconds,
            "ok": bool(report.ok),
            "issues": int(getattr(report, "total_issues", 0) or 0),
        }

    return run


def b2_floor(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """Parse each line with the fastest decoder, doing nothing else."""
    name, loads = fastest_loads()
    path = Path(args["path"])
    heavy = int(args.get("heavy_repeats", 1))

    def parse_all() -> int:
        n = 0
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    loads(line)
                    n += 1
        return n

    def run() -> dict[str, Any]:
        seconds, rows = best_of(heavy, parse_all, "work")
        return {"seconds": seconds, "rows": rows, "decoder": name}

    return run
