"""Resumable streaming of a JSONL results download, line by line, with byte offsets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping

import httpx

from batchtui.core.models import ResultLine
from batchtui.core.provider import InvalidRequestError, ProgressCallback, ProviderError
from batchtui.providers.http import Transport, network_error
from batchtui.providers.jsonl import split_lines_sized

# ``ResultLine.end`` (the offset just past a line in the provider's stream, which differs from a
# count of ``len(data) + 1`` after a CRLF or a skipped blank line) is passed when core has it.

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _content_range(value: str | None) -> tuple[int, int | None] | None:
    """(first byte, full size or None) from a ``Content-Range`` header."""
    if not value:
        return None
    match = _CONTENT_RANGE.match(value.strip())
    if not match:
        return None
    size = match.group(3)
    return int(match.group(1)), (None if size == "*" else int(size))


async def stream_result_lines(
    transport: Transport,
    url: str,
    *,
    headers: Mapping[str, str],
    source: str,
    start: int = 0,
    progress: ProgressCallback | None = None,
) -> AsyncIterator[ResultLine]:
    """Yield the non-empty lines of a JSONL download from byte ``start`` on.

    Sends ``Range: bytes=start-``; a server that answers 200 with the whole body gets its first
    ``start`` bytes skipped here, and 416 (nothing past ``start``) ends the stream. Opening the
    download is retried like any idempotent call; a connection cut mid-body raises
    :class:`NetworkError` and drops the partial last line, so the caller can resume from the
    offset just past the last line it received (``ResultLine.end`` when core defines it).
    ``progress`` gets (bytes of this source done, its size).
    """
    request_headers = dict(headers)
    request_headers["Accept-Encoding"] = "identity"  # offsets must be offsets in the file
    if start > 0:
        request_headers["Range"] = f"bytes={start}-"
    try:
        response = await transport.request(
            "GET", url, headers=request_headers, idempotent=True, stream=True
        )
    except InvalidRequestError as exc:
        if exc.status_code == 416:
            return
        raise
    try:
        skip = start
        position = start
        total: int | None = None
        length = response.headers.get("content-length")
        if response.status_code == 206:
            found = _content_range(response.headers.get("content-range"))
            first, total = found if found else (start, None)
            if first > start:
                raise ProviderError(
                    f"server resumed the download at byte {first}, after the asked {start}",
                    provider=transport.provider,
                    status_code=206,
                )
            skip = start - first
            position = first
            if total is None and length and length.isdigit():
                total = first + int(length)
        elif length and length.isdigit():
            position = 0
            total = int(length)
        else:
            position = 0

        async def body() -> AsyncIterator[bytes]:
            nonlocal skip, position
            async for chunk in response.aiter_bytes():
                position += len(chunk)
                if skip:
                    if len(chunk) <= skip:
                        skip -= len(chunk)
                        continue
                    chunk = chunk[skip:]
                    skip = 0
                if progress is not None:
                    progress(position, total)
                yield chunk

        try:
            end = start
            async for line, size in split_lines_sized(body()):
                end += size
                if line.strip():
                    yield ResultLine(source=source, data=line, end=end)
        except httpx.RequestError as exc:
            raise network_error(transport.provider, url, exc) from exc
    finally:
        await response.aclose()
