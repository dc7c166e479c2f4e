"""The three user stories, pressed as a user would, against the real Workspace and the emulator.

The emulator's job clock is a FixedClock the test advances (time passing is not a key press);
the workspace polls for real over loopback HTTP, so rows change with no key pressed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Tree
from ui_helpers import settle, wait_for

from batchtui.core.clock import FixedClock
from batchtui.core.workspace import Workspace
from batchtui.demo import demo_config
from batchtui.emulator import EmulatorServer
from batchtui.ui.app import BatchTuiApp, make_app
from batchtui.ui.models.money import estimate_of, usd, usd_range
from batchtui.ui.screens.clean import CleanModal
from batchtui.ui.screens.confirm import ConfirmModal
from batchtui.ui.screens.import_ import ImportScreen
from batchtui.ui.screens.jobs import JobsScreen
from batchtui.ui.screens.results import ResultsScreen
from batchtui.ui.screens.run import RunScreen
from batchtui.ui.screens.triage import TriageScreen
from batchtui.ui.widgets.results_view import ResultsView

pytestmark = pytest.mark.slow

SIZE = (120, 36)
KEY_ENV = "BATCHTUI_UI_TEST_KEY"
JOB_SECONDS = 20.0


@dataclass
class Story:
    """A running dashboard on a real workspace against one emulator."""

    app: BatchTuiApp
    ws: Workspace
    server: EmulatorServer
    inputs: Path

    @property
    def clock(self) -> FixedClock:
        return self.server.clock  # type: ignore[return-value]

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


def write_input(path: Path, count: int, *, prefix: str, model: str = "gpt-4o-mini") -> Path:
    """A neutral JSONL input of `count` requests."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(1, count + 1):
            line = {
                "custom_id": f"{prefix}-{n:03d}",
                "model": model,
                "messages": [{"role": "user", "content": f"Summarise ticket {n}."}],
                "max_tokens": 64,
            }
            out.write(json.dumps(line) + "\n")
    return path


@pytest.fixture
async def story(
    make_emulator: Callable[..., EmulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Callable[..., Story]]:
    """Factory: story(**emulator config) -> Story (app not yet running)."""
    made: list[Workspace] = []

    def factory(
        stale_after_s: float | None = None, max_in_flight: int | None = None, **config: Any
    ) -> Story:
        config.setdefault("clock", FixedClock(time.time()))
        config.setdefault("job_seconds", JOB_SECONDS)
        server = make_emulator(**config)
        monkeypatch.setenv(KEY_ENV, "test-key")
        config_ = demo_config(
            server,
            api_key_env=KEY_ENV,
            poll_min_s=0.05,
            poll_max_s=0.2,
            list_interval_s=3600.0,
            retry_budget_s=5.0,
            stale_after_s=stale_after_s,
            max_in_flight=max_in_flight,
        )
        ws = Workspace.open(tmp_path / "home", config=config_)
        made.append(ws)
        inputs = tmp_path / "inputs"
        inputs.mkdir(exist_ok=True)
        app = make_app(ws, ws.clock, cursor_blink=False, start_dir=inputs, compose_dir=inputs)
        return Story(app, ws, server, inputs)

    yield factory
    for ws in made:
        await ws.aclose()


async def wait_status(pilot, app: BatchTuiApp, local_id: str, status: str) -> None:
    table = app.jobs_screen.table
    await wait_for(
        pilot,
        lambda: table.row_text(local_id) is not None and table.row_text(local_id).status == status,
        timeout=20,
    )


async def test_story_1_submit_from_import_and_watch_it_complete(story) -> None:
    s = story()
    path = write_input(s.inputs / "tickets.jsonl", 12, prefix="t")
    async with s.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        screen = s.app.screen
        assert isinstance(screen, ImportScreen)
        await pilot.press("ctrl+l", *str(path), "enter")
        await wait_for(pilot, lambda: screen.report is not None)
        assert screen.report.ok and screen.report.requests == 12
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(s.app.screen, JobsScreen), timeout=20)
        table = s.app.jobs_screen.table
        await wait_for(pilot, lambda: table.current_id is not None and table.row_count == 1)
        local_id = table.current_id
        assert table.views[local_id].provider_id
        # No key from here on: the poller brings the row to its end as time passes.
        s.advance(JOB_SECONDS / 2)
        await wait_for(pilot, lambda: table.row_text(local_id).status == "in_progress", 20)
        s.advance(JOB_SECONDS)
        await wait_status(pilot, s.app, local_id, "completed")
        row = table.row_text(local_id)
        assert row.counts == "12/0/12"
        assert row.progress.endswith("100%")


