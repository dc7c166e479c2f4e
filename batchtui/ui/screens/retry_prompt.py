"""The question asked before retrying results cut off at max_tokens: which new limit to use."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Static

from batchtui.ui.screens.base import BaseModal


@dataclass(frozen=True, slots=True)
class RetryChoice:
    """The answer of a `MaxTokensModal`: the new max_tokens, or None to keep the old one."""

    max_tokens: int | None


class MaxTokensModal(BaseModal):
    """Ask for a higher max_tokens for truncated results; dismiss with a `RetryChoice`, or
    None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="max_tokens.cancel")]

    def __init__(self, marked: int, truncated: int, suggestion: int) -> None:
        super().__init__()
        self.marked = marked
        self.truncated = truncated
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        some = "all" if self.truncated == self.marked else f"{self.truncated:,}"
        with Vertical(id="max-tokens-dialog", classes="dialog"):
            yield Static(
                Content(f"Retry {self.marked:,} marked result(s) as a new batch?"),
                classes="dialog-title",
            )
            yield Static(
                Content(
                    f"{some} of them stopped at max_tokens (flag truncated). "
                    "Retry with a higher limit"
                    + (":" if some == "all" else " (it applies to every request of the retry):")
                ),
                id="max-tokens-detail",
            )
            yield Input(
                str(self.suggestion),
                type="integer",
                placeholder="max_tokens",
                id="max-tokens-input",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Retry (enter)", id="max-tokens-ok", variant="primary")
                yield Button("Keep old limit", id="max-tokens-keep")
                yield Button("Cancel (esc)", id="max-tokens-cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#max-tokens-input", Input).focus()

    def _answer(self) -> RetryChoice | None:
        text = self.query_one("#max-tokens-input", Input).value.strip()
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value <= 0:
            self.notify("max_tokens must be a positive whole number.", severity="error")
            return None
        return RetryChoice(value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        choice = self._answer()
        if choice is not None:
            self.dismiss(choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "max-tokens-ok":
            choice = self._answer()
            if choice is not None:
                self.dismiss(choice)
        elif event.button.id == "max-tokens-keep":
            self.dismiss(RetryChoice(None))
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
