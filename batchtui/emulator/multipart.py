"""A streaming multipart/form-data parser: file parts go to disk, never whole into memory."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from batchtui.emulator.httpio import BodyReader

READ_SIZE = 256 * 1024
MAX_HEADER_BYTES = 16 * 1024


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass
class Part:
    """One form field; file parts have a path on disk, plain fields a value."""

    name: str
    filename: str | None = None
    content_type: str | None = None
    value: bytes = b""
    path: Path | None = None
    size: int = 0
    over_limit: bool = False


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type header."""
    m = re.search(r'boundary=(?:"([^"]+)"|([^;\s]+))', content_type, re.I)
    if not m or not content_type.lower().startswith("multipart/form-data"):
        raise MultipartError("Content-Type must be multipart/form-data with a boundary")
    return (m.group(1) or m.group(2)).encode("latin-1")


def _disposition(headers: dict[str, str]) -> tuple[str, str | None]:
    value = headers.get("content-disposition", "")
    name_m = re.search(r'(?:^|;)\s*name="((?:[^"\\]|\\.)*)"', value)
    if not name_m:
        name_m = re.search(r"(?:^|;)\s*name=([^;]+)", value)
    if not name_m:
        raise MultipartError("part without a name")
    filename: str | None = None
    star = re.search(r"filename\*=(?:[\w-]+)?'[^']*'([^;]+)", value)
    plain = re.search(r'filename="((?:[^"\\]|\\.)*)"', value)
    if star:
        filename = unquote(star.group(1).strip())
    elif plain:
        filename = plain.group(1).replace('\\"', '"')
    return name_m.group(1), filename


class _Stream:
    """A byte buffer over a BodyReader."""

    def __init__(self, reader: BodyReader) -> None:
        self.reader = reader
        self.buf = b""
        self.eof = False

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.reader.read(READ_SIZE)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True


def parse_multipart(
    reader: BodyReader,
    content_type: str,
    tmpdir: Path,
    file_limit: int,
    field_limit: int = 1024 * 1024,
) -> dict[str, Part]:
    """Parse the body; file parts beyond file_limit bytes stop being written (over_limit)."""
    boundary = boundary_of(content_type)
    delim = b"--" + boundary
    stream = _Stream(reader)
    parts: dict[str, Part] = {}
    # Preamble: up to the first delimiter.
    while (idx := stream.buf.find(delim)) < 0:
        if len(stream.buf) > len(delim):
            stream.buf = stream.buf[-len(delim) :]
        if not stream.fill():
            raise MultipartError("no multipart boundary found")
    stream.buf = stream.buf[idx + len(delim) :]
    marker = b"\r\n" + delim
    while True:
        while len(stream.buf) < 2 and stream.fill():
            pass
        if stream.buf.startswith(b"--"):
            reader.drain()
            return parts
        if stream.buf.startswith(b"\r\n"):
            stream.buf = stream.buf[2:]
        # Part headers.
        while (end := stream.buf.find(b"\r\n\r\n")) < 0:
            if len(stream.buf) > MAX_HEADER_BYTES or not stream.fill():
                raise MultipartError("malformed part headers")
        header_block = stream.buf[:end].decode("utf-8", "replace")
        stream.buf = stream.buf[end + 4 :]
        headers: dict[str, str] = {}
        for line in header_block.split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        name, filename = _disposition(headers)
        part = Part(name=name, filename=filename, content_type=headers.get("content-type"))
        sink = None
        if filename is not None:
            fd, path = tempfile.mkstemp(dir=tmpdir, suffix=".upload")
            part.path = Path(path)
            sink = open(fd, "wb")  # noqa: SIM115 - closed below
        try:
            while True:
                idx = stream.buf.find(marker)
                if idx >= 0:
                    _emit(part, sink, stream.buf[:idx], file_limit, field_limit)
                    stream.buf = stream.buf[idx + len(marker) :]
                    break
                keep = len(marker) - 1
                if len(stream.buf) > keep:
                    _emit(part, sink, stream.buf[:-keep], file_limit, field_limit)
                    stream.buf = stream.buf[-keep:]
                if not stream.fill():
                    raise MultipartError("multipart body ended inside a part")
        finally:
            if sink is not None:
                sink.close()
        old = parts.get(name)
        if old is not None and old.path is not None:
            old.path.unlink(missing_ok=True)
        parts[name] = part


def _emit(part: Part, sink: object, data: bytes, file_limit: int, field_limit: int) -> None:
    if not data:
        return
    part.size += len(data)
    if sink is not None:
        if part.size <= file_limit:
            sink.write(data)  # type: ignore[attr-defined]
        else:
            part.over_limit = True
    elif part.size <= field_limit:
        part.value += data
    else:
        part.over_limit = True
