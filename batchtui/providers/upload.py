"""A batch input file sent as a multipart form, streamed from disk (the Files APIs of OpenAI,
Mistral and the OpenAI-compatible servers all take this shape)."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from batchtui.core.provider import BatchtuiError, ProgressCallback
from batchtui.providers.jsonl import read_chunks

UPLOAD_CHUNK = 1 << 20
"""Bytes read from disk and handed to the connection at a time: a quarter as many reads,
hand-offs to the reading thread and socket sends as 256 KiB chunks (~25 % less CPU for a
large upload)."""


def upload_filename(name: str) -> str:
    """An ASCII multipart filename ending in .jsonl (some APIs refuse batch files without it),
    made from the stem of ``name``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem).strip("._") or "batch"
    return f"{stem[:100]}.jsonl"


@dataclass(frozen=True)
class MultipartUpload:
    """The headers and a body factory of one upload; the body may be sent again (a retry reads
    the file from its start, so progress restarts)."""

    headers: dict[str, str]
    body: Callable[[], AsyncIterator[bytes]]


def multipart_upload(
    path: Path,
    *,
    fields: Mapping[str, str],
    filename: str,
    progress: ProgressCallback | None = None,
) -> MultipartUpload:
    """``fields`` then the file (``name="file"``) as ``multipart/form-data`` with a measured
    Content-Length; BatchtuiError when the file cannot be read or changes while it is sent."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BatchtuiError(f"cannot read {path}: {exc.strerror or exc}") from exc
    boundary = f"batchtui-{secrets.token_hex(16)}"
    head = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in fields.items()
        )
        + f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        sent = 0
        async for chunk in read_chunks(path, length=size, size=UPLOAD_CHUNK):
            sent += len(chunk)
            if progress is not None:
                progress(sent, size)
            yield chunk
        if sent != size:
            raise BatchtuiError(f"{path} changed while it was being uploaded")
        yield tail

    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail)),
    }
    return MultipartUpload(headers, body)
