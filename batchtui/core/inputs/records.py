"""Low-level streaming of raw records out of an input file, one parsed JSON value at a time.

Every source yields ``(line, size, index, value)``: the 1-based physical line where the
record starts, its size in bytes, its position in a JSON array (None for JSONL and CSV), and
the parsed value or a ``Problem`` when the record could not be parsed.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from batchtui.core.jsonline import DECODE_ERRORS, fast_loads

BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 20
PROGRESS_EVERY = 4 << 20

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, total bytes of the file)."""

Record = tuple[int, int, "int | None", Any]

LineRecord = tuple[int, int, bytes, Any]
"""``(line, size, raw, value)`` of `iter_jsonl_lines`: ``raw`` is the line's own bytes."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A record that could not be parsed; ``fatal`` means nothing after it can be read."""

    field: str
    message: str
    code: str
    fatal: bool = False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_decode = _DECODER.decode
_raw_decode = _DECODER.raw_decode


def _json_problem(exc: ValueError) -> Problem:
    if isinstance(exc, UnicodeDecodeError):
        return Problem("json", f"not valid UTF-8 at byte {exc.start}", "invalid_utf8")
    if isinstance(exc, json.JSONDecodeError):
        return Problem("json", f"invalid JSON: {exc.msg} (column {exc.colno})", "invalid_json")
    return Problem("json", f"invalid JSON: {exc}", "invalid_json")


def iter_jsonl(f: BinaryIO, total: int, progress: Progress | None = None) -> Iterator[Record]:
    """Yield one record per non-blank line, splitting on ``\\n`` bytes only.

    ``\\r\\n`` endings are whitespace to the JSON parser; U+2028/U+2029 inside strings are
    never line breaks here. Lines are read one at a time, never the whole file.

    Each line is decoded by msgspec (same strict rules, a few times faster); a line it refuses
    is decoded again by the stdlib, whose verdict and message stand (it also takes a few lines
    msgspec does not, such as numbers beyond float range).
    """
    line_no = 0
    done = 0
    next_report = PROGRESS_EVERY
    decode = _decode
    fast = fast_loads
    refused = DECODE_ERRORS
    for raw in f:
        line_no += 1
        size = len(raw)
        done += size
        if progress is not None and done >= next_report:
            progress(done, total)
            next_report = done + PROGRESS_EVERY
        if line_no == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        try:
            value = fast(raw)
        except refused:
            try:
                value = decode(raw.decode("utf-8"))
            except ValueError as exc:
                if not raw.isspace():
                    yield line_no, size, None, _json_problem(exc)
                continue
        yield line_no, size, None, value
    if progress is not None:
        progress(done, total)


def iter_jsonl_lines(
    f: BinaryIO, total: int, progress: Progress | None = None
) -> Iterator[LineRecord]:
    """`iter_jsonl` that also gives each record's bytes: ``(line, size, raw, value)``.

    ``raw`` is the line as read (newline and any blanks around the value included, a leading
    BOM removed); for a ``Problem`` it is empty. The writer copies the raw line of a request
    that needs no rewriting instead of encoding it again (see ``write.py``). A loop of its own
    so that validation alone (`iter_jsonl`) carries nothing for it.
    """
    line_no = 0
    done = 0
    next_report = PROGRESS_EVERY
    decode = _decode
    fast = fast_loads
    refused = DECODE_ERRORS
    for raw in f:
        line_no += 1
        size = len(raw)
        done += size
        if progress is not None and done >= next_report:
            progress(done, total)
            next_report = done + PROGRESS_EVERY
        if line_no == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        try:
            value = fast(raw)
        except refused:
            try:
                value = decode(raw.decode("utf-8"))
            except ValueError as exc:
                if not raw.isspace():
                    yield line_no, size, b"", _json_problem(exc)
                continue
        yield line_no, size, raw, value
    if progress is not None:
        progress(done, total)


_WS = re.compile(r"[ \t\r\n]*")


