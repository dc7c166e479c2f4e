"""A small dialog asking for a file path (and a format), e.g. for export or save."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Select, Static

from batchtui.ui.screens.base import BaseModal


@dataclass(frozen=True, slots=True)
class PathChoice:
    """The answer of a `PathModal`."""

    path: str
    format: str


class PathModal(BaseModal):
    """Ask for a path; dismiss with a `PathChoice`, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path.cancel")]

    def __init__(self, title: str, default: str, formats: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.formats = formats

    def compose(self) -> ComposeResult:
        with Vertical(id="path-dialog", classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Input(self.default, id="path-input", placeholder="path")
            if self.formats:
                yield Select(
                    [(f.upper(), f) for f in self.formats],
                    value=self.formats[0],
                    allow_blank=False,
                    id="path-format",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK (enter)", id="path-ok", variant="primary")
                yield Button("Cancel (esc)", id="path-cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#path-input", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        """Keep the file suffix in step with the chosen format."""
        path_input = self.query_one("#path-input", Input)
        stem, dot, suffix = path_input.value.rpartition(".")
        if dot and suffix in self.formats and event.value in self.formats:
            path_input.value = f"{stem}.{event.value}"

    def _answer(self) -> PathChoice | None:
        path = self.query_one("#path-input", Input).value.strip()
        if not path:
            return None
        fmt = ""
        if self.formats:
            fmt = str(self.query_one("#path-format", Select).value)
        return PathChoice(path, fmt)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._answer())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._answer() if event.button.id == "path-ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
