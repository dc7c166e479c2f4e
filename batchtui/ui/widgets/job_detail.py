"""The detail panel of the highlighted job: timestamps, raw status, files, errors, family."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from batchtui.core.models import BatchStatus
from batchtui.ui.models.jobs import (
    NO_VALUE,
    STALE_MARK,
    JobView,
    display_label,
    duration_text,
    progress_text,
)
from batchtui.ui.models.money import estimate_text, usd

KEY = "$text-muted"
HEAD = "bold $text-primary"


def _line(name: str, value: str | None, style: str = "") -> Content:
    return Content.assemble((f"{name:<12}", KEY), (value or NO_VALUE, style), "\n")


def _when(moment: datetime | None, now: datetime) -> str | None:
    if moment is None:
        return None
    delta = (now - moment).total_seconds()
    relative = f"{duration_text(delta)} ago" if delta >= 0 else f"in {duration_text(-delta)}"
    return f"{moment.strftime('%m-%d %H:%M:%S')} ({relative})"


def job_detail_content(
    view: JobView,
    now: datetime,
    parent: JobView | None = None,
    children: Sequence[JobView] = (),
) -> tuple[Content, Content, Content]:
    """The panel text for one job in three blocks: overview, counts and times, files and run.

    All provider text is plain (never parsed as markup).
    """
    overview: list[Content] = [
        Content.assemble((display_label(view), "bold"), "\n"),
        _line("local id", view.local_id),
        _line("provider id", view.provider_id),
        _line("provider", f"{view.provider} / {view.profile}"),
        _line("model", view.model),
        _status_line(view, now),
        _line("raw status", view.raw_status),
        _line("progress", progress_text(view)),
        *cost_lines(view),
    ]
    if view.errors or view.note:
        overview.append(Content.assemble(("Provider errors\n", "bold $text-error")))
        for error in view.errors:
            where = f"line {error.line}: " if error.line else ""
            code = f"[{error.code}] " if error.code else ""
            overview.append(
                Content.assemble((f"{where}{code}{error.message}", "$text-error"), "\n")
            )
        if view.note:
            overview.append(Content.assemble((view.note, "$text-warning"), "\n"))
    times: list[Content] = [Content.assemble(("Counts\n", HEAD))]
    for name, number in view.counts.as_dict().items():
        times.append(_line(name, f"{number:,}"))
    times.append(Content.assemble(("Timestamps\n", HEAD)))
    times.append(_line("recorded", _when(view.created_at, now)))
    for name, moment in asdict(view.times).items():
        if moment is not None:
            times.append(_line(name.removesuffix("_at"), _when(moment, now)))
    files: list[Content] = [
        Content.assemble(("Files\n", HEAD)),
        _line("input file", view.input_path),
        _line("input id", view.input_file_id),
        _line("output id", view.output_file_id),
        _line("error id", view.error_file_id),
        _line("results", "available" if view.results_available else "not yet"),
        Content.assemble(("Run\n", HEAD)),
        *([_line("submitted by", view.submitted_by)] if view.submitted_by else []),
        _line("parent", _name(parent) if parent else view.parent_id),
    ]
    if children:
        for index, child in enumerate(children):
            files.append(_line("children" if index == 0 else "", _name(child)))
    else:
        files.append(_line("children", None))
    join = Content("").join
    return join(overview), join(times), join(files)


def _status_line(view: JobView, now: datetime) -> Content:
    stuck = view.stale_for(now)
    status = (view.status.value, f"$text-{_status_tone(view)}")
    if stuck is None:
        return Content.assemble((f"{'status':<12}", KEY), status, "\n")
    marker = f" {STALE_MARK} {duration_text(stuck)}"
    return Content.assemble((f"{'status':<12}", KEY), status, (marker, "bold $text-warning"), "\n")


def cost_lines(view: JobView) -> list[Content]:
    """The Cost block: estimate at submission, actual batch cost, synchronous price, saving."""
    estimate, actual = view.estimate, view.cost
    lines = [Content.assemble(("Cost\n", HEAD))]
    if estimate is None and actual is None:
        return [*lines, _line("cost", None)]
    if estimate is not None:
        lines.append(_line("estimate", estimate_text(estimate)))
    if actual is None:
        lines.append(_line("actual", "when the results are in"))
    elif not actual.priced:
        missing = ", ".join(actual.unpriced)
        lines.append(_line("actual", "no price" + (f" ({missing})" if missing else "")))
    else:
        lines.append(_line("actual", usd(actual.cost or 0.0), "bold"))
        if actual.sync_cost is not None:
            saved = f" · saved {usd(actual.saved)}" if actual.saved is not None else ""
            lines.append(_line("sync price", f"{usd(actual.sync_cost)}{saved}", ""))
    return lines


def _name(view: JobView) -> str:
    return f"{display_label(view)} ({view.status.value})"


def _status_tone(view: JobView) -> str:
    if view.status is BatchStatus.COMPLETED:
        return "success"
    if view.status in (BatchStatus.FAILED, BatchStatus.EXPIRED):
        return "error"
    if view.status in (BatchStatus.CANCELLED, BatchStatus.CANCELLING):
        return "warning"
    return "accent"


class JobDetail(VerticalScroll):
    """Scrollable panel describing one job."""

    def compose(self) -> ComposeResult:
        with Container(id="job-detail-columns"):
            yield Static(
                Content("No job selected."), id="job-detail-overview", classes="detail-col"
            )
            yield Static(id="job-detail-times", classes="detail-col")
            yield Static(id="job-detail-files", classes="detail-col")

    def show(
        self,
        view: JobView | None,
        now: datetime,
        parent: JobView | None = None,
        children: Sequence[JobView] = (),
    ) -> None:
        """Describe `view` (or say that nothing is selected)."""
        blocks: tuple[Content, ...] = (Content("No job selected."), Content(""), Content(""))
        if view is not None:
            blocks = job_detail_content(view, now, parent, children)
        for name, block in zip(("overview", "times", "files"), blocks, strict=True):
            self.query_one(f"#job-detail-{name}", Static).update(block)
