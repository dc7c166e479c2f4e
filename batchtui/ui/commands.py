"""Command palette providers: app actions and per-job actions (ctrl+p or `:`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from batchtui.ui.models.jobs import JobView, display_label

if TYPE_CHECKING:
    from batchtui.ui.app import BatchTuiApp


class ActionCommands(Provider):
    """Screens and global actions."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: Any = self.app
        return [
            ("Compose a batch", app.action_compose, "Write prompts and submit them"),
            ("Import a file", app.action_import_file, "Validate and submit an input file"),
            ("Jobs", app.action_show_jobs, "Back to the job table"),
            ("Poll all jobs now", app.action_poll_all, "Ask every provider for fresh status"),
            *(
                [
                    (
                        "Clean provider files",
                        app.jobs_screen.action_clean_files,
                        "Delete files of ended jobs whose results are cached here (asks first)",
                    )
                ]
                if app.can_clean
                else []
            ),
            ("Keys", app.action_help, "Every key of this screen"),
        ]

    async def discover(self) -> Hits:
        for name, command, help_text in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)


class JobCommands(Provider):
    """Open, cancel, retry, recover or show the run of any job by name or id."""

    def _jobs(self) -> list[JobView]:
        jobs_screen = cast("BatchTuiApp", self.app).jobs_screen
        if not jobs_screen.is_mounted:
            return []
        return list(jobs_screen.table.views.values())

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        screen = cast("BatchTuiApp", self.app).jobs_screen
        commands: list[tuple[str, Callable[[], Any], str]] = []
        for view in self._jobs():
            name = display_label(view)
            ident = view.provider_id or view.local_id
            commands.append(
                (f"Open results: {name}", partial(screen.open_results, view.local_id), ident)
            )
            commands.append((f"Run view: {name}", partial(screen.open_run, view.local_id), ident))
            if not view.is_terminal:
                commands.append(
                    (f"Cancel job: {name}", partial(screen.confirm_cancel, view.local_id), ident)
                )
            if view.counts.errored:
                commands.append(
                    (f"Retry errored: {name}", partial(screen.retry_job, view.local_id), ident)
                )
            commands.append(
                (f"Select job: {name}", partial(screen.select_job, view.local_id), ident)
            )
        return commands

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, ident in self._commands():
            score = max(matcher.match(name), matcher.match(ident) * 0.9)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, text=name, help=ident)
