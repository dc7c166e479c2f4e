"""Pilot tests of issue 7 in the dashboard: clean provider files, flag retries with a new
max_tokens, budget refusals, the compose estimate, the user keymap and where `q` quits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import events
from textual.widgets import Input, Static, Tree
from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.core.budget import BudgetExceeded
from batchtui.core.config import UiSettings
from batchtui.ui.app import BatchTuiApp, make_app
from batchtui.ui.screens.clean import CleanModal
from batchtui.ui.screens.compose import ComposeScreen
from batchtui.ui.screens.jobs import JobsScreen
from batchtui.ui.screens.results import ResultsScreen
from batchtui.ui.screens.retry_prompt import MaxTokensModal
from batchtui.ui.screens.triage import TriageScreen
from batchtui.ui.widgets.results_view import ResultsView

SIZE = (120, 36)
DATA = Path(__file__).parent / "data"


def notes(app: BatchTuiApp) -> list:
    return list(app._notifications)


async def test_clean_lists_the_plan_asks_once_then_deletes(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        targets = [item.target for item in fake_ws.clean_plan().items]
        await pilot.press("D")
        await settle(pilot)
        modal = ui_app.screen
        assert isinstance(modal, CleanModal)
        assert modal.lines == [item.describe() for item in fake_ws.clean_plan().items]
        assert len(modal.lines) == 5
        shown = str(modal.query_one("#clean-items", Static).render())
        assert "anthropic: delete anthropic batch msgbatch_01Hj9bQ2mXrT5sYw8vN3kLp4" in shown
        assert not [c for c in fake_ws.calls if c[0] == "clean"]  # nothing before the answer
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(ui_app.screen, JobsScreen)
        (call,) = [c for c in fake_ws.calls if c[0] == "clean"]
        assert call[1] == targets
        assert notes(ui_app)[-1].message == "Deleted 5 object(s) at the providers."
        await pilot.press("D")  # everything is clean now
        await settle(pilot)
        assert isinstance(ui_app.screen, JobsScreen)
        assert notes(ui_app)[-1].message.startswith("Nothing to clean")
        assert len([c for c in fake_ws.calls if c[0] == "clean"]) == 1


async def test_clean_can_be_declined_and_reports_failures(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    fake_ws.clean_failures = {"msgbatch_01Hj9bQ2mXrT5sYw8vN3kLp4": "batch [still] ending"}
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(ui_app.screen, CleanModal)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(ui_app.screen, JobsScreen)
        assert not [c for c in fake_ws.calls if c[0] == "clean"]
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        note = notes(ui_app)[-1]
        assert note.severity == "warning"
        assert "Deleted 4 object(s)" in note.message
        assert "batch \\[still] ending" in note.message  # escaped provider text


async def test_clean_is_hidden_when_no_profile_has_a_key(fake_ws: FakeWorkspace) -> None:
    fake_ws.usable_profiles = lambda: []  # type: ignore[method-assign]
    app = make_app(fake_ws, fake_ws.clock, cursor_blink=False, start_dir=DATA)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.usable_profiles is not None)  # polling has looked
        actions = {b.binding.action for b in app.screen.active_bindings.values()}
        assert "clean_files" not in actions
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)


async def open_triage(pilot, app: BatchTuiApp, local_id: str) -> TriageScreen:
    await settle(pilot)
    app.jobs_screen.open_results(local_id)
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, TriageScreen)
    tree = screen.query_one(Tree)
    await wait_for(pilot, lambda: bool(tree.root.children))
    return screen


async def test_truncated_group_retries_by_flag_with_a_new_max_tokens(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        screen = await open_triage(pilot, ui_app, "j4")
        keys = [node.data.group for node in screen.query_one(Tree).root.children]
        assert keys == ["flag:truncated", "flag:filtered", "flag:http_error", "flag:refused"]
        await pilot.press("space", "R")  # the truncated group
        await settle(pilot)
        modal = ui_app.screen
        assert isinstance(modal, MaxTokensModal)
        box = modal.query_one("#max-tokens-input", Input)
        assert box.value == "512"  # twice the 256 they stopped at
        box.value = "700"
        await pilot.press("enter")
        await settle(pilot)
        assert ui_app.screen is screen
        retry = [c for c in fake_ws.calls if c[0] == "retry"]
        assert retry == [("retry", ("j4", {"flag": "truncated", "max_tokens": 700}))]


async def test_mixed_marks_keep_custom_ids_and_a_refused_retry_sends_nothing(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        screen = await open_triage(pilot, ui_app, "j4")
        await pilot.press("a", "R")  # every group: truncated among others
        await settle(pilot)
        assert isinstance(ui_app.screen, MaxTokensModal)
        await pilot.press("escape")
        await settle(pilot)
        assert ui_app.screen is screen and not [c for c in fake_ws.calls if c[0] == "retry"]
        await pilot.press("R")
        await settle(pilot)
        ui_app.screen.query_one("#max-tokens-input", Input).value = "0"
        await pilot.press("enter")  # not a limit: the dialog stays
        await settle(pilot)
        assert isinstance(ui_app.screen, MaxTokensModal)
        await pilot.click("#max-tokens-keep")
        await settle(pilot)
        (call,) = [c for c in fake_ws.calls if c[0] == "retry"]
        assert call[1][0] == "j4" and set(call[1][1]) == {"custom_ids"}
        assert len(call[1][1]["custom_ids"]) == 6


async def test_results_flag_filter_and_retry_of_marked_truncated(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ui_app.jobs_screen.open_results("j4")
        await settle(pilot)
        screen = ui_app.screen
        assert isinstance(screen, ResultsScreen)
        view = screen.query_one(ResultsView)
        await pilot.press("f")
        await settle(pilot)
        assert screen.query_filter.flags == ("truncated",)
        assert screen.query_one("#results-filter", Input).value == "flag:truncated"
        assert view.row_count == 3
        await pilot.press("f")
        await settle(pilot)
        assert screen.query_filter.flags == ("filtered",) and view.row_count == 1
        await pilot.press("f", "f", "f")
        await settle(pilot)
        assert screen.query_filter.flags == () and view.row_count == 18
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("g", "space", "space", "R")  # the first two truncated results
        await settle(pilot)
        assert isinstance(ui_app.screen, MaxTokensModal)
        await pilot.press("enter")
        await settle(pilot)
        (call,) = [c for c in fake_ws.calls if c[0] == "retry"]
        assert call[1] == ("j4", {"custom_ids": ["eval-0002", "eval-0008"], "max_tokens": 512})


async def test_budget_refusal_names_estimate_and_budget(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    fake_ws.fail_next = BudgetExceeded(
        "max_cost_usd of profile 'openai-main': the high estimate is $0.0412 (low $0.0050), "
        "over the limit of $0.0100; nothing was sent"
    )
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        screen = ui_app.screen
        screen.query_one("#import-path", Input).value = str(DATA / "good.jsonl")
        screen.query_one("#import-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert ui_app.screen is screen  # still there: nothing was submitted
        note = notes(ui_app)[-1]
        assert note.severity == "error"
        assert note.title.startswith("Over budget")
        assert "high estimate is $0.0412" in note.message and "limit of $0.0100" in note.message


async def test_compose_shows_the_estimate(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = ui_app.screen
        assert isinstance(screen, ComposeScreen)
        screen.query_one("#compose-prompts").focus()
        await pilot.press("a")
        await settle(pilot)
        ui_app.screen.query_one("#prompt-text").text = "Say hello in French."
        await pilot.press("ctrl+s")
        await settle(pilot)
        line = str(screen.query_one("#compose-problems", Static).render())
        assert line.startswith("ready: 1 request(s) · est. cost ≤$0.")


async def test_q_does_not_quit_while_editing_but_ctrl_q_does(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = ui_app.screen
        screen.query_one("#compose-prompts").focus()
        await pilot.press("q")
        await settle(pilot)
        assert ui_app.is_running and ui_app.screen is screen
        shown = {b.binding.key for b in screen.active_bindings.values() if b.binding.show}
        assert "ctrl+q" in shown and "q" not in shown
        await pilot.press("escape")
        await settle(pilot)
        shown = {b.binding.key for b in ui_app.screen.active_bindings.values() if b.binding.show}
        assert "q" in shown and "ctrl+q" not in shown
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert ui_app.return_code == 0


async def test_keymap_from_the_config_rebinds_keys(fake_ws: FakeWorkspace) -> None:
    fake_ws.config = replace(
        fake_ws.config,
        keymap={"jobs.refresh": "f5", "app.quit": "x", "jobs.refersh": "f6"},
        ui=UiSettings(theme="textual-light"),
    )
    app = make_app(fake_ws, fake_ws.clock, cursor_blink=False, start_dir=DATA)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"
        warning = notes(app)[-1]
        assert warning.severity == "warning" and "jobs.refersh" in warning.message
        assert "jobs.refresh," not in warning.message
        await pilot.press("r")
        assert ("poll_now", None) not in fake_ws.calls and not any(
            c[0] == "poll_now" for c in fake_ws.calls
        )
        await pilot.press("f5")
        await settle(pilot)
        assert any(c[0] == "poll_now" for c in fake_ws.calls)
        await pilot.press("q")
        await settle(pilot)
        assert app.is_running
        await pilot.press("x")
        await settle(pilot)
    assert app.return_code == 0


async def test_polling_starts_after_the_first_frame(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: ("start_polling", None) in fake_ws.calls)
        assert ui_app.jobs_screen.table.row_count == 7


async def test_wide_table_shows_status_and_stale_marker(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=(150, 40)) as pilot:  # the table is 150 wide here
        await settle(pilot)
        table = ui_app.jobs_screen.table
        assert table.row_text("j2").status == "in_progress ⚠ stale 19m"
        assert table.row_text("j3").status == "in_progress"
        assert table.row_text("j7").status == "queued"


async def test_keys_pressed_while_quitting_reach_no_widget(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    """`q` then `u` at once used to open the run view while polling stopped, and the
    half-mounted screen raised NoMatches on exit."""
    fake_ws.slow_stop = 0.3
    forwarded: list[str] = []
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = ui_app.jobs_screen.table
        original = table._forward_event

        def spy(event: events.Event) -> None:
            if isinstance(event, events.Key):
                forwarded.append(event.key)
            original(event)

        table._forward_event = spy  # type: ignore[method-assign]
        ui_app.post_message(events.Key("q", "q"))
        await wait_for(pilot, lambda: ("stop_polling", None) in fake_ws.calls)
        for key, char in (("u", "u"), ("enter", None)):
            ui_app.post_message(events.Key(key, char))  # typed while polling stops
        ui_app.jobs_screen.open_run("j1")  # a key already queued behind `q` runs its action
        await pilot.pause(0.5)  # the stop takes 0.3 s
        assert ui_app.screen is ui_app.jobs_screen
    assert ui_app.return_code == 0
    assert forwarded == ["q"]
