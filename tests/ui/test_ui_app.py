"""Pilot tests of what holds everywhere: help, palette, bindings, errors, a slow workspace."""

from __future__ import annotations

import asyncio

from textual.binding import Binding
from textual.widgets import DataTable
from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.core.models import BatchStatus
from batchtui.core.provider import AuthError, RateLimitedError
from batchtui.ui.app import BatchTuiApp
from batchtui.ui.screens import compose, help, jobs
from batchtui.ui.screens.help import HelpScreen
from batchtui.ui.screens.results import ResultsScreen

SIZE = (120, 36)


def test_every_binding_has_an_id_and_a_description() -> None:
    from batchtui.ui.keymap import binding_classes

    classes = binding_classes()
    assert {jobs.JobsScreen, compose.PromptList, help.HelpScreen} <= set(classes)
    ids: set[str] = set()
    for cls in classes:
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding), cls
            assert binding.id, (cls, binding.key)
            assert binding.description, (cls, binding.key)
            assert binding.id not in ids, binding.id
            ids.add(binding.id)


def test_every_class_with_bindings_is_known_to_the_keymap_check() -> None:
    import inspect
    import pkgutil
    from importlib import import_module

    import batchtui.ui
    from batchtui.ui.keymap import binding_classes

    listed = set(binding_classes())
    for info in pkgutil.walk_packages(batchtui.ui.__path__, "batchtui.ui."):
        module = import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in vars(cls):
                assert cls in listed, cls


async def test_help_lists_screen_widget_and_app_bindings(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(ui_app.screen, HelpScreen)
        table = ui_app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        described = {(row[1], row[2]) for row in rows}
        assert ("Cancel", "JobsScreen") in described
        assert ("Recover", "JobsScreen") in described
        assert ("Run view", "JobsScreen") in described
        assert ("Cursor down", "JobTable") in described
        down = next(row for row in rows if row[1] == "Cursor down")
        assert "j" in down[0].split(" / ")
        assert ("Quit", "app") in described
        assert rows[0][2] == "JobsScreen"
        await pilot.press("escape")
        await settle(pilot)
        ui_app.jobs_screen.open_results("j1")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        table = ui_app.screen.query_one(DataTable)
        wheres = {str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert {"ResultsScreen", "ResultsView", "app"} <= wheres
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(ui_app.screen, ResultsScreen)


async def test_palette_opens_a_job(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"open results summaries")
        from textual.command import CommandList

        commands = ui_app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: commands.option_count > 0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(ui_app.screen, ResultsScreen)
        assert ui_app.screen.local_id == "j3"


async def test_provider_errors_become_escaped_notifications(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    fake_ws.fail_next = RateLimitedError(
        "Rate limit [reached] for batches",
        provider="openai",
        status_code=429,
        request_id="req_123",
        retry_after=3,
    )
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        notes = list(ui_app._notifications)
        assert notes, "the error was not shown"
        note = notes[-1]
        assert note.severity == "error"
        assert "Rate limit \\[reached] for batches" in note.message
        assert "req_123" in note.message
        assert ui_app.is_running
        assert ui_app.jobs_screen.table.row_text("j3").status == "in_progress"


async def test_keys_answer_while_the_workspace_is_slow(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    fake_ws.slow = 30.0  # every workspace action hangs far longer than the test
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "c", "y")
        await pilot.pause()
        loop = asyncio.get_running_loop()
        started = loop.time()
        table = ui_app.jobs_screen.table
        await pilot.press("up", "up")
        assert table.current_id == "j1"
        await pilot.press("slash", *"status:failed", "enter")
        assert table.shown_ids == ["j6"]
        assert loop.time() - started < 10  # well before the slow call returns
        cancelling = [w for w in ui_app.workers if w.group == "job-cancel"]
        assert cancelling and cancelling[0].is_running
        fake_ws.set_status("j3", BatchStatus.FAILED)
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_text("j3").status == "failed")
        for worker in cancelling:
            worker.cancel()


async def test_background_poll_errors_are_shown_once_a_minute(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for _ in range(3):
            fake_ws.poll_error(
                "openai-main",
                "batch_x",
                RateLimitedError("Slow down [now]", provider="openai", request_id="req_9"),
            )
        fake_ws.poll_error("anthropic", None, AuthError("invalid x-api-key", provider="anthropic"))
        await wait_for(pilot, lambda: len(ui_app._notifications) >= 2)
        await settle(pilot)
        notes = list(ui_app._notifications)
        assert len(notes) == 2
        rate, auth = notes
        assert rate.severity == "warning" and "Slow down \\[now]" in rate.message
        assert "req_9" in rate.message and "retrying" in rate.message
        assert auth.severity == "error" and "invalid x-api-key" in auth.message
        assert auth.title.startswith("anthropic")


async def test_no_api_key_is_said_once_polling_would_start(fake_ws: FakeWorkspace) -> None:
    fake_ws.usable_profiles = lambda: []  # type: ignore[attr-defined]
    app = BatchTuiApp(fake_ws, fake_ws.clock, cursor_blink=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: any("API key" in n.title for n in app._notifications))
        note = next(n for n in app._notifications if "API key" in n.title)
        assert note.severity == "warning"
        assert "OPENAI_API_KEY" in note.message and "batchtui demo" in note.message
