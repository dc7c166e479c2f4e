"""One snapshot per screen and modal, on the fixed fake workspace at 120x36 (plain def tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import Tree
from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.ui.app import BatchTuiApp, make_app
from batchtui.ui.models.inputs import ComposeDraft, PromptItem

SIZE = (120, 36)
DATA = Path(__file__).parent / "data"


def steps(*keys: str, after: Callable[[Pilot], Awaitable[None]] | None = None):
    """A run_before that presses keys one by one, settling workers after each."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if after is not None:
            await after(pilot)
            await settle(pilot)

    return run_before


def test_jobs_screen(snap_compare, ui_app: BatchTuiApp) -> None:
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps("down", "down", "down"))


def test_jobs_screen_wide(snap_compare, ui_app: BatchTuiApp) -> None:
    assert snap_compare(ui_app, terminal_size=(180, 36), run_before=steps("down", "down"))


def test_jobs_filter(snap_compare, ui_app: BatchTuiApp) -> None:
    keys = ("slash", *"status:in")
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps(*keys))


def test_confirm_cancel_modal(snap_compare, ui_app: BatchTuiApp) -> None:
    keys = ("down", "down", "down", "down", "c")
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps(*keys))


def test_help_screen(snap_compare, ui_app: BatchTuiApp) -> None:
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps("question_mark"))


def test_results_screen(snap_compare, ui_app: BatchTuiApp) -> None:
    keys = ("down", "down", "enter", "down")
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps(*keys))


def test_results_errors_only(snap_compare, ui_app: BatchTuiApp) -> None:
    keys = ("down", "down", "enter", "e", "down", "space")
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps(*keys))


def test_export_modal(snap_compare, ui_app: BatchTuiApp) -> None:
    keys = ("down", "down", "enter", "x")
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps(*keys))


def test_triage_screen(snap_compare, ui_app: BatchTuiApp) -> None:
    async def expand(pilot: Pilot) -> None:
        tree = pilot.app.screen.query_one(Tree)
        await wait_for(pilot, lambda: bool(tree.root.children))
        tree.root.children[1].expand()

    keys = ("down", "down", "enter", "t", "space")
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps(*keys, after=expand))


def test_run_screen(snap_compare, ui_app: BatchTuiApp) -> None:
    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps("down", "down", "u"))


def _draft_app(tmp_path: Path) -> BatchTuiApp:
    ws = FakeWorkspace()
    app = make_app(ws, ws.clock, cursor_blink=False, start_dir=DATA, compose_dir=tmp_path)
    app.last_draft = ComposeDraft(
        model="gpt-4o-mini",
        system="You are a careful translator.",
        max_tokens=256,
        temperature=0.2,
        prompts=(
            PromptItem("greet-001", "Translate 'good morning' to French."),
            PromptItem("greet-002", "Translate 'thank you very much' to French."),
            PromptItem("greet-003", "Translate 'see you [soon]' to French."),
        ),
    )
    return app


def test_compose_screen(snap_compare, tmp_path: Path) -> None:
    async def focus_prompts(pilot: Pilot) -> None:
        pilot.app.screen.query_one("#compose-prompts").focus()
        await pilot.press("down")

    app = _draft_app(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("n", after=focus_prompts))


def test_prompt_edit_modal(snap_compare, tmp_path: Path) -> None:
    async def edit(pilot: Pilot) -> None:
        pilot.app.screen.query_one("#compose-prompts").focus()
        await pilot.press("e")

    app = _draft_app(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("n", after=edit))


def test_import_screen(snap_compare, ui_app: BatchTuiApp, monkeypatch) -> None:
    monkeypatch.chdir(DATA)

    async def validate_broken(pilot: Pilot) -> None:
        screen = pilot.app.screen
        tree = screen.query_one("#import-tree", Tree)
        await wait_for(pilot, lambda: len(tree.root.children) >= 3)
        await pilot.press("down", "enter")
        await settle(pilot)
        screen.query_one("#import-errors").focus()
        await pilot.press("down", "enter")

    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps("i", after=validate_broken))


def test_command_palette(snap_compare, ui_app: BatchTuiApp) -> None:
    async def search(pilot: Pilot) -> None:
        await pilot.press(*"summaries")
        commands = pilot.app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: commands.option_count >= 4)

    assert snap_compare(ui_app, terminal_size=SIZE, run_before=steps("ctrl+p", after=search))
