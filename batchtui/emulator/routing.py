"""Helpers shared by both providers' routes: JSON bodies, paging limits, ranges, downloads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from batchtui.emulator.errors import ApiError
from batchtui.emulator.httpio import Request, Response


def json_body(request: Request, limit: int, *, too_large: ApiError | None = None) -> Any:
    """The request body parsed as JSON; 400 when it is not JSON, too_large over limit bytes."""
    raw = request.body.read_all(limit)
    if raw is None:
        raise too_large or ApiError(413, "Request body too large.")
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(
            400,
            "We could not parse the JSON body of your request. The request body must be valid "
            "JSON.",
        ) from exc


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; 400 naming it otherwise."""
    text = request.query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(
            400,
            f"Invalid '{name}': must be an integer between {low} and {high}.",
            param=name,
            code="invalid_value",
        )
    return value


_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z")


def file_response(request: Request, path: Path, size: int, content_type: str) -> Response:
    """Stream a file from disk, honouring `Range: bytes=N-` / `bytes=N-M` (206)."""
    resp = Response(
        file_path=path,
        file_length=size,
        content_type=content_type,
        downloadable=True,
        headers={"Accept-Ranges": "bytes"},
    )
    spec = request.header("Range").strip()
    if not spec:
        return resp
    m = _RANGE.match(spec.replace(" ", ""))
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return resp  # unsupported forms are ignored, as RFC 9110 allows
    if m.group(1) == "":  # suffix range: last N bytes
        start = max(size - int(m.group(2)), 0)
        end = size - 1
    else:
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    if start >= size or end < start:
        raise ApiError(
            416,
            "Requested range not satisfiable.",
            headers={"Content-Range": f"bytes */{size}"},
        )
    resp.status = 206
    resp.file_offset = start
    resp.file_length = end - start + 1
    resp.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return resp


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> int:
    """Write lines as JSONL (one compact object per line); returns the byte size."""
    with open(path, "wb") as fh:
        for line in lines:
            fh.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
    return path.stat().st_size
