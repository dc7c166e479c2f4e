"""The live job table: a virtual table (Textual's Line API) over every job of the store.

Only the rows in view are ever turned into cells and painted: 10,000 jobs cost a dict of
`JobView`s and one ordered list of ids, not 10,000 rows of widgets or measured cells. It looks
and is driven like Textual's `DataTable` (same CSS, component classes, keys and messages; its
cell rules are followed so the screen is the same), but it keeps no cells of its own for rows
out of view: age and ETA re-render only for visible rows, and only when their text changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple
from datetime import UTC, datetime
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from batchtui.core.models import BatchStatus
from batchtui.ui.models.job_list import SORT_KEYS, JobQuery, depths, order_jobs, visible_ids
from batchtui.ui.models.jobs import (
    COLUMNS,
    LABEL_MAX,
    SHORT_LABEL_WIDTH,
    JobRow,
    JobView,
    cost_of,
    job_row,
    label_text,
    status_text,
)
from batchtui.ui.widgets.table_cells import CELL_PADDING, cursor_styles, paint_line

WIDE_STATUS_MIN = 136
"""Table width from which the status column shows ``in_progress ⚠ stale 42m`` in full."""

HEADER_HEIGHT = 1
LINE_CACHE_MAX = 2_000


_ONE_CELL = str.maketrans("…└", "..")
"""Characters the table's own texts add (a shortened id's ellipsis, a retry's corner), each one
cell wide, so such a text needs no per-character scan either."""


def text_width(text: str) -> int:
    """Cells a text takes (ASCII, as most labels and ids: its length, without a scan)."""
    if text.isascii() or text.translate(_ONE_CELL).isascii():
        return len(text)
    return cell_len(text)


def label_width(view: JobView, depth: int = 0) -> int:
    """Cells the label column takes for a job: ``text_width(label_text(view, depth))``,
    without building the text for the usual case (a root job with an ASCII label or id)."""
    if not depth:
        label = view.label or view.provider_id
        if label and label.isascii():
            if view.label:
                return min(len(label), LABEL_MAX)
            return min(len(label), SHORT_LABEL_WIDTH)
    return text_width(label_text(view, depth))


class Column(NamedTuple):
    """One column: its key, header text, and fixed width (None: as wide as its widest cell)."""

    key: ColumnKey
    label: Text
    width: int | None


class JobTable(ScrollView, can_focus=True):
    """Every job of the store; rows are keyed by local id and painted only when in view."""

    DEFAULT_CSS = DataTable.DEFAULT_CSS.replace("DataTable {", "JobTable {", 1)

    COMPONENT_CLASSES: ClassVar[set[str]] = DataTable.COMPONENT_CLASSES | {
        *(f"job-status--{status.value}" for status in BatchStatus),
        "job-table--progress",
        "job-table--retry",
        "job-table--muted",
        "job-table--queued",
        "job-table--stale",
        "job-table--estimate",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        # DataTable's keys, with ids so a [keymap] can rebind them
        Binding("enter", "select_cursor", "Select", show=False, id="table.select"),
        Binding("up", "cursor_up", "Cursor up", show=False, id="table.cursor_up"),
        Binding("down", "cursor_down", "Cursor down", show=False, id="table.cursor_down"),
        Binding("right", "cursor_right", "Cursor right", show=False, id="table.cursor_right"),
        Binding("left", "cursor_left", "Cursor left", show=False, id="table.cursor_left"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("ctrl+home", "scroll_top", "Top", show=False, id="table.first"),
        Binding("ctrl+end", "scroll_bottom", "Bottom", show=False, id="table.last"),
        Binding("home", "scroll_home", "Home", show=False, id="table.home"),
        Binding("end", "scroll_end", "End", show=False, id="table.end"),
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g", "scroll_top", "Top", show=False, id="table.top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="table.bottom"),
    ]

    class _RowMessage(Message):
        """A message about one row: the table, the row's index and key."""

        def __init__(self, table: JobTable, cursor_row: int, row_key: RowKey) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> JobTable:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor moved to another job (or the highlighted job changed place)."""

    class RowSelected(_RowMessage):
        """Enter (or a click on the highlighted row) chose a job."""

    class HeaderSelected(Message):
        """A column header was clicked."""

        def __init__(
            self, table: JobTable, column_key: ColumnKey, column_index: int, *, label: Text | None
        ) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key
            self.column_index = column_index
            self.label = label

        @property
        def control(self) -> JobTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.views: dict[str, JobView] = {}
        self.live_count = 0
        """How many of `views` are not in a terminal status (kept as jobs change)."""
        self.query_filter = JobQuery()
        self.sort_key = "created"
        self.sort_reverse = False
        self.now = datetime.fromtimestamp(0, UTC)
        self.compact = True
        self.ordered_columns = [
            Column(ColumnKey(key), Text.from_markup(header), width)
            for key, header, width in COLUMNS
        ]
        self._keys = [key for key, _, _ in COLUMNS]
        self._auto = {
            key: text_width(header) for key, header, width in COLUMNS if width is None
        }  # content width of the auto-width columns
        self._order: list[str] = []
        self._rows: list[str] = []  # shown ids, in display order
        self._index: dict[str, int] = {}
        self._depth: dict[str, int] = {}
        self._shown: dict[str, JobRow] = {}  # rows turned into cells (those seen in view)
        self._cells: dict[str, list[Text]] = {}
        self._row_now: dict[str, datetime] = {}
        self._version: dict[str, int] = {}
        self._line_cache: dict[tuple[object, ...], Strip] = {}
        self._texts: dict[str, str] = {}  # the filter's haystack of each job, made once
        self._style_generation = 0
        self._highlighted: str | None = None
        self._cursor = 0
        self._hover_row = 0
        self._show_hover = False
        self._frame_styles: dict[str | None, Style] | None = None
        self._frame_cursor: dict[tuple[bool, bool, bool], tuple[Style, Style]] = {}

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.restyle())

    def on_resize(self) -> None:
        """Narrow tables show the stale marker without the status word (it would not fit)."""
        compact = self.size.width < WIDE_STATUS_MIN
        if compact != self.compact:
            self.compact = compact
            self._recompute_auto_widths(labels=False)
            self.tick(self.now)
        self._line_cache.clear()

    # ------------------------------------------------------------------ queries

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def current_id(self) -> str | None:
        """Local id of the highlighted job, or None when the table is empty."""
        return self._rows[self._cursor] if self._rows else None

    @property
    def current_view(self) -> JobView | None:
        local_id = self.current_id
        return self.views.get(local_id) if local_id else None

    @property
    def shown_ids(self) -> list[str]:
        """Local ids in the order the rows are displayed."""
        return list(self._rows)

    def get_row_index(self, local_id: str) -> int:
        return self._index[local_id]

    def row_text(self, local_id: str) -> JobRow | None:
        """The plain text a shown job's row displays (for tests and the palette)."""
        if local_id not in self._index:
            return None
        self._materialize(local_id)
        return self._shown.get(local_id)

    # ------------------------------------------------------------------ updates

    def set_jobs(self, views: Iterable[JobView], now: datetime) -> None:
        """Show exactly these jobs (a fresh load: cells are made only when rows come into view)."""
        self.now = now
        self.views = {view.local_id: view for view in views}
        self._texts.clear()
        self.live_count = sum(1 for view in self.views.values() if not view.is_terminal)
        self._depth = depths(self.views)
        self._forget_cells()
        self._recompute_auto_widths()
        self._sync()

    def upsert_many(self, views: Iterable[JobView], now: datetime) -> None:
        """Update many jobs with one reorder (when the order or filter can change at all)."""
        self.now = now
        moved = [self._upsert(view) for view in views]
        if any(moved):
            self._sync()

    def upsert(self, view: JobView, now: datetime | None = None) -> None:
        """Add or update one job (the message path of `JobChanged`)."""
        if now is not None:
            self.now = now
        if self._upsert(view):
            self._sync()

    def _upsert(self, view: JobView) -> bool:
        """Take a job's new view; True when rows may have to move (a new job, a sort other
        than by creation, or a filter), which the caller settles with one `_sync`."""
        local_id = view.local_id
        before = self.views.get(local_id)
        self.views[local_id] = view
        self._texts.pop(local_id, None)
        self.live_count += (not view.is_terminal) - (before is not None and not before.is_terminal)
        if before is None or before.parent_id != view.parent_id:
            self._depth = depths(self.views)
        self._grow_auto_widths(view)
        if before is None:
            self.add_row(*self._make_cells(view), key=local_id)
            return True
        if local_id in self._shown:
            self._update_row(local_id)
        return self.sort_key != "created" or not self.query_filter.is_empty

    def add_row(self, *cells: Text, key: str) -> None:
        """Take a new job's row with its cells (it is placed by the next sync)."""
        self._cells[key] = list(cells)
        self._shown[key] = JobRow(*(cell.plain for cell in cells))
        self._row_now[key] = self.now

    def update_cell(
        self, row_key: str, column_key: str, value: Text, *, update_width: bool = False
    ) -> None:
        """Replace one cell of a row (a changed job repaints only what changed)."""
        cells = self._cells.get(row_key)
        if cells is None:
            return
        cells[self._keys.index(column_key)] = value
        if update_width and column_key in self._auto:
            width = text_width(value.plain)
            if width > self._auto[column_key]:
                self._auto[column_key] = width
                self._widths_changed()
        self._touch(row_key)

    def tick(self, now: datetime) -> None:
        """A new `now`: re-render the age/ETA/stale cells of the rows in view (others are
        re-rendered when they come into view); rows whose text is unchanged are not redrawn."""
        self.now = now
        for local_id in self._rows_in_view():
            if local_id in self._shown:
                self._update_row(local_id)

    def set_query(self, query: JobQuery) -> None:
        self.query_filter = query
        self._sync(reorder=False)

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
        self._forget_cells()
        self._style_generation += 1
        self._line_cache.clear()
        self.refresh()

    # ------------------------------------------------------------------ cursor

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Highlight row `row` (clamped to the rows shown)."""
        self._set_cursor(row, scroll=scroll)

    def _set_cursor(self, row: int, *, scroll: bool = True) -> None:
        row = max(0, min(row, len(self._rows) - 1)) if self._rows else 0
        if row != self._cursor:
            self._refresh_row(self._cursor)
            self._cursor = row
            self._refresh_row(row)
        if scroll:
            self._scroll_to_row(row)
        self._announce()

    def _announce(self) -> None:
        """Post `RowHighlighted` when the highlighted job is another one."""
        current = self.current_id
        if current != self._highlighted:
            self._highlighted = current
            if current is not None:
                self.post_message(JobTable.RowHighlighted(self, self._cursor, RowKey(current)))

    def _scroll_to_row(self, row: int) -> None:
        top = round(self.scroll_y)
        rows_in_view = max(1, self.scrollable_content_region.height - HEADER_HEIGHT)
        if row < top:
            self.scroll_to(y=row, animate=False, force=True)
        elif row >= top + rows_in_view:
            self.scroll_to(y=row - rows_in_view + 1, animate=False, force=True)

    def action_cursor_down(self) -> None:
        self._show_hover = False
        self._set_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._show_hover = False
        self._set_cursor(self._cursor - 1)

    def action_cursor_left(self) -> None:
        self.scroll_left(animate=False)

    def action_cursor_right(self) -> None:
        self.scroll_right(animate=False)

    def action_page_down(self) -> None:
        self._show_hover = False
        page = max(1, self.scrollable_content_region.height - HEADER_HEIGHT)
        self.scroll_relative(y=page, animate=False, force=True)
        self._set_cursor(self._cursor + page, scroll=False)
        self._scroll_to_row(self._cursor)

    def action_page_up(self) -> None:
        self._show_hover = False
        page = max(1, self.scrollable_content_region.height - HEADER_HEIGHT)
        self.scroll_relative(y=-page, animate=False, force=True)
        self._set_cursor(self._cursor - page, scroll=False)
        self._scroll_to_row(self._cursor)

    def action_scroll_top(self) -> None:
        self._show_hover = False
        self._set_cursor(0)

    def action_scroll_bottom(self) -> None:
        self._show_hover = False
        self._set_cursor(len(self._rows) - 1)

    def action_scroll_home(self) -> None:
        self.scroll_to(x=0, animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_to(x=self.max_scroll_x, animate=False)

    def action_select_cursor(self) -> None:
        current = self.current_id
        if current is not None:
            self.post_message(JobTable.RowSelected(self, self._cursor, RowKey(current)))

    async def _on_click(self, event: events.Click) -> None:
        self._show_hover = True
        meta = event.style.meta
        if "row" not in meta or "column" not in meta:
            return
        row, column = meta["row"], meta["column"]
        if row == -1:
            col = self.ordered_columns[column]
            self.post_message(JobTable.HeaderSelected(self, col.key, column, label=col.label))
            return
        again = row == self._cursor
        self._set_cursor(row)
        if again:
            self.action_select_cursor()
        event.stop()

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        meta = event.style.meta
        show = bool(meta) and "row" in meta
        row = meta["row"] if show else self._hover_row
        if show != self._show_hover or row != self._hover_row:
            self._refresh_row(self._hover_row)
            self._show_hover, self._hover_row = show, row
            self._refresh_row(row)

    def _on_leave(self, _: events.Leave) -> None:
        if self._show_hover:
            self._show_hover = False
            self._refresh_row(self._hover_row)

    def on_job_table_header_selected(self, event: JobTable.HeaderSelected) -> None:
        """Clicking a header sorts by that column (again: reverse)."""
        event.stop()
        self.sort_by(str(event.column_key.value))

    # ------------------------------------------------------------------ rows and cells

    def _sync(self, *, reorder: bool = True) -> None:
        """Reorder (unless only the filter changed) and filter the rows, keeping the
        highlighted job."""
        keep = self.current_id
        if reorder or len(self._order) != len(self.views):
            self._order = order_jobs(self.views, self.sort_key, self.sort_reverse)
        self._rows = visible_ids(self.views, self.query_filter, self._order, self._texts)
        self._index = {local_id: index for index, local_id in enumerate(self._rows)}
        for gone in [i for i in self._shown if i not in self.views]:
            self._drop_cells(gone)
        self._line_cache.clear()
        self.virtual_size = Size(self._table_width(), len(self._rows) + HEADER_HEIGHT)
        row = self._index.get(keep, self._cursor) if keep is not None else self._cursor
        self._cursor = max(0, min(row, len(self._rows) - 1))
        self.refresh()
        self._announce()

    def _make_cells(self, view: JobView) -> list[Text]:
        row = job_row(view, self.now, self._depth.get(view.local_id, 0), self.compact)
        return [
            self._cell(key, text, view) for key, text in zip(self._keys, astuple(row), strict=True)
        ]

    def _materialize(self, local_id: str) -> list[Text]:
        """A row's cells, made when it first comes into view or its `now` is old."""
        cells = self._cells.get(local_id)
        if cells is None:
            view = self.views[local_id]
            self.add_row(*self._make_cells(view), key=local_id)
            return self._cells[local_id]
        if self._row_now.get(local_id) != self.now:
            self._update_row(local_id)
        return self._cells[local_id]

    def _update_row(self, local_id: str) -> None:
        """Re-render a row's text and replace only the cells whose text changed."""
        view = self.views[local_id]
        row = job_row(view, self.now, self._depth.get(local_id, 0), self.compact)
        old = self._shown.get(local_id)
        self._row_now[local_id] = self.now
        if old is None:
            self.add_row(*self._make_cells(view), key=local_id)
            return
        texts = dict(zip(self._keys, astuple(row), strict=True))
        for key in row.changed(old):
            self.update_cell(
                local_id,
                key,
                self._cell(key, texts[key], view),
                update_width=key in ("label", "status"),
            )
        self._shown[local_id] = row

    def _drop_cells(self, local_id: str) -> None:
        for cache in (self._shown, self._cells, self._row_now, self._version):
            cache.pop(local_id, None)

    def _forget_cells(self) -> None:
        self._shown.clear()
        self._cells.clear()
        self._row_now.clear()
        self._version.clear()
        self._line_cache.clear()

    def _touch(self, local_id: str) -> None:
        """A row's cells changed: repaint it if it is in view."""
        self._version[local_id] = self._version.get(local_id, 0) + 1
        index = self._index.get(local_id)
        if index is not None:
            self._refresh_row(index)

    def _rows_in_view(self) -> list[str]:
        top = round(self.scroll_y)
        height = max(0, self.scrollable_content_region.height - HEADER_HEIGHT)
        return self._rows[top : top + height]

    def _refresh_row(self, index: int) -> None:
        y = index - round(self.scroll_y) + HEADER_HEIGHT
        if HEADER_HEIGHT <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # ------------------------------------------------------------------ widths

    def _recompute_auto_widths(self, *, labels: bool = True) -> None:
        """The label and status columns are as wide as their widest text over every job
        (`labels` False: the labels are unchanged, only the status texts are measured)."""
        widths = dict(self._auto)
        header = {key: text_width(header) for key, header, width in COLUMNS if width is None}
        if labels:
            depth = self._depth
            widths["label"] = max(
                [header["label"]]
                + [label_width(v, depth.get(v.local_id, 0)) for v in self.views.values()]
            )
        widths["status"] = max(
            [header["status"]] + [self._status_width(v) for v in self.views.values()]
        )
        if widths != self._auto:
            self._auto = widths
            self._widths_changed()

    def _grow_auto_widths(self, view: JobView) -> None:
        depth = self._depth.get(view.local_id, 0)
        label = label_width(view, depth)
        status = self._status_width(view)
        if label > self._auto["label"] or status > self._auto["status"]:
            self._auto["label"] = max(self._auto["label"], label)
            self._auto["status"] = max(self._auto["status"], status)
            self._widths_changed()

    def _status_width(self, view: JobView) -> int:
        stale_at = view.stale_at
        if stale_at is None or view.is_terminal or self.now < stale_at:
            return len(view.status.value)  # no stale marker: the status word alone
        return text_width(status_text(view, self.now, self.compact))

    def _widths_changed(self) -> None:
        self._line_cache.clear()
        self.virtual_size = Size(self._table_width(), len(self._rows) + HEADER_HEIGHT)
        self.refresh()

    def _render_widths(self) -> list[int]:
        return [
            2 * CELL_PADDING + (self._auto[key] if column.width is None else column.width)
            for key, column in zip(self._keys, self.ordered_columns, strict=True)
        ]

    def _table_width(self) -> int:
        return sum(self._render_widths())

    # ------------------------------------------------------------------ painting

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _cell(self, key: str, text: str, view: JobView) -> Text:
        queued = view.status is BatchStatus.QUEUED
        if key == "label":
            style = self._style("job-table--retry") if self._depth.get(view.local_id) else Style()
            if queued:
                style += self._style("job-table--queued")
            return Text(text, style=style, no_wrap=True, overflow="ellipsis", end="")
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
            return Text(text, style=self._style("job-table--progress"), no_wrap=True, end="")
        if key in ("age", "eta", "short_id"):
            style = self._style("job-table--muted")
            return Text(text, style=style, no_wrap=True, end="", overflow="ellipsis")
        return Text(text, no_wrap=True, end="", overflow="ellipsis")

    def render_lines(self, crop: Region) -> list[Strip]:
        """Paint the lines in `crop`; the widget's styles are read once for all of them (they
        cannot change while one frame is painted, and reading them walks the DOM)."""
        self._frame_styles = {}
        self._frame_cursor = {}
        try:
            return super().render_lines(crop)
        finally:
            self._frame_styles = None

    def _frame_style(self, name: str | None) -> Style:
        """A style this frame paints with: the widget's own (`name` None) or a component
        class's, read once per frame while one is painted."""
        frame = self._frame_styles
        style = frame.get(name) if frame is not None else None
        if style is None:
            style = self.rich_style if name is None else self.get_component_styles(name).rich_style
            if frame is not None:
                frame[name] = style
        return style

    def _cursor_styles(self, header: bool, cursor: bool, hover: bool) -> tuple[Style, Style]:
        """`cursor_styles`, read once per frame while one is painted."""
        key = (header, cursor, hover)
        styles = self._frame_cursor.get(key) if self._frame_styles is not None else None
        if styles is None:
            styles = cursor_styles(self, header=header, cursor=cursor, hover=hover)
            if self._frame_styles is not None:
                self._frame_cursor[key] = styles
        return styles

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        base_style = self._frame_style(None)
        if y < HEADER_HEIGHT:
            row_index = -1
        else:
            row_index = y - HEADER_HEIGHT + scroll_y
            if row_index >= len(self._rows):
                return Strip.blank(width, base_style)
        local_id = self._rows[row_index] if row_index >= 0 else ""
        cells: list[Text] = (
            self._materialize(local_id)
            if row_index >= 0
            else [c.label for c in self.ordered_columns]
        )
        cursor = row_index == self._cursor and row_index >= 0
        hover = self._show_hover and row_index == self._hover_row
        state = self.get_pseudo_class_state()
        key = (
            row_index,
            local_id,
            self._version.get(local_id, 0),
            cursor,
            hover,
            scroll_x,
            width,
            base_style,
            state,
            self._style_generation,
            self.has_focus,
        )
        cached = self._line_cache.get(key)
        if cached is not None:
            return cached
        strip = self._paint(row_index, cells, cursor, hover, scroll_x, width)
        if len(self._line_cache) >= LINE_CACHE_MAX:
            self._line_cache.clear()
        self._line_cache[key] = strip
        return strip

    def _row_style(self, row_index: int) -> Style:
        if row_index == -1:
            return self._frame_style("datatable--header")
        return self._frame_style("datatable--odd-row" if row_index % 2 else "datatable--even-row")

    def _paint(
        self,
        row_index: int,
        cells: list[Text],
        cursor: bool,
        hover: bool,
        scroll_x: int,
        width: int,
    ) -> Strip:
        return paint_line(
            self,
            row_index=row_index,
            cells=cells,
            widths=self._render_widths(),
            row_style=self._row_style(row_index),
            cursor_style=self._cursor_styles(row_index == -1, cursor, hover),
            base_style=self._frame_style(None),
            scroll_x=scroll_x,
            width=width,
        )
