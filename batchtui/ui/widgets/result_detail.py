"""The detail pane of one result: text, usage, error and the raw line, pretty-printed."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import Static

from batchtui.core.models import BatchResult

KEY = "$text-muted"
HEAD = "bold $text-primary"


def result_content(result: BatchResult, max_text: int = 20_000) -> Content:
    """The pane text for one result; provider text is never parsed as markup."""
    tone = "$text-success" if result.outcome.value == "succeeded" else "$text-error"
    parts: list[Content] = [
        Content.assemble((result.custom_id, "bold"), "\n"),
        Content.assemble(("outcome  ", KEY), (result.outcome.value, tone), "\n"),
    ]
    if result.flag is not None:
        parts.append(
            Content.assemble(("flag     ", KEY), (result.flag.value, "$text-warning"), "\n")
        )
    if result.finish_reason:
        parts.append(Content.assemble(("finish   ", KEY), result.finish_reason, "\n"))
    if result.model:
        parts.append(Content.assemble(("model    ", KEY), result.model, "\n"))
    if result.error is not None:
        parts.append(Content.assemble(("\nError\n", "bold $text-error")))
        error = result.error
        parts.append(Content.assemble(("type     ", KEY), error.type or "—", "\n"))
        parts.append(Content.assemble(("code     ", KEY), error.code or "—", "\n"))
        parts.append(Content.assemble((error.message, "$text-error"), "\n"))
    if result.text:
        text = result.text if len(result.text) <= max_text else result.text[:max_text] + "…"
        parts.append(Content.assemble(("\nText\n", HEAD), text, "\n"))
    if result.usage is not None:
        parts.append(Content.assemble(("\nUsage\n", HEAD)))
        for name, value in result.usage.as_dict().items():
            if value:
                parts.append(Content.assemble((f"{name:<28}", KEY), f"{value:,}", "\n"))
    if result.raw:
        raw = json.dumps(result.raw, indent=2, ensure_ascii=False)
        if len(raw) > max_text:
            raw = raw[:max_text] + "\n…"
        parts.append(Content.assemble(("\nRaw line\n", HEAD)))
        parts.append(highlight(raw, language="json"))
    return Content("").join(parts)


class ResultDetail(VerticalScroll):
    """Scrollable pane showing one result."""

    def compose(self) -> ComposeResult:
        yield Static(Content("No result selected."), id="result-detail-body")

    def show(self, result: BatchResult | None) -> None:
        """Describe `result` (or say that nothing is selected)."""
        body = self.query_one("#result-detail-body", Static)
        body.update(Content("No result selected.") if result is None else result_content(result))
        self.scroll_home(animate=False)
