"""UI pieces (headless Textual via ``App.run_test``): the results screen's first frame, the naive
DataTable baseline, the live dashboard's key latency, idle CPU and request rate (B5), and its
filter and sort keys on a big store (B7).

"Drawn" means the compositor produced a frame: ``App._display`` is wrapped on the instance to
timestamp every frame (headless, the frame is composed but not written to a terminal).
"""

from __future__ import annotations

import asyncio
import atexit
import bisect
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZE = (160, 50)
TIMEOUT = 120.0


class FrameClock:
    """Timestamps of the frames an app draws, each with what ``marker()`` said at that frame."""

    def __init__(self, app: Any, marker: Callable[[], Any] | None = None) -> None:
        self.times: list[float] = []
        self.marks: list[Any] = []
        original = app._display
        mark = marker or (lambda: None)

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.times.append(time.perf_counter())
                self.marks.append(mark())
            original(screen, renderable)

        app._display = display

    async def frame_after(
        self, moment: float, timeout: float = TIMEOUT, showing: Any = None
    ) -> float:
        """The time of the first frame drawn after ``moment`` (whose mark equals ``showing``
        when given); waits for it."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            at = bisect.bisect_right(self.times, moment)
            for i in range(at, len(self.times)):
                if showing is None or self.marks[i] == showing:
                    return self.times[i]
            await asyncio.sleep(0.001)
        raise TimeoutError("no frame was drawn")


async def _wait_for(check: Callable[[], bool], timeout: float = TIMEOUT) -> float:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.001)
    return time.perf_counter()


# ------------------------------------------------------------------ B1: results screen


def b1_ui(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """Push the results screen of a completed job whose results are cached; time to the first
    frame that shows rows (the workspace opens/indexes the cached file as the app does)."""
    from batchtui.core.config import Config, Profile
    from batchtui.core.models import BatchJob, BatchStatus
    from batchtui.core.workspace import Workspace
    from batchtui.ui.app import make_app
    from batchtui.ui.models.jobs import job_view
    from batchtui.ui.screens.results import ResultsScreen
    from batchtui.ui.widgets.results_view import ResultsView

    home = Path(tempfile.mkdtemp(prefix="bench-b1ui-"))
    atexit.register(shutil.rmtree, home, True)
    os.environ["BENCH_OPENAI_KEY"] = "bench-key-not-secret"  # parsing needs the adapter
    profile = Profile(
        name="openai",
        provider="openai",
        base_url="http://127.0.0.1:9/v1",
        api_key_env="BENCH_OPENAI_KEY",
    )
    config = Config(profiles={"openai": profile}, default_profile="openai")
    workspace = Workspace.open(home, config=config)
    job = BatchJob(
        provider="openai",
        id="batch_bench",
        status=BatchStatus.COMPLETED,
        raw_status="completed",
        output_file_id="file-bench",
        results_available=True,
        profile="openai",
    )
    record, _ = workspace.store.upsert_snapshot(job, "openai")
    source = Path(args["path"]).resolve()
    (workspace.results_dir / "batch_bench.output.jsonl").symlink_to(source)
    record = workspace.store.set_results_state(
        record.local_id,
        path=str(workspace.results_dir),
        offsets={"output": source.stat().st_size},
        complete=True,
    )
    view = job_view(record)

    async def go() -> dict[str, Any]:
        app = make_app(workspace, poll=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            frames = FrameClock(app)
            start = time.perf_counter()
            app.push_screen(ResultsScreen(record.local_id, view))

            def rows_shown() -> bool:
                screen = app.screen
                if not isinstance(screen, ResultsScreen):
                    return False
                views = screen.query(ResultsView)
                return bool(views) and views.first().row_count > 0

            shown = await _wait_for(rows_shown)
            drawn = await frames.frame_after(shown)
            rows = app.screen.query_one(ResultsView).row_count
            await pilot.pause()
        return {"first_frame_s": drawn - start, "rows": rows}

    def run() -> dict[str, Any]:
        try:
            return asyncio.run(go())
        except Exception as exc:  # the UI is work in progress: report, don't crash the run
            return {"error": f"{type(exc).__name__}: {exc}"[:300]}

    return run


def b1_datatable(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The naive dashboard: parse every line and load it into a DataTable (capped at ``cap``
    rows; the time is extrapolated linearly to the whole file)."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    path = Path(args["path"])
    cap = int(args["cap"])
    total = int(args["total"])

    class Naive(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(id="naive")

    def row_of(obj: dict[str, Any]) -> tuple[str, str, str]:
        response = obj.get("response") or {}
        body = response.get("body") or {}
        status = int(response.get("status_code") or 0)
        text = ""
        if status < 400:
            choices = body.get("choices") or [{}]
            text = ((choices[0].get("message") or {}).get("content") or "")[:80]
        else:
            text = ((body.get("error") or {}).get("message") or "")[:80]
        return obj.get("custom_id", ""), "errored" if status >= 400 else "succeeded", text

    async def go() -> dict[str, Any]:
        app = Naive()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            frames = FrameClock(app)
            table = app.query_one(DataTable)
            start = time.perf_counter()
            rows = []
            with path.open("rb") as handle:
                for line in handle:
                    if len(rows) >= cap:
                        break
                    if line.strip():
                        rows.append(row_of(json.loads(line)))
            table.add_columns("custom_id", "outcome", "text")
            table.add_rows(rows)
            loaded = time.perf_counter()
            drawn = await frames.frame_after(loaded)
            await pilot.pause()
        seconds = drawn - start
        return {
            "first_frame_s": seconds,
            "rows_loaded": len(rows),
            "extrapolated_s": seconds * max(total, 1) / max(len(rows), 1),
            "extrapolated": len(rows) < total,
        }

    def run() -> dict[str, Any]:
        try:
            return asyncio.run(go())
        except Exception as exc:
            return {"error": f"{type(exc).__name__}: {exc}"[:300]}

    return run


# ------------------------------------------------------------------ B5: live dashboard


class RequestCounter:
    """Counts the HTTP requests the adapters send, per profile."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.times: list[float] = []
        self.paths: dict[str, int] = {}

    def timeline(self, start: float, step: float = 10.0) -> list[int]:
        """Requests per ``step`` seconds since ``start``."""
        slots: list[int] = []
        for moment in self.times:
            slot = int((moment - start) // step)
            if slot >= 0:
                slots.extend([0] * (slot + 1 - len(slots)))
                slots[slot] += 1
        return slots

    def total(self) -> int:
        return sum(self.counts.values())

    def factory(self) -> Callable[[Any], Any]:
        import httpx

        from batchtui.core.config import provider_kwargs
        from batchtui.providers import make_provider

        def build(profile: Any) -> Any:
            name = profile.name
            self.counts.setdefault(name, 0)

            async def hook(request: httpx.Request) -> None:
                self.counts[name] += 1
                self.times.append(time.perf_counter())
                path = request.url.path
                self.paths[path] = self.paths.get(path, 0) + 1

            client = httpx.AsyncClient(event_hooks={"request": [hook]}, timeout=60.0)
            return make_provider(profile.provider, **provider_kwargs(profile), client=client)

        return build


def b5_dashboard(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The dashboard on a home with live jobs: key-press to frame latency, idle CPU, requests."""
    from batchtui.core.workspace import Workspace
    from batchtui.ui.app import make_app

    os.environ.update(args.get("env", {}))
    counter = RequestCounter()
    workspace = Workspace.open(Path(args["home"]), provider_factory=counter.factory())
    poll = bool(args["poll"])
    presses = int(args["presses"])

    async def go() -> dict[str, Any]:
        app = make_app(workspace, poll=poll, cursor_blink=False)
        out: dict[str, Any] = {"poll": poll}
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.pause()
            table = app.jobs_screen.table
            frames = FrameClock(app, lambda: table.cursor_row)
            out["jobs_shown"] = table.row_count
            began = time.perf_counter()
            await asyncio.sleep(float(args["warmup_s"]))
            if poll:  # let the start-up burst (every live job polled at once) pass first
                await _burst_over(
                    counter,
                    int(args.get("jobs", 0)),
                    float(args.get("budget_per_min", 0.0)),
                    began + 240.0,
                )
            out["warmup_s"] = time.perf_counter() - began
            out["warmup_requests"] = counter.total()
            requests0, cpu0, wall0 = counter.total(), time.process_time(), time.perf_counter()
            frames0 = len(frames.times)
            await asyncio.sleep(float(args["idle_s"]))
            wall = time.perf_counter() - wall0
            out["idle_s"] = wall
            out["elapsed_s"] = wall0 - began + wall / 2
            out["idle_cpu_pct"] = 100.0 * (time.process_time() - cpu0) / wall
            out["requests_per_min"] = 60.0 * (counter.total() - requests0) / wall
            out["requests_by_profile"] = dict(counter.counts)
            out["idle_frames_per_s"] = (len(frames.times) - frames0) / wall
            out["requests_per_10s"] = counter.timeline(began)
            out["requests_before_start"] = sum(1 for t in counter.times if t < began)
            out["max_requests_one_job"] = max(counter.paths.values(), default=0)
            latencies = []
            for i in range(presses):
                key = "j" if i < presses // 2 else "k"
                start = time.perf_counter()
                await pilot.press(key)
                moved_to = table.cursor_row
                drawn = await frames.frame_after(start, timeout=10.0, showing=moved_to)
                latencies.append(drawn - start)
            out["latency_p50_ms"] = 1000 * statistics.median(latencies)
            out["latency_p95_ms"] = 1000 * _percentile(latencies, 95)
            out["latency_max_ms"] = 1000 * max(latencies)
            await app.action_quit()
        await workspace.aclose()
        return out

    def run() -> dict[str, Any]:
        try:
            return asyncio.run(go())
        except Exception as exc:
            return {"error": f"{type(exc).__name__}: {exc}"[:300]}

    return run


async def _burst_over(
    counter: RequestCounter, jobs: int, budget_per_min: float, limit: float
) -> None:
    """Wait until the start-up polls are over (or ``limit``).

    At start every live job is due at once, except the newest 100 per profile whose snapshots
    come with the first list call; the burst is over once most of the others were polled (or
    20 s passed, for a poller that reads them from list pages) and the last 5 s ran at no more
    than 1.5x the rate the poll settings allow.
    """
    needed = 0.75 * max(0, jobs - 200)
    quiet = max(5.0, 1.5 * budget_per_min / 12.0)  # requests per 5 s
    began = time.perf_counter()
    while time.perf_counter() < limit:
        await asyncio.sleep(0.5)
        now = time.perf_counter()
        recent = sum(1 for t in counter.times[-int(quiet + 1) :] if t > now - 5.0)
        # A poller that refreshes jobs by list pages makes far fewer requests than jobs: then
        # the burst is over once the rate has stayed quiet, 20 s in.
        if (counter.total() >= needed or now - began >= 20.0) and recent <= quiet:
            return


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]


# ------------------------------------------------------------------ B7: filter and sort


def _dashboard_state(app: Any) -> Callable[[], tuple[Any, ...]]:
    """What a frame shows of the jobs screen: rows, cursor, sort, the filter box and focus.

    Read with ``getattr`` so a reworked table keeps the piece working (a missing attribute
    reads as None and only makes the marker coarser)."""

    def state() -> tuple[Any, ...]:
        screen = app.jobs_screen
        table = screen.table
        boxes = screen.query("#jobs-filter")
        box = boxes.first() if boxes else None
        focused = app.focused
        return (
            getattr(table, "row_count", None),
            getattr(table, "cursor_row", None),
            getattr(table, "sort_key", None),
            getattr(table, "sort_reverse", None),
            getattr(box, "value", None),
            box is not None and not box.has_class("-hidden"),
            getattr(focused, "id", None),
        )

    return state


async def _time_keys(
    pilot: Any, frames: FrameClock, state: Callable[[], Any], keys: list[str]
) -> list[tuple[str, float]]:
    """Press each key in turn; key -> first frame that shows the state the key led to."""
    timed = []
    for key in keys:
        before = state()
        start = time.perf_counter()
        await pilot.press(key)
        after = state()
        if after == before:  # a change made off the key's handler: wait for it (or 2 s)
            deadline = time.perf_counter() + 2.0
            while after == before and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
                after = state()
        drawn = await frames.frame_after(start, timeout=20.0, showing=after)
        timed.append((key, drawn - start))
    return timed


def _spread(timed: list[tuple[str, float]]) -> dict[str, Any]:
    values = [seconds for _, seconds in timed]
    slowest = max(timed, key=lambda item: item[1])
    return {
        "p50_ms": 1000 * statistics.median(values),
        "p95_ms": 1000 * _percentile(values, 95),
        "max_ms": 1000 * slowest[1],
        "slowest_key": slowest[0],
        "keys": len(values),
    }


FILTER_WORDS = ("anthropic", "openai")
"""Typed into the `/` filter: each narrows the table to one profile's half, letter by letter."""


def b7_dashboard(args: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The dashboard (polling off) on a home of many jobs: the keys a user presses to filter
    (``/``, a word letter by letter, enter; later escape) and to sort (``s``), each timed from
    the key to the first frame showing its result; ``j``/``k`` cursor moves as the floor."""
    from batchtui.core.workspace import Workspace
    from batchtui.ui.app import make_app

    os.environ.update(args.get("env", {}))
    workspace = Workspace.open(Path(args["home"]))
    sorts = int(args["sorts"])

    async def go() -> dict[str, Any]:
        app = make_app(workspace, poll=False, cursor_blink=False)
        out: dict[str, Any] = {}
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.pause()
            out["jobs_shown"] = app.jobs_screen.table.row_count
            # The start-up work of the rows (DataTable measuring on idle) must be over.
            await asyncio.sleep(float(args["settle_s"]))
            state = _dashboard_state(app)
            frames = FrameClock(app, state)
            cursor = await _time_keys(pilot, frames, state, ["j"] * 5 + ["k"] * 5)
            filters: list[tuple[str, float]] = []
            shown: dict[str, int] = {}
            for word in FILTER_WORDS:
                filters += await _time_keys(pilot, frames, state, ["slash", *word, "enter"])
                shown[word] = app.jobs_screen.table.row_count
                filters += await _time_keys(pilot, frames, state, ["escape"])
            sorting = await _time_keys(pilot, frames, state, ["s"] * sorts)
            out["cursor"] = _spread(cursor)
            out["filter"] = _spread(filters)
            out["sort"] = _spread(sorting)
            out["filter_rows"] = shown
            out["sort_keys"] = sorts
            await app.action_quit()
        await workspace.aclose()
        return out

    def run() -> dict[str, Any]:
        try:
            return asyncio.run(go())
        except Exception as exc:
            return {"error": f"{type(exc).__name__}: {exc}"[:300]}

    return run
