"""The inputs package finds every provider fact through the registry: a provider registered
with its own native format and limits is detected, read, validated and written like the
bundled ones, and the core's input code names no provider."""

from __future__ import annotations

import ast
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from spec_helpers import spec_for_tests

from batchtui.core.inputs import (
    LIMITS,
    EnvelopeFormat,
    InputFormat,
    ProviderLimits,
    detect_format,
    from_native,
    limits_for,
    native_format,
    read_requests,
    to_native,
    validate_file,
    write_native,
)
from batchtui.core.inputs.limits import MB
from batchtui.core.models import BatchRequest
from batchtui.core.registry import ProviderSpec, provider_names, registered

PACKAGE = Path(__file__).resolve().parents[2] / "batchtui"


def _contents(body: dict[str, Any], endpoint: str | None) -> dict[str, Any]:
    """The fake wire body: messages are called contents."""
    out = dict(body)
    if "messages" in out:
        out["contents"] = out.pop("messages")
    return out


def _no_shouting(body: dict[str, Any], endpoint: str) -> list[tuple[str, str, str]]:
    model = body.get("model")
    if isinstance(model, str) and model.isupper():
        return [("model", "must be lower case", "shouting_model")]
    return []


FAKE_FORMAT = EnvelopeFormat(
    name="fakebatch",
    body_key="request",
    detect_keys=(frozenset({"request"}),),
    endpoint_key="path",
    default_endpoint="/v9/generate",
    native_body=_contents,
)
FAKE_LIMITS = ProviderLimits(
    provider="fakebatch",
    max_requests=3,
    max_bytes=1 * MB,
    part_overhead_bytes=0,
    custom_id_max_len=8,
    custom_id_pattern=None,
    long_custom_id_is_error=True,
    endpoints=frozenset({"/v9/generate"}),
    default_endpoint="/v9/generate",
    roles=frozenset({"user", "model"}),
    temperature_max=0.5,
    max_tokens_required=False,
    one_model_per_batch=False,
    one_endpoint_per_batch=False,
    chat_endpoints=frozenset({"/v9/generate"}),
    extra_check=_no_shouting,
)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderSpec]:
    """A provider registered in-process, its format and limits in a module of its own."""
    module = types.ModuleType("fakebatch_inputs")
    module.FORMAT = FAKE_FORMAT  # type: ignore[attr-defined]
    module.LIMITS = FAKE_LIMITS  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fakebatch_inputs", module)
    spec = spec_for_tests(
        "fakebatch",
        title="Fake Batch",
        inputs="fakebatch_inputs:FORMAT",
        limits="fakebatch_inputs:LIMITS",
        order=50,
    )
    with registered(spec):
        yield spec


def _line(custom_id: str, role: str = "user", **extra: Any) -> str:
    request = {"model": "fake-1", "messages": [{"role": role, "content": "hello"}], **extra}
    return json.dumps({"custom_id": custom_id, "request": request})


def test_a_registered_format_is_an_input_format(fake: ProviderSpec, tmp_path: Path) -> None:
    assert InputFormat.FAKEBATCH is InputFormat("fakebatch") is InputFormat.parse("FakeBatch")
    assert InputFormat.FAKEBATCH.native is FAKE_FORMAT and InputFormat.FAKEBATCH.is_jsonl
    assert [str(f) for f in InputFormat][-2:] == ["fakebatch", "csv"]
    assert native_format("fakebatch") is FAKE_FORMAT and limits_for("fakebatch") is FAKE_LIMITS
    path = tmp_path / "fake.jsonl"
    path.write_text(_line("a") + "\n" + _line("b") + "\n")
    assert detect_format(path) is InputFormat.FAKEBATCH
    got = [r for _, r in read_requests(path)]
    assert got[0] == BatchRequest(
        "a", {"model": "fake-1", "messages": [{"role": "user", "content": "hello"}]}, None
    )


