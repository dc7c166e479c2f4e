"""Format detection and the streaming readers of batchtui.core.inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.inputs import (
    InputFileError,
    InputFormat,
    PromptTemplate,
    detect_format,
    read_requests,
)
from batchtui.core.inputs import records as records_mod
from batchtui.core.models import BatchRequest

DATA = Path(__file__).parent / "data" / "inputs"
GOOD = DATA / "good"


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of ``path`` where ``needle`` first appears."""
    for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        if needle.encode() in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("neutral.jsonl", InputFormat.NEUTRAL),
        ("openai.jsonl", InputFormat.OPENAI),
        ("anthropic.jsonl", InputFormat.ANTHROPIC),
        ("anthropic_array.json", InputFormat.ANTHROPIC_JSON),
        ("anthropic_wrapped.json", InputFormat.ANTHROPIC_JSON),
        ("prompts.csv", InputFormat.CSV),
        ("prompts.tsv", InputFormat.CSV),
        ("crlf_bom.jsonl", InputFormat.NEUTRAL),
    ],
)
def test_detect_format_of_each_kind(name: str, expected: InputFormat) -> None:
    assert detect_format(GOOD / name) is expected


def test_detect_format_skips_blank_lines_and_ignores_extension(tmp_path: Path) -> None:
    path = tmp_path / "requests.txt"
    path.write_text('\n\n  {"custom_id": "a", "params": {"max_tokens": 1}}\n')
    assert detect_format(path) is InputFormat.ANTHROPIC
    path.write_text('{"custom_id": "a", "method": "POST", "url": "/v1/embeddings"}\n')
    assert detect_format(path) is InputFormat.OPENAI


def test_detect_format_pretty_printed_wrapper(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text('{\n  "requests": [\n  ]\n}\n')
    assert detect_format(path) is InputFormat.ANTHROPIC_JSON


def test_detect_format_first_line_longer_than_the_head(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    record = {
        "custom_id": "a",
        "params": {"messages": [{"role": "user", "content": "x" * 1_200_000}]},
    }
    path.write_text(json.dumps(record) + "\n")
    assert detect_format(path) is InputFormat.ANTHROPIC


def test_input_format_parse_aliases_and_errors() -> None:
    assert InputFormat.parse("anthropic_json") is InputFormat.ANTHROPIC_JSON
    assert InputFormat.parse("JSONL") is InputFormat.NEUTRAL
    assert InputFormat.parse(InputFormat.CSV) is InputFormat.CSV
    with pytest.raises(ValueError, match="unknown input format"):
        InputFormat.parse("yaml")


def test_read_neutral_keeps_params_and_drops_envelope() -> None:
    got = list(read_requests(GOOD / "neutral.jsonl"))
    assert [line for line, _ in got] == [1, 2, 3]
    first = got[0][1]
    assert first == BatchRequest(
        "q-1",
        {
            "model": "gpt-4o-mini",
            "system": "Answer in one word.",
            "messages": [{"role": "user", "content": "Capital of France?"}],
            "max_tokens": 16,
            "temperature": 0.0,
        },
        None,
    )
    assert got[2][1].body["top_p"] == 0.9


def test_read_openai_keeps_url_as_endpoint() -> None:
    got = list(read_requests(GOOD / "openai.jsonl"))
    assert [r.custom_id for _, r in got] == ["o-1", "o-2", "o-3"]
    native = json.loads((GOOD / "openai.jsonl").read_text().splitlines()[0])
    assert got[0][1] == BatchRequest("o-1", native["body"], "/v1/chat/completions")


@pytest.mark.parametrize(
    "name", ["anthropic.jsonl", "anthropic_array.json", "anthropic_wrapped.json"]
)
def test_read_anthropic_containers(name: str) -> None:
    path = GOOD / name
    got = list(read_requests(path))
    assert [r.custom_id for _, r in got] == ["a-1", "a-2", "a-3"]
    lines = path.read_text().split("\n")
    for line, request in got:
        # The line where the item starts: the custom_id's own line, or the "{" just above it.
        id_line = line_of(path, f'"custom_id": "{request.custom_id}"')
        assert line == (id_line - 1 if lines[id_line - 2].strip() == "{" else id_line)
        assert request.endpoint is None
        assert request.body["model"] == "claude-haiku-4-5"
        assert request.body["max_tokens"] == 100


def test_anthropic_override_reads_either_container() -> None:
    jsonl = [r for _, r in read_requests(GOOD / "anthropic.jsonl", "anthropic-json")]
    array = [r for _, r in read_requests(GOOD / "anthropic_array.json", "anthropic")]
    assert [r.custom_id for r in jsonl] == [r.custom_id for r in array]


def test_json_array_streams_across_tiny_chunks(tmp_path: Path, monkeypatch) -> None:
    items = [
        {
            "custom_id": f"id-{i}",
            "params": {
                "model": "m",
                "max_tokens": 5,
                "messages": [{"role": "user", "content": text}],
            },
        }
        for i, text in enumerate(
            ['has ] and , and "quotes"', "漢字 and é and 😀", "tail\\", "x" * 300, "\u2028"]
        )
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"requests": items}, ensure_ascii=False, indent=1))
    expected = [(it["custom_id"], it["params"]) for it in items]
    for chunk in (1, 3, 7, 64):
        monkeypatch.setattr(records_mod, "CHUNK", chunk)
        got = [(r.custom_id, r.body) for _, r in read_requests(path)]
        assert got == expected, chunk


