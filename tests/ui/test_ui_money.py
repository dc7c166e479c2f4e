"""Money, stale markers, clean plans and flag retries as the dashboard shows them (pure)."""

from __future__ import annotations

from datetime import timedelta

from ui_fakes import START, FakeWorkspace, flagged_lines, parse_line

from batchtui.core.models import BatchStatus
from batchtui.ui.models.clean import describe, plan_items, summarize_clean
from batchtui.ui.models.jobs import JobView, cost_of, job_row, job_view, status_text
from batchtui.ui.models.money import (
    CostActual,
    CostEstimate,
    actual_of,
    cost_cell,
    estimate_of,
    estimate_text,
    totals_from_core,
    totals_from_jobs,
    usd,
    usd_range,
)
from batchtui.ui.models.results import (
    ListSource,
    group_problems,
    suggested_max_tokens,
    truncated_among,
)
from batchtui.ui.models.workspace import stale_thresholds, ui_settings
from batchtui.ui.screens.triage import retry_options


def test_usd_and_ranges() -> None:
    assert usd(0.0123) == "$0.0123"
    assert usd(12.345) == "$12.35"
    assert usd(1234.5) == "$1,234"
    assert usd_range(0.01, 0.05) == "$0.01–0.05"
    assert usd_range(0.0004, 0.05) == "≤$0.05"  # the low end rounds to nothing
    assert usd_range(0.0004, 0.0031) == "≤$0.0031"
    assert usd_range(0.31, 1.85) == "$0.31–1.85"
    assert usd_range(120.0, 840.0) == "$120–840"


def test_cost_cell_prefers_actual_then_estimate() -> None:
    estimate = CostEstimate(low=0.01, high=0.05)
    assert cost_cell(None, None).text == "—"
    assert cost_cell(None, estimate).text == "$0.01–0.05"
    assert not cost_cell(None, estimate).actual
    actual = cost_cell(CostActual(cost=0.0123, sync_cost=0.0246), estimate)
    assert (actual.text, actual.actual) == ("$0.0123", True)
    assert cost_cell(None, CostEstimate(unpriced=("gpt-9",))).text == "no price"
    assert cost_cell(CostActual(unpriced=("x",)), estimate).text == "no price"
    assert estimate_text(CostEstimate(unpriced=("gpt-9",))) == "no price (gpt-9)"
    assert estimate_text(CostEstimate(low=0.01, high=0.05, uncapped=3)) == (
        "$0.0100–$0.0500 (+3 without max_tokens)"
    )


def test_figures_read_from_core_dicts() -> None:
    figures = estimate_of({"requests": 3, "cost_usd_low": 0.1, "cost_usd_high": 0.4})
    assert figures == CostEstimate(requests=3, low=0.1, high=0.4)
    assert estimate_of(None) is None
    actual = actual_of({"cost_usd": 0.5, "sync_cost_usd": 1.0})
    assert actual is not None and actual.saved == 0.5
    assert actual_of(None, 0.25) == CostActual(cost=0.25)


def test_seeded_jobs_show_cost_queued_and_stale() -> None:
    ws = FakeWorkspace()
    now = ws.clock.now()
    views = {r.local_id: job_view(r, ws.stale_after(r.profile)) for r in ws.jobs()}
    cells = {local_id: job_row(v, now).cost for local_id, v in views.items()}
    assert cells == {
        "j1": "$0.0123",
        "j2": "≤$0.0031",
        "j3": "$0.31–1.85",
        "j4": "$0.0041",
        "j5": "$0.02–0.12",
        "j6": "no price",
        "j7": "$0.04–0.26",
    }
    assert cost_of(views["j1"]).actual and not cost_of(views["j3"]).actual
    assert status_text(views["j2"], now) == "in_progress ⚠ stale 19m"
    assert status_text(views["j3"], now) == "in_progress"  # moved a minute ago
    assert job_row(views["j7"], now).progress == "held locally"


def test_stale_needs_a_poll_after_the_threshold() -> None:
    ws = FakeWorkspace()
    record = ws.job("j2")
    view = job_view(record, 600)
    assert view.stale_for(START) == 19 * 60
    assert view.stale_for(START - timedelta(minutes=10)) is None  # not stale yet then
    unpolled = job_view(record.__class__(**{**_fields(record), "last_polled_at": None}), 600)
    assert unpolled.stale_for(START) is None  # never polled: nothing confirms it is stuck
    old_poll = record.__class__(**{**_fields(record), "last_polled_at": START - timedelta(hours=1)})
    assert job_view(old_poll, 600).stale_for(START) is None  # no poll since: not confirmed
    assert job_view(record, None).stale_for(START) is None  # no threshold: no marker
    done = JobView("x", "x", "openai", "p", BatchStatus.COMPLETED, stale_at=START, polled_at=START)
    assert done.stale_for(START) is None


