"""Streaming readers: any supported input file -> ``(line, BatchRequest)`` in the neutral form."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from batchtui.core.inputs.csvtemplate import iter_csv
from batchtui.core.inputs.formats import InputFormat, detect_format
from batchtui.core.inputs.issues import InputFileError, InputIssue
from batchtui.core.inputs.native import Shape, Split, Splitter, not_object
from batchtui.core.inputs.records import (
    Problem,
    Progress,
    Record,
    iter_json_requests,
    iter_jsonl,
)
from batchtui.core.models import BatchRequest

BUFFER = 1 << 20
NEUTRAL_RESERVED = ("custom_id", "endpoint")


def body_prefix(fmt: InputFormat) -> str:
    """Where the request parameters sit inside a record of ``fmt`` (for issue field paths)."""
    native = fmt.native
    return "" if native is None else native.body_key + "."


def endpoint_field(fmt: InputFormat) -> str:
    """The field of a record of ``fmt`` that names its endpoint (for issue field paths)."""
    native = fmt.native
    return "endpoint" if native is None or native.endpoint_key is None else native.endpoint_key


def item_prefix(index: int | None) -> str:
    """The field-path prefix of the ``index``-th item of a JSON array (empty for JSONL)."""
    return "" if index is None else f"requests[{index}]."


def _split_neutral(obj: Any, copy: bool) -> Split:
    if obj.__class__ is not dict:
        raise not_object(obj)
    if not copy:
        return obj.get("custom_id"), obj, obj.get("endpoint"), None
    body = dict(obj)
    custom_id = body.pop("custom_id", None)
    endpoint = body.pop("endpoint", None)
    return custom_id, body, endpoint, None


def splitter_for(fmt: InputFormat) -> Splitter:
    """The function that takes records of ``fmt`` apart (see ``split_record``)."""
    native = fmt.native
    return _split_neutral if native is None else native.split


def split_record(fmt: InputFormat, obj: Any, *, copy: bool = True) -> Split:
    """Take one parsed record apart into (custom_id, body, endpoint, method).

    Raises ``Shape`` when the record is not an object or lacks its body object. The
    custom_id, endpoint and method are returned as found (checked by the validator). The body
    is a copy; with ``copy=False`` it may be the record itself (a neutral record then still
    holds its ``custom_id``), which saves a copy when nothing will change or keep it.
    """
    return splitter_for(fmt)(obj, copy)


def apply_defaults(
    body: dict[str, Any], endpoint: Any, defaults: Mapping[str, Any] | None
) -> tuple[dict[str, Any], Any]:
    """Fill parameters the record lacks (or sets to null) from ``defaults``.

    The key ``endpoint`` is the request's endpoint, not a body parameter.
    """
    if not defaults:
        return body, endpoint
    for key, value in defaults.items():
        if key == "endpoint":
            if endpoint is None:
                endpoint = value
        elif body.get(key) is None:
            body[key] = value
    return body, endpoint


@contextmanager
def open_records(
    path: str | Path,
    fmt: InputFormat,
    *,
    csv_template: str | None = None,
    csv_id_column: str | None = None,
    csv_system: str | None = None,
    progress: Progress | None = None,
) -> Iterator[Iterator[Record]]:
    """Open ``path`` and give the raw record stream of ``fmt`` (closed on exit)."""
    path = Path(path)
    total = path.stat().st_size
    f: BinaryIO
    with path.open("rb", buffering=BUFFER) as f:
        if fmt is InputFormat.CSV:
            delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
            yield iter_csv(
                f,
                total,
                template=csv_template,
                id_column=csv_id_column,
                system=csv_system,
                delimiter=delimiter,
                progress=progress,
            )
        elif fmt.is_document:
            yield iter_json_requests(f, total, progress)
        else:
            yield iter_jsonl(f, total, progress)


def resolve_format(path: str | Path, fmt: InputFormat | str | None) -> InputFormat:
    """``fmt`` parsed, or the detected format of ``path`` when ``fmt`` is None.

    For a native format whose records may also come as one JSON document, the container
    (JSON document or JSONL) is always taken from the file, so either name reads either.
    """
    if fmt is None:
        return detect_format(path)
    parsed = InputFormat.parse(fmt)
    native = parsed.native
    if native is not None and native.document is not None:
        detected = detect_format(path)
        if detected.native is native:
            return detected
    return parsed


def read_requests(
    path: str | Path,
    fmt: InputFormat | str | None = None,
    *,
    csv_template: str | None = None,
    csv_id_column: str | None = None,
    csv_system: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[int, BatchRequest]]:
    """Stream ``(line, BatchRequest)`` from any supported input, in file order.

    Raises ``InputFileError`` at the first record that cannot be read as a request (bad JSON,
    not an object, no body/params, custom_id missing or not a string). Provider rules (roles,
    limits, ...) are not checked here: use ``validate_file`` for that.
    """
    fmt = resolve_format(path, fmt)
    split = splitter_for(fmt)
    endpoint_key = endpoint_field(fmt)
    shown = str(path)
    with open_records(
        path,
        fmt,
        csv_template=csv_template,
        csv_id_column=csv_id_column,
        csv_system=csv_system,
        progress=progress,
    ) as records:
        for line, _size, index, value in records:
            top = item_prefix(index)
            if isinstance(value, Problem):
                raise InputFileError(
                    InputIssue(shown, line, top + value.field, value.message, value.code)
                )
            try:
                custom_id, body, endpoint, _method = split(value, True)
            except Shape as exc:
                raise InputFileError(
                    InputIssue(shown, line, top + exc.field, exc.message, exc.code)
                ) from None
            if not isinstance(custom_id, str) or not custom_id:
                raise InputFileError(
                    InputIssue(
                        shown,
                        line,
                        top + "custom_id",
                        "missing or not a string",
                        "missing_custom_id",
                    )
                )
            body, endpoint = apply_defaults(body, endpoint, defaults)
            if endpoint is not None and not isinstance(endpoint, str):
                raise InputFileError(
                    InputIssue(
                        shown,
                        line,
                        top + endpoint_key,
                        "must be a string",
                        "bad_endpoint",
                    )
                )
            yield line, BatchRequest(custom_id, body, endpoint)