def test_crlf_bom_blank_lines_and_line_separators_in_strings() -> None:
    path = GOOD / "crlf_bom.jsonl"
    got = list(read_requests(path))
    assert [(line, r.custom_id) for line, r in got] == [(1, "crlf-1"), (3, "crlf-2"), (4, "crlf-3")]
    assert got[1][1].body["messages"][0]["content"] == "line one\u2028line two\u2029end"
    for _, request in got:
        assert "\r" not in json.dumps(request.body)


def test_u2028_does_not_shift_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    good = {"custom_id": "a", "model": "m", "messages": [{"role": "user", "content": "a\u2028b"}]}
    path.write_bytes(json.dumps(good, ensure_ascii=False).encode() + b"\n{broken\n")
    reader = read_requests(path)
    assert next(reader)[0] == 1
    with pytest.raises(InputFileError) as info:
        next(reader)
    assert info.value.issue.line == 2
    assert str(info.value).startswith(f"{path}:2: json: invalid JSON")


def test_reader_raises_on_records_that_are_not_requests(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text('{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions"}\n')
    with pytest.raises(InputFileError, match=r"o\.jsonl:1: body: missing"):
        list(read_requests(path))
    path.write_text('{"model": "m", "messages": []}\n')
    with pytest.raises(InputFileError, match="custom_id"):
        list(read_requests(path, "neutral"))


def test_reader_defaults_fill_only_what_is_missing() -> None:
    got = [
        r
        for _, r in read_requests(
            GOOD / "neutral.jsonl",
            defaults={"model": "other", "max_tokens": 999, "seed": 7, "endpoint": "/v1/responses"},
        )
    ]
    assert {r.body["model"] for r in got} == {"gpt-4o-mini"}
    assert [r.body["max_tokens"] for r in got] == [16, 16, 8]
    assert {r.body["seed"] for r in got} == {7}
    assert {r.endpoint for r in got} == {"/v1/responses"}


def test_csv_template_with_id_column_quoted_newlines_and_blank_rows() -> None:
    got = list(
        read_requests(
            GOOD / "prompts.csv",
            csv_template="Capital of {country}? ({city})",
            csv_id_column="id",
            csv_system="One word.",
            defaults={"model": "gpt-4o-mini", "max_tokens": 10},
        )
    )
    assert [(line, r.custom_id) for line, r in got] == [(2, "c1"), (3, "c2"), (6, "c3")]
    assert got[1][1].body == {
        "system": "One word.",
        "messages": [{"role": "user", "content": "Capital of Brazil? (Rio de\nJaneiro)"}],
        "model": "gpt-4o-mini",
        "max_tokens": 10,
    }
    assert got[2][1].body["messages"][0]["content"] == "Capital of Poland? (Kraków)"


def test_tsv_generated_ids_and_literal_braces() -> None:
    got = list(
        read_requests(GOOD / "prompts.tsv", csv_template='{{"say": "{word}", "in": "{lang}"}}')
    )
    assert [r.custom_id for _, r in got] == ["row-000001", "row-000002"]
    assert json.loads(got[0][1].body["messages"][0]["content"]) == {"say": "hello", "in": "French"}


def test_csv_prompt_column_is_the_default_template(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("prompt\nfirst\nsecond\n")
    assert [r.body["messages"][0]["content"] for _, r in read_requests(path)] == ["first", "second"]
    path.write_text("question\nfirst\n")
    with pytest.raises(InputFileError, match="needs a prompt template"):
        list(read_requests(path))


def test_csv_missing_placeholder_is_reported_with_the_header() -> None:
    with pytest.raises(InputFileError) as info:
        list(read_requests(DATA / "broken" / "csv_placeholder.csv", csv_template="About {subject}"))
    assert info.value.issue.line == 1
    assert info.value.issue.field == "template"
    assert "{subject}" in info.value.issue.message and "name, topic" in info.value.issue.message


def test_prompt_template_parsing() -> None:
    template = PromptTemplate.parse("{a} and {{b}} and {c d}{a}")
    assert template.columns == ("a", "c d", "a")
    assert template.render({"a": "1", "c d": "2"}) == "1 and {b} and 21"
