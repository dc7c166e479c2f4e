"""Streamed export of result rows to JSONL or CSV, optionally joined to their requests."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

from batchtui.core.models import BatchResult, Outcome, ResultError, ResultLine
from batchtui.core.results.classify import UNPARSEABLE
from batchtui.core.results.files import iter_lines
from batchtui.core.results.index import ParseFn, ResultIndex

RESULT_COLUMNS = ("custom_id", "outcome", "flag", "text", "usage", "error", "job_id", "raw")
"""Columns of an exported result (docs/ARCHITECTURE.md, "Headless JSON contract")."""

ExportFormat = Literal["jsonl", "csv"]
Item = tuple[ResultIndex, int, str]
"""One exported row: its index, its row number there, and the job id to report."""

_FIRST_KEY = re.compile(rb'\A\s*\{\s*"custom_id"\s*:\s*"([^"\\]*)"')


def _custom_id_key(obj: Any) -> Any:
    return obj.get("custom_id") if isinstance(obj, dict) else None


class RequestLookup(Mapping[str, Any]):
    """custom_id -> request of a kept native input JSONL, holding only byte offsets in memory.

    Reads one line per lookup; the values are the native request objects of the input's
    provider. ``id_of(obj)`` names a line's custom_id (default: its ``custom_id`` key; a
    provider's format may keep it under another key) and raises or returns None for a line
    that is not a request.
    """

    def __init__(self, path: Path | str, id_of: Callable[[Any], Any] | None = None) -> None:
        self.path = Path(path)
        self.id_of = id_of or _custom_id_key
        self._where: dict[str, tuple[int, int]] = {}
        for offset, line in iter_lines(self.path):
            match = _FIRST_KEY.match(line) if id_of is None else None
            if match is not None:
                custom_id = match.group(1).decode()
            else:
                try:
                    custom_id = self.id_of(json.loads(line))
                except (ValueError, LookupError, TypeError, AttributeError):
                    continue
                if not isinstance(custom_id, str):
                    continue
            self._where.setdefault(custom_id, (offset, len(line)))
        self._handle: IO[bytes] | None = None

    def raw(self, custom_id: str) -> bytes | None:
        """The request's line as it is in the input file, or None."""
        where = self._where.get(custom_id)
        if where is None:
            return None
        if self._handle is None:
            self._handle = self.path.open("rb")
        self._handle.seek(where[0])
        return self._handle.read(where[1])

    def __getitem__(self, custom_id: str) -> Any:
        data = self.raw(custom_id)
        if data is None:
            raise KeyError(custom_id)
        return json.loads(data)

    def __contains__(self, custom_id: object) -> bool:
        return custom_id in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _request_raw(join: Mapping[str, Any], custom_id: str) -> bytes | None:
    if isinstance(join, RequestLookup):
        return join.raw(custom_id)
    value = join.get(custom_id)
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    return json.dumps(value, ensure_ascii=False).encode()


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


def _parse(index: ResultIndex, row: int, raw: bytes, parse: ParseFn) -> tuple[BatchResult, bool]:
    """The parsed result and whether ``raw`` is JSON; a line the parser rejects stays exportable."""
    try:
        result = parse(ResultLine(source=index.source(row), data=raw))
    except (ValueError, KeyError, TypeError, AttributeError):
        result = BatchResult(
            custom_id=index.custom_id(row),
            outcome=index.outcome(row),
            flag=index.flag(row),
            error=ResultError(
                type=index.error_type(row) or UNPARSEABLE,
                code=None,
                message="the provider's line could not be read",
            ),
        )
    return result, bool(result.raw) or _is_json(raw)


def result_record(result: BatchResult, job_id: str | None) -> dict[str, Any]:
    """The export columns of one result, except ``raw``."""
    return {
        "custom_id": result.custom_id,
        "outcome": Outcome(result.outcome).value,
        "flag": result.flag.value if result.flag is not None else None,
        "text": result.text,
        "usage": result.usage.as_dict() if result.usage is not None else None,
        "error": result.error.as_dict() if result.error is not None else None,
        "job_id": job_id,
    }


