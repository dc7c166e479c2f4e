"""A virtual list on the Line API: rows are rendered only when visible and kept in an LRU."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


def pad_cell(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` cells (one-line, ellipsis when cut)."""
    text = text.replace("\n", " ").replace("\r", " ")
    if len(text) > width:
        return text[: max(0, width - 1)] + "…" if width > 0 else ""
    return text.ljust(width)


class LineView(ScrollView, can_focus=True):
    """Base of the virtual lists: subclasses give `row_count`, `row_key` and `render_row`."""

    COMPONENT_CLASSES = {"line-view--cursor", "line-view--muted"}

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("home,g", "first", "First", show=False, id="list.first"),
        Binding("end,G", "last", "Last", show=False, id="list.last"),
        Binding("enter", "select", "Open", show=False, id="list.select"),
    ]

    cursor: reactive[int] = reactive(0, always_update=False, init=False)

    class Highlighted(Message):
        """The cursor moved to another row (`row` is the display position)."""

        def __init__(self, view: LineView, row: int) -> None:
            super().__init__()
            self.view = view
            self.row = row

        @property
        def control(self) -> LineView:
            return self.view

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LineView.Highlighted) and message.view is self.view

    class Selected(Message):
        """Enter or a double click on a row."""

        def __init__(self, view: LineView, row: int) -> None:
            super().__init__()
            self.view = view
            self.row = row

        @property
        def control(self) -> LineView:
            return self.view

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: LRUCache[Hashable, Strip] = LRUCache(2048)

    # ------------------------------------------------------------------ for subclasses

    @property
    def row_count(self) -> int:
        return 0

    def row_key(self, row: int) -> Hashable:
        """What identifies the content of a row for the strip cache."""
        return row

    def render_row(self, row: int, width: int) -> Text:
        """The text of one row (called only for visible rows not in the cache)."""
        return Text()

    # ------------------------------------------------------------------ public

    def rows_changed(self) -> None:
        """Call after `row_count` changed: resizes the virtual area and clamps the cursor."""
        self.virtual_size = Size(self.size.width, self.row_count)
        if self.cursor >= self.row_count:
            self.cursor = max(0, self.row_count - 1)
        self.refresh()

    def content_changed(self) -> None:
        """Call after row contents changed under the same keys: drop rendered rows."""
        self._strips.clear()
        self.refresh()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.content_changed())

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.row_count)
        self._strips.clear()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if row >= self.row_count or width <= 0:
            return Strip.blank(width, base)
        key = (self.row_key(row), width)
        strip = self._strips.get(key)
        if strip is None:
            text = self.render_row(row, width)
            text.no_wrap = True
            text.end = ""
            text.truncate(width, overflow="ellipsis", pad=True)
            segments = list(text.render(self.app.console))
            strip = Strip(segments, width).crop_extend(0, width, None)
            self._strips[key] = strip
        if row == self.cursor:
            cursor_style = self.get_component_rich_style("line-view--cursor")
            strip = Strip([Segment(s.text, cursor_style) for s in strip], width)
        return strip.apply_style(base)

    # ------------------------------------------------------------------ cursor

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.row_count - 1)) if self.row_count else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_row(new)
        self.refresh()
        self.post_message(self.Highlighted(self, new))

    def scroll_to_row(self, row: int) -> None:
        """Scroll just enough to show `row`."""
        height = self.scrollable_content_region.height
        top = int(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif height and row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 1)

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(0, self.row_count - 1)

    def action_select(self) -> None:
        if self.row_count:
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = int(self.scroll_y) + offset.y
        if row < self.row_count:
            self.cursor = row
            if event.chain >= 2:
                self.post_message(self.Selected(self, row))


class RowsView(LineView):
    """A virtual list of plain rows (tuples of cells) with fixed column widths."""

    COMPONENT_CLASSES = LineView.COMPONENT_CLASSES | {"rows-view--good", "rows-view--bad"}

    def __init__(
        self,
        widths: Sequence[int],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.widths = tuple(widths)
        self.rows: Sequence[Sequence[str]] = ()
        self._styles: Sequence[str | None] = ()

    def set_rows(self, rows: Sequence[Sequence[str]], styles: Sequence[str | None] = ()) -> None:
        """Replace the rows; `styles` names an optional component class per row."""
        self.rows = rows
        self._styles = styles
        self._strips.clear()
        self.rows_changed()

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def row_key(self, row: int) -> Hashable:
        return (row, id(self.rows))

    def render_row(self, row: int, width: int) -> Text:
        cells = self.rows[row]
        parts: list[str] = []
        used = 0
        for index, cell in enumerate(cells):
            if index < len(self.widths):
                parts.append(pad_cell(cell, self.widths[index]) + " ")
                used += self.widths[index] + 1
            else:
                parts.append(pad_cell(cell, max(0, width - used)))
        text = Text("".join(parts))
        style_name = self._styles[row] if row < len(self._styles) else None
        if style_name:
            text.stylize(self.get_component_rich_style(style_name, partial=True))
        return text
