"""The default screen: the live job table, its filter, the detail panel and the job actions."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.markup import escape
from textual.widgets import Footer, Input, Static

from batchtui import startup
from batchtui.core.models import BatchStatus
from batchtui.ui.models.clean import describe, plan_items, summarize_clean
from batchtui.ui.models.job_list import JobQuery, children_of
from batchtui.ui.models.jobs import JobView, display_label
from batchtui.ui.models.money import CostTotals, totals_from_core, totals_from_jobs
from batchtui.ui.screens.base import BaseScreen
from batchtui.ui.screens.confirm import ConfirmModal
from batchtui.ui.widgets.filter_box import open_filter
from batchtui.ui.widgets.job_detail import JobDetail
from batchtui.ui.widgets.job_table import JobTable

if TYPE_CHECKING:
    from batchtui.core.clean import CleanPlan
    from batchtui.core.store import JobRecord

RECOVERABLE = (BatchStatus.CANCELLED, BatchStatus.EXPIRED, BatchStatus.FAILED)
STALE_ONE_BY_ONE = 3
"""At most this many jobs turning stale in one look are announced one by one; more, in one."""
FREEZE_AFTER_JOBS = 1_000
"""From this many jobs, what the start-up load made is frozen out of the garbage collector's
walks (`JobsScreen.load_jobs`)."""
STORE_SYNC_MARGIN = timedelta(seconds=10)
"""How far back each look for jobs recorded by other processes reaches (overlap is harmless)."""


class JobsScreen(BaseScreen):
    """Every job, live; actions apply to the highlighted one."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (170, "-wide")]

    _pending_select: str | None = None
    _status_due = False
    _stale_noted: set[str]
    _status_text = ""
    _synced_at: datetime = datetime.fromtimestamp(0, UTC)
    totals: CostTotals | None = None
    """The core's cost totals, once read; else totals are summed from the table."""

    BINDINGS = [
        Binding("enter", "open_results", "Results", id="jobs.open"),
        Binding("slash", "filter", "Filter", id="jobs.filter", priority=True),  # filter_box.py
        Binding("escape", "clear_filter", "Clear filter", show=False, id="jobs.clear_filter"),
        Binding("s", "cycle_sort", "Sort", id="jobs.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="jobs.sort_reverse"),
        Binding("r", "refresh", "Refresh", id="jobs.refresh"),
        Binding("c", "cancel_job", "Cancel", id="jobs.cancel"),
        Binding("R", "retry_job", "Retry", id="jobs.retry"),
        Binding("v", "recover_job", "Recover", id="jobs.recover"),
        Binding("u", "run_view", "Run view", show=False, id="jobs.run"),
        Binding(
            "D",
            "clean_files",
            "Clean provider files",
            show=False,
            tooltip="Delete provider files of ended jobs whose results are cached here",
            id="jobs.clean",
        ),
        Binding("n", "app.compose", "Compose", id="jobs.compose"),
        Binding("i", "app.import_file", "Import", id="jobs.import"),
    ]

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="filter: words  status:failed  provider:NAME   (enter keeps, esc clears)",
            id="jobs-filter",
            classes="filter -hidden",
        )
        with Horizontal(id="jobs-main"):
            yield JobTable(id="jobs-table")
            yield JobDetail(id="job-detail")
        yield Static(id="jobs-status", classes="status-line")
        yield Footer()

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    def on_mount(self) -> None:
        self._stale_noted = set()
        self.app.job_signal.subscribe(self, self.apply)
        self.load_jobs()
        self.table.focus()
        self.set_interval(5.0, self._tick, name="jobs-age-tick")

    def load_jobs(self) -> None:
        """Fill the table from the store (fast local read).

        Reading many jobs makes hundreds of thousands of objects that all stay alive: the
        cyclic garbage collector would walk them again and again while they are made (a
        third of the start-up time at 10,000 jobs), so it is paused during the load; after a
        large load the survivors are frozen (`gc.freeze`), so later collections, while the
        dashboard idles or polls, do not walk them either."""
        startup.mark("app started, screen mounted")
        self._synced_at = self.clock.now()
        collecting = gc.isenabled()
        gc.disable()
        try:
            records = self.workspace.jobs(brief=True)
            startup.mark(f"store read ({len(records)} jobs)")
            views = [self.app.view_of(record) for record in records]
            startup.mark("job views")
            self.table.set_jobs(views, self.clock.now())
            startup.mark("table filled")
        finally:
            if collecting:
                gc.enable()
        if len(records) >= FREEZE_AFTER_JOBS:
            gc.freeze()
        self._show_detail()
        self._update_status()
        self.refresh_totals()

    def apply_many(self, views: list[JobView]) -> None:
        """Apply many changed jobs at once (one reorder of the table for all of them)."""
        self.table.upsert_many(views, self.clock.now())
        current = self.table.current_view
        if current is not None and any(v.local_id == current.local_id for v in views):
            self._show_detail()
        self._update_status()

    def apply(self, view: JobView) -> None:
        """Apply one changed job (the `JobChanged` path); only its changed cells repaint."""
        before = self.table.views.get(view.local_id)
        self.table.upsert(view, self.clock.now())
        if before is None or before.cost != view.cost:
            self.refresh_totals()
        if self._pending_select == view.local_id:
            self.select_job(view.local_id)
        current = self.table.current_view
        if current is not None and (
            current.local_id == view.local_id or view.parent_id == current.local_id
        ):
            self._show_detail()
        self._update_status()

    def select_job(self, local_id: str) -> None:
        """Move the cursor to a job (now if shown, else as soon as it arrives)."""
        table = self.table
        if local_id in table.shown_ids:
            self._pending_select = None
            table.move_cursor(row=table.get_row_index(local_id))
        else:
            self._pending_select = local_id

    def _tick(self) -> None:
        now = self.clock.now()
        self.table.tick(now)
        self._watch_for_stale(now)
        self.find_new_jobs()

    def _watch_for_stale(self, now: datetime) -> None:
        """Jobs past their stale threshold that the running poller follows are stale now (a
        stuck job's unchanged polls are never stored, so its record alone cannot say). The
        question is a lookup per job, not a store read, and the jobs that turn stale in one
        tick are applied together. Jobs newly stale are announced: one by one when a few,
        in one line when many (10,000 jobs must not raise 10,000 notifications)."""
        turned: list[JobView] = []
        stale: list[JobView] = []
        for view in self.table.views.values():
            if view.stale_at is None or view.is_terminal or now < view.stale_at:
                continue
            if view.stale_for(now) is not None:
                stale.append(view)
            elif not view.watched and self.workspace.follows(view.profile, view.provider_id):
                fresh = replace(view, watched=True)
                turned.append(fresh)
                stale.append(fresh)
        if turned:
            self.apply_many(turned)
        fresh_stale = [view for view in stale if view.local_id not in self._stale_noted]
        self._stale_noted.update(view.local_id for view in fresh_stale)
        if len(fresh_stale) <= STALE_ONE_BY_ONE:
            for view in fresh_stale:
                self.app.notify_stale(view)
        else:
            self.notify(
                f"{len(fresh_stale):,} jobs have made no progress past their profile's "
                "stale threshold (marked ⚠ stale in the status column).",
                title="Stale jobs",
                severity="warning",
                timeout=8,
            )

    @work(
        thread=True, group="store-sync", exclusive=True, exit_on_error=False, description="new jobs"
    )
    def find_new_jobs(self) -> None:
        """Pick up jobs another process (the CLI) recorded in the store since the last look;
        the poller only learns of them here, or at its next provider list."""
        now = self.clock.now()
        records = self.workspace.store.list_jobs(created_since=self._synced_at - STORE_SYNC_MARGIN)
        self._synced_at = now
        self.app.call_from_thread(self._found_jobs, records)

    def _found_jobs(self, records: list[JobRecord]) -> None:
        for record in records:
            if record.local_id in self.table.views:
                continue
            self.apply(self.app.view_of(record))
            if not record.is_terminal:
                self.workspace.poll_now(record.local_id)  # the poller tracks it from now on

    # ------------------------------------------------------------------ detail & status

    @on(JobTable.RowHighlighted, "#jobs-table")
    def _row_highlighted(self) -> None:
        self._show_detail()

    @on(JobTable.RowSelected, "#jobs-table")
    def _row_selected(self) -> None:
        self.action_open_results()

    def _show_detail(self) -> None:
        table = self.table
        view = table.current_view
        parent = kids = None
        if view is not None:
            parent = table.views.get(view.parent_id) if view.parent_id else None
            kids = [table.views[i] for i in children_of(table.views, view.local_id)]
        self.query_one(JobDetail).show(view, self.clock.now(), parent, kids or ())

    def _update_status(self) -> None:
        """Rewrite the status line once the messages already queued are handled: a burst of
        job changes (a poll answering for many jobs) costs one count over every job, and the
        line is redrawn only when its text changed."""
        if not self._status_due:
            self._status_due = True
            self.call_later(self._write_status)

    def _write_status(self) -> None:
        self._status_due = False
        table = self.table
        views = table.views.values()
        live = table.live_count
        arrow = "↓" if table.sort_reverse else "↑"
        parts = [
            f"{len(table.views)} jobs",
            f"{live} live",
            f"sort: {table.sort_key} {arrow}",
        ]
        if not table.query_filter.is_empty:
            parts.append(f"showing {len(table.shown_ids)}")
        if not table.views:
            parts.append("no jobs yet: press i to import a file or n to compose requests")
        totals = self.totals or totals_from_jobs(views, self.clock.now())
        if not totals.is_empty:
            parts.append("spent " + totals.text())
        text = " · ".join(parts)
        if text != self._status_text:
            self._status_text = text
            self.query_one("#jobs-status", Static).update(Content(text))

    @work(
        thread=True, group="cost-totals", exclusive=True, exit_on_error=False, description="totals"
    )
    def refresh_totals(self) -> None:
        """Read the core's cost totals (per profile, per day) off the loop."""
        today = self.clock.now().astimezone().date().isoformat()  # the core's local day
        totals = totals_from_core(self.workspace.cost_totals(), today)
        self.app.call_from_thread(self._totals_read, totals)

    def _totals_read(self, totals: CostTotals | None) -> None:
        self.totals = totals
        self._update_status()

    # ------------------------------------------------------------------ filter & sort

    def action_filter(self) -> None:
        open_filter(self.query_one("#jobs-filter", Input))

    @on(Input.Changed, "#jobs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_query(JobQuery.parse(event.value))
        self._show_detail()
        self._update_status()

    @on(Input.Submitted, "#jobs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.add_class("-hidden")
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#jobs-filter", Input)
        box.value = ""
        box.add_class("-hidden")
        self.table.set_query(JobQuery())
        self.table.focus()
        self._update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            boxes = self.query("#jobs-filter").results(Input)
            box = next(boxes, None)
            return box is not None and (box.has_focus or bool(box.value))
        if action == "clean_files":
            return self.app.can_clean
        return True

    def action_cycle_sort(self) -> None:
        self.table.cycle_sort()
        self._update_status()

    def action_reverse_sort(self) -> None:
        table = self.table
        table.sort_by(table.sort_key, reverse=not table.sort_reverse)
        self._update_status()

    # ------------------------------------------------------------------ job actions

    def _current(self, verb: str) -> JobView | None:
        view = self.table.current_view
        if view is None:
            self.notify(f"No job to {verb}.", severity="warning")
        return view

    def action_refresh(self) -> None:
        self.app.settle_now()  # open submissions first, as `batchtui list` does
        view = self.table.current_view
        self.workspace.poll_now(view.local_id if view else None)
        self.notify("Polling now." if view is None else f"Polling {escape(display_label(view))}.")

    def action_open_results(self) -> None:
        view = self._current("open")
        if view is not None:
            self.open_results(view.local_id)

    def open_results(self, local_id: str) -> None:
        from batchtui.ui.screens.results import ResultsScreen

        view = self.table.views.get(local_id)
        self.app.push_screen(ResultsScreen(local_id, view))

    def action_run_view(self) -> None:
        view = self._current("show")
        if view is not None:
            self.open_run(view.local_id)

    def open_run(self, local_id: str) -> None:
        from batchtui.ui.screens.run import RunScreen

        self.app.push_screen(RunScreen(local_id, self.table.views.get(local_id)))

    def action_cancel_job(self) -> None:
        view = self._current("cancel")
        if view is not None:
            self.confirm_cancel(view.local_id)

    def confirm_cancel(self, local_id: str) -> None:
        """Ask once, then cancel the job in a worker."""
        view = self.table.views.get(local_id)
        if view is None:
            return
        if view.is_terminal:
            self.notify(f"{escape(display_label(view))} already ended ({view.status.value}).")
            return
        done = view.counts.done

        def answered(yes: bool | None) -> None:
            if yes:
                self.cancel_job(local_id)

        self.app.push_screen(
            ConfirmModal(
                f"Cancel job {display_label(view)}?",
                f"{done} of {view.counts.total} requests are done; finished results are kept "
                "and can be recovered.",
                yes="Cancel job",
                no="Keep running",
            ),
            answered,
        )

    @work(group="job-cancel", exit_on_error=False, description="cancel")
    async def cancel_job(self, local_id: str) -> None:
        record = await self.workspace.cancel(local_id)
        self.apply(self.app.view_of(record))

    def action_retry_job(self) -> None:
        view = self._current("retry")
        if view is None:
            return
        if view.counts.errored <= 0 and view.status is BatchStatus.COMPLETED:
            self.notify("This job has no errored requests.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.retry_job(view.local_id)

        self.app.push_screen(
            ConfirmModal(
                f"Retry the errored requests of {display_label(view)}?",
                f"{view.counts.errored} errored requests go out as a new batch under this job.",
                yes="Retry",
                no="Back",
            ),
            answered,
        )

    @work(group="job-retry", exit_on_error=False, description="retry")
    async def retry_job(self, local_id: str) -> None:
        record = await self.workspace.retry(local_id)
        child = self.app.view_of(record)
        self.apply(child)
        self.select_job(child.local_id)
        self.notify(f"Retry job {escape(display_label(child))} submitted.")

    def action_recover_job(self) -> None:
        view = self._current("recover")
        if view is None:
            return
        if view.status not in RECOVERABLE:
            self.notify(
                "Recover works on cancelled, expired or failed jobs "
                f"(this one is {view.status.value}).",
                severity="warning",
            )
            return
        self.recover_job(view.local_id)

    @work(group="job-recover", exit_on_error=False, description="recover")
    async def recover_job(self, local_id: str) -> None:
        record = await self.workspace.recover(local_id)
        child = self.app.view_of(record)
        self.apply(child)
        self.select_job(child.local_id)
        self.notify(f"Recovery job {escape(display_label(child))} submitted.")

    # ------------------------------------------------------------------ provider file hygiene

    def action_clean_files(self) -> None:
        """Plan the clean-up off the loop, ask once with the exact list, then delete."""
        self.notify("Looking for provider files to clean…", timeout=3)
        self.plan_clean()

    @work(thread=True, group="clean", exclusive=True, exit_on_error=False, description="clean")
    def plan_clean(self) -> None:
        plan = self.workspace.clean_plan()
        self.app.call_from_thread(self._clean_planned, plan)

    def _clean_planned(self, plan: CleanPlan) -> None:
        items = plan_items(plan)
        if not items:
            self.notify(
                "Nothing to clean: no ended job with fully cached results has files left at "
                "a provider."
            )
            return

        from batchtui.ui.screens.clean import CleanModal

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_clean(plan)

        self.app.push_screen(CleanModal([describe(item) for item in items]), answered)

    @work(group="clean", exclusive=True, exit_on_error=False, description="clean")
    async def run_clean(self, plan: CleanPlan) -> None:
        report = await self.workspace.clean(plan)
        summary = summarize_clean(report)
        self.notify(
            escape(summary.message),
            title="Clean provider files",
            severity=summary.severity,  # type: ignore[arg-type]
            timeout=8,
        )
