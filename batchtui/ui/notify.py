"""The dashboard's side of a job end beyond its toast: a desktop notification through the
terminal's own escape sequence (OSC 9 / OSC 777), the bell, and the profile's `on_end` command
and `notify_urls` (run by the core's `EndNotifier` in an app worker, never on the loop's time).

The escape sequence goes through Textual's driver, the same writer that draws the screen (as
`App.bell` does), so it lands between two frames and never inside one. Headless apps (tests,
`run_test`) write nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from textual.markup import escape

from batchtui.core.notify import (
    BEL,
    EndNotifier,
    claim_dir,
    notification_sequence,
    pick_mode,
)

if TYPE_CHECKING:
    from textual.app import App

    from batchtui.core.store import JobRecord


class TerminalNotifier:
    """Writes the desktop-notification sequence and the bell to the app's terminal."""

    def __init__(self, app: App[Any], ui: Any, env: Mapping[str, str] | None = None) -> None:
        self.app = app
        env = os.environ if env is None else env
        self.mode = pick_mode(getattr(ui, "desktop_notify", "auto"), env)
        self.bell = bool(getattr(ui, "bell", False))

    def sequence(self, title: str, body: str) -> str:
        """Everything written for one notification (empty when nothing is)."""
        text = notification_sequence(self.mode, title, body)
        return text + (BEL if self.bell else "")

    def notify(self, title: str, body: str) -> None:
        text = self.sequence(title, body)
        if text:
            self.write(text)

    def write(self, text: str) -> None:
        """Raw output through Textual's driver (as `App.bell` does); nothing when headless."""
        driver = getattr(self.app, "_driver", None)
        if not self.app.is_headless and driver is not None:
            driver.write(text)


class JobEndNotifications:
    """One per app: the terminal notification of an end or a stale job, and the end's hooks,
    each once per job (ends: once per local id and status)."""

    def __init__(self, app: App[Any], workspace: Any) -> None:
        config = workspace.config
        self.app = app
        self.workspace = workspace
        self.terminal = TerminalNotifier(app, getattr(config, "ui", None))
        self.hooks = EndNotifier(
            config.profiles, self._report, claim_dir=claim_dir(getattr(workspace, "store", None))
        )
        self.ended: set[tuple[str, str]] = set()
        self.stale: set[str] = set()

    def _report(self, text: str) -> None:
        self.app.notify(escape(text), title="Job end hook", severity="error", timeout=15)

    def job_ended(self, local_id: str, title: str, body: str, status: str) -> None:
        """A job reached a terminal status: the terminal's notification (once), then its
        profile's hooks in a worker."""
        key = (local_id, status)
        if key in self.ended:
            return
        self.ended.add(key)
        self.stale.discard(local_id)
        self.terminal.notify(title, body)
        if self.hooks.active:
            self.app.run_worker(
                self._run_hooks(local_id),
                group="on_end",
                exit_on_error=False,
                description=f"on_end {local_id}",
            )

    async def _run_hooks(self, local_id: str) -> None:
        record: JobRecord = await asyncio.to_thread(self.workspace.job, local_id)
        await self.hooks.job_ended(record)

    def job_stale(self, local_id: str, title: str, body: str) -> bool:
        """A job went stale: the terminal's notification, once per job (again only after it
        ended); True when this is the first time."""
        if local_id in self.stale:
            return False
        self.stale.add(local_id)
        self.terminal.notify(title, body)
        return True


__all__ = ["JobEndNotifications", "TerminalNotifier"]
