"""Validation of input files: the broken corpus, the issue cap, the summary, the split plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.inputs import (
    LIMITS,
    InputIssue,
    estimate_input_tokens,
    read_requests,
    validate_file,
)
from batchtui.core.inputs import records as records_mod

DATA = Path(__file__).parent / "data" / "inputs"
GOOD = DATA / "good"
BROKEN = DATA / "broken"

# (file, provider, kwargs, expected issues as (line, field, code)); one file per error kind.
CORPUS = [
    ("bad_json.jsonl", "openai", {}, {(2, "json", "invalid_json")}),
    (
        "not_object.jsonl",
        "anthropic",
        {},
        {(2, "record", "not_object"), (3, "record", "not_object")},
    ),
    (
        "missing_custom_id.jsonl",
        "openai",
        {},
        {
            (2, "custom_id", "missing_custom_id"),
            (3, "custom_id", "missing_custom_id"),
            (4, "custom_id", "bad_custom_id"),
        },
    ),
    (
        "duplicate_custom_id.jsonl",
        "anthropic",
        {},
        {(3, "custom_id", "duplicate_custom_id"), (4, "custom_id", "duplicate_custom_id")},
    ),
    ("long_custom_id.jsonl", "anthropic", {}, {(2, "custom_id", "custom_id_too_long")}),
    (
        "invalid_custom_id.jsonl",
        "anthropic",
        {},
        {
            (2, "custom_id", "invalid_custom_id"),
            (3, "custom_id", "invalid_custom_id"),
            (4, "custom_id", "invalid_custom_id"),
        },
    ),
    (
        "bad_role.jsonl",
        "anthropic",
        {},
        {
            (1, "messages[0].role", "bad_role"),
            (2, "messages[0].role", "bad_role"),
            (3, "messages[0].role", "bad_role"),
        },
    ),
    (
        "bad_content.jsonl",
        "openai",
        {},
        {
            (1, "messages[0].content", "bad_content"),
            (2, "messages[0].content", "bad_content"),
            (3, "messages[0].content[0]", "bad_content"),
            (4, "messages[0].content", "bad_content"),
            (5, "messages[0]", "bad_message"),
            (6, "system", "bad_content"),
        },
    ),
    (
        "empty_messages.jsonl",
        "anthropic",
        {},
        {
            (1, "messages", "empty_messages"),
            (2, "messages", "missing_messages"),
            (3, "messages", "bad_messages"),
        },
    ),
    (
        "missing_model.jsonl",
        "openai",
        {},
        {(1, "model", "missing_model"), (2, "model", "bad_model")},
    ),
    (
        "missing_max_tokens.jsonl",
        "anthropic",
        {},
        {(1, "max_tokens", "missing_max_tokens"), (2, "max_tokens", "missing_max_tokens")},
    ),
    (
        "invalid_max_tokens.jsonl",
        "anthropic",
        {},
        {(n, "max_tokens", "invalid_max_tokens") for n in range(1, 6)},
    ),
    (
        "temperature_range.jsonl",
        "anthropic",
        {},
        {
            (1, "temperature", "temperature_range"),
            (2, "temperature", "temperature_range"),
            (3, "temperature", "temperature_range"),
            (4, "temperature", "bad_temperature"),
        },
    ),
    (
        "bad_endpoint.jsonl",
        "openai",
        {},
        {(1, "endpoint", "bad_endpoint"), (2, "endpoint", "bad_endpoint")},
    ),
    ("model_mismatch.jsonl", "openai", {}, {(2, "model", "model_mismatch")}),
    (
        "url_method.openai.jsonl",
        "openai",
        {},
        {
            (2, "url", "url_mismatch"),
            (3, "method", "bad_method"),
            (4, "body", "missing_body"),
            (5, "body", "bad_body"),
        },
    ),
    ("stream.jsonl", "openai", {}, {(1, "stream", "stream_not_allowed")}),
    ("anthropic_missing_params.jsonl", "anthropic", {}, {(2, "params", "missing_params")}),
    ("empty.jsonl", "anthropic", {}, {(None, "file", "empty_file")}),
    ("truncated_array.json", "anthropic", {}, {(3, "json", "invalid_json")}),
    ("trailing_comma.json", "anthropic", {}, {(3, "json", "invalid_json")}),
    ("no_requests.json", "anthropic", {}, {(1, "requests", "no_requests")}),
    (
        "csv_placeholder.csv",
        "openai",
        {"csv_template": "About {subject} for {name}", "defaults": {"model": "m"}},
        {(1, "template", "csv_placeholder")},
    ),
    (
        "csv_rows.csv",
        "anthropic",
        {
            "csv_template": "About {topic}",
            "csv_id_column": "id",
            "defaults": {"model": "m", "max_tokens": 5},
        },
        {(3, "row", "csv_row_width"), (4, "custom_id", "duplicate_custom_id")},
    ),
]


@pytest.mark.parametrize(
    ("name", "provider", "kwargs", "expected"), CORPUS, ids=[c[0] for c in CORPUS]
)
def test_broken_corpus_names_each_problem(
    name: str, provider: str, kwargs: dict, expected: set
) -> None:
    path = BROKEN / name
    report = validate_file(path, provider, **kwargs)
    got = {(i.line, i.field, i.code) for i in report.issues}
    assert got == expected
    assert not report.ok
    assert report.total_issues == len(report.issues) == len(expected)
    for issue in report.issues:
        where = str(path) if issue.line is None else f"{path}:{issue.line}"
        assert str(issue) == f"{where}: {issue.field}: {issue.message}"


@pytest.mark.parametrize(
    "name",
    [
        *sorted(p.name for p in GOOD.glob("*.jsonl")),
        "anthropic_array.json",
        "anthropic_wrapped.json",
    ],
)
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_good_files_pass_for_both_providers(name: str, provider: str) -> None:
    report = validate_file(GOOD / name, provider)
    assert report.ok, report.lines()
    assert report.total_issues == 0
    assert report.summary.requests == 3


def test_defaults_supply_missing_model_and_max_tokens() -> None:
    assert validate_file(
        BROKEN / "missing_max_tokens.jsonl", "anthropic", defaults={"max_tokens": 50}
    ).ok
    report = validate_file(BROKEN / "missing_model.jsonl", "openai", defaults={"model": "gpt-x"})
    # Line 1 lacked a model (now filled); line 2 has an empty one, which a default does not hide.
    assert {(i.line, i.code) for i in report.issues} == {(2, "bad_model")}


def test_field_paths_follow_the_users_record(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    items = [
        {
            "custom_id": "a",
            "params": {
                "model": "m",
                "max_tokens": 5,
                "messages": [{"role": "user", "content": "x"}],
            },
        },
        {"custom_id": "b", "params": {"model": "m", "messages": [{"role": "bot", "content": "x"}]}},
    ]
    path.write_text(json.dumps({"requests": items}))
    report = validate_file(path, "anthropic")
    assert {(i.line, i.field) for i in report.issues} == {
        (1, "requests[1].params.max_tokens"),
        (1, "requests[1].params.messages[0].role"),
    }
    openai = validate_file(BROKEN / "url_method.openai.jsonl", "anthropic")
    assert (2, "body.messages") in {(i.line, i.field) for i in openai.issues}


def test_many_errors_every_bad_line_is_named() -> None:
    path = BROKEN / "many_errors.jsonl"
    report = validate_file(path, "anthropic")
    named = {i.line for i in report.issues}
    assert named == set(range(2, 12)), report.lines()
    codes = {i.code for i in report.issues}
    assert codes == {
        "invalid_json",
        "not_object",
        "duplicate_custom_id",
        "invalid_custom_id",
        "bad_role",
        "missing_model",
        "invalid_max_tokens",
        "temperature_range",
        "empty_messages",
        "bad_content",
        "custom_id_too_long",
    }
    assert report.error_count == report.total_issues == 11
    # Lines come out in file order.
    assert [i.line for i in report.issues] == sorted(i.line for i in report.issues)


def test_issue_cap_keeps_the_first_and_counts_all(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    with path.open("w") as f:
        for n in range(500):
            f.write(
                json.dumps({"custom_id": f"r{n}", "messages": [{"role": "user", "content": "x"}]})
            )
            f.write("\n")
    report = validate_file(path, "anthropic", max_issues=200)
    # Every line lacks both model and max_tokens: 1,000 issues, 200 kept.
    assert report.total_issues == report.error_count == 1000
    assert len(report.issues) == 200
    assert [i.line for i in report.issues] == [n // 2 + 1 for n in range(200)]
    assert report.lines()[-1] == f"{path}: ... and 800 more issue(s) not shown"
    assert report.summary.requests == 500


def test_summary_counts_models_tokens_and_bytes() -> None:
    path = GOOD / "neutral.jsonl"
    report = validate_file(path, "openai")
    summary = report.summary
    bodies = [r.body for _, r in read_requests(path)]
    assert summary.requests == 3
    assert summary.file_bytes == path.stat().st_size
    assert summary.max_tokens_total == 16 + 16 + 8
    assert summary.max_tokens_missing == 0
    assert summary.input_tokens == sum(estimate_input_tokens(b) for b in bodies) > 0
    assert set(summary.models) == {"gpt-4o-mini"}
    assert summary.models["gpt-4o-mini"].requests == 3
    assert summary.endpoints == {"/v1/chat/completions": 3}
    assert len(summary.parts) == 1 and not summary.needs_split
    assert summary.parts[0].requests == 3 and summary.parts[0].bytes == summary.native_bytes
    as_dict = report.as_dict()
    assert as_dict["ok"] is True and as_dict["summary"]["requests"] == 3
    json.dumps(as_dict)


def test_fast_token_count_matches_the_estimator(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [
        {
            "custom_id": "a",
            "model": "m",
            "max_tokens": 3,
            "system": [{"type": "text", "text": "abcdefgh"}],
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "x" * 13},
                        {"type": "image", "source": {}},
                    ],
                }
            ],
        },
        {
            "custom_id": "b",
            "model": "m",
            "max_tokens": 3,
            "system": "sys",
            "messages": [
                {"role": "user", "content": "hello"},
                {"role": "assistant", "content": "hi"},
            ],
        },
        {
            "custom_id": "c",
            "model": "m",
            "max_tokens": 3,
            "messages": [{"role": "user", "content": "q" * 9}],
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    fast = validate_file(path, "anthropic").summary.input_tokens
    slow = validate_file(
        path, "anthropic", estimator=lambda b: estimate_input_tokens(b)
    ).summary.input_tokens
    assert fast == slow == 6 + 3 + 3
    custom = validate_file(path, "anthropic", estimator=lambda b: 1000).summary
    assert custom.input_tokens == 3000 and custom.models["m"].input_tokens == 3000


def test_progress_reports_bytes_up_to_the_total(monkeypatch) -> None:
    monkeypatch.setattr(records_mod, "PROGRESS_EVERY", 64)
    csv = {"csv_template": "{city}", "defaults": {"model": "m", "max_tokens": 3}}
    for name, kwargs in (("neutral.jsonl", {}), ("anthropic_array.json", {}), ("prompts.csv", csv)):
        calls: list[tuple[int, int]] = []
        report = validate_file(
            GOOD / name,
            "anthropic",
            progress=lambda d, t, calls=calls: calls.append((d, t)),
            **kwargs,
        )
        assert report.ok
        size = (GOOD / name).stat().st_size
        assert len(calls) >= 2
        assert all(total == size for _, total in calls)
        assert [d for d, _ in calls] == sorted(d for d, _ in calls)
        assert calls[-1][0] == size


def _numbered(path: Path, count: int) -> None:
    with path.open("w") as f:
        for n in range(count):
            f.write(
                json.dumps(
                    {
                        "custom_id": f"r{n:03d}",
                        "model": "m",
                        "max_tokens": 4,
                        "messages": [{"role": "user", "content": "hello"}],
                    }
                )
                + "\n"
            )


def test_split_plan_by_count(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(LIMITS, "openai", LIMITS["openai"].with_(max_requests=4))
    path = tmp_path / "ten.jsonl"
    _numbered(path, 10)
    report = validate_file(path, "openai")
    assert report.ok
    assert report.summary.needs_split
    assert [(p.first_line, p.last_line, p.requests) for p in report.summary.parts] == [
        (1, 4, 4),
        (5, 8, 4),
        (9, 10, 2),
    ]
    refused = validate_file(path, "openai", split=False)
    assert not refused.ok
    (issue,) = refused.issues
    assert (issue.line, issue.field, issue.code) == (5, "file", "over_limit")
    assert "3 batches" in issue.message


def test_split_plan_by_size(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "ten.jsonl"
    _numbered(path, 10)
    line_bytes = len(path.read_bytes().splitlines(keepends=True)[0])
    limits = LIMITS["anthropic"].with_(
        max_bytes=3 * line_bytes + LIMITS["anthropic"].part_overhead_bytes
    )
    monkeypatch.setitem(LIMITS, "anthropic", limits)
    report = validate_file(path, "anthropic", fmt="neutral")
    parts = report.summary.parts
    assert sum(p.requests for p in parts) == 10
    assert all(p.bytes <= limits.max_bytes - limits.part_overhead_bytes for p in parts)
    assert len(parts) > 3  # neutral -> native adds bytes, so fewer than 3 fit a part


def test_a_request_bigger_than_a_batch_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    _numbered(path, 2)
    limits = LIMITS["openai"].with_(max_bytes=50)
    report = validate_file(path, "openai", limits=limits)
    assert {(i.line, i.code) for i in report.issues} == {
        (1, "request_too_large"),
        (2, "request_too_large"),
    }


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        validate_file(GOOD / "neutral.jsonl", "nosuchai")


def test_issue_str_and_dict() -> None:
    issue = InputIssue("in.jsonl", 7, "messages[0].role", "bad", "bad_role")
    assert str(issue) == "in.jsonl:7: messages[0].role: bad"
    assert issue.as_dict()["severity"] == "error"
    assert (
        str(InputIssue("in.jsonl", None, "file", "empty", "empty_file")) == "in.jsonl: file: empty"
    )
