"""Pilot tests of the results browser, triage and the run view."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Tree
from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.ui.app import BatchTuiApp
from batchtui.ui.screens.path_prompt import PathModal
from batchtui.ui.screens.results import ResultsScreen
from batchtui.ui.screens.run import RunScreen
from batchtui.ui.screens.triage import TriageScreen
from batchtui.ui.widgets.result_detail import ResultDetail
from batchtui.ui.widgets.results_view import ResultsView

SIZE = (120, 36)


async def open_results(pilot, app: BatchTuiApp, local_id: str = "j1") -> ResultsScreen:
    await settle(pilot)
    app.jobs_screen.open_results(local_id)
    await settle(pilot)
    assert isinstance(app.screen, ResultsScreen)
    return app.screen


async def test_lines_appear_while_the_download_runs(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    fake_ws.chunk = 7
    fake_ws.chunk_delay = 0.05
    seen: list[int] = []
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ui_app.jobs_screen.open_results("j1")
        await wait_for(pilot, lambda: bool(ui_app.screen.query(ResultsView)))
        view = ui_app.screen.query_one(ResultsView)
        while not fake_ws.cached.get("j1"):
            seen.append(view.row_count)
            await pilot.pause(0.01)  # sampling the row count, not a timing assertion
        await settle(pilot)
        assert view.row_count == 60
    partial = [n for n in seen if 0 < n < 60]
    assert partial, seen  # rows were shown before the download finished


async def test_letters_queued_behind_slash_go_to_the_results_filter(ui_app: BatchTuiApp) -> None:
    """As on the job table: keys queued behind `/` in one burst land in the filter box (not on
    the screen's one-letter bindings: e, o, f...), and `/` typed in the box is text."""
    from textual import events
    from textual.widgets import Input

    async with ui_app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, ui_app)
        view = screen.query_one(ResultsView)
        for key, char in [("slash", "/"), *((c, c) for c in "outcome:errored")]:
            ui_app.post_message(events.Key(key, char))  # as the terminal driver does
        await settle(pilot)
        box = screen.query_one("#results-filter", Input)
        assert box.value == "outcome:errored"
        assert view.row_count == 6
        await pilot.press("ctrl+a", "ctrl+k", *"fr/00")
        assert box.value == "fr/00"


async def test_browse_filter_and_detail(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, ui_app)
        view = screen.query_one(ResultsView)
        assert view.row_count == 60
        await pilot.press("j")
        assert view.current_result().custom_id == "fr-0001"
        detail = screen.query_one(ResultDetail).query_one("#result-detail-body")
        assert "rate_limit_error" in str(detail.render())
        await pilot.press("slash", *"outcome:errored")
        await settle(pilot)
        assert view.row_count == 6
        await pilot.press("enter", "e")
        await settle(pilot)
        assert view.row_count == 8  # is:problem also shows truncated successes
        await pilot.press("e")
        await settle(pilot)
        assert view.row_count == 60
        await pilot.press("o", "o", "o")
        await settle(pilot)
        assert screen.query_filter.outcomes == ("canceled",)
        assert view.row_count == 0
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(ui_app.screen, ResultsScreen)


async def test_text_search_and_scroll_to_end(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, ui_app)
        view = screen.query_one(ResultsView)
        await pilot.press("G")
        assert view.current_result().custom_id == "fr-0059"
        assert view.scroll_y > 0
        await pilot.press("slash", *"fr-0042")
        await settle(pilot)
        assert [view.source.get_result(i).custom_id for i in view.indices] == ["fr-0042"]


async def test_mark_and_retry_marked(ui_app: BatchTuiApp, fake_ws: FakeWorkspace) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, ui_app)
        view = screen.query_one(ResultsView)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("space", "space")
        assert view.marked_custom_ids() == ["fr-0001", "fr-0007"]
        await pilot.press("k", "space")
        assert view.marked_custom_ids() == ["fr-0001"]
        await pilot.press("R")
        await settle(pilot)
        retry = [c for c in fake_ws.calls if c[0] == "retry"]
        assert retry == [("retry", ("j1", {"custom_ids": ["fr-0001"]}))]
        assert not view.marked


async def test_copy_custom_id(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await open_results(pilot, ui_app)
        await pilot.press("j", "j", "y")
        assert ui_app.clipboard == "fr-0002"


async def test_export_current_filter(ui_app: BatchTuiApp, tmp_path: Path) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await open_results(pilot, ui_app)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(ui_app.screen, PathModal)
        target = tmp_path / "problems.jsonl"
        ui_app.screen.query_one("#path-input").value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        lines = [json.loads(line) for line in target.read_text().splitlines()]
        assert len(lines) == 8
        assert {line["outcome"] for line in lines} == {"errored", "succeeded"}
        assert all(line["outcome"] == "errored" or line["flag"] == "truncated" for line in lines)
        assert set(lines[0]) >= {"custom_id", "outcome", "flag", "text", "usage", "error", "raw"}
        await pilot.press("x")
        await settle(pilot)
        csv_target = tmp_path / "problems.csv"
        ui_app.screen.query_one("#path-input").value = str(csv_target)
        ui_app.screen.query_one("#path-format").value = "csv"
        await pilot.press("enter")
        await settle(pilot)
        rows = csv_target.read_text().splitlines()
        assert rows[0].startswith("custom_id,outcome,flag") and len(rows) == 9


async def test_triage_marks_a_group_and_retries_it(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await open_results(pilot, ui_app)
        await pilot.press("t")
        await settle(pilot)
        screen = ui_app.screen
        assert isinstance(screen, TriageScreen)
        tree = screen.query_one(Tree)
        await wait_for(pilot, lambda: bool(tree.root.children))
        labels = [str(node.label) for node in tree.root.children]
        assert "stopped at max_tokens  (2)" in labels[-1]  # flag groups come last
        first = screen.groups[tree.root.children[0].data.group]
        await pilot.press("space")
        assert str(tree.root.children[0].label).startswith("[x]")
        assert screen.marked_custom_ids() == first.custom_ids
        tree.root.children[1].expand()
        await pilot.pause()
        await pilot.press("down", "space")
        assert len(screen.marked_custom_ids()) == first.count + 1
        await pilot.press("R")
        await settle(pilot)
        call = [c for c in fake_ws.calls if c[0] == "retry"][-1]
        assert call[1][0] == "j1"
        sent = call[1][1]["custom_ids"]
        assert set(first.custom_ids) < set(sent) and len(sent) == first.count + 1
        table = ui_app.jobs_screen.table
        order = table.shown_ids
        new = [i for i in order if i not in {f"j{n}" for n in range(1, 8)}]
        assert len(new) == 1 and table.views[new[0]].parent_id == "j1"
        assert order.index(new[0]) in (order.index("j1") + 1, order.index("j1") + 2)
        assert table.row_text(new[0]).label.startswith("└ ")


async def test_run_view_lists_kept_and_missing(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "u")
        await settle(pilot)
        screen = ui_app.screen
        assert isinstance(screen, RunScreen)
        summary = screen.summary
        assert summary is not None
        assert summary.total == 64
        assert len(summary.missing) == 6
        assert summary.succeeded == 58
        kept = screen.query_one("#run-kept")
        assert kept.row_count == 58
