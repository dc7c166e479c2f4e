"""The Textual app: holds the workspace and clock, relays job changes, hosts global keys.

Quitting: `q` quits from the screens that browse (jobs, results, triage, run view); on screens
that edit (compose, import) and in dialogs, where a stray `q` would throw work away, it does
not — `ctrl+q` quits everywhere (the same split Posting and Harlequin make for their editors).

Start-up: only the jobs screen is imported with the app; polling starts once the first frame is
on screen (building the adapters and settling leftovers must not delay the table).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.markup import escape
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker

from batchtui import startup
from batchtui.core.clock import Clock
from batchtui.core.models import BatchStatus
from batchtui.core.provider import BatchtuiError, ProviderError
from batchtui.core.registry import provider_specs
from batchtui.ui.commands import ActionCommands, JobCommands
from batchtui.ui.messages import JobChanged, PollFailed
from batchtui.ui.models.jobs import JobView, display_label, job_view
from batchtui.ui.models.workspace import stale_thresholds, ui_settings
from batchtui.ui.screens.base import BaseScreen
from batchtui.ui.screens.jobs import JobsScreen
from batchtui.ui.workers import error_text, error_title, report_worker_state

if TYPE_CHECKING:
    from datetime import datetime

    from batchtui.core.store import JobRecord
    from batchtui.core.webhooks.service import WebhookService
    from batchtui.core.workspace import Workspace
    from batchtui.ui.models.inputs import ComposeDraft
    from batchtui.ui.notify import JobEndNotifications

POLL_ERROR_QUIET_S = 60.0
"""A background polling error of one profile and kind is shown at most this often."""

ENDED_SEVERITY = {
    BatchStatus.COMPLETED: "information",
    BatchStatus.CANCELLED: "warning",
    BatchStatus.FAILED: "error",
    BatchStatus.EXPIRED: "error",
}


class BatchTuiApp(App[None]):
    """The batchtui dashboard; every workspace call runs in a worker, never on the loop."""

    CSS_PATH = str(
        Path(__file__).with_name("batchtui.tcss")
    )  # absolute: subclasses may live elsewhere
    TITLE = "batchtui"
    COMMANDS = App.COMMANDS | {ActionCommands, JobCommands}
    BINDINGS = [
        Binding("q", "quit_unless_editing", "Quit", id="app.quit"),
        Binding(
            "ctrl+q",
            "quit_anywhere",
            "Quit",
            priority=True,
            tooltip="Quit from any screen, even while editing.",
            id="app.quit_anywhere",
        ),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("f1", "help", "Help", show=False, id="app.help_f1"),
        Binding(
            "ctrl+p", "command_palette", "Commands", show=False, priority=True, id="app.palette"
        ),
        Binding("colon", "command_palette", "Commands", show=False, id="app.palette_colon"),
    ]

    def __init__(
        self,
        workspace: Workspace,
        clock: Clock | None = None,
        *,
        poll: bool = True,
        cursor_blink: bool = True,
        start_dir: Path | None = None,
        compose_dir: Path | None = None,
        webhooks: tuple[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.clock: Clock = clock or workspace.clock
        self.poll = poll
        self.cursor_blink = cursor_blink
        self.start_dir = start_dir
        self.compose_dir = compose_dir
        self.job_signal: Signal[JobView] = Signal(self, "job-changed")
        self.jobs_screen = JobsScreen()
        self.last_draft: ComposeDraft | None = None
        self._statuses: dict[str, BatchStatus] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._unsubscribe_errors: Callable[[], None] | None = None
        self._store_lost = False
        self._poll_errors_shown: dict[tuple[str, str], float] = {}
        self._polling_started = False
        self._settling = False
        self._quitting = False
        self._stale_after: dict[str, float] | None = None
        self.webhooks = webhooks
        """(host, port) to receive providers' signed events on (None: polling only)."""
        self.webhook_service: WebhookService | None = None
        self.usable_profiles: list[str] | None = None
        """Profiles with an API key, once polling has looked (None until then)."""

    def get_default_screen(self) -> Screen:
        return self.jobs_screen

    @property
    def stale_after(self) -> dict[str, float]:
        """Each profile's stale threshold in seconds (read once from the profiles)."""
        if self._stale_after is None:
            self._stale_after = stale_thresholds(self.workspace)
        return self._stale_after

    @property
    def can_clean(self) -> bool:
        """Whether cleaning provider files is offered: not when no profile has a key (the
        core's clean plan leaves such profiles out, so nothing could be deleted)."""
        return self.usable_profiles is None or bool(self.usable_profiles)

    def view_of(self, record: JobRecord) -> JobView:
        """The `JobView` of a store record, with its profile's stale threshold (the moment
        the job would turn stale is worked out once, for the view and for `is_watched`)."""
        after = self.stale_after.get(record.profile)
        moment = record.stale_since(after) if after is not None else None
        watched = self._watched_at(record, moment)
        return job_view(record, after, watched=watched, stale_since=moment)

    def is_watched(self, record: JobRecord) -> bool:
        """Whether the running poller follows the job, asked through the core's own stale
        rule (`Workspace.stale_since` at the moment the job would turn stale). Not asked
        for a job that cannot be stale yet: the jobs screen asks again once its moment has
        come (`JobsScreen._watch_for_stale`), so loading 10,000 jobs does not ask for each."""
        after = self.stale_after.get(record.profile)
        if after is None:
            return False
        return self._watched_at(record, record.stale_since(after))

    def _watched_at(self, record: JobRecord, moment: datetime | None) -> bool:
        """`is_watched` given the moment the job would turn stale (None: never)."""
        if moment is None or moment > self.clock.now():
            return False
        return self.workspace.stale_since(record, moment) is not None

    def on_mount(self) -> None:
        self._apply_settings()
        self._unsubscribe = self.workspace.subscribe(self._record_changed)
        self._unsubscribe_errors = self.workspace.subscribe_errors(self._poll_failed)

    def on_ready(self) -> None:
        """Start polling once the first frame is drawn (adapters are built on first poll)."""
        startup.mark("first frame")
        if self.poll and not self._polling_started:
            self._polling_started = True
            self.run_polling()
            if self.webhooks is not None:
                self.run_webhooks(*self.webhooks)

    def _apply_settings(self) -> None:
        """The user's [keymap] (binding id -> keys) and [ui] theme from the config, if any."""
        settings = ui_settings(self.workspace)
        if settings.keymap:
            self.set_keymap(settings.keymap)
            self.check_keymap(dict(settings.keymap))
        if settings.theme and settings.theme != self.theme:
            if settings.theme in self.available_themes:
                self.theme = settings.theme
            else:
                self.notify(
                    escape(f"Unknown theme {settings.theme!r} in the config; using {self.theme}."),
                    severity="warning",
                )

    @work(thread=True, group="keymap", exit_on_error=False, description="keymap")
    def check_keymap(self, keymap: dict[str, str]) -> None:
        """Warn about [keymap] entries naming no binding (imports every screen: a thread)."""
        from batchtui.ui.keymap import unknown_ids

        unknown = unknown_ids(keymap)
        if unknown:
            self.call_from_thread(
                self.notify,
                escape("Unknown binding id(s) in [keymap]: " + ", ".join(unknown)),
                title="Config",
                severity="warning",
                timeout=8,
            )

    # ------------------------------------------------------------------ live updates

    @work(group="poll", exclusive=True, exit_on_error=False, description="polling")
    async def run_polling(self) -> None:
        self.usable_profiles = self.workspace.usable_profiles()  # see `can_clean`
        if not self.usable_profiles:
            keys = " or ".join(spec.key_env for spec in provider_specs().values() if spec.key_env)
            self.notify(
                escape(
                    f"No profile has an API key, so nothing is polled. Set {keys} (or a "
                    "profile's api_key_env / api_key_file), then restart; `batchtui demo` "
                    "runs everything on a local emulator."
                ),
                title="No API key",
                severity="warning",
                timeout=15,
            )
        await self.workspace.start_polling()

    @work(group="webhooks", exclusive=True, exit_on_error=False, description="webhooks")
    async def run_webhooks(self, host: str, port: int) -> None:
        """Receive signed events (`POST /webhooks/<profile>`) in this process: a verified
        event has its job polled at once, so its end shows (and notifies) within a second
        instead of at the next scheduled poll; polling stays the fallback."""
        from batchtui.core.webhooks.service import WebhookService, webhook_routes

        routes, skipped = webhook_routes(self.workspace)
        for name, why in skipped.items():
            self.notify(escape(f"{name}: {why}"), title="Webhooks off", severity="warning")
        if not routes:
            return
        service = WebhookService(self.workspace, routes)
        try:
            await service.start(host, port)
        except OSError as exc:
            self.notify(
                escape(f"cannot listen on {host}:{port}: {exc.strerror or exc}"),
                title="Webhooks",
                severity="error",
            )
            return
        self.webhook_service = service
        urls = ", ".join(service.receiver.url_for(name) for name in routes)
        self.notify(escape(f"listening on {urls}"), title="Webhooks", timeout=6)
        self.webhooks_started(service)
        await service.cover_when_polling()

    def webhooks_started(self, service: WebhookService) -> None:
        """Called once the receiver listens (the demo tells its emulator where to send)."""

    def _record_changed(self, record: JobRecord) -> None:
        """Workspace listener: turn a changed record into a message (safe from any thread)."""
        self.post_message(JobChanged(record))

    def _poll_failed(self, profile: str, batch_id: str | None, error: Exception) -> None:
        """Workspace error listener: a background polling error, as a message (any thread)."""
        self.post_message(PollFailed(profile, batch_id, error))

    def on_job_changed(self, message: JobChanged) -> None:
        view = self.view_of(message.record)
        before = self._statuses.get(view.local_id)
        if before is None:
            try:
                known = self.jobs_screen.table.views.get(view.local_id)
            except NoMatches:  # the screen is being torn down (quitting)
                return
            before = known.status if known is not None else None
        self._statuses[view.local_id] = view.status
        if view.is_terminal and before is not None and not before.is_terminal:
            self._notify_ended(view)
        self.job_signal.publish(view)

    def _notify_ended(self, view: JobView) -> None:
        counts = view.counts
        severity = ENDED_SEVERITY.get(view.status, "information")
        if view.status is BatchStatus.COMPLETED and counts.errored:
            severity = "warning"
        detail = f"{counts.succeeded:,} succeeded, {counts.errored:,} errored"
        if counts.canceled:
            detail += f", {counts.canceled:,} canceled"
        if counts.expired:
            detail += f", {counts.expired:,} expired"
        detail += f" of {counts.total:,}"
        if view.errors:
            detail += f" — {view.errors[0].message}"
        title = f"{display_label(view)} {view.status.value}"
        self.notify(
            escape(detail),
            title=escape(title),
            severity=severity,  # type: ignore[arg-type]
            timeout=8,
        )
        self.end_notifications.job_ended(
            view.local_id, f"batchtui: {title}", detail, view.status.value
        )

    @property
    def end_notifications(self) -> JobEndNotifications:
        """The terminal's desktop notification, the bell and the profiles' `on_end` /
        `notify_urls` of job ends (docs/notifications.md); made on first use."""
        notes: JobEndNotifications | None = getattr(self, "_end_notifications", None)
        if notes is None:
            from batchtui.ui.notify import JobEndNotifications  # not needed for a first frame

            notes = self._end_notifications = JobEndNotifications(self, self.workspace)
        return notes

    def notify_stale(self, view: JobView) -> None:
        """A job went stale (its counts stood still past the profile's threshold): one in-app
        and one terminal notification per job. Called by the jobs screen's stale check."""
        if view.is_terminal:
            return
        counts = view.counts
        still = view.stale_for(self.clock.now())
        minutes = f" for {int(still // 60)} min" if still is not None else ""
        title = f"{display_label(view)} stale"
        body = f"no progress{minutes} ({counts.done:,} of {counts.total:,} done)"
        if self.end_notifications.job_stale(view.local_id, f"batchtui: {title}", body):
            self.notify(escape(body), title=escape(title), severity="warning", timeout=8)

    def on_poll_failed(self, message: PollFailed) -> None:
        """Show a background polling error, at most once a minute per profile and kind."""
        error = message.error
        if self._store_state(error):
            return
        key = (message.profile, type(error).__name__)
        now = time.monotonic()
        if now - self._poll_errors_shown.get(key, -POLL_ERROR_QUIET_S) < POLL_ERROR_QUIET_S:
            return
        self._poll_errors_shown[key] = now
        retrying = isinstance(error, ProviderError) and error.retryable
        self.notify(
            error_text(error) + (" — retrying" if retrying else ""),
            title=escape(f"{message.profile}: {error_title(error)}"),
            severity="warning" if retrying else "error",
            timeout=8,
        )

    def _store_state(self, error: Exception) -> bool:
        """A team store lost or back: said once each way (the table keeps the last state it
        had, and the warning stays up while the store is lost). True when ``error`` was one
        of those; more failures while it is lost (each poll's write) add nothing."""
        from batchtui.core.store import StoreUnavailable
        from batchtui.core.workspace_team import StoreReconnected

        if isinstance(error, StoreReconnected):
            if self._store_lost:
                self._store_lost = False
                self.clear_notifications()
                self.notify(escape(str(error)), title="Team store", severity="information")
            return True
        if isinstance(error, StoreUnavailable):
            if not self._store_lost:
                self._store_lost = True
                self.notify(
                    escape(f"{error} — showing the last state; reconnecting"),
                    title="Team store unreachable",
                    severity="warning",
                    timeout=24 * 3600,
                )
            return True
        return False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_state(self, event.worker, event.state)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit_unless_editing":
            return quits_on_q(self.screen)
        if action == "quit_anywhere":  # shown where `q` does not quit (Textual's own ctrl+q
            return not quits_on_q(self.screen)  # binding covers the other screens)
        return True

    async def action_quit_unless_editing(self) -> None:
        """`q`: quit, unless the screen edits something (then `ctrl+q` is the way out)."""
        if quits_on_q(self.screen):
            await self.action_quit()

    async def action_quit_anywhere(self) -> None:
        await self.action_quit()

    def action_help(self) -> None:
        from batchtui.ui.screens.help import HelpScreen, help_rows

        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        title = type(screen).__name__.removesuffix("Screen") or "App"
        self.push_screen(HelpScreen(help_rows(screen), title))

    def action_compose(self) -> None:
        from batchtui.ui.screens.compose import ComposeScreen

        if not isinstance(self.screen, ComposeScreen):
            self.push_screen(ComposeScreen(self.last_draft, self.compose_dir), self._submitted)

    def action_import_file(self) -> None:
        from batchtui.ui.screens.import_ import ImportScreen

        if not isinstance(self.screen, ImportScreen):
            self.push_screen(ImportScreen(self.start_dir), self._submitted)

    def _submitted(self, local_id: str | None) -> None:
        if local_id:
            self.jobs_screen.select_job(local_id)

    def action_show_jobs(self) -> None:
        while len(self.screen_stack) > 1 and self.screen is not self.jobs_screen:
            self.pop_screen()

    def action_poll_all(self) -> None:
        self.settle_now()
        self.workspace.poll_now(None)
        self.notify("Polling every live job now.")

    def settle_now(self) -> None:
        """Settle submissions a crash or an ambiguous create left open, as `batchtui list` does
        (polling settles them once at start; `r` does it again). Runs in a worker."""
        if not self._settling and not self._quitting:
            self._settling = True
            self.settle_submissions()

    @work(group="settle", exit_on_error=False, description="settling open submissions")
    async def settle_submissions(self) -> None:
        """One list call per profile with open submissions (none otherwise). A profile whose
        list fails becomes a notification; the others are still settled. A job that turns
        out to exist is handed to the poller."""
        try:
            changed: list[JobRecord] = []
            for name in self.workspace.usable_profiles():
                try:
                    changed += await self.workspace.reconcile(name)
                except BatchtuiError as exc:  # shown: the other profiles still settle
                    self.notify(
                        error_text(exc),
                        title=escape(f"{name}: {error_title(exc)} (settling open submissions)"),
                        severity="error",
                        timeout=8,
                    )
            for record in changed:
                if record.id:
                    self.workspace.poll_now(record.local_id)  # the poller follows it from now on
        finally:
            self._settling = False

    async def on_event(self, event: events.Event) -> None:
        """While quitting (polling is being stopped), keys and clicks no longer act: a screen
        opened now would be torn down half-mounted."""
        if self._quitting and isinstance(event, events.InputEvent) and not event.is_forwarded:
            return
        await super().on_event(event)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Open a screen, unless the app is quitting (it would be torn down half-mounted:
        keys already queued behind `q` still run their actions)."""
        if self._quitting:
            return AwaitComplete.nothing()
        return super().push_screen(screen, *args, **kwargs)

    async def action_quit(self) -> None:
        self._quitting = True
        for unsubscribe in (self._unsubscribe, self._unsubscribe_errors):
            if unsubscribe is not None:
                unsubscribe()
        self._unsubscribe = self._unsubscribe_errors = None
        if self.webhook_service is not None:
            try:
                await asyncio.wait_for(self.webhook_service.close(), timeout=2.0)
            except Exception:  # deliberate boundary: quitting must not fail on a stuck client
                pass
        if self.poll:
            try:
                await asyncio.wait_for(self.workspace.stop_polling(), timeout=2.0)
            except Exception:  # deliberate boundary: quitting must not fail on a stuck provider
                pass
        self.exit()


def quits_on_q(screen: Screen) -> bool:
    """Whether `q` quits on this screen: not in dialogs, nor on screens that edit."""
    if screen.is_modal:
        return False
    return screen.QUIT_ON_Q if isinstance(screen, BaseScreen) else True


def make_app(workspace: Workspace, clock: Clock | None = None, **options: Any) -> BatchTuiApp:
    """Build the dashboard on a workspace (the CLI and tests share this factory)."""
    return BatchTuiApp(workspace, clock, **options)
