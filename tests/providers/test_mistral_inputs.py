"""Mistral's native line ``{custom_id, body}``: spec wiring, conversion both ways, detection,
and the validation rules its limits give."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import batchtui.core.inputs.formats as formats
from batchtui.core.inputs import (
    LIMITS,
    InputFormat,
    NativeFormatError,
    native_format,
    validate_file,
)
from batchtui.core.inputs.convert import from_native, to_native
from batchtui.core.inputs.formats import detect_format
from batchtui.core.inputs.native import native_formats
from batchtui.core.inputs.write import write_native
from batchtui.core.models import BatchRequest
from batchtui.core.registry import provider_spec
from batchtui.providers.mistral import inputs as mistral_inputs
from batchtui.providers.mistral import limits as mistral_limits
from batchtui.providers.openai import inputs as openai_inputs

GOOD = Path(__file__).resolve().parents[1] / "core" / "data" / "inputs" / "good"

CHAT = BatchRequest(
    "req-1",
    {
        "model": "mistral-small-latest",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_completion_tokens": 20,
        "temperature": 0.5,
    },
)


def test_the_spec_reaches_the_package_format_and_limits() -> None:
    spec = provider_spec("mistral")
    assert spec.load(spec.inputs) is mistral_inputs.NATIVE is native_format("mistral")
    assert spec.load(spec.limits) is mistral_limits.LIMITS is LIMITS["mistral"]
    assert InputFormat("mistral").native is mistral_inputs.NATIVE
    assert not InputFormat("mistral").is_document


def test_neutral_to_mistral() -> None:
    assert to_native(CHAT, "mistral") == {
        "custom_id": "req-1",
        "body": {
            "model": "mistral-small-latest",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
            ],
            "temperature": 0.5,
            "max_tokens": 20,
        },
    }
    assert CHAT.body["system"] == "Be brief."  # the neutral request is not changed


def test_system_blocks_keep_text_only_and_other_bodies_stay() -> None:
    blocks = BatchRequest(
        "b",
        {
            "system": [{"type": "text", "text": "A", "cache_control": {"type": "ephemeral"}}],
            "messages": [],
            "max_tokens": 5,
            "max_completion_tokens": 9,
        },
    )
    body = to_native(blocks, "mistral")["body"]
    assert body["messages"] == [{"role": "system", "content": [{"type": "text", "text": "A"}]}]
    assert body["max_tokens"] == 5 and body["max_completion_tokens"] == 9
    embed = BatchRequest("e", {"model": "mistral-embed", "input": ["x"], "system": "kept"})
    assert to_native(embed, "mistral") == {"custom_id": "e", "body": dict(embed.body)}


def test_native_round_trip_is_the_identity() -> None:
    native = {
        "custom_id": "n1",
        "body": {"max_tokens": 100, "messages": [{"role": "user", "content": "cheese?"}]},
    }
    request = from_native(native, "mistral")
    assert request == BatchRequest("n1", native["body"], None)
    assert to_native(request, "mistral") == native
    again = from_native(to_native(CHAT, "mistral"), "mistral")
    assert to_native(again, "mistral") == to_native(CHAT, "mistral")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"body": {}}, "custom_id"),
        ({"custom_id": "a"}, "body"),
        ({"custom_id": "a", "body": []}, "body"),
        ([], "object"),
    ],
)
def test_bad_native_lines(line: Any, message: str) -> None:
    with pytest.raises(NativeFormatError, match=message):
        from_native(line, "mistral")


def test_detect_keys_do_not_take_anthropic_lines() -> None:
    (keys,) = mistral_inputs.NATIVE.detect_keys
    assert keys <= {"custom_id", "body"}
    assert not keys <= {"custom_id", "params"}


def test_openai_files_stay_openai(tmp_path: Path) -> None:
    path = tmp_path / "openai.jsonl"
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}
    path.write_text(json.dumps(line) + "\n")
    assert detect_format(path) is InputFormat.OPENAI
    assert detect_format(GOOD / "openai.jsonl") is InputFormat.OPENAI


def test_a_body_line_is_mistrals_once_openai_detects_by_method_and_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With OpenAI recognised by its method and url (the change docs/providers/mistral.md asks
    of openai/inputs.py), a ``{custom_id, body}`` line is Mistral's and OpenAI's stay OpenAI's."""
    narrowed = dataclasses.replace(
        openai_inputs.NATIVE, detect_keys=(frozenset({"url", "method"}), frozenset({"url"}))
    )
    found = [narrowed if f is openai_inputs.NATIVE else f for f in native_formats()]
    monkeypatch.setattr(formats, "native_formats", lambda: found)
    mistral = tmp_path / "mistral.jsonl"
    mistral.write_text(json.dumps({"custom_id": "a", "body": {"messages": []}}) + "\n")
    assert detect_format(mistral) is InputFormat("mistral")
    assert detect_format(GOOD / "openai.jsonl") is InputFormat.OPENAI
    assert detect_format(GOOD / "anthropic.jsonl") is InputFormat.ANTHROPIC


def test_neutral_file_written_for_mistral_validates(tmp_path: Path) -> None:
    (part,) = write_native(GOOD / "neutral.jsonl", "mistral", tmp_path)
    first = json.loads(part.path.read_bytes().splitlines()[0])
    assert set(first) == {"custom_id", "body"}
    assert first["body"]["messages"][0]["role"] == "system"
    assert validate_file(part.path, "mistral", fmt="mistral").ok


def _write(path: Path, bodies: list[dict[str, Any]]) -> Path:
    lines = [{"custom_id": f"r{i}", "body": b} for i, b in enumerate(bodies)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _codes(path: Path) -> set[str]:
    report = validate_file(path, "mistral", fmt="mistral")
    return {issue.code for issue in report.issues}


def test_limits_refuse_what_mistral_refuses(tmp_path: Path) -> None:
    user = [{"role": "user", "content": "hi"}]
    good = _write(tmp_path / "good.jsonl", [{"model": "m", "messages": user}] * 2)
    assert validate_file(good, "mistral", fmt="mistral").ok
    hot = _write(tmp_path / "hot.jsonl", [{"model": "m", "messages": user, "temperature": 2.0}])
    assert not validate_file(hot, "mistral", fmt="mistral").ok
    role = _write(
        tmp_path / "role.jsonl",
        [{"model": "m", "messages": [{"role": "developer", "content": "x"}]}],
    )
    assert not validate_file(role, "mistral", fmt="mistral").ok
    mixed = _write(
        tmp_path / "mixed.jsonl",
        [{"model": "a", "messages": user}, {"model": "b", "messages": user}],
    )
    assert not validate_file(mixed, "mistral", fmt="mistral").ok
    assert _codes(hot) and _codes(role) and _codes(mixed)


def test_limits_values() -> None:
    limits = mistral_limits.LIMITS
    assert (limits.max_requests, limits.max_bytes) == (100_000, 512_000_000)
    assert limits.default_endpoint == "/v1/chat/completions" and len(limits.endpoints) == 10
    assert limits.roles == {"system", "user", "assistant", "tool"}