class _Fatal(Exception):
    """Stop reading a JSON document: it cannot be parsed past this point."""

    def __init__(self, message: str, code: str = "invalid_json") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _TextStream:
    """A growing window of decoded text over a binary file, with the line number at ``pos``."""

    def __init__(self, f: BinaryIO, total: int, progress: Progress | None) -> None:
        self.f = f
        self.total = total
        self.progress = progress
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.done = 0
        self.next_report = PROGRESS_EVERY
        self.first = True
        self.chars = 0  # characters decoded so far (for the bytes-per-character ratio)
        self.ascii = True  # the window holds only ASCII, so a character is a byte

    def fill(self) -> bool:
        """Read more text (at least as much as is pending, so big items cost linear time)."""
        if self.eof:
            return False
        if self.pos:
            self.buf = self.buf[self.pos :]
            self.pos = 0
        data = self.f.read(max(CHUNK, len(self.buf)))
        self.done += len(data)
        if self.progress is not None and (not data or self.done >= self.next_report):
            self.progress(self.done, self.total)
            self.next_report = self.done + PROGRESS_EVERY
        if self.first:
            self.first = False
            if data.startswith(BOM):
                data = data[len(BOM) :]
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise _Fatal(
                f"not valid UTF-8 near byte {self.done - len(data) + exc.start}", "invalid_utf8"
            ) from None
        if not data:
            self.eof = True
        self.chars += len(text)
        self.buf += text
        self.ascii = self.buf.isascii()
        return bool(text) or not self.eof

    def advance(self, end: int) -> None:
        self.line += self.buf.count("\n", self.pos, end)
        self.pos = end

    def peek(self) -> str:
        """Skip whitespace and return the next character, or "" at the end of the file."""
        pos = self.pos
        if pos < len(self.buf) and self.buf[pos] not in " \t\r\n":
            return self.buf[pos]
        while True:
            # _WS matches the empty string too, so match() never gives None here.
            self.advance(_WS.match(self.buf, self.pos).end())  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def expect(self, chars: str, what: str) -> str:
        ch = self.peek()
        if not ch or ch not in chars:
            found = "end of file" if not ch else repr(ch)
            raise _Fatal(f"invalid JSON: expected {what}, found {found}")
        self.advance(self.pos + 1)
        return ch

    def value(self) -> tuple[Any, int]:
        """Decode the JSON value at the cursor, reading more until it is complete.

        Returns the value and its size in bytes: exact for ASCII text, otherwise estimated
        from the average bytes per character read so far (the writer measures real sizes).
        """
        self.peek()
        while True:
            try:
                value, end = _raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                incomplete = len(self.buf) - exc.pos <= 64 or exc.msg.startswith(
                    "Unterminated string"
                )
                if incomplete and not self.eof:
                    self.fill()
                    continue
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                if exc.pos >= len(self.buf) and self.eof:
                    raise _Fatal("invalid JSON: unexpected end of file") from None
                raise _Fatal(f"invalid JSON: {exc.msg} (line {line})") from None
            except ValueError as exc:  # NaN/Infinity
                raise _Fatal(f"invalid JSON: {exc}") from None
            size = end - self.pos
            if not self.ascii:  # estimate: the file's average bytes per character so far
                size = -(-size * self.done // max(self.chars, 1))
            self.advance(end)
            return value, size


def iter_json_requests(
    f: BinaryIO, total: int, progress: Progress | None = None
) -> Iterator[Record]:
    """Stream the items of ``[...]`` or ``{"requests": [...]}`` without loading the document.

    Items are decoded one at a time from a sliding text window (memory stays around one item
    plus a megabyte). After a syntax error nothing further can be trusted, so a fatal
    ``Problem`` ends the stream.
    """
    s = _TextStream(f, total, progress)
    last_line = 1
    try:
        ch = s.peek()
        if not ch:
            return
        if ch == "[":
            s.advance(s.pos + 1)
            yield from _items(s)
        elif ch == "{":
            s.advance(s.pos + 1)
            found = False
            if s.peek() != "}":
                while True:
                    if s.peek() != '"':
                        raise _Fatal("invalid JSON: expected a key string")
                    key, _ = s.value()
                    s.expect(":", "':'")
                    if key == "requests" and not found:
                        found = True
                        s.expect("[", "'[' after \"requests\":")
                        yield from _items(s)
                    else:
                        s.value()
                    if s.expect(",}", "',' or '}'") == "}":
                        break
            else:
                s.advance(s.pos + 1)
            if not found:
                yield (
                    s.line,
                    0,
                    None,
                    Problem(
                        "requests", 'the JSON object has no "requests" array', "no_requests", True
                    ),
                )
                return
        else:
            raise _Fatal(
                'expected a JSON array of requests or an object with a "requests" array',
                "not_array",
            )
        last_line = s.line
        if s.peek():
            raise _Fatal("invalid JSON: extra data after the end of the document")
    except _Fatal as exc:
        yield max(s.line, last_line), 0, None, Problem("json", exc.message, exc.code, True)


def _items(s: _TextStream) -> Iterator[Record]:
    if s.peek() == "]":
        s.advance(s.pos + 1)
        return
    index = 0
    while True:
        s.peek()
        line = s.line
        value, size = s.value()
        yield line, size, index, value
        index += 1
        if s.expect(",]", "',' or ']'") == "]":
            return
        if s.peek() == "]":
            raise _Fatal("invalid JSON: trailing comma before ']'")
