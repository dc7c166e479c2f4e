"""The results list: one row per result, read line by line from a `LineSource` as it scrolls."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rich.text import Text
from textual.binding import Binding

from batchtui.core.models import BatchResult
from batchtui.ui.models.results import LineSource, preview_text
from batchtui.ui.widgets.line_view import LineView, pad_cell

ID_WIDTH = 18
OUTCOME_WIDTH = 9
FLAG_WIDTH = 10
TYPE_WIDTH = 18


def header_text() -> str:
    """The column header line matching `ResultsView` rows."""
    return (
        "  "
        + pad_cell("custom_id", ID_WIDTH)
        + " "
        + pad_cell("outcome", OUTCOME_WIDTH)
        + " "
        + pad_cell("flag", FLAG_WIDTH)
        + " "
        + pad_cell("error type", TYPE_WIDTH)
        + " text"
    )


class ResultsView(LineView):
    """A virtual list over a `LineSource`, optionally narrowed to filtered indices, with marks."""

    COMPONENT_CLASSES = LineView.COMPONENT_CLASSES | {
        "results-view--succeeded",
        "results-view--errored",
        "results-view--canceled",
        "results-view--expired",
        "results-view--flag",
        "results-view--mark",
    }

    BINDINGS = [
        Binding("space", "toggle_mark", "Mark", id="results.mark"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source: LineSource | None = None
        self.indices: list[int] | None = None
        self.marked: set[int] = set()
        self.previews = True
        """False while the source's parser is not built yet: rows then show the index's columns
        only, and `show_previews` fills the text column in."""

    # ------------------------------------------------------------------ data

    def set_source(self, source: LineSource | None) -> None:
        """Show another source (all its lines until `set_indices` narrows them)."""
        self.source = source
        self.indices = None
        self.marked.clear()
        self._strips.clear()
        self.rows_changed()

    def show_previews(self, on: bool = True) -> None:
        """Show (or hold back) the text column, which parses each visible line."""
        if on != self.previews:
            self.previews = on
            self._strips.clear()
            self.refresh()

    def set_indices(self, indices: list[int] | None) -> None:
        """Show only these source lines (None: all of them), keeping the cursor's line if shown."""
        keep = self.current_index
        self.indices = indices
        self._strips.clear()
        self.rows_changed()
        if keep is not None:
            row = self.row_of(keep)
            if row is not None:
                self.cursor = row
        self.post_message(self.Highlighted(self, self.cursor))

    def extend_indices(self, more: Sequence[int]) -> None:
        """Append newly arrived lines that pass the current filter."""
        if self.indices is not None and more:
            self.indices.extend(more)
        self.rows_changed()

    @property
    def row_count(self) -> int:
        if self.source is None:
            return 0
        return len(self.indices) if self.indices is not None else self.source.count

    def index_at(self, row: int) -> int | None:
        """The source line shown at display row `row`."""
        if row < 0 or row >= self.row_count:
            return None
        return self.indices[row] if self.indices is not None else row

    def row_of(self, index: int) -> int | None:
        """The display row of source line `index`, if shown."""
        if self.indices is None:
            return index if self.source is not None and index < self.source.count else None
        try:
            return self.indices.index(index)
        except ValueError:
            return None

    @property
    def current_index(self) -> int | None:
        return self.index_at(self.cursor)

    def current_result(self) -> BatchResult | None:
        index = self.current_index
        if index is None or self.source is None:
            return None
        return self.source.get_result(index)

    # ------------------------------------------------------------------ marks

    def toggle(self, index: int) -> None:
        if index in self.marked:
            self.marked.discard(index)
        else:
            self.marked.add(index)
        self.refresh()

    def action_toggle_mark(self) -> None:
        index = self.current_index
        if index is not None:
            self.toggle(index)
            self.cursor += 1

    def marked_custom_ids(self) -> list[str]:
        """custom_ids of the marked lines, in file order."""
        if self.source is None:
            return []
        return [self.source.get_summary(index).custom_id for index in sorted(self.marked)]

    # ------------------------------------------------------------------ rendering

    def row_key(self, row: int) -> Hashable:
        index = self.index_at(row)
        return (index, index in self.marked)

    def render_row(self, row: int, width: int) -> Text:
        index = self.index_at(row)
        assert index is not None and self.source is not None
        summary = self.source.get_summary(index)
        marked = index in self.marked
        text = Text(no_wrap=True, end="")
        text.append("● " if marked else "  ", self._style("results-view--mark"))
        text.append(pad_cell(summary.custom_id, ID_WIDTH) + " ")
        text.append(
            pad_cell(summary.outcome, OUTCOME_WIDTH) + " ",
            self._style(f"results-view--{summary.outcome}"),
        )
        text.append(
            pad_cell(summary.flag or "", FLAG_WIDTH) + " ", self._style("results-view--flag")
        )
        text.append(pad_cell(summary.error_type or "", TYPE_WIDTH) + " ")
        used = 2 + ID_WIDTH + OUTCOME_WIDTH + FLAG_WIDTH + TYPE_WIDTH + 4
        preview = preview_text(self.source.get_result(index)) if self.previews else ""
        text.append(pad_cell(preview, max(0, width - used)))
        return text

    def _style(self, name: str):
        if name not in self.COMPONENT_CLASSES:
            return ""
        return self.get_component_rich_style(name, partial=True)
