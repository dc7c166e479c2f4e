"""Painting one table line the way Textual's `DataTable` paints a row with a row cursor.

The job table is virtual, but it must look exactly like the `DataTable` it replaced (the
snapshot tests hold it to that): the same component classes, the same style order (row style,
then hover, then cursor, whose colours win), each cell padded by one space and cropped to its
column, the rest of the line filled in the row's style.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def paint_line(
    widget: Widget,
    *,
    row_index: int,
    cells: Sequence[Text],
    widths: Sequence[int],
    row_style: Style,
    cursor: bool,
    hover: bool,
    scroll_x: int,
    width: int,
) -> Strip:
    """One line of the table (`row_index` -1 is the header), cropped to the visible columns."""
    header = row_index == -1
    component, post = cursor_styles(widget, header=header, cursor=cursor, hover=hover)
    console = widget.app.console
    options = widget.app.console_options
    segments: list[Segment] = []
    for column_index, (cell, cell_width) in enumerate(zip(cells, widths, strict=True)):
        pre = row_style + Style.from_meta({"row": row_index, "column": column_index})
        lines = console.render_lines(
            Styled(Padding(cell, (0, CELL_PADDING)), pre_style=pre + component, post_style=post),
            options.update_dimensions(cell_width, 1).update(no_wrap=True),
        )
        segments += lines[0]
    table_width = sum(widths)
    extend = row_style + component
    extend += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
    segments.append(Segment(" " * max(0, width - table_width), extend))
    cropped = line_crop(segments, scroll_x, scroll_x + width, width)
    return Strip(cropped).adjust_cell_length(width, widget.rich_style).simplify()
