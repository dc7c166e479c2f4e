"""The streaming JSONL line splitter and the chunked file reader."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

from batchtui.providers.jsonl import file_lines, read_chunks, split_lines, split_lines_sized


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _lines(*parts: bytes) -> list[bytes]:
    return [line async for line in split_lines(_chunks(*parts))]


async def test_splits_on_newline_only() -> None:
    assert await _lines(b"a\nb\nc\n") == [b"a", b"b", b"c"]


async def test_last_line_without_newline_is_kept() -> None:
    assert await _lines(b"a\nb") == [b"a", b"b"]


async def test_crlf_is_stripped_even_when_split_between_chunks() -> None:
    assert await _lines(b'{"a":1}\r', b'\n{"b":2}\r\n') == [b'{"a":1}', b'{"b":2}']


async def test_crlf_split_with_empty_chunk_between() -> None:
    assert await _lines(b"x\r", b"", b"\ny") == [b"x", b"y"]


async def test_line_spanning_many_chunks() -> None:
    line = b'{"text":"' + b"z" * 1000 + b'"}'
    parts = [line[i : i + 7] for i in range(0, len(line), 7)]
    assert await _lines(*parts, b"\n", b"tail") == [line, b"tail"]


async def test_unicode_line_separators_do_not_split() -> None:
    text = "one\u2028two\u2029three\x85four"
    raw = json.dumps({"t": text}, ensure_ascii=False).encode()
    lines = await _lines(raw[:5], raw[5:] + b"\n" + raw)
    assert len(lines) == 2
    assert json.loads(lines[0])["t"] == text
    assert json.loads(lines[1])["t"] == text


async def test_lone_carriage_return_inside_a_line_is_kept() -> None:
    assert await _lines(b"a\rb\n") == [b"a\rb"]


async def test_multibyte_utf8_split_between_chunks() -> None:
    raw = "café ☃\n".encode()
    assert await _lines(raw[:4], raw[4:6], raw[6:]) == ["café ☃".encode()]


async def test_empty_lines_are_yielded() -> None:
    assert await _lines(b"a\n\n\r\nb\n") == [b"a", b"", b"", b"b"]


async def test_empty_stream() -> None:
    assert await _lines() == []
    assert await _lines(b"") == []


async def test_read_chunks_honours_start_and_length(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 10)
    got = b"".join([c async for c in read_chunks(path, start=100, length=1000, size=64)])
    assert got == (bytes(range(256)) * 10)[100:1100]


async def test_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a":1}\r\n{"b":2}\n')
    assert [line async for line in file_lines(path)] == [b'{"a":1}', b'{"b":2}']


async def test_sized_split_counts_raw_bytes() -> None:
    raw = b'{"a":1}\r\n\n{"b":2}\n{"c":3}'
    got = [item async for item in split_lines_sized(_chunks(raw[:8], raw[8:]))]
    assert got == [(b'{"a":1}', 9), (b"", 1), (b'{"b":2}', 8), (b'{"c":3}', 7)]
    assert sum(size for _, size in got) == len(raw)
