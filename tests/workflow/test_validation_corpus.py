"""A corpus of broken inputs: `validate` and `submit` name each error FILE:LINE: field, exit 1,
and nothing reaches the provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from workflow_helpers import KINDS, Env, neutral_line

GOOD = {kind: json.dumps(neutral_line(kind, "fine", 1)) for kind in KINDS}


def line(**record: object) -> str:
    return json.dumps(record)


def chat(custom_id: str, *, role: str = "user", **extra: object) -> str:
    record = {
        "custom_id": custom_id,
        "model": "claude-haiku-4-5",
        "messages": [{"role": role, "content": "hello"}],
        "max_tokens": 16,
    }
    record.update(extra)
    return json.dumps({k: v for k, v in record.items() if v is not None})


def openai_native(custom_id: str, url: str = "/v1/chat/completions", method: str = "POST") -> str:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    return line(custom_id=custom_id, method=method, url=url, body=body)


# name -> (lines of the file, {provider: [(line, field), ...] every error expected})
CORPUS: dict[str, tuple[list[str], dict[str, list[tuple[int, str]]]]] = {
    "bad_json": (
        [chat("a"), '{"custom_id": "b", "messages": [', chat("c")],
        {"openai": [(2, "json")], "anthropic": [(2, "json")]},
    ),
    "missing_and_duplicate_ids": (
        [chat("a"), chat("b"), chat("a"), chat(None)],  # type: ignore[arg-type]
        {
            "openai": [(3, "custom_id"), (4, "custom_id")],
            "anthropic": [(3, "custom_id"), (4, "custom_id")],
        },
    ),
    "bad_role": (
        [chat("a"), chat("b", role="wizard")],
        {"openai": [(2, "messages[0].role")], "anthropic": [(2, "messages[0].role")]},
    ),
    "missing_model": (
        [chat("a"), chat("b", model=None)],
        {"openai": [(2, "model")], "anthropic": [(2, "model")]},
    ),
    "missing_max_tokens": (
        [chat("a", max_tokens=None)],
        {"openai": [], "anthropic": [(1, "max_tokens")]},
    ),
    "custom_id_characters": (
        [chat("has space!")],
        {"openai": [], "anthropic": [(1, "custom_id")]},
    ),
    "custom_id_too_long": (
        [chat("x" * 80)],
        {"openai": [], "anthropic": [(1, "custom_id")]},
    ),
    "temperature": (
        [chat("a", temperature=1.5), chat("b", temperature=7)],
        {"openai": [(2, "temperature")], "anthropic": [(1, "temperature"), (2, "temperature")]},
    ),
    "empty_messages": (
        [chat("a", messages=[])],
        {"openai": [(1, "messages")], "anthropic": [(1, "messages")]},
    ),
    "openai_native_bad_endpoint_and_method": (
        [openai_native("a", url="/v1/nowhere"), openai_native("b", method="GET")],
        {
            "openai": [(1, "url"), (2, "method")],
            "anthropic": [
                (1, "url"),
                (1, "body.max_tokens"),
                (2, "method"),
                (2, "body.max_tokens"),
            ],
        },
    ),
    "anthropic_native_without_params": (
        [
            line(
                custom_id="a",
                params={
                    "model": "claude-haiku-4-5",
                    "max_tokens": 8,
                    "messages": [{"role": "user", "content": "x"}],
                },
            ),
            line(custom_id="b"),
        ],
        {"openai": [(2, "params")], "anthropic": [(2, "params")]},
    ),
    "empty_file": ([], {"openai": [(0, "file")], "anthropic": [(0, "file")]}),
}


def write_case(work: Path, name: str, lines: list[str]) -> Path:
    path = work / f"{name}.jsonl"
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return path


def where(path: Path, line_no: int, field: str) -> str:
    return f"{path}:{line_no}: {field}: " if line_no else f"{path}: {field}: "


def error_lines(err: str, path: Path) -> list[str]:
    return [x for x in err.splitlines() if x.startswith(str(path)) and ": warning: " not in x]


CASES = [(name, kind) for name, (_, expected) in CORPUS.items() for kind in KINDS if expected[kind]]


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_validate_names_every_error(env: Env, name: str, kind: str) -> None:
    lines, expected = CORPUS[name]
    path = write_case(env.work, name, lines)
    run = env("validate", path, "--profile", kind)
    assert run.rc == 1, run.out + run.err
    errors = error_lines(run.err, path)
    for line_no, field in expected[kind]:
        assert any(x.startswith(where(path, line_no, field)) for x in errors), (
            f"no {where(path, line_no, field)!r} in:\n{run.err}"
        )
    assert len(errors) == len(expected[kind]), run.err
    assert f"{len(expected[kind])} error(s)" in run.out
    assert "Traceback" not in run.err
    if not lines:
        assert "0 requests" in run.out and "0 batch(es)" in run.out


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_submit_refuses_and_sends_nothing(env: Env, name: str, kind: str) -> None:
    lines, expected = CORPUS[name]
    path = write_case(env.work, name, lines)
    run = env("submit", path, "--profile", kind)
    assert run.rc == 1, run.out + run.err
    errors = error_lines(run.err, path)
    for line_no, field in expected[kind]:
        assert any(x.startswith(where(path, line_no, field)) for x in errors), run.err
    assert run.err.splitlines()[-1].startswith("batchtui: ")
    assert env.file_ids() == []
    assert env.batch_ids(kind) == []
    assert env.ok("list") == []


@pytest.mark.parametrize("kind", KINDS)
def test_valid_corpus_counterparts_pass(env: Env, kind: str) -> None:
    """The cases that are fine for one provider validate cleanly (the checks are not blanket)."""
    for name, (lines, expected) in CORPUS.items():
        if expected[kind]:
            continue
        path = write_case(env.work, name, lines)
        run = env("validate", path, "--profile", kind)
        assert run.rc == 0, (name, run.err)
        assert error_lines(run.err, path) == []


def test_every_problem_is_counted_beyond_the_cap(env: Env) -> None:
    path = write_case(env.work, "many", [chat(f"r{i}", role="robot") for i in range(250)])
    data = env("validate", path, "--profile", "anthropic", "--json")
    assert data.rc == 1
    report = json.loads(data.out)
    assert report["ok"] is False
    assert report["total_issues"] == 250
    assert 0 < len(report["issues"]) <= 250
    assert report["issues"][0].startswith(f"{path}:1: messages[0].role: ")


def test_submit_of_a_missing_file_is_a_usage_error(env: Env) -> None:
    run = env("submit", env.work / "nope.jsonl", "--profile", "openai")
    assert run.rc == 1
    assert "nope.jsonl" in run.err and len(run.err.strip().splitlines()) == 1
    assert env.file_ids() == []


def test_the_default_model_flag_fixes_a_missing_model(env: Env) -> None:
    path = write_case(env.work, "nomodel", [chat("a", model=None)])
    assert env("validate", path, "--profile", "openai").rc == 1
    assert env("validate", path, "--profile", "openai", "--model", "gpt-4o-mini").rc == 0
    job = env.ok("submit", path, "--profile", "openai", "--model", "gpt-4o-mini")
    assert job["model"] == "gpt-4o-mini"
    assert env.batch_ids("openai") == [job["id"]]


def test_good_line_helper_is_valid(env: Env) -> None:
    for kind in KINDS:
        path = write_case(env.work, f"good-{kind}", [GOOD[kind]])
        assert env("validate", path, "--profile", kind).rc == 0
