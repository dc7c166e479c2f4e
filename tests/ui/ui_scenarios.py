"""Every screen and modal as a named scenario: an app on the fake workspace plus the keys that
reach the screen. Shared by the snapshot tests and screenshots/make_screenshots.py."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import Tree
from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.ui.app import BatchTuiApp, make_app
from batchtui.ui.models.inputs import ComposeDraft, PromptItem

DATA = Path(__file__).parent / "data"
SIZE = (120, 36)
_SCRATCH = tempfile.TemporaryDirectory(prefix="batchtui-ui-")  # removed at interpreter exit
SCRATCH = Path(_SCRATCH.name)

Step = Callable[[Pilot], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    """How to reach one screen: which app, which terminal size, which keys."""

    name: str
    description: str
    keys: tuple[str, ...] = ()
    after: Step | None = None
    size: tuple[int, int] = SIZE
    draft: bool = False

    def app(self) -> BatchTuiApp:
        """A fresh app on a fresh fake workspace (blink off, fixed clock)."""
        ws = FakeWorkspace()
        app = make_app(ws, ws.clock, cursor_blink=False, start_dir=DATA, compose_dir=SCRATCH)
        if self.draft:
            app.last_draft = DRAFT
        return app

    async def run_before(self, pilot: Pilot) -> None:
        """Press the keys, settling workers after each, then the extra step."""
        await settle(pilot)
        for key in self.keys:
            await pilot.press(key)
            await settle(pilot)
        if self.after is not None:
            await self.after(pilot)
            await settle(pilot)


DRAFT = ComposeDraft(
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


async def _expand_second_group(pilot: Pilot) -> None:
    tree = pilot.app.screen.query_one(Tree)
    await wait_for(pilot, lambda: len(tree.root.children) > 1)
    tree.root.children[1].expand()


async def _open_triage_of_flags(pilot: Pilot) -> None:
    pilot.app.jobs_screen.open_results("j4")  # eval-run-7: answers flagged four ways
    await settle(pilot)
    await pilot.press("t")
    tree = pilot.app.screen.query_one(Tree)
    await wait_for(pilot, lambda: len(tree.root.children) == 4)
    await pilot.press("space")
    tree.root.children[0].expand()


async def _ask_max_tokens(pilot: Pilot) -> None:
    await _open_triage_of_flags(pilot)
    await settle(pilot)
    await pilot.press("R")


async def _focus_prompts(pilot: Pilot) -> None:
    pilot.app.screen.query_one("#compose-prompts").focus()
    await pilot.press("down")


async def _edit_prompt(pilot: Pilot) -> None:
    pilot.app.screen.query_one("#compose-prompts").focus()
    await pilot.press("e")


async def _validate_broken(pilot: Pilot) -> None:
    screen = pilot.app.screen
    tree = screen.query_one("#import-tree", Tree)
    await wait_for(pilot, lambda: len(tree.root.children) >= 3)
    await pilot.press("down", "enter")  # broken.jsonl, the first file
    await settle(pilot)
    errors = screen.query_one("#import-errors")
    errors.focus()
    errors.highlighted = 1
    await pilot.press("enter")


async def _search_palette(pilot: Pilot) -> None:
    await pilot.press(*"summaries")
    commands = pilot.app.screen.query_one(CommandList)
    await wait_for(pilot, lambda: commands.option_count >= 4)


DOWN4 = ("down", "down", "down", "down")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("jobs", "Jobs: the live table and the detail panel", ("down", "down", "down")),
    Scenario(
        "jobs_wide",
        "Jobs on a wide terminal: detail beside the table",
        ("down", "down"),
        size=(180, 36),
    ),
    Scenario("jobs_filter", "Jobs filtered with / (status:in)", ("slash", *"status:in")),
    Scenario("confirm_cancel", "Cancel asks once", (*DOWN4, "c")),
    Scenario(
        "clean",
        "Clean provider files: the exact list, asked once (D)",
        ("D",),
        size=(120, 30),
    ),
    Scenario("help", "? lists every key of the screen", ("question_mark",)),
    Scenario("results", "Results browser with the detail pane", ("down", "down", "enter", "down")),
    Scenario(
        "results_errors",
        "Results filtered to problems, one marked",
        ("down", "down", "enter", "e", "down", "space"),
    ),
    Scenario("export", "Export the current filter", ("down", "down", "enter", "x")),
    Scenario(
        "triage",
        "Triage: problems grouped, a group marked",
        ("down", "down", "enter", "t", "space"),
        after=_expand_second_group,
    ),
    Scenario(
        "triage_flags",
        "Triage by flag: truncated, filtered, refused, http_error",
        after=_open_triage_of_flags,
    ),
    Scenario(
        "retry_max_tokens",
        "Retrying truncated answers asks for a higher max_tokens",
        after=_ask_max_tokens,
    ),
    Scenario(
        "run", "Run view: latest success per custom_id and what is missing", ("down", "down", "u")
    ),
    Scenario(
        "compose",
        "Compose a batch with a live request preview",
        ("n",),
        after=_focus_prompts,
        draft=True,
    ),
    Scenario("prompt_edit", "Edit one prompt", ("n",), after=_edit_prompt, draft=True),
    Scenario(
        "import",
        "Import: validation errors and the line they point at",
        ("i",),
        after=_validate_broken,
    ),
    Scenario(
        "palette", "Command palette with jobs and actions", ("ctrl+p",), after=_search_palette
    ),
)