def _fields(record: object) -> dict:
    from dataclasses import fields

    return {f.name: getattr(record, f.name) for f in fields(record)}  # type: ignore[arg-type]


def test_totals_from_core_rows_and_from_jobs() -> None:
    ws = FakeWorkspace()
    totals = totals_from_core(ws.cost_totals(), "2026-01-01")
    assert totals is not None
    assert totals.per_profile == (("anthropic", 0.0), ("openai-main", 0.0164))
    assert totals.today is not None and abs(totals.today - 0.0164) < 1e-9
    assert abs(totals.pending - (0.0031 + 1.85 + 0.118 + 0.26)) < 1e-9
    assert totals.text() == (
        "today $0.0164 · pending ≤$2.23 · all days anthropic $0, openai-main $0.0164"
        " · some unpriced"
    )
    assert totals_from_core({"odd": 1}, "2026-01-01") is None
    assert totals_from_core([{"nothing": 1}], "2026-01-01") is None
    views = [job_view(r) for r in ws.jobs()]
    from_jobs = totals_from_jobs(views, ws.clock.now())  # an older core: actual costs only
    assert from_jobs.text() == "today $0.0164 · all days openai-main $0.0164"


def test_clean_plan_lines_and_report() -> None:
    ws = FakeWorkspace()
    items = plan_items(ws.clean_plan())
    lines = [describe(item) for item in items]
    assert lines == [
        "openai-main: delete openai input file file-in-b04d1f of batch_68f2a1c9e7b04d1f",
        "openai-main: delete openai output file file-out-b04d1f of batch_68f2a1c9e7b04d1f",
        "openai-main: delete openai input file file-in-9d7a44 of batch_68f1c02b5e9d7a44",
        "openai-main: delete openai output file file-out-9d7a44 of batch_68f1c02b5e9d7a44",
        "anthropic: delete anthropic batch msgbatch_01Hj9bQ2mXrT5sYw8vN3kLp4",
    ]
    assert plan_items(None) == []

    class Report:
        deleted = items[:3]
        failed = [(items[3], "403 forbidden")]

    summary = summarize_clean(Report())
    assert summary.severity == "warning"
    assert summary.message == (
        "Deleted 3 object(s) at the providers. 1 not deleted; first: "
        + lines[3]
        + " — 403 forbidden"
    )
    assert summarize_clean(type("R", (), {"deleted": items, "failed": []})()).severity == (
        "information"
    )


def test_flag_groups_and_truncated_suggestion() -> None:
    source = ListSource(flagged_lines("eval", 18), parse_line)
    groups = group_problems(source)
    assert [(g.key, g.count) for g in groups] == [
        ("flag:truncated", 3),
        ("flag:filtered", 1),
        ("flag:http_error", 1),
        ("flag:refused", 1),
    ]
    truncated = truncated_among(source, range(source.count))
    assert len(truncated) == 3
    assert suggested_max_tokens(source, truncated) == 512  # twice the 256 they stopped at
    assert suggested_max_tokens(source, []) == 1024
    assert retry_options(["a"], None, None) == {"custom_ids": ["a"]}
    assert retry_options(["a"], 512, "truncated") == {"flag": "truncated", "max_tokens": 512}


def test_ui_settings_and_thresholds_from_config() -> None:
    class Ui:
        theme = "nord"

    class Config:
        keymap = {"jobs.refresh": "f5", "app.quit": ""}
        ui = Ui()

    class Ws:
        config = Config()

        def profiles(self) -> list:
            return FakeWorkspace().profiles()

        def stale_after(self, profile: str) -> float:
            """A rule without a default: a profile without its own threshold has none (0)."""
            own = {p.name: p.stale_after_s for p in self.profiles()}
            return own[profile] or 0.0

    settings = ui_settings(Ws())
    assert dict(settings.keymap) == {"jobs.refresh": "f5"}
    assert settings.theme == "nord"
    assert ui_settings(FakeWorkspace()).keymap == {}  # a config without a [keymap] table
    assert stale_thresholds(Ws()) == {"openai-main": 600.0}
    assert stale_thresholds(FakeWorkspace()) == {"openai-main": 600.0, "anthropic": 1800.0}


def test_estimate_text_names_what_has_no_price() -> None:
    assert estimate_text(CostEstimate(unpriced=("(none)",))) == (
        "no price (requests without a model)"
    )
    assert estimate_text(CostEstimate(low=0.00001, high=0.0002)) == "≤$0.0002"
    assert usd(0.00001) == "<$0.0001"