async def test_story_2_triage_failures_and_retry_a_group(story) -> None:
    s = story(fail_rate=0.35)
    path = write_input(s.inputs / "evals.jsonl", 30, prefix="e")
    (parent,) = await s.ws.submit_file(path, "openai", label="evals")
    async with s.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        s.advance(JOB_SECONDS * 2)
        await wait_status(pilot, s.app, parent.local_id, "completed")
        table = s.app.jobs_screen.table
        errored = table.views[parent.local_id].counts.errored
        assert errored > 0
        s.app.jobs_screen.select_job(parent.local_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ResultsScreen))
        results = s.app.screen
        view = results.query_one(ResultsView)
        await wait_for(pilot, lambda: view.row_count == 30 and not results.downloading, 20)
        await pilot.press("e")
        await wait_for(pilot, lambda: view.indices is not None and view.row_count >= errored)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(s.app.screen, TriageScreen))
        triage = s.app.screen
        tree = triage.query_one(Tree)
        await wait_for(pilot, lambda: bool(tree.root.children))
        group = triage.groups[tree.root.children[0].data.group]
        await pilot.press("space", "R")
        await wait_for(pilot, lambda: table.row_count == 2, 20)
        child_id = next(i for i in table.shown_ids if i != parent.local_id)
        child = table.views[child_id]
        assert child.parent_id == parent.local_id
        assert table.shown_ids.index(child_id) == table.shown_ids.index(parent.local_id) + 1
        assert table.row_text(child_id).label.startswith("└ ")
        assert s.ws.job(child_id).request_count == group.count


async def test_story_3_cancel_partial_results_recover_and_complete(story) -> None:
    s = story()
    path = write_input(s.inputs / "long.jsonl", 20, prefix="l")
    (job,) = await s.ws.submit_file(path, "openai", label="long job")
    async with s.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = s.app.jobs_screen.table
        s.advance(JOB_SECONDS * 0.5)
        await wait_for(pilot, lambda: table.views[job.local_id].counts.done > 0, 20)
        s.app.jobs_screen.select_job(job.local_id)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_status(pilot, s.app, job.local_id, "cancelling")
        s.advance(JOB_SECONDS)
        await wait_status(pilot, s.app, job.local_id, "cancelled")
        kept = table.views[job.local_id].counts.succeeded
        assert 0 < kept < 20
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ResultsScreen))
        view = s.app.screen.query_one(ResultsView)
        await wait_for(pilot, lambda: not s.app.screen.downloading and view.row_count > 0, 20)
        assert (
            sum(
                1
                for i in range(view.row_count)
                if view.source.get_result(i).outcome.value == "succeeded"
            )
            == kept
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(s.app.screen, JobsScreen))
        await pilot.press("v")
        await wait_for(pilot, lambda: table.row_count == 2, 20)
        child_id = next(i for i in table.shown_ids if i != job.local_id)
        assert table.views[child_id].parent_id == job.local_id
        assert s.ws.job(child_id).request_count == 20 - kept
        s.advance(JOB_SECONDS * 2)
        await wait_status(pilot, s.app, child_id, "completed")
        s.app.jobs_screen.select_job(job.local_id)
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(s.app.screen, RunScreen))
        run = s.app.screen
        await wait_for(pilot, lambda: run.summary is not None, 20)
        assert run.summary.complete
        assert run.summary.succeeded == 20
        assert all(row.text for row in run.summary.rows)  # each answer's first words


async def test_story_money_and_hygiene_on_anthropic(story) -> None:
    """An Anthropic job shows its estimate, then its actual cost once its results are cached;
    the run view shows the answers; clean lists and deletes the ended batch."""
    s = story()
    path = write_input(s.inputs / "notes.jsonl", 6, prefix="n", model="claude-haiku-4-5")
    (job,) = await s.ws.submit_file(path, "anthropic", label="notes")
    async with s.app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        table = s.app.jobs_screen.table
        await wait_for(pilot, lambda: table.row_text(job.local_id) is not None)
        figures = estimate_of(s.ws.job(job.local_id).estimate)
        assert figures is not None and figures.priced  # kept by the core at submission
        assert table.row_text(job.local_id).cost == usd_range(figures.low, figures.high)
        s.advance(JOB_SECONDS * 2)
        await wait_status(pilot, s.app, job.local_id, "completed")
        s.app.jobs_screen.select_job(job.local_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(s.app.screen, ResultsScreen))
        view = s.app.screen.query_one(ResultsView)
        await wait_for(pilot, lambda: not s.app.screen.downloading and view.row_count == 6, 20)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(s.app.screen, JobsScreen))
        await wait_for(pilot, lambda: table.views[job.local_id].cost is not None, 20)
        cost = s.ws.job(job.local_id).cost
        assert table.row_text(job.local_id).cost == usd(cost["cost_usd"])
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(s.app.screen, RunScreen))
        run = s.app.screen
        await wait_for(pilot, lambda: run.summary is not None, 20)
        assert len(run.summary.rows) == 6 and all(row.text for row in run.summary.rows)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(s.app.screen, JobsScreen))
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(s.app.screen, CleanModal), 20)
        assert any(job.id in line for line in s.app.screen.lines)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(s.app.screen, JobsScreen))
        await wait_for(
            pilot,
            lambda: any("Deleted" in n.message for n in s.app._notifications),
            20,
        )
        assert s.ws.clean_plan().items == ()


