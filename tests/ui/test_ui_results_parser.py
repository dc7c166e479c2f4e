"""The results screen paints its first rows from the index's columns before the adapter's
parser is built (building it costs a provider adapter), then fills the text in."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.core.models import BatchResult, Outcome, ResultLine
from batchtui.core.results import ResultIndex, ResultsFile
from batchtui.ui.app import BatchTuiApp, make_app
from batchtui.ui.screens.results import ResultsScreen
from batchtui.ui.widgets.result_detail import ResultDetail
from batchtui.ui.widgets.results_view import ResultsView

SIZE = (120, 36)


def _line(i: int) -> dict[str, Any]:
    return {
        "custom_id": f"row-{i:03d}",
        "response": {
            "status_code": 200,
            "body": {"choices": [{"finish_reason": "stop", "message": {"content": f"hello {i}"}}]},
        },
    }


def _parse(line: ResultLine) -> BatchResult:
    obj = json.loads(line.data)
    text = obj["response"]["body"]["choices"][0]["message"]["content"]
    return BatchResult(custom_id=obj["custom_id"], outcome=Outcome.SUCCEEDED, text=text)


class IndexWorkspace(FakeWorkspace):
    """The fake, but its job "j1" has a real results index and a parser that waits for a gate."""

    def __init__(self, index: ResultIndex) -> None:
        super().__init__()
        self.index = index
        self.gate = threading.Event()
        self.parsers_built = 0

    def results_preview(self, ident: str, lines: int = 2_000) -> Any:
        return self.index if ident == "j1" else super().results_preview(ident, lines)

    def results(self, ident: str) -> Any:
        return self.index if ident == "j1" else super().results(ident)

    def parse_fn(self, ident: str) -> Callable[[Any], Any]:
        assert self.gate.wait(10)
        self.parsers_built += 1
        return _parse


def _row_text(view: ResultsView, row: int) -> str:
    text: Text = view.render_row(row, 100)
    return text.plain


async def test_rows_show_before_the_parser_then_the_text_fills_in(tmp_path: Path) -> None:
    data = b"".join(json.dumps(_line(i)).encode() + b"\n" for i in range(30))
    (tmp_path / "batch_t.output.jsonl").write_bytes(data)
    index = ResultIndex.build(ResultsFile.open(tmp_path, "batch_t", provider="openai"))
    ws = IndexWorkspace(index)
    app: BatchTuiApp = make_app(ws, ws.clock, cursor_blink=False, compose_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.jobs_screen.open_results("j1")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ResultsScreen) and bool(app.screen.query(ResultsView)),
        )
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        view = screen.query_one(ResultsView)
        await wait_for(pilot, lambda: view.row_count == 30)
        # Rows are there with the index's columns; no parser yet, so no text column.
        assert not view.previews and ws.parsers_built == 0
        assert "row-000" in _row_text(view, 0) and "hello" not in _row_text(view, 0)
        ws.gate.set()
        await wait_for(pilot, lambda: view.previews)
        await settle(pilot)
        assert ws.parsers_built == 1
        assert "hello 0" in _row_text(view, 0)
        detail = screen.query_one(ResultDetail).query_one("#result-detail-body")
        assert "hello 0" in str(detail.render())
        await pilot.press("j")
        assert view.current_result() is not None
        assert view.current_result().custom_id == "row-001"  # type: ignore[union-attr]
        assert ws.parsers_built == 1  # built once, then reused
    index.close()
