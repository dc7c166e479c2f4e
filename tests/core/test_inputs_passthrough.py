"""Native passthrough: a JSONL input already in the provider's format is written as its own
line bytes when nothing would change the line, and encoded again as before otherwise.

What the kept copy holds is what is uploaded and what its sha256 names: the same JSON values
either way; a copied line keeps the input's spelling (spaces, key order, escapes) but never its
blanks, CR, BOM or blank lines.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.inputs import (
    LIMITS,
    InputValidationError,
    encode_line,
    read_requests,
    to_native,
    write_native,
)
from batchtui.core.inputs import write as write_module
from batchtui.core.inputs.write import copied_line

URL = "/v1/chat/completions"


def openai_line(custom_id: str, text: str = "Hi", **body: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": URL,
        "body": {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": text}],
            "max_tokens": 16,
            **body,
        },
    }


def compact(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def rewritten(path: Path, provider: str = "openai", **kwargs: Any) -> bytes:
    """What the writer wrote before passthrough: every request encoded again."""
    return b"".join(
        encode_line(to_native(request, provider)) for _, request in read_requests(path, **kwargs)
    )


def the_part(path: Path, out: Path, **kwargs: Any) -> bytes:
    (part,) = write_native(path, "openai", out, **kwargs)
    data = part.path.read_bytes()
    assert part.sha256 == hashlib.sha256(data).hexdigest()
    assert part.bytes == len(data)
    return data


def test_a_compact_input_is_written_byte_for_byte_as_before(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(compact(openai_line(f"r{i}", f"caf\u00e9 {i}")) for i in range(5)))
    data = the_part(source, tmp_path / "out")
    assert data == source.read_bytes()
    assert data == rewritten(source)  # so its sha256 is the one earlier versions kept


def test_other_spellings_of_the_same_lines_are_copied_as_they_are(tmp_path: Path) -> None:
    lines = [
        json.dumps(openai_line("spaced")).encode(),  # ", " and ": ", \\u escapes
        json.dumps(openai_line("ascii", "caf\u00e9 \U0001f600")).encode(),
        b'{"body": {"max_tokens": 16, "messages": [{"content": "Hi", "role": "user"}], '
        b'"model": "gpt-4o-mini", "temperature": 0.70}, "url": "/v1/chat/completions", '
        b'"method": "POST", "custom_id": "reordered"}',
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    data = the_part(source, tmp_path / "out")
    assert data.splitlines() == lines
    # The same requests as the encoded lines of before, value for value.
    assert [json.loads(x) for x in data.splitlines()] == [
        json.loads(x) for x in rewritten(source).splitlines()
    ]


def test_bom_crlf_blanks_and_a_last_line_without_newline(tmp_path: Path) -> None:
    one, two, three = (compact(openai_line(f"r{i}"))[:-1] for i in range(3))
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b"\xef\xbb\xbf" + one + b"\r\n" + b"\r\n" + b"   \n" + b"  " + two + b" \t\r\n\n" + three
    )
    data = the_part(source, tmp_path / "out")
    assert data == one + b"\n" + two + b"\n" + three + b"\n"
    assert data == rewritten(source)


def test_line_and_paragraph_separators_are_escaped_as_the_encoder_escapes_them(
    tmp_path: Path,
) -> None:
    text = "one\u2028two\u2029three \u2014 done"
    source = tmp_path / "in.jsonl"
    source.write_bytes(compact(openai_line("sep", text)))
    data = the_part(source, tmp_path / "out")
    assert b"\\u2028" in data and b"\\u2029" in data and "\u2014".encode() in data
    assert len(data.decode().splitlines()) == 1
    assert json.loads(data)["body"]["messages"][0]["content"] == text
    assert data == rewritten(source)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1}\n',
        b'{"a":1}',
        b'  {"a": 1} \r\n',
        b'{"a":"\xe2\x80\xa8"}\n',
        b'{"a":"\xe2\x80\x94"}\n',
    ],
)
def test_copied_line_keeps_the_value(raw: bytes) -> None:
    line = copied_line(raw)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert line[:1] == b"{" and line[-2:] == b"}\n"
    assert json.loads(line) == json.loads(raw)


def test_defaults_rewrite_only_the_lines_they_change(tmp_path: Path) -> None:
    has_model = json.dumps(openai_line("has-model")).encode()
    no_model = openai_line("no-model")
    del no_model["body"]["model"]
    null_model = openai_line("null-model", model=None)
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        has_model + b"\n" + json.dumps(no_model).encode() + b"\n" + json.dumps(null_model).encode()
    )
    defaults = {"model": "gpt-4o-mini"}
    lines = the_part(source, tmp_path / "out", defaults=defaults).splitlines(keepends=True)
    assert lines[0] == has_model + b"\n"  # copied: the default changes nothing there
    expected = rewritten(source, defaults=defaults).splitlines(keepends=True)
    assert lines[1:] == expected[1:]  # encoded, with the default model filled in
    assert json.loads(lines[1])["body"]["model"] == "gpt-4o-mini"
    assert json.loads(lines[2])["body"]["model"] == "gpt-4o-mini"


def test_a_default_endpoint_rewrites_a_line_without_url(tmp_path: Path) -> None:
    line = openai_line("no-url")
    del line["url"]
    source = tmp_path / "in.jsonl"
    source.write_bytes(json.dumps(line).encode() + b"\n")
    data = the_part(source, tmp_path / "out", defaults={"endpoint": URL})
    assert data == rewritten(source, defaults={"endpoint": URL})
    assert json.loads(data)["url"] == URL


@pytest.mark.parametrize(
    "change",
    ["no method", "extra key", "system in body"],
)
def test_lines_the_writer_changes_are_encoded_as_before(tmp_path: Path, change: str) -> None:
    line = openai_line("x")
    if change == "no method":
        del line["method"]
    elif change == "extra key":
        line["note"] = "not an OpenAI field"
    else:
        line["body"]["system"] = "Be brief."
    source = tmp_path / "in.jsonl"
    source.write_bytes(json.dumps(line).encode() + b"\n")
    data = the_part(source, tmp_path / "out")
    assert data == rewritten(source)
    written = json.loads(data)
    assert written["method"] == "POST" and "note" not in written
    assert "system" not in written["body"]


def test_another_providers_format_is_still_converted(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(compact(openai_line(f"r{i}")) for i in range(3)))
    (part,) = write_native(source, "anthropic", tmp_path / "out", defaults={"max_tokens": 9})
    expected = b"".join(
        encode_line(to_native(r, "anthropic"))
        for _, r in read_requests(source, defaults={"max_tokens": 9})
    )
    assert part.path.read_bytes() == expected


def test_the_same_input_gives_the_same_sha256(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b"".join(json.dumps(openai_line(f"r{i}")).encode() + b"\n" for i in range(9))
    )
    first = write_native(source, "openai", tmp_path / "a")
    second = write_native(source, "openai", tmp_path / "b")
    assert [p.sha256 for p in first] == [p.sha256 for p in second]


def _many(path: Path, count: int) -> list[bytes]:
    lines = [
        json.dumps(openai_line(f"r{i:03d}", "hello " * (i % 7))).encode() for i in range(count)
    ]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    return lines


def test_splitting_by_count_and_size_measures_the_copied_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "in.jsonl"
    lines = _many(source, 40)
    cap = 5 * max(len(x) + 1 for x in lines)
    monkeypatch.setitem(
        LIMITS,
        "openai",
        LIMITS["openai"].with_(max_requests=7, max_bytes=cap, part_overhead_bytes=0),
    )
    parts = write_native(source, "openai", tmp_path / "out")
    assert len(parts) > 40 // 7
    written: list[bytes] = []
    for part in parts:
        data = part.path.read_bytes()
        assert part.sha256 == hashlib.sha256(data).hexdigest() and part.bytes == len(data)
        assert part.requests <= 7 and len(data) <= cap
        assert part.requests == data.count(b"\n")
        written += data.splitlines()
    assert written == lines  # every line copied once, in order, CR dropped
    assert [p.bytes for p in parts.report.summary.parts] == [p.bytes for p in parts]


def test_many_runs_through_the_writing_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_module, "FLUSH_BYTES", 300)
    monkeypatch.setattr(write_module, "SYNC_BYTES", 1000)
    monkeypatch.setattr(write_module, "MAX_IN_FLIGHT", 2)
    source = tmp_path / "in.jsonl"
    lines = _many(source, 60)
    seen: list[tuple[int, int]] = []
    data = the_part(
        source, tmp_path / "out", progress=lambda done, total: seen.append((done, total))
    )
    assert data.splitlines() == lines
    assert seen and seen[-1] == (source.stat().st_size,) * 2


def test_a_failed_data_sync_stops_the_pass_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_module, "FLUSH_BYTES", 300)
    monkeypatch.setattr(write_module, "SYNC_BYTES", 1000)
    synced: list[int] = []

    def failing(fd: int) -> None:
        synced.append(fd)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(write_module, "_datasync", failing)
    source = tmp_path / "in.jsonl"
    _many(source, 60)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="Input/output error"):
        write_native(source, "openai", out)
    assert synced  # the sync ran (on its own thread) and its error reached the caller
    assert list(out.iterdir()) == []


def test_a_validation_error_names_the_line_and_leaves_nothing(tmp_path: Path) -> None:
    good = [json.dumps(openai_line(f"r{i}")).encode() for i in range(4)]
    bad = openai_line("bad")
    bad["body"]["messages"][0]["role"] = "robot"
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join([*good[:2], json.dumps(bad).encode(), *good[2:]]) + b"\n")
    out = tmp_path / "out"
    with pytest.raises(InputValidationError) as caught:
        write_native(source, "openai", out)
    (issue,) = caught.value.report.errors
    assert (issue.path, issue.line, issue.field) == (str(source), 3, "body.messages[0].role")
    assert list(out.iterdir()) == []


def test_a_write_error_stops_the_pass_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_module, "FLUSH_BYTES", 300)

    def full(self: Any, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write_module._PartFile, "write", full)
    source = tmp_path / "in.jsonl"
    _many(source, 30)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space left"):
        write_native(source, "openai", out)
    assert list(out.iterdir()) == []


def _variants(fmt: Any) -> list[dict[str, Any]]:
    """Records of ``fmt``'s envelope: as written, and with one thing off each."""
    body = {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8}
    base: dict[str, Any] = {"custom_id": "r1"}
    if fmt.method is not None:
        base["method"] = fmt.method
    if fmt.endpoint_key is not None:
        base[fmt.endpoint_key] = "/v1/chat/completions"
    base[fmt.body_key] = body
    out = [base, {**base, "extra": 1}, {k: v for k, v in base.items() if k != "custom_id"}]
    out.append({**base, fmt.body_key: {**body, "system": "Be brief."}})
    out.append({**base, fmt.body_key: {**body, "max_tokens": 8.0}})
    if fmt.method is not None:
        out += [{**base, "method": "GET"}, {k: v for k, v in base.items() if k != "method"}]
    if fmt.endpoint_key is not None:
        key = fmt.endpoint_key
        out += [
            {**base, key: None},
            {**base, key: "/v1/responses"},
            {**base, key: "/v1/responses", fmt.body_key: {"model": "m", "input": "Hi"}},
            {**base, key: "/v1/embeddings", fmt.body_key: {"model": "m", "input": "Hi"}},
            {**{k: v for k, v in base.items() if k != key}, "other": "/v1/chat/completions"},
        ]
    return out


@pytest.mark.parametrize("provider", ["openai", "anthropic", "mistral"])
def test_the_quick_native_check_agrees_with_building_the_line(provider: str) -> None:
    from dataclasses import replace

    from batchtui.core.inputs.native import native_format
    from batchtui.core.models import BatchRequest

    fmt = native_format(provider)
    formats = [fmt]
    if fmt.endpoint_key is not None:  # an endpoint key with no default endpoint too
        formats.append(replace(fmt, default_endpoint=None))
    checked = 0
    for each in formats:
        for record in _variants(each):
            for endpoint in (None, "", "/v1/chat/completions", "/v1/responses"):
                for body in (record[each.body_key], {**record[each.body_key], "model": "n"}):
                    built = each.to_native(BatchRequest("r1", body, endpoint)) == record
                    assert each.is_native_line(record, "r1", body, endpoint) is built
                    checked += built
    assert checked  # some of them are native lines
