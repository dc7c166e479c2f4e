"""Painting one table line the way Textual's `DataTable` paints a row with a row cursor.

The job table is virtual, but it must look exactly like the `DataTable` it replaced (the
snapshot tests hold it to that): the same component classes, the same style order (row style,
then hover, then cursor, whose colours win), each cell padded by one space and cropped to its
column, the rest of the line filled in the row's style.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._segment_tools import line_crop
from textual.renderables.styled import Styled
from textual.strip import Strip
from textual.widget import Widget

CELL_PADDING = 1


def cursor_styles(
    widget: Widget, *, header: bool, cursor: bool, hover: bool
) -> tuple[Style, Style]:
    """(style over the row's, colours that win over the cell's own) for a cell."""
    component = Style()
    if hover:
        component += widget.get_component_rich_style("datatable--hover")
        if header:
            component += widget.get_component_rich_style("datatable--header-hover")
    if cursor:
        component += widget.get_component_rich_style("datatable--cursor")
        if header:
            component += widget.get_component_rich_style("datatable--header-cursor")
    post = Style.from_color(color=component.color) + Style.from_color(bgcolor=component.bgcolor)
    return component, post


CELL_CACHE_MAX = 4_000
"""Rendered cells kept (a cell's segments depend on its text, styles and width, not on its
row, so the same status, progress bar or cost renders once for every row showing it)."""

_cell_cache: dict[tuple[object, ...], list[Segment]] = {}


def _cell_segments(
    widget: Widget, cell: Text, cell_width: int, pre: Style, post: Style
) -> list[Segment]:
    """A padded cell rendered as `DataTable` renders it (`Styled` over `Padding`), cached by
    everything the result depends on: the cell's text, style, spans and alignment, the
    column's width and the styles around it (the row's mouse meta is added by the caller)."""
    key = (
        cell.plain,
        cell.style,
        tuple(cell.spans),
        cell.justify,
        cell.overflow,
        cell.no_wrap,
        cell.end,
        cell_width,
        pre,
        post,
        id(widget.app.console),
    )
    segments = _cell_cache.get(key)
    if segments is None:
        console = widget.app.console
        options = widget.app.console_options
        segments = console.render_lines(
            Styled(Padding(cell, (0, CELL_PADDING)), pre_style=pre, post_style=post),
            options.update_dimensions(cell_width, 1).update(no_wrap=True),
        )[0]
        if len(_cell_cache) >= CELL_CACHE_MAX:
            _cell_cache.clear()
        _cell_cache[key] = segments
    return segments


@lru_cache(maxsize=8_192)
def _meta_style(row: int, column: int) -> Style:
    """The mouse meta of a cell (the row and column a click or hover lands on)."""
    return Style.from_meta({"row": row, "column": column})


def paint_line(
    widget: Widget,
    *,
    row_index: int,
    cells: Sequence[Text],
    widths: Sequence[int],
    row_style: Style,
    cursor_style: tuple[Style, Style],
    base_style: Style,
    scroll_x: int,
    width: int,
) -> Strip:
    """One line of the table (`row_index` -1 is the header), cropped to the visible columns.

    Each cell is styled row style + hover/cursor + its own + the cursor's colours, and carries
    the ``row``/``column`` meta the mouse handlers read; a style with meta alone changes no
    colour, so adding it after rendering gives the styles `DataTable` gives. `cursor_style` is
    `cursor_styles` of the line, `base_style` the widget's own style (what pads the line)."""
    component, post = cursor_style
    pre = row_style + component
    segments: list[Segment] = []
    for column_index, (cell, cell_width) in enumerate(zip(cells, widths, strict=True)):
        meta = _meta_style(row_index, column_index)
        segments += [
            Segment(text, meta if style is None else style + meta, control)
            for text, style, control in _cell_segments(widget, cell, cell_width, pre, post)
        ]
    table_width = sum(widths)
    extend = row_style + component
    extend += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
    segments.append(Segment(" " * max(0, width - table_width), extend))
    cropped = line_crop(segments, scroll_x, scroll_x + width, width)
    return Strip(cropped).adjust_cell_length(width, base_style).simplify()