def _jsonl_line(record: dict[str, Any], raw: bytes, raw_is_json: bool) -> bytes:
    head = json.dumps(record, ensure_ascii=False)[:-1].encode()
    if not raw_is_json:
        raw = json.dumps(raw.decode("utf-8", "replace"), ensure_ascii=False).encode()
    return head + b', "raw": ' + raw + b"}"


@contextmanager
def _open_out(out: Path | str | IO[Any], binary: bool) -> Iterator[IO[Any]]:
    if isinstance(out, str | Path):
        if binary:
            with Path(out).open("wb") as handle:
                yield handle
        else:
            with Path(out).open("w", encoding="utf-8", newline="") as handle:
                yield handle
    else:
        yield out


def _is_text(handle: IO[Any]) -> bool:
    return isinstance(handle, io.TextIOBase) or "b" not in getattr(handle, "mode", "b")


def write_jsonl(
    items: Iterable[Item],
    out: Path | str | IO[Any],
    *,
    parse: ParseFn,
    join: Mapping[str, Any] | None = None,
) -> int:
    """Write one export line per item (or ``{"request", "result"}`` lines with ``join``)."""
    written = 0
    with _open_out(out, binary=True) as handle:
        text = _is_text(handle)
        for index, row, job_id in items:
            raw = index.get_line(row)
            result, raw_is_json = _parse(index, row, raw, parse)
            line = _jsonl_line(result_record(result, job_id), raw, raw_is_json)
            if join is not None:
                request = _request_raw(join, result.custom_id) or b"null"
                line = b'{"request": ' + request + b', "result": ' + line + b"}"
            line += b"\n"
            handle.write(line.decode("utf-8", "replace") if text else line)
            written += 1
    return written


def write_csv(
    items: Iterable[Item],
    out: Path | str | IO[str],
    *,
    parse: ParseFn,
    join: Mapping[str, Any] | None = None,
    request_columns: Sequence[str] = (),
    request_row: Callable[[Any], Mapping[str, Any]] | None = None,
) -> int:
    """Write a header and one CSV row per item; usage, error and raw are JSON strings.

    With ``join``, the request comes first: as its own columns when ``request_columns`` and
    ``request_row`` (request object -> column values) are given, else as one ``request``
    column holding its JSON.
    """
    own_columns = bool(request_columns) and request_row is not None
    header: list[str] = []
    if join is not None:
        header.extend(request_columns if own_columns else ["request"])
    header.extend(RESULT_COLUMNS)
    written = 0
    with _open_out(out, binary=False) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for index, row, job_id in items:
            raw = index.get_line(row)
            result, _raw_is_json = _parse(index, row, raw, parse)
            record = result_record(result, job_id)
            cells: list[Any] = []
            if join is not None:
                request = _request_raw(join, result.custom_id)
                if own_columns and request_row is not None:
                    values = request_row(json.loads(request)) if request is not None else {}
                    cells.extend(_cell(values.get(column)) for column in request_columns)
                else:
                    cells.append(request.decode("utf-8", "replace") if request is not None else "")
            cells.extend(
                [
                    record["custom_id"],
                    record["outcome"],
                    record["flag"] or "",
                    record["text"] or "",
                    _cell(record["usage"]),
                    _cell(record["error"]),
                    record["job_id"] or "",
                    raw.decode("utf-8", "replace"),
                ]
            )
            writer.writerow(cells)
            written += 1
    return written


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def export_rows(
    index: ResultIndex,
    rows: Iterable[int],
    out: Path | str | IO[Any],
    *,
    parse: ParseFn,
    format: ExportFormat = "jsonl",
    job_id: str | None = None,
    join: Mapping[str, Any] | None = None,
    request_columns: Sequence[str] = (),
    request_row: Callable[[Any], Mapping[str, Any]] | None = None,
) -> int:
    """Export the given rows of one job's index (e.g. a filter's result); returns rows written."""
    job = job_id if job_id is not None else index.results.job_id
    items = ((index, row, job) for row in rows)
    if format == "jsonl":
        return write_jsonl(items, out, parse=parse, join=join)
    if format == "csv":
        return write_csv(
            items,
            out,
            parse=parse,
            join=join,
            request_columns=request_columns,
            request_row=request_row,
        )
    raise ValueError(f"unknown export format {format!r} (use jsonl or csv)")
