"""B1 core pieces: the results cache (ResultsFile + ResultIndex + filters) and naive baselines."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.measure import best_of

JOB_ID = "batch_bench"
SCREEN = 50


def _job_dir(path: Path) -> Path:
    """A fresh results directory holding ``path`` as the job's output source (a symlink)."""
    directory = Path(tempfile.mkdtemp(prefix="bench-b1-"))
    atexit.register(shutil.rmtree, directory, True)
    (directory / f"{JOB_ID}.output.jsonl").symlink_to(Path(path).resolve())
    return directory


def b1_core(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """First screen (cold), full index, jump to the end, filter to errored; one session."""
    from batchtui.core.models import Outcome
    from batchtui.core.results import ResultIndex, ResultsFile, by_outcome

    directory = _job_dir(Path(args["path"]))
    repeats = int(args.get("repeats", 1))
    heavy = int(args.get("heavy_repeats", 1))
    only_first = bool(args.get("only_first", False))

    def open_results() -> ResultsFile:
        return ResultsFile.open(directory, JOB_ID, provider="openai")

    def first_screen() -> int:
        index = ResultIndex.open(open_results())  # nothing saved yet: starts empty
        index.update(max_lines=SCREEN)
        shown = [index.get_line(i) for i in range(min(SCREEN, index.count))]
        index.close()
        return len(shown)

    def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        out["first_s"], out["first_rows"] = best_of(repeats, first_screen)
        if only_first:
            return out
        holder: dict[str, Any] = {}

        def full() -> int:
            holder.pop("index", None)
            index = ResultIndex(open_results())
            index.update()
            holder["index"] = index
            return index.count

        out["full_index_s"], out["rows"] = best_of(heavy, full, "full_index")
        index = holder["index"]
        count = index.count

        def jump() -> int:
            return len([index.get_line(i) for i in range(max(0, count - SCREEN), count)])

        out["jump_s"], _ = best_of(repeats, jump)

        def errored() -> int:
            rows = by_outcome(index, [Outcome.ERRORED])
            shown = [index.get_line(i) for i in rows[:SCREEN]]
            holder["errored"] = len(rows)
            return len(shown)

        out["filter_s"], _ = best_of(repeats, errored)
        out["errored_rows"] = holder["errored"]
        index.save()
        index.close()

        def reopen() -> int:
            saved = ResultIndex.open(open_results())
            shown = [saved.get_line(i) for i in range(min(SCREEN, saved.count))]
            saved.close()
            return len(shown)

        start = time.perf_counter()
        reopen()
        out["reopen_saved_s"] = time.perf_counter() - start
        return out

    return run


def b1_naive(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The naive ways: json.loads every line (floor), load all, scan to the end, filter."""
    path = Path(args["path"])
    heavy = int(args.get("heavy_repeats", 1))
    loads = json.loads

    def floor() -> int:
        n = 0
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    loads(line)
                    n += 1
        return n

    def scan_to_end() -> int:
        with path.open("rb") as handle:
            return len(deque(handle, maxlen=SCREEN))

    def errored(row: Any) -> bool:
        response = row.get("response") or {}
        return bool(row.get("error")) or int(response.get("status_code") or 0) >= 400

    def naive_filter() -> int:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip() and errored(loads(line)))

    def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        out["floor_s"], out["rows"] = best_of(heavy, floor, "floor")
        out["scan_end_s"], _ = best_of(heavy, scan_to_end)
        out["filter_s"], out["errored_rows"] = best_of(heavy, naive_filter, "filter")
        start = time.perf_counter()
        with path.open("rb") as handle:
            everything = [loads(line) for line in handle if line.strip()]
        out["load_all_s"] = time.perf_counter() - start
        out["load_all_rows"] = len(everything)
        return out

    return run
