"""Each bundled provider's input format and rules: its native line (detection, reading,
conversion from and to the neutral request) and the validation rules its limits give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.inputs import (
    LIMITS,
    InputFormat,
    NativeFormatError,
    Severity,
    native_format,
    to_native,
    validate_file,
)
from batchtui.core.inputs.native import Shape
from batchtui.core.models import BatchRequest
from batchtui.core.registry import provider_spec
from batchtui.providers.anthropic import inputs as anthropic_inputs
from batchtui.providers.anthropic import limits as anthropic_limits
from batchtui.providers.openai import inputs as openai_inputs
from batchtui.providers.openai import limits as openai_limits

DATA = Path(__file__).resolve().parents[1] / "core" / "data" / "inputs"
GOOD = DATA / "good"
BROKEN = DATA / "broken"

CHAT = BatchRequest(
    "req-1",
    {
        "model": "m",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 20,
        "temperature": 0.5,
    },
)


@pytest.mark.parametrize(
    ("name", "inputs", "limits"),
    [("openai", openai_inputs, openai_limits), ("anthropic", anthropic_inputs, anthropic_limits)],
)
def test_the_spec_reaches_the_package_format_and_limits(name: str, inputs, limits) -> None:
    spec = provider_spec(name)
    assert spec.load(spec.inputs) is inputs.NATIVE is native_format(name)
    assert spec.load(spec.limits) is limits.LIMITS is LIMITS[name]
    assert inputs.NATIVE.name == limits.LIMITS.provider == name
    assert InputFormat(name).native is inputs.NATIVE


def test_the_formats_each_provider_gives() -> None:
    assert InputFormat.OPENAI == "openai" and InputFormat.OPENAI.native is openai_inputs.NATIVE
    assert InputFormat.ANTHROPIC.native is anthropic_inputs.NATIVE
    assert InputFormat.ANTHROPIC_JSON.native is anthropic_inputs.NATIVE
    assert InputFormat.ANTHROPIC_JSON.is_document and not InputFormat.ANTHROPIC.is_document
    assert [str(f) for f in InputFormat] == [
        "neutral",
        "openai",
        "anthropic",
        "anthropic-json",
        "gemini",
        "mistral",  # Together's {custom_id, body} lines are read with Mistral's format
        "csv",
    ]
    assert InputFormat.parse("anthropic-jsonl") is InputFormat.ANTHROPIC
    assert InputFormat.parse("json") is InputFormat.ANTHROPIC_JSON


def test_openai_line_is_split_into_its_parts() -> None:
    body = {"model": "m", "messages": []}
    line = {"custom_id": "a", "method": "GET", "url": "/v1/embeddings", "body": body}
    custom_id, got, endpoint, method = openai_inputs.NATIVE.split(line, False)
    assert (custom_id, got, endpoint, method) == ("a", body, "/v1/embeddings", "GET")
    assert got is body and openai_inputs.NATIVE.split(line, True)[1] is not body
    with pytest.raises(Shape) as info:
        openai_inputs.NATIVE.split({"custom_id": "a", "body": "text"}, True)
    assert (info.value.field, info.value.code) == ("body", "bad_body")
    with pytest.raises(Shape) as info:
        openai_inputs.NATIVE.split([1], True)
    assert info.value.code == "not_object"


def test_anthropic_line_is_split_into_its_parts() -> None:
    params = {"model": "m", "max_tokens": 3}
    line = {"custom_id": "a", "params": params, "url": "/ignored", "method": "GET"}
    assert anthropic_inputs.NATIVE.split(line, True) == ("a", params, None, None)
    with pytest.raises(Shape) as info:
        anthropic_inputs.NATIVE.split({"custom_id": "a"}, True)
    assert (info.value.field, info.value.message, info.value.code) == (
        "params",
        "missing",
        "missing_params",
    )


def test_native_lines_read_back_exactly() -> None:
    line = {"custom_id": "x", "method": "POST", "url": "/v1/responses", "body": {"input": "hi"}}
    request = openai_inputs.NATIVE.from_native(line)
    assert request == BatchRequest("x", {"input": "hi"}, "/v1/responses")
    assert openai_inputs.NATIVE.to_native(request) == line
    with pytest.raises(NativeFormatError, match="url: must be a string"):
        openai_inputs.NATIVE.from_native({**line, "url": 3})
    params = {"model": "m", "system": "s", "max_tokens": 1, "messages": []}
    request = anthropic_inputs.NATIVE.from_native({"custom_id": "y", "params": params})
    assert request == BatchRequest("y", params, None)
    with pytest.raises(NativeFormatError, match="params: missing or not an object"):
        anthropic_inputs.NATIVE.from_native({"custom_id": "y", "params": []})


def test_anthropic_runs_every_request_as_messages(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    rows = [
        {"custom_id": "a", "endpoint": "/v1/chat/completions"},
        {"custom_id": "b", "endpoint": "/v1/embeddings"},
    ]
    chat = {"model": "m", "max_tokens": 2, "messages": [{"role": "user", "content": "x"}]}
    path.write_text("".join(json.dumps({**row, **chat}) + "\n" for row in rows))
    report = validate_file(path, "anthropic")
    assert [(i.line, i.field, i.code) for i in report.issues] == [(2, "endpoint", "bad_endpoint")]
    assert report.issues[0].message == (
        "'/v1/embeddings': Anthropic batches run Messages requests only"
    )
    assert report.summary.endpoints == {"/v1/messages": 2}
    openai = validate_file(path, "openai")
    # OpenAI runs each on the endpoint it names: one batch, one endpoint; embeddings take input.
    assert [(i.line, i.code) for i in openai.issues] == [(2, "url_mismatch"), (2, "missing_input")]
    assert openai.summary.endpoints == {"/v1/chat/completions": 1, "/v1/embeddings": 1}


def test_openai_endpoint_rules(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    rows = [
        {"custom_id": "a", "endpoint": "/v1/moderations", "input": "x"},
        {"custom_id": "b", "endpoint": "/v1/nowhere", "model": "m"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = validate_file(path, "openai")
    assert {(i.line, i.field, i.code) for i in report.issues} == {(2, "endpoint", "bad_endpoint")}
    assert report.issues[0].message.startswith(
        "'/v1/nowhere' is not an endpoint OpenAI batches take (one of: /v1/chat/completions, "
    )
    responses = tmp_path / "responses.jsonl"
    responses.write_text(json.dumps({"custom_id": "c", "model": "m", "endpoint": "/v1/responses"}))
    assert [(i.field, i.code) for i in validate_file(responses, "openai").issues] == [
        ("input", "missing_input")
    ]


def test_openai_tool_calls_may_omit_content_and_anthropic_system_takes_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.jsonl"
    row = {
        "custom_id": "a",
        "model": "m",
        "max_tokens": 5,
        "messages": [
            {"role": "system", "content": [{"type": "image", "source": {}}]},
            {"role": "user", "content": "x"},
            {"role": "assistant", "tool_calls": [{"id": "t"}]},
        ],
    }
    path.write_text(json.dumps(row) + "\n")
    assert validate_file(path, "openai").ok
    issues = validate_file(path, "anthropic").issues
    assert [(i.field, i.code) for i in issues] == [
        ("messages[0].content[0]", "bad_content"),
        ("messages[2].content", "bad_content"),
    ]


def test_anthropic_custom_id_message_names_the_rule() -> None:
    report = validate_file(BROKEN / "invalid_custom_id.jsonl", "anthropic")
    assert report.issues[0].message.endswith(
        "may only contain letters, digits, '_' and '-' (Anthropic requires ^[a-zA-Z0-9_-]{1,64}$)"
    )


def test_to_native_openai_moves_system_into_messages() -> None:
    before = json.dumps(CHAT.body)
    native = to_native(CHAT, "openai")
    assert native == {
        "custom_id": "req-1",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "m",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
            ],
            "max_tokens": 20,
            "temperature": 0.5,
        },
    }
    assert json.dumps(CHAT.body) == before  # the request is not changed


def test_to_native_openai_system_blocks_and_responses_endpoint() -> None:
    blocks = BatchRequest(
        "b",
        {
            "model": "m",
            "system": [{"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": "Hi"}],
        },
    )
    first = to_native(blocks, "openai")["body"]["messages"][0]
    assert first == {"role": "system", "content": [{"type": "text", "text": "S"}]}
    responses = to_native(BatchRequest("r", CHAT.body, "/v1/responses"), "openai")
    assert responses["url"] == "/v1/responses"
    assert responses["body"] == {
        "model": "m",
        "instructions": "Be brief.",
        "input": [{"role": "user", "content": "Hi"}],
        "max_output_tokens": 20,
        "temperature": 0.5,
    }


def test_to_native_anthropic_keeps_system_top_level() -> None:
    assert to_native(CHAT, "anthropic") == {"custom_id": "req-1", "params": CHAT.body}
    mapped = to_native(BatchRequest("x", {"model": "m", "max_completion_tokens": 9}), "anthropic")
    assert mapped["params"] == {"model": "m", "max_tokens": 9}


def test_provider_specific_rules() -> None:
    # OpenAI documents no custom_id rule: a long id is a warning, odd characters are fine.
    report = validate_file(BROKEN / "long_custom_id.jsonl", "openai")
    assert report.ok
    assert [(i.line, i.code, i.severity) for i in report.issues] == [
        (2, "custom_id_too_long", Severity.WARNING)
    ]
    assert "warning: " in str(report.issues[0])
    assert validate_file(BROKEN / "invalid_custom_id.jsonl", "openai").ok
    # Anthropic takes mixed models and has no max_tokens-free requests.
    assert validate_file(BROKEN / "model_mismatch.jsonl", "anthropic").ok
    assert validate_file(BROKEN / "missing_max_tokens.jsonl", "openai").ok
    # Temperature 1.5 is fine for OpenAI (0..2), not for Anthropic (0..1).
    codes = {
        (i.line, i.code) for i in validate_file(BROKEN / "temperature_range.jsonl", "openai").issues
    }
    assert (1, "temperature_range") not in codes and (3, "temperature_range") in codes
    # A developer message is an OpenAI role only.
    roles = validate_file(BROKEN / "bad_role.jsonl", "openai")
    assert {i.line for i in roles.issues} == {1, 2}
