"""Shared behaviour of every screen: workspace access, worker errors, no cursor blink in tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from batchtui.ui.workers import report_worker_state

if TYPE_CHECKING:
    from batchtui.core.clock import Clock
    from batchtui.core.workspace import Workspace


class WorkspaceMixin:
    """Typed access to what the app holds, for screens and modals."""

    app: Any

    @property
    def workspace(self) -> Workspace:
        return self.app.workspace

    @property
    def clock(self) -> Clock:
        return self.app.clock

    def settle_widgets(self) -> None:
        """Apply app-wide widget options (cursor blink) to inputs of this screen."""
        blink = bool(self.app.cursor_blink)
        for widget in self.query("Input, TextArea"):  # type: ignore[attr-defined]
            widget.cursor_blink = blink  # by name: importing TextArea costs start-up time

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_state(self, event.worker, event.state)  # type: ignore[arg-type]


class BaseScreen(WorkspaceMixin, Screen):
    """A full screen of the dashboard."""

    QUIT_ON_Q: ClassVar[bool] = True
    """Whether `q` quits from here; screens that edit set it False (ctrl+q still quits)."""

    def on_screen_resume(self) -> None:
        self.settle_widgets()


class BaseModal(WorkspaceMixin, ModalScreen):
    """A modal dialog of the dashboard."""

    def on_mount(self) -> None:
        self.settle_widgets()
