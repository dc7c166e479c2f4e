"""Pilot tests of the compose and import screens."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, OptionList, Static, TextArea, Tree
from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.ui.app import BatchTuiApp
from batchtui.ui.screens.compose import ComposeScreen
from batchtui.ui.screens.import_ import ImportScreen
from batchtui.ui.screens.jobs import JobsScreen
from batchtui.ui.screens.path_prompt import PathModal
from batchtui.ui.screens.prompt_edit import PromptEditModal

SIZE = (120, 36)
DATA = Path(__file__).parent / "data"


async def add_prompt(pilot, text: str) -> None:
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PromptEditModal)
    await pilot.press(*text)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_compose_add_edit_move_delete_and_save(ui_app: BatchTuiApp, tmp_path: Path) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = ui_app.screen
        assert isinstance(screen, ComposeScreen)
        assert screen.query_one("#compose-model", Input).value == "gpt-4o-mini"
        screen.query_one("#compose-system", TextArea).text = "Be brief."
        screen.query_one("#compose-prompts").focus()
        await add_prompt(pilot, "1 [x]")
        await add_prompt(pilot, "two")
        await add_prompt(pilot, "3")
        ids = [p.custom_id for p in screen.draft.prompts]
        assert ids == ["request-001", "request-002", "request-003"]
        preview = str(screen.query_one("#compose-preview", Static).render())
        assert '"content": "3"' in preview and '"system": "Be brief."' in preview
        await pilot.press("K")
        assert [p.text for p in screen.draft.prompts] == ["1 [x]", "3", "two"]
        await pilot.press("e")
        await settle(pilot)
        modal = ui_app.screen
        modal.query_one("#prompt-id", Input).value = "custom-x"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.draft.prompts[1].custom_id == "custom-x"
        await pilot.press("up", "d")
        assert [p.custom_id for p in screen.draft.prompts] == ["custom-x", "request-002"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(ui_app.screen, PathModal)
        target = tmp_path / "out.jsonl"
        ui_app.screen.query_one("#path-input", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        lines = [json.loads(line) for line in target.read_text().splitlines()]
        assert lines == [
            {
                "custom_id": "custom-x",
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "3"}],
                "system": "Be brief.",
                "max_tokens": 1024,
            },
            {
                "custom_id": "request-002",
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "two"}],
                "system": "Be brief.",
                "max_tokens": 1024,
            },
        ]


async def test_compose_submit_goes_through_the_workspace(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = ui_app.screen
        await pilot.press("ctrl+r")  # nothing to submit yet: refused, stays
        await settle(pilot)
        assert ui_app.screen is screen
        screen.query_one("#compose-prompts").focus()
        await add_prompt(pilot, "hello")
        await pilot.press("ctrl+r")
        await settle(pilot)
        calls = [c for c in fake_ws.calls if c[0] == "submit_file"]
        assert len(calls) == 1 and calls[0][1][1] == "openai-main"
        submitted = Path(calls[0][1][0]).read_text().splitlines()
        assert json.loads(submitted[0])["messages"][0]["content"] == "hello"
        assert isinstance(ui_app.screen, JobsScreen)
        table = ui_app.jobs_screen.table
        assert table.row_count == 8
        assert table.views[table.current_id].input_path == calls[0][1][0]


async def open_import(pilot, app: BatchTuiApp) -> ImportScreen:
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ImportScreen)
    tree = screen.query_one("#import-tree", Tree)
    await wait_for(pilot, lambda: len(tree.root.children) >= 3)
    return screen


async def test_import_lists_errors_and_jumps_to_lines(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, ui_app)
        tree = screen.query_one("#import-tree", Tree)
        names = [str(node.label) for node in tree.root.children]
        assert any("broken.jsonl" in n for n in names) and not any("notes" in n for n in names)
        await pilot.press("down", "enter")  # broken.jsonl
        await settle(pilot)
        report = screen.report
        assert report is not None and not report.ok
        errors = screen.query_one("#import-errors", OptionList)
        assert errors.option_count == 3
        assert [e.line for e in report.errors] == [3, 4, 5]
        errors.focus()
        errors.highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        preview = screen.query_one("#import-preview", Static).render()
        highlighted = [
            preview.plain[span.start : span.end]
            for span in preview.spans
            if "error" in str(span.style)
        ]
        assert highlighted and highlighted[0].startswith('{"custom_id": "b-004"')
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert ui_app.screen is screen  # errors block the submission


async def test_import_submit_from_typed_path(ui_app: BatchTuiApp, fake_ws: FakeWorkspace) -> None:
    async with ui_app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, ui_app)
        await pilot.press("ctrl+l", *str(DATA / "good.jsonl"), "enter")
        await settle(pilot)
        assert screen.report is not None and screen.report.ok
        assert screen.report.requests == 3
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert [c[1] for c in fake_ws.calls if c[0] == "submit_file"] == [
            (str(DATA / "good.jsonl"), "openai-main")
        ]
        assert isinstance(ui_app.screen, JobsScreen)
        table = ui_app.jobs_screen.table
        assert table.views[table.current_id].label == "good"


async def test_import_missing_file_is_reported(ui_app: BatchTuiApp) -> None:
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_import(pilot, ui_app)
        await pilot.press("ctrl+l", *"/nonexistent/[x].jsonl", "enter")
        await settle(pilot)
        assert screen.report is None
        assert any("No such file" in n.message for n in ui_app._notifications)
