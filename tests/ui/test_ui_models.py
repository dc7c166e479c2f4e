"""The pure view models: cells, ordering, filters, triage groups, drafts, file windows."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from ui_fakes import START, FakeWorkspace, parse_line, result_lines

from batchtui.core.models import BatchStatus, RequestCounts
from batchtui.ui.models.inputs import ComposeDraft, PromptItem, move, next_custom_id, read_window
from batchtui.ui.models.job_list import SORT_KEYS, JobQuery, order_jobs, sort_value
from batchtui.ui.models.jobs import (
    JobRow,
    JobView,
    eta_text,
    job_row,
    job_view,
    label_text,
    progress_text,
    short_id,
)
from batchtui.ui.models.results import ListSource, ResultQuery, filter_indices, group_problems
from batchtui.ui.widgets.job_table import label_width, text_width


def views() -> dict[str, JobView]:
    return {v.local_id: v for v in map(job_view, FakeWorkspace().jobs())}


def test_progress_bar_text() -> None:
    view = JobView(
        "a", "x", "openai", "p", BatchStatus.IN_PROGRESS, counts=RequestCounts(50, 19, 30, 1)
    )
    assert progress_text(view) == "▰▰▰▰▰▱▱▱  62%"
    done = JobView("b", "x", "openai", "p", BatchStatus.COMPLETED)
    assert progress_text(done).startswith("▰" * 8)
    unknown = JobView("c", "x", "openai", "p", BatchStatus.VALIDATING)
    assert progress_text(unknown).endswith("?")
    queued = JobView("d", "x", "openai", "p", BatchStatus.QUEUED)
    assert progress_text(queued) == "held locally"
    # A provider that reports a fraction instead of counts (Together's percent).
    fraction = JobView("e", "x", "together", "p", BatchStatus.IN_PROGRESS, progress=0.4)
    assert progress_text(fraction) == "▰▰▰▱▱▱▱▱  40%"


def test_eta_is_linear_from_progress_so_far() -> None:
    view = JobView(
        "a",
        "x",
        "openai",
        "p",
        BatchStatus.IN_PROGRESS,
        counts=RequestCounts(total=100, succeeded=25),
        created_at=START - timedelta(minutes=10),
    )
    assert eta_text(view, START) == "~30m"
    assert eta_text(view, START - timedelta(minutes=10)) == "—"


def test_job_view_reads_the_store_record() -> None:
    all_views = views()
    retry = all_views["j2"]
    assert retry.parent_id == "j1"
    assert retry.provider_id == "batch_68f2b7d0aa11c3e9"
    assert all_views["j6"].errors[0].code == "invalid_model"
    assert all_views["j7"].provider_id is None
    assert short_id(None, "j7") == "local:j7"


def test_row_diff_names_only_changed_columns() -> None:
    row = job_row(views()["j3"], START)
    later = job_row(views()["j3"], START + timedelta(minutes=5))
    assert set(later.changed(row)) == {"age", "eta"}
    assert row.changed(None) == list(JobRow.__dataclass_fields__)


def test_retries_sit_under_their_parent_whatever_the_sort() -> None:
    all_views = views()
    for key in ("created", "label", "status", "progress"):
        for reverse in (False, True):
            order = order_jobs(all_views, key, reverse)
            assert order.index("j2") == order.index("j1") + 1, (key, reverse)
            assert sorted(order) == sorted(all_views)
    assert job_row(all_views["j2"], START, depth=1).label.startswith("└ ")


def test_roots_sort_by_value_then_local_id_in_either_direction() -> None:
    """The sort (ids first, then values, stably) orders as a sort by ``(value, local_id)``
    does, ties included, and keeps each retry under its parent (cycles still show once)."""
    rng = random.Random(7)
    base = START - timedelta(hours=1)
    for _ in range(200):
        ids = sorted({f"id{rng.randint(0, 40):02d}" for _ in range(rng.randint(0, 30))})
        jobs = {
            i: JobView(
                i,
                rng.choice(["", "alpha", "Beta", "alpha"]),
                rng.choice(["openai", "anthropic"]),
                rng.choice(["p1", "p2"]),
                rng.choice(list(BatchStatus)),
                provider_id=rng.choice([None, "batch_x", "batch_y"]),
                counts=RequestCounts(total=rng.choice([0, 10]), succeeded=rng.choice([0, 5])),
                created_at=rng.choice([None, base + timedelta(seconds=rng.randint(0, 3))]),
                parent_id=rng.choice([None, None, "missing", *ids]),
            )
            for i in ids
        }
        for key in (*SORT_KEYS, "short_id", "counts", "cost"):
            for reverse in (False, True):
                order = order_jobs(jobs, key, reverse)
                assert sorted(order) == sorted(jobs)
                roots = [i for i in order if jobs[i].parent_id not in jobs]
                expected = sorted(roots, key=lambda i: (sort_value(jobs[i], key), i))
                assert roots == (expected[::-1] if reverse else expected), (key, reverse)


def test_label_width_is_the_label_cell_width() -> None:
    rng = random.Random(3)
    for _ in range(2_000):
        label = rng.choice(["", "a" * rng.randint(1, 60), "é" * rng.randint(1, 50), "日本" * 25])
        provider_id = rng.choice([None, "", "b" * rng.randint(1, 40), "é" * rng.randint(1, 30)])
        view = JobView("x" * rng.randint(0, 16), label, "p", "q", BatchStatus.COMPLETED)
        view = replace(view, provider_id=provider_id)
        depth = rng.choice([0, 0, 1, 2])
        assert label_width(view, depth) == text_width(label_text(view, depth))


def test_job_query() -> None:
    all_views = views()
    assert [v for v in all_views if JobQuery.parse("status:failed").matches(all_views[v])] == ["j6"]
    anthropic = {v for v in all_views if JobQuery.parse("p:anthropic").matches(all_views[v])}
    assert anthropic == {"j3", "j5", "j7"}
    assert JobQuery.parse("translate retry").matches(all_views["j2"])
    assert not JobQuery.parse("translate retry").matches(all_views["j1"])


def test_result_query_and_filter() -> None:
    source = ListSource(result_lines("r", 60, 6, flagged=2), parse_line)
    errored = filter_indices(source, ResultQuery.parse("outcome:errored"))
    assert len(errored) == 6
    problems = filter_indices(source, ResultQuery.parse("is:problem"))
    assert len(problems) == 8
    assert set(errored) < set(problems)
    rate = filter_indices(source, ResultQuery.parse("type:rate"))
    assert rate and all(source.get_summary(i).error_type == "rate_limit_error" for i in rate)
    words = filter_indices(source, ResultQuery.parse("numéro 7"))
    assert source.get_summary(words[0]).custom_id == "r-0007"
    assert ResultQuery.parse("o:errored is:problem x").text() == "outcome:errored is:problem x"


def test_triage_groups_by_type_and_flag() -> None:
    source = ListSource(result_lines("r", 60, 6, flagged=2), parse_line)
    groups = group_problems(source)
    assert sum(g.count for g in groups) == 8
    errors = [g for g in groups if not g.key.startswith("flag:")]
    flags = [g for g in groups if g.key.startswith("flag:")]
    assert groups == errors + flags  # flag groups after the error groups
    assert [g.count for g in errors] == sorted((g.count for g in errors), reverse=True)
    labels = {g.label for g in groups}
    assert "flag: truncated — stopped at max_tokens" in labels and "rate_limit_error" in labels
    for group in groups:
        assert len(group.custom_ids) == group.count


def test_compose_draft_jsonl() -> None:
    draft = ComposeDraft(
        model="m",
        system="sys",
        max_tokens=10,
        temperature=None,
        prompts=(PromptItem("a", "hello"), PromptItem("b", "bye")),
    )
    lines = [json.loads(line) for line in draft.jsonl().splitlines()]
    assert lines[0] == {
        "custom_id": "a",
        "model": "m",
        "messages": [{"role": "user", "content": "hello"}],
        "system": "sys",
        "max_tokens": 10,
    }
    assert draft.problems() == []
    dup = ComposeDraft(model="", prompts=(PromptItem("a", "x"), PromptItem("a", "")))
    assert len(dup.problems()) == 3
    assert next_custom_id(["request-001", "request-002"]) == "request-003"
    assert move(["a", "b", "c"], 0, 1) == (["b", "a", "c"], 1)
    assert move(["a", "b", "c"], 0, -1) == (["a", "b", "c"], 0)


def test_read_window_reads_only_the_needed_lines(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text("".join(f"line {n}\n" for n in range(1, 1001)))
    window = read_window(path, 500, before=2, after=3)
    assert window == [(n, f"line {n}") for n in range(498, 504)]
    assert read_window(path, 1, before=5, after=1) == [(1, "line 1"), (2, "line 2")]