def test_a_registered_provider_validates_with_its_own_rules(
    fake: ProviderSpec, tmp_path: Path
) -> None:
    path = tmp_path / "fake.jsonl"
    lines = [
        _line("a"),
        _line("b", role="assistant"),
        _line("c" * 9),
        _line("d", temperature=0.9),
        json.dumps({"custom_id": "e", "request": {"model": "LOUD", "messages": []}}),
        json.dumps({"custom_id": "f", "path": "/v1/chat/completions", "request": {}}),
    ]
    path.write_text("".join(x + "\n" for x in lines))
    report = validate_file(path, "fakebatch")
    assert {(i.line, i.field, i.code) for i in report.issues} == {
        (2, "request.messages[0].role", "bad_role"),
        (3, "custom_id", "custom_id_too_long"),
        (4, "request.temperature", "temperature_range"),
        (5, "request.messages", "empty_messages"),
        (5, "request.model", "shouting_model"),
        (6, "path", "bad_endpoint"),
        (6, "request.model", "missing_model"),
        (6, "request.messages", "missing_messages"),
    }
    messages = {i.code: i.message for i in report.issues}
    assert messages["custom_id_too_long"] == "is 9 characters; Fake Batch allows at most 8"
    assert messages["temperature_range"] == "0.9 is outside 0..0.5 accepted by Fake Batch"
    assert "Fake Batch batches take (one of: /v9/generate)" in messages["bad_endpoint"]
    # The bundled providers read the fake's file, and the fake reads theirs.
    assert validate_file(path, "anthropic").summary.requests == 6
    good = Path(__file__).parent / "data" / "inputs" / "good" / "openai.jsonl"
    assert validate_file(good, "fakebatch").summary.requests == 3


def test_a_registered_provider_writes_its_native_lines(fake: ProviderSpec, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(
            json.dumps(
                {"custom_id": f"r{n}", "model": "m", "messages": [{"role": "user", "content": "x"}]}
            )
            + "\n"
            for n in range(5)
        )
    )
    parts = write_native(source, "fakebatch", tmp_path / "out")
    assert [p.path.name for p in parts] == ["in-fakebatch-001.jsonl", "in-fakebatch-002.jsonl"]
    assert [p.requests for p in parts] == [3, 2]
    first = json.loads(parts[0].path.read_text().splitlines()[0])
    assert first == {
        "custom_id": "r0",
        "path": "/v9/generate",
        "request": {"model": "m", "contents": [{"role": "user", "content": "x"}]},
    }
    assert from_native(first, "fakebatch") == BatchRequest("r0", first["request"], "/v9/generate")
    assert to_native(from_native(first, "fakebatch"), "fakebatch") == first


def test_a_provider_without_an_input_format_is_refused(tmp_path: Path) -> None:
    with registered(spec_for_tests("noinputs")):
        assert "noinputs" in provider_names() and "noinputs" not in list(LIMITS)
        path = tmp_path / "in.jsonl"
        path.write_text(_line("a") + "\n")
        with pytest.raises(ValueError, match="unknown provider 'noinputs'"):
            validate_file(path, "noinputs")
        with pytest.raises(ValueError, match="unknown provider 'noinputs'"):
            to_native(BatchRequest("a", {}), "noinputs")


def test_setting_back_a_providers_own_limits_drops_the_override() -> None:
    own = LIMITS["openai"]
    LIMITS["openai"] = own.with_(max_requests=1)
    try:
        assert limits_for("openai").max_requests == 1
    finally:
        LIMITS["openai"] = own
    assert limits_for("openai") is own
    assert "openai" not in LIMITS._set  # type: ignore[attr-defined]


def test_validation_looks_providers_up_per_file_not_per_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[str] = []
    real = ProviderSpec.load
    monkeypatch.setattr(
        ProviderSpec, "load", lambda self, ref: loads.append(ref) or real(self, ref)
    )
    counts = []
    for size in (2, 500):
        path = tmp_path / f"{size}.jsonl"
        path.write_text(
            "".join(
                json.dumps(
                    {
                        "custom_id": f"r{n}",
                        "model": "m",
                        "max_tokens": 3,
                        "messages": [{"role": "user", "content": "x"}],
                    }
                )
                + "\n"
                for n in range(size)
            )
        )
        for provider in ("openai", "anthropic"):
            loads.clear()
            assert validate_file(path, provider).ok
            write_native(path, provider, tmp_path / f"out-{size}-{provider}")
            counts.append((provider, len(loads)))
    assert counts[:2] == counts[2:]


def _named(tree: ast.AST, names: tuple[str, ...]) -> list[tuple[int, str]]:
    """Identifiers and strings (docstrings left out) that name one of ``names``."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.alias):
            text = node.name
        else:
            continue
        if any(name in text.lower() for name in names):
            found.append((getattr(node, "lineno", 0), text))
    return found


def test_the_core_input_code_names_no_provider() -> None:
    names = tuple(n for n in provider_names() if len(n) > 3)
    assert {"openai", "anthropic"} <= set(names)
    files = [*sorted((PACKAGE / "core" / "inputs").glob("*.py")), PACKAGE / "core" / "estimates.py"]
    bad = {
        path.name: hits
        for path in files
        if (hits := _named(ast.parse(path.read_text(encoding="utf-8")), names))
    }
    assert bad == {}
