"""The run view: per custom_id the latest success across a job and its retries; what is missing."""

from __future__ import annotations

import asyncio

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Footer, Static

from batchtui.ui.models.jobs import JobView
from batchtui.ui.models.runs import RunSummary, run_summary
from batchtui.ui.screens.base import BaseScreen
from batchtui.ui.widgets.line_view import RowsView, pad_cell

KEPT_WIDTHS = (24, 10, 16)


class RunScreen(BaseScreen):
    """A run's merged results; reloads when a job of the run changes."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="run.back"),
        Binding("r", "reload", "Reload", id="run.reload"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="run.next"),
    ]

    def __init__(self, local_id: str, view: JobView | None = None) -> None:
        super().__init__()
        self.local_id = local_id
        self.job = view
        self.summary: RunSummary | None = None

    def compose(self) -> ComposeResult:
        name = (self.job.label if self.job else "") or self.local_id
        yield Static(Content.assemble(("Run of ", "bold"), name), id="run-title")
        yield Static(Content("Merging…"), id="run-summary")
        with Horizontal(id="run-main"):
            with Vertical(id="run-kept-pane"):
                yield Static(
                    pad_cell("custom_id", 24)
                    + " "
                    + pad_cell("outcome", 10)
                    + " "
                    + pad_cell("from job", 16)
                    + " text",
                    classes="list-header",
                )
                yield RowsView(KEPT_WIDTHS, id="run-kept")
            with Vertical(id="run-missing-pane"):
                yield Static("still missing (custom_id)", classes="list-header")
                yield RowsView((40,), id="run-missing")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#run-kept", RowsView).focus()
        self.app.job_signal.subscribe(self, self._job_changed)
        self.load()

    @work(group="run-view", exclusive=True, exit_on_error=False, description="run view")
    async def load(self) -> None:
        merged = await self.workspace.run_view(self.local_id)
        parse = self.workspace.parse_fn(self.local_id)
        summary = await asyncio.to_thread(run_summary, merged, self.local_id, parse)
        self._show(summary)

    def _show(self, summary: RunSummary) -> None:
        self.summary = summary
        kept = self.query_one("#run-kept", RowsView)
        kept.set_rows(
            [(r.custom_id, r.outcome, r.job_id, r.text) for r in summary.rows],
            [
                "rows-view--good" if r.outcome == "succeeded" else "rows-view--bad"
                for r in summary.rows
            ],
        )
        missing = self.query_one("#run-missing", RowsView)
        missing.set_rows([(m,) for m in summary.missing], ["rows-view--bad"] * len(summary.missing))
        jobs = len(summary.job_ids) or 1
        state = "complete" if summary.complete else f"{len(summary.missing):,} missing"
        text = (
            f"{jobs} job{'s' if jobs != 1 else ''} · {summary.succeeded:,} of "
            f"{summary.total:,} succeeded · {state}"
        )
        self.query_one("#run-summary", Static).update(
            Content.assemble((text, "$text-success" if summary.complete else "$text-warning"))
        )

    def _job_changed(self, view: JobView) -> None:
        if self.summary is None:
            return
        ids = self.summary.job_ids
        if (
            view.local_id in ids
            or view.provider_id in ids
            or view.parent_id
            in (
                self.local_id,
                *self.summary.job_ids,
            )
        ):
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss()
