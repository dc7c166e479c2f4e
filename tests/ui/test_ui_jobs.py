"""Pilot tests of the job table: live updates in place, navigation, filter, sort, cancel."""

from __future__ import annotations

from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.core.models import BatchStatus
from batchtui.ui.app import BatchTuiApp
from batchtui.ui.screens.confirm import ConfirmModal
from batchtui.ui.screens.jobs import JobsScreen
from batchtui.ui.screens.results import ResultsScreen
from batchtui.ui.widgets.job_table import JobTable

SIZE = (120, 36)


async def test_table_lists_every_job_with_retry_under_parent(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        assert table.row_count == 7
        order = table.shown_ids
        assert order.index("j2") == order.index("j1") + 1
        assert table.row_text("j2").label == "└ translate-fr retry"
        assert table.row_text("j3").progress == "▰▰▰▰▰▱▱▱  62%"
        assert table.row_text("j3").counts == "611/9/1000"
        assert table.row_text("j3").cost == "$0.31–1.85"  # the estimate until results are in
        assert table.row_text("j1").cost == "$0.0123"  # the actual cost
        assert table.row_text("j2").status == "⚠ stale 19m"  # narrow: the marker alone
        assert table.row_text("j7").progress == "held locally"


async def test_job_changed_updates_only_changed_cells_and_keeps_cursor(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        await pilot.press("down", "down", "down", "down")
        assert table.current_id == "j3"
        updated: list[tuple[str, str]] = []
        original = table.update_cell

        def spy(row_key, column_key, value, *, update_width=False):
            updated.append((str(row_key), str(column_key)))
            return original(row_key, column_key, value, update_width=update_width)

        table.update_cell = spy  # type: ignore[method-assign]
        added: list[str] = []
        original_add = table.add_row

        def spy_add(*cells, key=None, **kwargs):
            added.append(key)
            return original_add(*cells, key=key, **kwargs)

        table.add_row = spy_add  # type: ignore[method-assign]
        fake_ws.set_status("j3", BatchStatus.IN_PROGRESS, succeeded=700, processing=291)
        await wait_for(pilot, lambda: table.row_text("j3").counts == "700/9/1000")
        assert sorted(updated) == [("j3", "counts"), ("j3", "eta"), ("j3", "progress")]
        assert added == []
        assert table.row_count == 7
        assert table.current_id == "j3"
        assert table.cursor_row == 4


async def test_new_retry_job_is_added_under_its_parent(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        await pilot.press("down")
        assert table.current_id == "j4"
        await fake_ws.retry("j4", custom_ids=["eval-0001", "eval-0002"])
        await wait_for(pilot, lambda: table.row_count == 8)
        order = table.shown_ids
        new = next(i for i in order if i not in {f"j{n}" for n in range(1, 8)})
        assert order.index(new) == order.index("j4") + 1
        assert table.row_text(new).label.startswith("└ ")
        assert table.current_id == "j4"


async def test_job_end_notifies(ui_app: BatchTuiApp, fake_ws: FakeWorkspace) -> None:
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        fake_ws.set_status("j3", BatchStatus.COMPLETED, succeeded=990, errored=10, processing=0)
        await wait_for(pilot, lambda: bool(ui_app._notifications))
        note = list(ui_app._notifications)[-1]
        assert "summaries-q1 completed" in note.title
        assert "990 succeeded, 10 errored of 1,000" in note.message
        assert note.severity == "warning"


async def test_navigation_keys_and_enter_opens_results(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 6
        await pilot.press("g", "down", "down", "enter")
        await settle(pilot)
        assert isinstance(ui_app.screen, ResultsScreen)
        assert ui_app.screen.local_id == "j1"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(ui_app.screen, JobsScreen)
        assert table.current_id == "j1"
        await pilot.press("q")
        await settle(pilot)
    assert ui_app.return_code == 0


async def test_mouse_click_selects_a_row(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        await pilot.click(JobTable, offset=(5, 6))
        await settle(pilot)
        assert table.current_id == "j3"


async def test_filter_by_status_provider_and_text(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        await pilot.press("slash", *"status:failed")
        await settle(pilot)
        assert table.shown_ids == ["j6"]
        await pilot.press("ctrl+a", "ctrl+k", *"provider:anthropic")
        await settle(pilot)
        assert table.shown_ids == ["j5", "j3", "j7"]
        await pilot.press("ctrl+a", "ctrl+k", *"retry")
        await settle(pilot)
        assert table.shown_ids == ["j2"]
        await pilot.press("enter")
        assert table.has_focus
        await pilot.press("escape")
        await settle(pilot)
        assert table.row_count == 7


async def test_letters_queued_behind_slash_go_to_the_filter(ui_app: BatchTuiApp) -> None:
    """Keys that reach the app in one burst (fast typing while it is busy, e.g. polling 10,000
    jobs at start-up) are all queued before `/` is handled: the filter opens as the app reads
    `/`, so the letters after it land in the box, not on the table's bindings (c, r, n, i...).
    Inside the box, `/` is text."""
    from textual import events
    from textual.widgets import Input

    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        for key, char in [("slash", "/"), *((c, c) for c in "status:failed")]:
            ui_app.post_message(events.Key(key, char))  # as the terminal driver does
        await settle(pilot)
        box = ui_app.jobs_screen.query_one("#jobs-filter", Input)
        assert box.value == "status:failed"
        assert table.shown_ids == ["j6"]
        assert isinstance(ui_app.screen, JobsScreen)  # no binding fired on the way
        await pilot.press("ctrl+a", "ctrl+k", *"a/b")
        assert box.value == "a/b"
        await pilot.press("escape")
        await settle(pilot)
        assert table.row_count == 7


async def test_sort_cycles_and_header_click(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        await pilot.press("s")
        assert table.sort_key == "label"
        shown = table.shown_ids
        labels = [table.views[i].label for i in shown if table.views[i].parent_id is None]
        assert labels == sorted(labels, key=str.lower)
        assert shown.index("j2") == shown.index("j1") + 1
        await pilot.press("S")
        assert table.sort_reverse
        table.post_message(
            JobTable.HeaderSelected(table, table.ordered_columns[3].key, 3, label=None)
        )
        await settle(pilot)
        assert table.sort_key == "status"


async def test_cancel_asks_once(ui_app: BatchTuiApp, fake_ws: FakeWorkspace) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        await pilot.press("down", "down", "down", "down")
        assert table.current_id == "j3"
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(ui_app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert not any(call[0] == "cancel" for call in fake_ws.calls)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert ("cancel", "j3") in fake_ws.calls
        assert table.row_text("j3").status == "cancelling"
        await pilot.press("up", "up")
        assert table.current_id == "j1"
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(ui_app.screen, JobsScreen)  # a completed job: nothing to ask


async def test_refresh_polls_the_highlighted_job(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "r")
        assert ("poll_now", "j4") in fake_ws.calls
