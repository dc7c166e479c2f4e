"""The compose screen: write a batch in the app, preview its requests, save JSONL or submit."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.markup import escape
from textual.widgets import Footer, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from batchtui.ui.models.inputs import (
    ComposeDraft,
    PromptItem,
    draft_estimate_text,
    move,
    next_custom_id,
)
from batchtui.ui.models.jobs import job_view
from batchtui.ui.models.workspace import profile_choices
from batchtui.ui.screens.base import BaseScreen
from batchtui.ui.screens.path_prompt import PathChoice, PathModal
from batchtui.ui.screens.prompt_edit import PromptEditModal


class PromptList(OptionList):
    """The prompts of the draft; keys add, edit, delete and move them."""

    BINDINGS = [
        Binding("a", "screen.add_prompt", "Add", id="prompts.add"),
        Binding("e", "screen.edit_prompt", "Edit", id="prompts.edit"),
        Binding("d,delete", "screen.delete_prompt", "Delete", id="prompts.delete"),
        Binding("K,shift+up", "screen.move_prompt(-1)", "Move up", show=False, id="prompts.up"),
        Binding(
            "J,shift+down", "screen.move_prompt(1)", "Move down", show=False, id="prompts.down"
        ),
        Binding("j", "cursor_down", "Down", show=False, id="prompts.cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="prompts.cursor_up"),
    ]


def _float_or_none(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


def _int_or_none(text: str) -> int | None:
    try:
        return int(text) if text.strip() else None
    except ValueError:
        return None


class ComposeScreen(BaseScreen):
    """Profile, model, system prompt, parameters and a list of prompts, with a live preview."""

    QUIT_ON_Q = False  # a list and a form are edited here: ctrl+q quits

    BINDINGS = [
        Binding("escape", "back", "Back", id="compose.back"),
        Binding("ctrl+s", "save", "Save JSONL", id="compose.save"),
        Binding("ctrl+r", "submit", "Submit", id="compose.submit"),
        Binding("ctrl+n", "add_prompt", "New prompt", id="compose.add"),
    ]

    def __init__(self, draft: ComposeDraft | None = None, save_dir: Path | None = None) -> None:
        super().__init__()
        self.draft = draft or ComposeDraft()
        self.save_dir = save_dir
        self._estimate_generation = 0

    def compose(self) -> ComposeResult:
        choices = profile_choices(self.workspace)
        draft = self.draft
        with Horizontal(id="compose-main"):
            with Vertical(id="compose-form"):
                with Horizontal(classes="form-row"):
                    yield Label("Profile", classes="form-label")
                    yield Select(
                        [(c.title, c.name) for c in choices],
                        value=choices[0].name if choices else Select.NULL,
                        allow_blank=not choices,
                        prompt="profile",
                        compact=True,
                        id="compose-profile",
                    )
                with Horizontal(classes="form-row"):
                    yield Label("Model", classes="form-label")
                    yield Input(draft.model, placeholder="model", compact=True, id="compose-model")
                with Horizontal(classes="form-row"):
                    yield Label("max_tokens", classes="form-label")
                    yield Input(
                        "" if draft.max_tokens is None else str(draft.max_tokens),
                        type="integer",
                        compact=True,
                        id="compose-max-tokens",
                    )
                    yield Label("temperature", classes="form-label")
                    yield Input(
                        "" if draft.temperature is None else str(draft.temperature),
                        type="number",
                        placeholder="default",
                        compact=True,
                        id="compose-temperature",
                    )
                yield Label("System prompt", classes="form-heading")
                yield TextArea(draft.system, id="compose-system", soft_wrap=True, compact=True)
                yield Label(
                    "Prompts — a add · e/enter edit · d delete · K/J move", classes="form-heading"
                )
                yield PromptList(id="compose-prompts")
            with Vertical(id="compose-preview-pane"):
                yield Static(Content("Request preview (highlighted prompt)"), classes="list-header")
                with VerticalScroll(id="compose-preview-scroll"):
                    yield Static(id="compose-preview")
                yield Static(id="compose-problems", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        if not self.draft.model:
            choices = profile_choices(self.workspace)
            if choices and choices[0].default_model:
                self.query_one("#compose-model", Input).value = choices[0].default_model
        self._render_prompts()
        self.query_one("#compose-model", Input).focus()

    # ------------------------------------------------------------------ draft state

    @property
    def prompts_list(self) -> PromptList:
        return self.query_one(PromptList)

    def current_draft(self) -> ComposeDraft:
        """The draft as the form shows it now."""
        return ComposeDraft(
            model=self.query_one("#compose-model", Input).value.strip(),
            system=self.query_one("#compose-system", TextArea).text,
            max_tokens=_int_or_none(self.query_one("#compose-max-tokens", Input).value),
            temperature=_float_or_none(self.query_one("#compose-temperature", Input).value),
            prompts=self.draft.prompts,
        )

    def _set_prompts(self, prompts: list[PromptItem], highlight_at: int | None = None) -> None:
        self.draft = ComposeDraft(
            self.draft.model,
            self.draft.system,
            self.draft.max_tokens,
            self.draft.temperature,
            tuple(prompts),
        )
        self._render_prompts(highlight_at)

    def _render_prompts(self, highlight_at: int | None = None) -> None:
        options = self.prompts_list
        keep = options.highlighted if highlight_at is None else highlight_at
        options.clear_options()
        options.add_options(
            Option(Text.assemble((p.custom_id, "bold"), "  ", p.text.replace("\n", " ")[:80]))
            for p in self.draft.prompts
        )
        if self.draft.prompts:
            options.highlighted = min(keep or 0, len(self.draft.prompts) - 1)
        self._update_preview()

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(OptionList.OptionHighlighted, "#compose-prompts")
    def _form_changed(self) -> None:
        self._update_preview()

    def _update_preview(self) -> None:
        draft = self.current_draft()
        if draft.prompts:
            index = self.prompts_list.highlighted or 0
            prompt = draft.prompts[min(index, len(draft.prompts) - 1)]
        else:
            prompt = PromptItem(next_custom_id(()), "…")
        text = json.dumps(draft.request(prompt), indent=2, ensure_ascii=False)
        self.query_one("#compose-preview", Static).update(highlight(text, language="json"))
        self._show_readiness(draft, None)
        if not draft.problems():
            self._estimate_generation += 1
            self.estimate(draft, self._provider(), self._estimate_generation)

    def _show_readiness(self, draft: ComposeDraft, estimate: str | None) -> None:
        problems = draft.problems()
        line = (
            "ready: " + f"{len(draft.prompts)} request(s)"
            if not problems
            else "not ready: " + "; ".join(problems)
        )
        parts = [(line, "$text-success" if not problems else "$text-warning")]
        if estimate and not problems:
            parts.append((f" · est. cost {estimate}", "$text-muted"))
        self.query_one("#compose-problems", Static).update(Content.assemble(*parts))

    def _provider(self) -> str:
        profile = self.query_one("#compose-profile", Select).value
        for choice in profile_choices(self.workspace):
            if choice.name == profile:
                return choice.provider
        return ""

    @work(
        thread=True,
        group="compose-estimate",
        exclusive=True,
        exit_on_error=False,
        description="estimate",
    )
    def estimate(self, draft: ComposeDraft, provider: str, generation: int) -> None:
        """Price the draft off the loop (the first call loads the price database)."""
        text = draft_estimate_text(draft, provider)
        self.app.call_from_thread(self._estimated, draft, text, generation)

    def _estimated(self, draft: ComposeDraft, text: str | None, generation: int) -> None:
        if generation == self._estimate_generation and self.is_mounted:
            self._show_readiness(draft, text)

    # ------------------------------------------------------------------ prompt actions

    def action_add_prompt(self) -> None:
        prompt = PromptItem(next_custom_id(p.custom_id for p in self.draft.prompts), "")

        def done(result: PromptItem | None) -> None:
            if result is not None:
                prompts = [*self.draft.prompts, result]
                self._set_prompts(prompts, len(prompts) - 1)
                self.prompts_list.focus()

        self.app.push_screen(PromptEditModal(prompt, "New prompt"), done)

    def action_edit_prompt(self) -> None:
        index = self.prompts_list.highlighted
        if index is None or index >= len(self.draft.prompts):
            self.action_add_prompt()
            return

        def done(result: PromptItem | None) -> None:
            if result is not None:
                prompts = list(self.draft.prompts)
                prompts[index] = result
                self._set_prompts(prompts, index)

        self.app.push_screen(PromptEditModal(self.draft.prompts[index]), done)

    @on(OptionList.OptionSelected, "#compose-prompts")
    def _prompt_selected(self) -> None:
        self.action_edit_prompt()

    def action_delete_prompt(self) -> None:
        index = self.prompts_list.highlighted
        if index is None or index >= len(self.draft.prompts):
            return
        prompts = list(self.draft.prompts)
        del prompts[index]
        self._set_prompts(prompts, max(0, index - 1) if index >= len(prompts) else index)

    def action_move_prompt(self, delta: int) -> None:
        index = self.prompts_list.highlighted
        if index is None or index >= len(self.draft.prompts):
            return
        prompts, target = move(self.draft.prompts, index, delta)
        self._set_prompts(prompts, target)

    # ------------------------------------------------------------------ save & submit

    def _ready_draft(self) -> ComposeDraft | None:
        draft = self.current_draft()
        problems = draft.problems()
        if problems:
            self.notify(escape("; ".join(problems)), title="Not ready", severity="error")
            return None
        return draft

    def action_save(self) -> None:
        draft = self._ready_draft()
        if draft is None:
            return

        def chosen(choice: PathChoice | None) -> None:
            if choice is not None:
                path = Path(choice.path).expanduser()
                path.write_text(draft.jsonl(), encoding="utf-8")
                self.notify(f"Saved {len(draft.prompts)} requests to {escape(str(path))}.")

        self.app.push_screen(PathModal("Save as neutral JSONL", "batch.jsonl"), chosen)

    def action_submit(self) -> None:
        draft = self._ready_draft()
        if draft is None:
            return
        profile = self.query_one("#compose-profile", Select).value
        if profile is Select.NULL:
            self.notify("Choose a profile.", severity="error")
            return
        self.submit(draft, str(profile))

    @work(group="submit", exclusive=True, exit_on_error=False, description="submit")
    async def submit(self, draft: ComposeDraft, profile: str) -> None:
        folder = self.save_dir or Path(tempfile.mkdtemp(prefix="batchtui-compose-"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"compose-{int(self.clock.time())}.jsonl"
        path.write_text(draft.jsonl(), encoding="utf-8")
        records = await self.workspace.submit_file(path, profile)
        views = [job_view(r) for r in records]
        self.notify(f"Submitted {len(draft.prompts)} requests as {len(views)} job(s).")
        self.dismiss(views[0].local_id if views else None)

    def action_back(self) -> None:
        self.app.last_draft = self.current_draft()
        self.dismiss(None)
