"""The live job table: one keyed row per job, cells updated in place, retries under parents."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from batchtui.core.models import BatchStatus
from batchtui.ui.models.job_list import SORT_KEYS, JobQuery, depths, order_jobs, visible_ids
from batchtui.ui.models.jobs import COLUMNS, JobRow, JobView, cost_of, job_row

WIDE_STATUS_MIN = 136
"""Table width from which the status column shows ``in_progress ⚠ stale 42m`` in full."""


class LabelText(Text):
    """A label cell that remembers its job, so the table can be ordered by job."""

    def __init__(self, text: str, local_id: str, style: str | Style = "") -> None:
        super().__init__(text, style=style, no_wrap=True, overflow="ellipsis", end="")
        self.local_id = local_id


class JobTable(DataTable):
    """Every job of the store as a row keyed by its local id; never cleared and refilled."""

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        *(f"job-status--{status.value}" for status in BatchStatus),
        "job-table--progress",
        "job-table--retry",
        "job-table--muted",
        "job-table--queued",
        "job-table--stale",
        "job-table--estimate",
    }

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g", "scroll_top", "Top", show=False, id="table.top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="table.bottom"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.views: dict[str, JobView] = {}
        self._shown: dict[str, JobRow] = {}
        self._order: list[str] = []
        self.query_filter = JobQuery()
        self.sort_key = "created"
        self.sort_reverse = False
        self.now = datetime.fromtimestamp(0, UTC)
        self.compact = True
        for key, header, width in COLUMNS:
            self.add_column(header, key=key, width=width)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.restyle())

    def on_resize(self) -> None:
        """Narrow tables show the stale marker without the status word (it would not fit)."""
        compact = self.size.width < WIDE_STATUS_MIN
        if compact != self.compact:
            self.compact = compact
            self.tick(self.now)

    # ------------------------------------------------------------------ queries

    @property
    def current_id(self) -> str | None:
        """Local id of the highlighted job, or None when the table is empty."""
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return row_key.value

    @property
    def current_view(self) -> JobView | None:
        local_id = self.current_id
        return self.views.get(local_id) if local_id else None

    @property
    def shown_ids(self) -> list[str]:
        """Local ids in the order the rows are displayed."""
        return [local_id for local_id in self._order if local_id in self._shown]

    def row_text(self, local_id: str) -> JobRow | None:
        """The plain text currently displayed for a job (for tests and the palette)."""
        return self._shown.get(local_id)

    # ------------------------------------------------------------------ updates

    def set_jobs(self, views: Iterable[JobView], now: datetime) -> None:
        """Show exactly these jobs, adding, updating and removing rows as needed."""
        self.now = now
        fresh = {view.local_id: view for view in views}
        for gone in [local_id for local_id in self.views if local_id not in fresh]:
            self.views.pop(gone, None)
        self.views.update(fresh)
        self._sync()

    def upsert(self, view: JobView, now: datetime | None = None) -> None:
        """Add or update one job (the message path of `JobChanged`)."""
        if now is not None:
            self.now = now
        is_new = view.local_id not in self.views
        self.views[view.local_id] = view
        if is_new or self.sort_key != "created" or not self.query_filter.is_empty:
            self._sync()
        else:
            self._update_row(view.local_id, depths(self.views).get(view.local_id, 0))

    def tick(self, now: datetime) -> None:
        """Re-render time-dependent cells (age, ETA) for a new `now`."""
        self.now = now
        level = depths(self.views)
        for local_id in list(self._shown):
            self._update_row(local_id, level.get(local_id, 0))

    def set_query(self, query: JobQuery) -> None:
        self.query_filter = query
        self._sync()

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        """Order rows by `key`; the same key again flips the direction."""
        if reverse is None:
            reverse = not self.sort_reverse if key == self.sort_key else False
        self.sort_key, self.sort_reverse = key, reverse
        self._sync()

    def cycle_sort(self) -> str:
        """Move to the next sort key in `SORT_KEYS`; returns it."""
        keys = list(SORT_KEYS)
        index = keys.index(self.sort_key) + 1 if self.sort_key in keys else 0
        self.sort_by(keys[index % len(keys)], reverse=False)
        return self.sort_key

    def restyle(self) -> None:
        """Re-render every cell (after a theme change, styles come from the new theme)."""
        self._shown = {local_id: _blank_row() for local_id in self._shown}
        self.tick(self.now)

    # ------------------------------------------------------------------ internals

    def _sync(self) -> None:
        """Reconcile rows with views, filter and order, keeping the highlighted job."""
        keep = self.current_id
        self._order = order_jobs(self.views, self.sort_key, self.sort_reverse)
        wanted = visible_ids(self.views, self.query_filter, self._order)
        wanted_set = set(wanted)
        for local_id in [i for i in self._shown if i not in wanted_set]:
            self.remove_row(local_id)
            del self._shown[local_id]
        level = depths(self.views)
        for local_id in wanted:
            self._update_row(local_id, level.get(local_id, 0))
        position = {local_id: index for index, local_id in enumerate(wanted)}
        self.sort("label", key=lambda cell: position.get(cell.local_id, len(position)))
        if keep is not None and keep in self._shown:
            self.move_cursor(row=self.get_row_index(keep), scroll=False)

    def _update_row(self, local_id: str, depth: int) -> None:
        view = self.views[local_id]
        row = job_row(view, self.now, depth, self.compact)
        texts = asdict(row)
        old = self._shown.get(local_id)
        if old is None:
            self.add_row(
                *(self._cell(key, texts[key], view, depth) for key, _, _ in COLUMNS),
                key=local_id,
            )
        else:
            for key in row.changed(old):
                self.update_cell(
                    local_id,
                    key,
                    self._cell(key, texts[key], view, depth),
                    update_width=key in ("label", "status"),
                )
        self._shown[local_id] = row

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _cell(self, key: str, text: str, view: JobView, depth: int) -> Text:
        queued = view.status is BatchStatus.QUEUED
        if key == "label":
            style = self._style("job-table--retry") if depth else Style()
            if queued:
                style += self._style("job-table--queued")
            return LabelText(text, view.local_id, style=style)
        if key == "status":
            status = view.status.value
            shown = status if text.startswith(status) else ""  # compact: the marker alone
            cell = Text(shown, style=self._style(f"job-status--{status}"), no_wrap=True, end="")
            if len(text) > len(shown):  # the stale marker
                cell.append(text[len(shown) :], style=self._style("job-table--stale"))
            return cell
        if key == "cost" and not cost_of(view).actual:
            return Text(text, style=self._style("job-table--estimate"), no_wrap=True, end="")
        if queued and key == "progress":
            return Text(text, style=self._style("job-table--queued"), no_wrap=True, end="")
        if key == "progress":
            style = self.get_component_rich_style("job-table--progress", partial=True)
            return Text(text, style=style, no_wrap=True, end="")
        if key in ("age", "eta", "short_id"):
            style = self.get_component_rich_style("job-table--muted", partial=True)
            return Text(text, style=style, no_wrap=True, end="", overflow="ellipsis")
        return Text(text, no_wrap=True, end="", overflow="ellipsis")

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """Clicking a header sorts by that column (again: reverse)."""
        event.stop()
        self.sort_by(str(event.column_key.value))


def _blank_row() -> JobRow:
    return JobRow(*([""] * len(COLUMNS)))
