"""The results browser of one job: virtual list, filter, detail pane, export, marks and retry."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.markup import escape
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import get_current_worker

from batchtui.core.models import BatchResult, Outcome, ResultLine
from batchtui.core.provider import BatchtuiError, ProviderError
from batchtui.ui.messages import ResultsGrew
from batchtui.ui.models.jobs import JobView
from batchtui.ui.models.results import (
    FLAG_CYCLE,
    FLAG_MEANINGS,
    LineSource,
    ResultQuery,
    filter_indices,
    suggested_max_tokens,
    truncated_among,
)
from batchtui.ui.screens.base import BaseScreen
from batchtui.ui.screens.path_prompt import PathChoice, PathModal
from batchtui.ui.screens.retry_prompt import MaxTokensModal, RetryChoice
from batchtui.ui.sources import (
    ResultsHandle,
    export_results,
    is_current,
    is_view_of,
    line_source,
)
from batchtui.ui.widgets.filter_box import open_filter
from batchtui.ui.widgets.line_view import LineView
from batchtui.ui.widgets.result_detail import ResultDetail
from batchtui.ui.widgets.results_view import ResultsView, header_text

OUTCOME_CYCLE = ("", *(o.value for o in Outcome))


class ResultsScreen(BaseScreen):
    """Browse one job's results while they download; filter, inspect, export, mark, retry."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="results.back"),
        Binding("slash", "filter", "Filter", id="results.filter", priority=True),  # filter_box.py
        Binding("e", "problems", "Errors", id="results.errors"),
        Binding("o", "cycle_outcome", "Cycle outcome", show=False, id="results.outcome"),
        Binding("f", "cycle_flag", "Cycle flag", show=False, id="results.flag"),
        Binding("t", "triage", "Triage", id="results.triage"),
        Binding("R", "retry_marked", "Retry", id="results.retry"),
        Binding("x", "export", "Export", id="results.export"),
        Binding("y", "copy_id", "Copy id", id="results.copy"),
        Binding("u", "run_view", "Run view", show=False, id="results.run"),
    ]

    def __init__(self, local_id: str, view: JobView | None = None) -> None:
        super().__init__()
        self.local_id = local_id
        self.job = view
        self.source: LineSource | None = None
        self.query_filter = ResultQuery()
        self._generation = 0
        self._filtered_upto = 0
        self.downloading = False
        self.note = ""
        self._parser: Callable[[ResultLine], BatchResult] | None = None
        self._parser_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        name = (self.job.label if self.job else "") or self.local_id
        status = self.job.status.value if self.job else ""
        yield Static(
            Content.assemble((name, "bold"), "  ", (status, "$text-muted")), id="results-title"
        )
        with Horizontal(id="results-progress-row"):
            yield ProgressBar(id="results-progress", show_eta=False)
            yield Static(id="results-count")
        yield Input(
            placeholder="filter: outcome:errored flag:truncated type:rate is:problem words",
            id="results-filter",
            classes="filter -hidden",
        )
        yield Static(header_text(), id="results-header", classes="list-header")
        with Horizontal(id="results-main"):
            yield ResultsView(id="results-view")
            yield ResultDetail(id="result-detail")
        yield Footer()

    @property
    def view(self) -> ResultsView:
        return self.query_one(ResultsView)

    def on_mount(self) -> None:
        self._set_title()
        self.view.focus()
        self.app.job_signal.subscribe(self, self._job_changed)
        self.open_cached()

    @work(thread=True, group="results-open", exit_on_error=False, description="open results")
    def open_cached(self) -> None:
        """Open the cached index off the event loop: only a first screen of it when the
        workspace can (a large file is indexed the rest of the way by the download worker)."""
        handle = self.workspace.results_preview(self.local_id)
        source = self._source_of(handle) if handle is not None else None
        current = handle is None or is_current(handle)
        self.app.call_from_thread(self._cached_opened, source, current)

    def _cached_opened(self, source: LineSource | None, current: bool = True) -> None:
        if source is not None and self.source is None:
            self._use_source(source)
        complete = self.job is not None and self.job.results_complete
        if source is not None and not current and complete and self._job_ended():
            # Only indexing is left: paint the first screen before it takes the CPU.
            self.call_after_refresh(self.download)
        elif source is None or not current or not complete or not self._job_ended():
            self.download()
        else:
            self._set_progress(None, None, finished=True)

    def _job_ended(self) -> bool:
        return self.job is None or self.job.is_terminal

    def _source_of(self, handle: ResultsHandle) -> LineSource:
        return line_source(handle, lambda: self._parse)

    # The adapter's parser (for the text column and the detail) costs a provider adapter: its
    # HTTP stack imported and a client built, ~0.1 s. A first screen of rows needs only the
    # index's columns, so the parser is built in a worker once they are painted.

    def _parse(self, line: ResultLine) -> BatchResult:
        """The adapter's parser, built on first use (one stable function, as the index's
        parse cache is keyed by it)."""
        return self._build_parser()(line)

    def _build_parser(self) -> Callable[[ResultLine], BatchResult]:
        parser = self._parser
        if parser is None:
            with self._parser_lock:
                parser = self._parser
                if parser is None:
                    parser = self._parser = self.workspace.parse_fn(self.local_id)
        return parser

    def _needs_parser(self, source: LineSource) -> bool:
        return self._parser is None and getattr(source, "parse", None) == self._parse

    @work(thread=True, group="results-parser", exit_on_error=False, description="parser")
    def _warm_parser(self) -> None:
        try:
            self._build_parser()
        except Exception as error:  # no adapter for this job: rows keep the index's columns
            self.app.call_from_thread(self._parser_failed, f"cannot read results: {error}")
            return
        self.app.call_from_thread(self._parser_ready)

    def _parser_failed(self, note: str) -> None:
        if not self.is_mounted:
            return
        self.note = note
        self._refresh_counter()

    def _parser_ready(self) -> None:
        if not self.is_mounted:
            return  # the screen was closed while the parser was being built
        self.view.show_previews()
        self._show_current()

    def _job_changed(self, view: JobView) -> None:
        """Follow the job: new title, and fetch again once it has ended (partial results)."""
        if view.local_id != self.local_id:
            return
        was_live = self.job is not None and not self.job.is_terminal
        self.job = view
        self._set_title()
        if was_live and view.is_terminal and not self.downloading:
            self.download()

    def _set_title(self) -> None:
        name = (self.job.label if self.job else "") or self.local_id
        status = self.job.status.value if self.job else ""
        self.query_one("#results-title", Static).update(
            Content.assemble((name, "bold"), "  ", (status, "$text-muted"))
        )

    # ------------------------------------------------------------------ download

    @work(group="results-download", exclusive=True, exit_on_error=False, description="download")
    async def download(self) -> None:
        self.downloading = True
        self._set_progress(0, None)

        def progress(done: int, total: int | None) -> None:
            count = self.source.count if self.source else 0
            self.post_message(ResultsGrew(self.local_id, count, done, total))

        def on_lines(_lines: Any = None) -> None:
            if self.source is None:
                handle = self.workspace.results(self.local_id)
                if handle is not None:
                    self._use_source(self._source_of(handle))
            count = self.source.count if self.source else 0
            self.post_message(ResultsGrew(self.local_id, count, None, None))

        try:
            handle = await self.workspace.fetch_results(
                self.local_id, progress=progress, on_lines=on_lines
            )
        except BatchtuiError as error:
            if isinstance(error, ProviderError):
                raise
            self._set_progress(None, None, finished=True, note=str(error))
            return
        finally:
            self.downloading = False
        if self.source is None or not is_view_of(self.source, handle):
            self._use_source(self._source_of(handle))
        self._grow()
        self._set_progress(None, None, finished=True)

    def _use_source(self, source: LineSource) -> None:
        self.source = source
        self._filtered_upto = 0
        if self._needs_parser(source):
            self.view.show_previews(False)
            self.call_after_refresh(self._warm_parser)
        self.view.set_source(source)
        self._apply_filter()

    def on_results_grew(self, message: ResultsGrew) -> None:
        self._grow()
        if message.done is not None and self.downloading:
            self._set_progress(message.done, message.total)

    def _grow(self) -> None:
        """New lines are indexed: show them (through the filter when one is set)."""
        if self.source is None:
            return
        count = self.source.count
        if self.view.indices is not None and count > self._filtered_upto:
            more = filter_indices(self.source, self.query_filter, self._filtered_upto, count) or []
            self._filtered_upto = count
            self.view.extend_indices(more)
        else:
            self.view.rows_changed()
        if self.view.row_count and self.view.cursor == 0:
            self._show_current()
        self._refresh_counter()

    def _set_progress(
        self, done: int | None, total: int | None, finished: bool = False, note: str = ""
    ) -> None:
        bar = self.query_one("#results-progress", ProgressBar)
        if finished:
            bar.update(total=1, progress=1)
            bar.add_class("-done")
        else:
            bar.update(total=total, progress=done or 0)
        self.note = note
        self._refresh_counter()

    def _refresh_counter(self) -> None:
        total = self.source.count if self.source else 0
        shown = self.view.row_count
        text = f"{shown:,} of {total:,} results"
        if self.downloading:
            text += " · downloading…"
        if self.note:
            text += f" · {self.note}"
        if not self.query_filter.is_empty:
            text += f" · filter: {self.query_filter.text()}"
        if self.view.marked:
            text += f" · {len(self.view.marked)} marked"
        self.query_one("#results-count", Static).update(Content(text))

    # ------------------------------------------------------------------ filter

    def action_filter(self) -> None:
        open_filter(self.query_one("#results-filter", Input))

    @on(Input.Changed, "#results-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.set_query(ResultQuery.parse(event.value))

    @on(Input.Submitted, "#results-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.add_class("-hidden")
        self.view.focus()

    def set_query(self, query: ResultQuery, *, echo: bool = False) -> None:
        """Filter the list by `query` (in a worker: text search reads lines)."""
        self.query_filter = query
        if echo:
            box = self.query_one("#results-filter", Input)
            with box.prevent(Input.Changed):
                box.value = query.text()
            box.set_class(query.is_empty, "-hidden")
        self._apply_filter()

    def _apply_filter(self) -> None:
        self._generation += 1
        if self.source is None:
            return
        if self.query_filter.is_empty:
            self._filtered_upto = self.source.count
            self.view.set_indices(None)
            self._refresh_counter()
            return
        self.run_filter(self.query_filter, self._generation, self.source.count)

    @work(
        thread=True,
        group="results-filter",
        exclusive=True,
        exit_on_error=False,
        description="filter",
    )
    def run_filter(self, query: ResultQuery, generation: int, upto: int) -> None:
        worker = get_current_worker()
        assert self.source is not None
        rows = filter_indices(self.source, query, 0, upto, cancelled=lambda: worker.is_cancelled)
        if rows is not None:
            self.app.call_from_thread(self._filtered, rows, generation, upto)

    def _filtered(self, rows: list[int], generation: int, upto: int) -> None:
        if generation != self._generation:
            return
        self._filtered_upto = upto
        self.view.set_indices(rows)
        self._grow()
        self._show_current()
        self._refresh_counter()

    def action_problems(self) -> None:
        query = self.query_filter
        self.set_query(
            ResultQuery() if query.problems_only else ResultQuery(problems_only=True), echo=True
        )

    def action_cycle_flag(self) -> None:
        """Step the flag filter: any, truncated, filtered, refused, http_error."""
        current = self.query_filter.flags[0] if self.query_filter.flags else ""
        index = FLAG_CYCLE.index(current) if current in FLAG_CYCLE else 0
        following = FLAG_CYCLE[(index + 1) % len(FLAG_CYCLE)]
        query = ResultQuery(
            outcomes=self.query_filter.outcomes,
            flags=(following,) if following else (),
            error_types=self.query_filter.error_types,
            words=self.query_filter.words,
        )
        self.set_query(query, echo=True)
        if following:
            self.notify(f"Showing results flagged {following}: {FLAG_MEANINGS[following]}.")

    def action_cycle_outcome(self) -> None:
        current = self.query_filter.outcomes[0] if self.query_filter.outcomes else ""
        following = OUTCOME_CYCLE[(OUTCOME_CYCLE.index(current) + 1) % len(OUTCOME_CYCLE)]
        query = ResultQuery(
            outcomes=(following,) if following else (),
            flags=self.query_filter.flags,
            error_types=self.query_filter.error_types,
            words=self.query_filter.words,
        )
        self.set_query(query, echo=True)

    # ------------------------------------------------------------------ detail & keys

    @on(LineView.Highlighted, "#results-view")
    def _highlighted(self) -> None:
        self._show_current()
        self._refresh_counter()

    def _show_current(self) -> None:
        if not self.view.previews:
            return  # the parser is on its way (`_parser_ready` shows the current result)
        self.query_one(ResultDetail).show(self.view.current_result())

    @on(LineView.Selected, "#results-view")
    def _selected(self) -> None:
        self.query_one(ResultDetail).focus()

    def action_back(self) -> None:
        box = self.query_one("#results-filter", Input)
        if box.has_focus:
            if not box.value.strip():
                box.add_class("-hidden")
            self.view.focus()
            return
        self.dismiss()

    def action_copy_id(self) -> None:
        result = self.view.current_result()
        if result is None:
            return
        self.app.copy_to_clipboard(result.custom_id)
        self.notify(f"Copied {escape(result.custom_id)}")

    def action_triage(self) -> None:
        if self.source is None:
            self.notify("No results yet.", severity="warning")
            return
        from batchtui.ui.screens.triage import TriageScreen

        self.app.push_screen(TriageScreen(self.local_id, self.source, self.job))

    def action_run_view(self) -> None:
        from batchtui.ui.screens.run import RunScreen

        self.app.push_screen(RunScreen(self.local_id, self.job))

    def action_retry_marked(self) -> None:
        ids = self.view.marked_custom_ids()
        if not ids or self.source is None:
            self.notify("Mark results with space first (or use triage: t).", severity="warning")
            return
        truncated = truncated_among(self.source, sorted(self.view.marked))
        if not truncated:
            self.retry(ids)
            return

        def answered(choice: RetryChoice | None) -> None:
            if choice is not None:
                self.retry(ids, choice.max_tokens)

        suggestion = suggested_max_tokens(self.source, truncated)
        self.app.push_screen(MaxTokensModal(len(ids), len(truncated), suggestion), answered)

    @work(group="results-retry", exit_on_error=False, description="retry")
    async def retry(self, custom_ids: list[str], max_tokens: int | None = None) -> None:
        record = await self.workspace.retry(
            self.local_id, custom_ids=custom_ids, max_tokens=max_tokens
        )
        self.view.marked.clear()
        self.view.content_changed()
        self._refresh_counter()
        label = record.label or record.local_id
        self.notify(f"Retry job {escape(label)} submitted with {len(custom_ids)} requests.")

    # ------------------------------------------------------------------ export

    def action_export(self) -> None:
        if self.source is None:
            self.notify("No results yet.", severity="warning")
            return
        name = (self.job.label if self.job else "") or self.local_id
        default = f"{name}-results.jsonl".replace(" ", "_").replace("/", "_")

        def chosen(choice: PathChoice | None) -> None:
            if choice is not None:
                rows = list(self.view.indices) if self.view.indices is not None else None
                self.export(choice, rows)

        self.app.push_screen(
            PathModal("Export the shown results", default, ("jsonl", "csv")), chosen
        )

    @work(thread=True, group="results-export", exit_on_error=False, description="export")
    def export(self, choice: PathChoice, rows: list[int] | None) -> None:
        assert self.source is not None
        written = export_results(self.source, rows, choice.path, choice.format, self.local_id)
        self.app.call_from_thread(
            self.notify, f"Exported {written:,} results to {escape(choice.path)}"
        )