async def test_keys_answer_while_the_provider_is_slow_or_rate_limited(story) -> None:
    s = story()
    path = write_input(s.inputs / "busy.jsonl", 10, prefix="b")
    (job,) = await s.ws.submit_file(path, "openai", label="busy")
    # A gate in the emulator holds every status poll until the test opens it: a provider
    # call is provably in flight while the keys below are handled (no timing involved).
    gate = threading.Event()
    held: list[str] = []
    handle = s.server.app.handle

    def gated(request: Any) -> Any:
        if request.method == "GET" and "/batches/" in request.path:
            held.append(request.path)
            gate.wait(60)
        return handle(request)

    s.server.app.handle = gated
    try:
        async with s.app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            table = s.app.jobs_screen.table

            async def use_keys() -> None:
                for text in ("bus", "zz"):
                    await pilot.press("slash", *text, "enter")
                    expected = [] if text == "zz" else [job.local_id]
                    assert table.shown_ids == expected
                    await pilot.press("escape")
                await pilot.press("question_mark")
                await wait_for(pilot, lambda: type(s.app.screen).__name__ == "HelpScreen")
                await pilot.press("escape")
                await pilot.press("enter")
                await wait_for(pilot, lambda: isinstance(s.app.screen, ResultsScreen))
                await pilot.press("escape")
                await wait_for(pilot, lambda: isinstance(s.app.screen, JobsScreen))

            s.advance(JOB_SECONDS / 2)
            await pilot.press("r")
            await wait_for(pilot, lambda: bool(held), 20)
            await use_keys()
            assert not gate.is_set() and table.row_text(job.local_id).status == "validating"
            gate.set()
            await wait_for(pilot, lambda: table.row_text(job.local_id).status != "validating", 20)
            # 429 on every call: the poller backs off and the keys still work.
            s.server.set_faults("429=1:1")
            await pilot.press("r")
            await use_keys()
            assert s.app.is_running
            s.server.set_faults("")
            s.advance(JOB_SECONDS)
            await wait_status(pilot, s.app, job.local_id, "completed")
    finally:
        gate.set()


async def test_jobs_submitted_by_another_process_appear_and_are_polled(story, tmp_path) -> None:
    """A job the CLI submits while the dashboard runs shows up at the next tick and moves."""
    s = story()
    path = write_input(s.inputs / "cli.jsonl", 4, prefix="c")
    async with s.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = s.app.jobs_screen.table
        assert table.row_count == 0
        other = Workspace.open(tmp_path / "home", config=s.ws.config)  # as `batchtui submit`
        try:
            (job,) = await other.submit_file(path, "openai", label="from the cli")
        finally:
            await other.aclose()
        s.app.jobs_screen._tick()  # the screen's 5-second timer firing
        await wait_for(pilot, lambda: job.local_id in table.views, 10)
        assert table.row_text(job.local_id).label == "from the cli"
        s.advance(JOB_SECONDS * 2)
        await wait_status(pilot, s.app, job.local_id, "completed")


async def test_a_job_whose_counts_stop_moving_is_marked_stale(story) -> None:
    """The poller follows a running job whose counts stand still: after the profile's
    threshold the row says so, with no key pressed (unchanged polls are never stored)."""
    s = story(stale_after_s=0.5)
    path = write_input(s.inputs / "stuck.jsonl", 6, prefix="s")
    (job,) = await s.ws.submit_file(path, "openai", label="stuck")
    async with s.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = s.app.jobs_screen.table
        s.advance(JOB_SECONDS * 0.3)  # in progress, some done; then the emulator's time stops
        await wait_for(pilot, lambda: table.views[job.local_id].counts.done > 0, 20)
        assert "stale" not in table.row_text(job.local_id).status
        await pilot.pause(0.6)  # real time passes: the threshold is on the store's clock
        s.app.jobs_screen._tick()  # the screen's 5-second timer firing
        await wait_for(pilot, lambda: "⚠ stale" in table.row_text(job.local_id).status, 10)
        s.advance(JOB_SECONDS * 2)
        await wait_status(pilot, s.app, job.local_id, "completed")
        assert "stale" not in table.row_text(job.local_id).status


async def test_a_queued_job_waits_in_its_row_then_goes_out(story) -> None:
    """Over the profile's max_in_flight a submission is held locally (QUEUED, no provider id)
    and leaves by itself when the earlier job ends, in the same row."""
    s = story(max_in_flight=1)
    first = write_input(s.inputs / "first.jsonl", 3, prefix="f")
    second = write_input(s.inputs / "second.jsonl", 3, prefix="g")
    (job1,) = await s.ws.submit_file(first, "openai", label="first")
    (job2,) = await s.ws.submit_file(second, "openai", label="second")
    assert job2.status.value == "queued"
    async with s.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = s.app.jobs_screen.table
        row = table.row_text(job2.local_id)
        assert (row.status, row.progress, row.short_id) == (
            "queued",
            "held locally",
            f"local:{job2.local_id[:6]}",
        )
        s.advance(JOB_SECONDS * 2)
        await wait_status(pilot, s.app, job1.local_id, "completed")
        await wait_for(pilot, lambda: table.views[job2.local_id].provider_id is not None, 20)
        s.advance(JOB_SECONDS * 2)
        await wait_status(pilot, s.app, job2.local_id, "completed")
        assert table.row_count == 2
