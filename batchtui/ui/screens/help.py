"""The `?` screen: every binding of the current screen, its focused widget and the app."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from batchtui.ui.screens.base import BaseModal


@dataclass(frozen=True, slots=True)
class HelpRow:
    """One binding as the help screen lists it."""

    keys: str
    description: str
    where: str


def help_rows(screen: Screen) -> list[HelpRow]:
    """Every described binding active on `screen`: the screen's, the focused widgets', the app's.

    Keys bound to the same action of the same node share one row (``↓ / j``).
    """
    app = screen.app
    rows: dict[tuple[str, str], tuple[int, list[str], str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.system or not binding.description:
            continue
        node = active.node
        where = "app" if node is app else type(node).__name__
        rank = 0 if node is screen else 2 if node is app else 1
        key = app.get_key_display(binding)
        entry = rows.setdefault((where, binding.action), (rank, [], binding.description))
        if key not in entry[1]:
            entry[1].append(key)
    ordered = sorted(rows.items(), key=lambda item: item[1][0])
    return [HelpRow(" / ".join(keys), text, where) for (where, _), (_, keys, text) in ordered]


class HelpScreen(BaseModal):
    """A table of bindings; any of esc, ? or q closes it."""

    BINDINGS = [Binding("escape,question_mark,q,f1", "close", "Close", id="help.close")]

    def __init__(self, rows: list[HelpRow], title: str) -> None:
        super().__init__()
        self.rows = rows
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Content(f"Keys — {self.title_text}"), classes="dialog-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(Content("esc / ? to close"), classes="dialog-hint")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#help-table", DataTable)
        table.add_column("Key", key="key")
        table.add_column("Action", key="action")
        table.add_column("Where", key="where")
        for row in self.rows:
            table.add_row(Text(row.keys), Text(row.description), Text(row.where))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
