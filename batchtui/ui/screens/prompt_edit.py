"""The dialog that edits one prompt of the compose screen (its custom_id and text)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Static, TextArea

from batchtui.ui.models.inputs import PromptItem
from batchtui.ui.screens.base import BaseModal


class PromptEditModal(BaseModal):
    """Edit a prompt; dismiss with the new `PromptItem`, or None when cancelled."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="prompt.save"),
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(self, prompt: PromptItem, title: str = "Edit prompt") -> None:
        super().__init__()
        self.prompt = prompt
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog", classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Input(self.prompt.custom_id, id="prompt-id", placeholder="custom_id")
            yield TextArea(self.prompt.text, id="prompt-text", soft_wrap=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="prompt-save", variant="primary")
                yield Button("Cancel (esc)", id="prompt-cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#prompt-text", TextArea).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#prompt-text", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "prompt-save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        custom_id = self.query_one("#prompt-id", Input).value.strip()
        text = self.query_one("#prompt-text", TextArea).text
        if not custom_id:
            self.notify("custom_id cannot be empty.", severity="error")
            return
        self.dismiss(PromptItem(custom_id, text))

    def action_cancel(self) -> None:
        self.dismiss(None)
