"""The one question before provider files are deleted: the exact list, then yes or no."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from batchtui.ui.screens.base import BaseModal


class CleanModal(BaseModal):
    """List what `clean` will delete; dismiss with True (delete) or False (keep)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Delete", id="clean.yes"),
        Binding("n,escape", "answer(False)", "Keep", id="clean.no"),
    ]

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__()
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        count = len(self.lines)
        with Vertical(id="clean-dialog", classes="dialog"):
            yield Static(
                Content(f"Delete {count:,} object(s) at the providers?"),
                classes="dialog-title",
            )
            yield Static(
                Content(
                    "Only ended jobs whose results are fully cached here are listed; "
                    "their results stay readable in batchtui. This cannot be undone."
                ),
                id="clean-detail",
            )
            with VerticalScroll(id="clean-list"):
                yield Static(Content("\n".join(self.lines)), id="clean-items")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Delete (y)", id="clean-yes", variant="error")
                yield Button("Keep (n)", id="clean-no", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#clean-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "clean-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
