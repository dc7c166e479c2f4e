"""File helpers for the results cache: complete-line prefixes, line iteration, atomic writes."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_stem(job_id: str) -> str:
    """A job id made safe as a file-name stem (provider ids already are; this guards the rest)."""
    stem = _UNSAFE.sub("_", job_id)
    return stem if stem.strip(".") else "_"


def complete_prefix(path: Path) -> int:
    """Length of the file up to and including its last newline (0 if missing or none)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with path.open("rb") as handle:
        end = size
        while end > 0:
            start = max(0, end - 65536)
            handle.seek(start)
            block = handle.read(end - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                return start + cut + 1
            end = start
    return 0


def iter_lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, line)`` for every complete, non-blank line in ``[start, end)``.

    The line excludes its newline and a trailing carriage return; a last line without a newline
    is not complete and is not yielded.
    """
    if end is None:
        end = complete_prefix(path)
    if end <= start:
        return
    with path.open("rb") as handle:
        handle.seek(start)
        position = start
        carry = b""
        while position < end:
            chunk = handle.read(min(CHUNK, end - position))
            if not chunk:
                break
            position += len(chunk)
            data = carry + chunk if carry else chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            offset = position - len(data)
            carry = data[cut + 1 :]
            for line in data[:cut].split(b"\n"):
                length = len(line)
                if line.endswith(b"\r"):
                    line = line[:-1]
                if line.strip():
                    yield offset, line
                offset += length + 1


def atomic_write(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace ``path`` with ``data`` so a reader sees the old or the new file, never a torn one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        if fsync:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)
