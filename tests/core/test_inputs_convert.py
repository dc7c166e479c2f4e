"""Conversion between neutral and native lines, and the native writer with splitting."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from batchtui.core.inputs import (
    LIMITS,
    InputFormat,
    InputValidationError,
    NativeFormatError,
    detect_format,
    encode_line,
    from_native,
    read_requests,
    to_native,
    validate_file,
    write_native,
)
from batchtui.core.models import BatchRequest

DATA = Path(__file__).parent / "data" / "inputs"
GOOD = DATA / "good"

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


def native_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("name", "provider"), [("openai.jsonl", "openai"), ("anthropic.jsonl", "anthropic")]
)
def test_native_to_neutral_to_native_is_identity(name: str, provider: str) -> None:
    for obj in native_lines(GOOD / name):
        assert to_native(from_native(obj, provider), provider) == obj


def test_neutral_round_trips() -> None:
    for _, request in read_requests(GOOD / "neutral.jsonl"):
        assert from_native(to_native(request, "anthropic"), "anthropic") == request
        via_openai = from_native(to_native(request, "openai"), "openai")
        assert via_openai.custom_id == request.custom_id
        assert via_openai.endpoint == "/v1/chat/completions"
        # The system prompt now lives in messages; converting again changes nothing.
        assert to_native(via_openai, "openai") == to_native(request, "openai")
        if "system" in request.body:
            assert via_openai.body["messages"][0] == {
                "role": "system",
                "content": request.body["system"],
            }


def test_from_native_refuses_bad_shapes() -> None:
    with pytest.raises(NativeFormatError, match="body"):
        from_native({"custom_id": "a", "url": "/v1/chat/completions"}, "openai")
    with pytest.raises(NativeFormatError, match="custom_id"):
        from_native({"params": {}}, "anthropic")
    with pytest.raises(NativeFormatError):
        from_native([1], "anthropic")
    with pytest.raises(ValueError, match="unknown provider"):
        to_native(CHAT, "nosuchai")


def test_encode_line_is_compact_utf8_and_escapes_line_separators() -> None:
    native = {"custom_id": "a", "params": {"messages": [{"content": "é\u2028x\u2029漢"}]}}
    data = encode_line(native)
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert b"\xe2\x80\xa8" not in data and b"\\u2028" in data
    assert "é".encode() in data
    assert json.loads(data) == native
    lone = {"custom_id": "a", "params": {"text": "\ud800"}}
    assert json.loads(encode_line(lone)) == lone


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_write_native_single_part(tmp_path: Path, provider: str) -> None:
    source = GOOD / "neutral.jsonl"
    parts = write_native(source, provider, tmp_path / "kept")
    (part,) = parts
    assert part.path == tmp_path / "kept" / f"neutral-{provider}.jsonl"
    data = part.path.read_bytes()
    assert part.sha256 == hashlib.sha256(data).hexdigest()
    assert part.bytes == len(data)
    assert part.requests == 3 and (part.first_line, part.last_line) == (1, 3)
    expected = [encode_line(to_native(r, provider)) for _, r in read_requests(source)]
    assert data == b"".join(expected)
    assert detect_format(part.path) is InputFormat(provider)
    assert validate_file(part.path, provider).ok
    assert parts.report.ok and parts.report.summary.parts[0].bytes == part.bytes
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == [part.path.name]


@pytest.mark.parametrize("source", ["anthropic_array.json", "openai.jsonl", "crlf_bom.jsonl"])
def test_write_native_from_other_formats_round_trips(tmp_path: Path, source: str) -> None:
    parts = write_native(GOOD / source, "anthropic", tmp_path, defaults={"max_tokens": 77})
    written = [from_native(obj, "anthropic") for obj in native_lines(parts[0].path)]
    original = [r for _, r in read_requests(GOOD / source, defaults={"max_tokens": 77})]
    assert [w.custom_id for w in written] == [o.custom_id for o in original]
    assert [w.body for w in written] == [to_native(o, "anthropic")["params"] for o in original]


def test_write_native_csv(tmp_path: Path) -> None:
    parts = write_native(
        GOOD / "prompts.csv",
        "openai",
        tmp_path,
        csv_template="Capital of {country}?",
        csv_id_column="id",
        defaults={"model": "gpt-4o-mini", "max_tokens": 5},
    )
    lines = native_lines(parts[0].path)
    assert [line["custom_id"] for line in lines] == ["c1", "c2", "c3"]
    assert lines[2]["body"]["messages"] == [{"role": "user", "content": "Capital of Poland?"}]


def _numbered(path: Path, count: int) -> list[str]:
    ids = [f"r{n:03d}" for n in range(count)]
    with path.open("w") as f:
        for cid in ids:
            f.write(
                json.dumps(
                    {
                        "custom_id": cid,
                        "model": "m",
                        "max_tokens": 4,
                        "messages": [{"role": "user", "content": "hello " * (len(cid) % 3)}],
                    }
                )
                + "\n"
            )
    return ids


def test_write_native_splits_by_count(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(LIMITS, "openai", LIMITS["openai"].with_(max_requests=4))
    source = tmp_path / "in.jsonl"
    ids = _numbered(source, 10)
    out = tmp_path / "out"
    parts = write_native(source, "openai", out)
    assert [p.path.name for p in parts] == [f"in-openai-00{i}.jsonl" for i in (1, 2, 3)]
    assert [p.requests for p in parts] == [4, 4, 2]
    assert [(p.first_line, p.last_line) for p in parts] == [(1, 4), (5, 8), (9, 10)]
    written = [obj["custom_id"] for p in parts for obj in native_lines(p.path)]
    assert written == ids
    for part in parts:
        data = part.path.read_bytes()
        assert part.sha256 == hashlib.sha256(data).hexdigest() and part.bytes == len(data)
    assert [p.as_dict() for p in parts.report.summary.parts] == [
        {
            "index": p.index,
            "first_line": p.first_line,
            "last_line": p.last_line,
            "requests": p.requests,
            "bytes": p.bytes,
        }
        for p in parts
    ]
    assert sorted(x.name for x in out.iterdir()) == [p.path.name for p in parts]


def test_write_native_splits_by_size_within_the_limit(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "in.jsonl"
    ids = _numbered(source, 12)
    line = encode_line(to_native(next(read_requests(source))[1], "anthropic"))
    base = LIMITS["anthropic"]
    limits = base.with_(max_bytes=3 * len(line) + base.part_overhead_bytes + 5)
    monkeypatch.setitem(LIMITS, "anthropic", limits)
    parts = write_native(source, "anthropic", tmp_path / "out", name="run")
    assert len(parts) > 3
    for part in parts:
        body = b'{"requests":[' + b",".join(part.path.read_bytes().splitlines()) + b"]}"
        assert len(body) <= limits.max_bytes
        assert part.requests <= limits.max_requests
    assert [obj["custom_id"] for p in parts for obj in native_lines(p.path)] == ids
    assert all(p.path.name.startswith("run-anthropic-") for p in parts)


def test_write_native_refuses_invalid_input_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputValidationError) as info:
        write_native(DATA / "broken" / "many_errors.jsonl", "anthropic", out)
    assert info.value.report.error_count == 11
    assert "many_errors.jsonl:2: json:" in str(info.value)
    assert list(out.iterdir()) == []


def test_write_native_without_split_refuses_over_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(LIMITS, "anthropic", LIMITS["anthropic"].with_(max_requests=3))
    source = tmp_path / "in.jsonl"
    _numbered(source, 7)
    out = tmp_path / "out"
    with pytest.raises(InputValidationError) as info:
        write_native(source, "anthropic", out, split=False)
    assert [i.code for i in info.value.report.issues] == ["over_limit"]
    assert list(out.iterdir()) == []
