"""Streaming readers: any supported input file -> ``(line, BatchRequest)`` in the neutral form."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from batchtui.core.inputs.csvtemplate import iter_csv
from batchtui.core.inputs.formats import InputFormat, detect_format
from batchtui.core.inputs.issues import InputFileError, InputIssue
from batchtui.core.inputs.records import (
    Problem,
    Progress,
    Record,
    iter_json_requests,
    iter_jsonl,
)
from batchtui.core.models import BatchRequest

_BUFFER = 1 << 20
NEUTRAL_RESERVED = ("custom_id", "endpoint")


class Shape(Exception):
    """A record that is valid JSON but not a request of its format."""

    def __init__(self, field: str, message: str, code: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


def body_prefix(fmt: InputFormat) -> str:
    """Where the request parameters sit inside a record of ``fmt`` (for issue field paths)."""
    if fmt is InputFormat.OPENAI:
        return "body."
    if fmt in (InputFormat.ANTHROPIC, InputFormat.ANTHROPIC_JSON):
        return "params."
    return ""


def item_prefix(index: int | None) -> str:
    """The field-path prefix of the ``index``-th item of a JSON array (empty for JSONL)."""
    return "" if index is None else f"requests[{index}]."


Split = tuple[Any, dict[str, Any], Any, Any]


def _split_openai(obj: Any, copy: bool) -> Split:
    if obj.__class__ is not dict:
        raise _not_object(obj)
    body = obj.get("body")
    if body.__class__ is not dict:
        what = "missing" if body is None else f"must be an object, found {_kind(body)}"
        raise Shape("body", what, "missing_body" if body is None else "bad_body")
    return obj.get("custom_id"), dict(body) if copy else body, obj.get("url"), obj.get("method")


def _split_anthropic(obj: Any, copy: bool) -> Split:
    if obj.__class__ is not dict:
        raise _not_object(obj)
    params = obj.get("params")
    if params.__class__ is not dict:
        what = "missing" if params is None else f"must be an object, found {_kind(params)}"
        raise Shape("params", what, "missing_params" if params is None else "bad_params")
    return obj.get("custom_id"), dict(params) if copy else params, None, None


def _split_neutral(obj: Any, copy: bool) -> Split:
    if obj.__class__ is not dict:
        raise _not_object(obj)
    if not copy:
        return obj.get("custom_id"), obj, obj.get("endpoint"), None
    body = dict(obj)
    custom_id = body.pop("custom_id", None)
    endpoint = body.pop("endpoint", None)
    return custom_id, body, endpoint, None


def _not_object(obj: Any) -> Shape:
    return Shape("record", f"expected a JSON object, found {_kind(obj)}", "not_object")


def splitter_for(fmt: InputFormat) -> Callable[[Any, bool], Split]:
    """The function that takes records of ``fmt`` apart (see ``split_record``)."""
    if fmt is InputFormat.OPENAI:
        return _split_openai
    if fmt in (InputFormat.ANTHROPIC, InputFormat.ANTHROPIC_JSON):
        return _split_anthropic
    return _split_neutral


def split_record(fmt: InputFormat, obj: Any, *, copy: bool = True) -> Split:
    """Take one parsed record apart into (custom_id, body, endpoint, method).

    Raises ``Shape`` when the record is not an object or lacks its body/params object. The
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


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


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
    with path.open("rb", buffering=_BUFFER) as f:
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
        elif fmt is InputFormat.ANTHROPIC_JSON:
            yield iter_json_requests(f, total, progress)
        else:
            yield iter_jsonl(f, total, progress)


def resolve_format(path: str | Path, fmt: InputFormat | str | None) -> InputFormat:
    """``fmt`` parsed, or the detected format of ``path`` when ``fmt`` is None.

    For Anthropic the container (JSON document or JSONL) is always taken from the file, so
    ``fmt="anthropic"`` reads either.
    """
    if fmt is None:
        return detect_format(path)
    parsed = InputFormat.parse(fmt)
    if parsed in (InputFormat.ANTHROPIC, InputFormat.ANTHROPIC_JSON):
        detected = detect_format(path)
        if detected in (InputFormat.ANTHROPIC, InputFormat.ANTHROPIC_JSON):
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
                custom_id, body, endpoint, _method = split_record(fmt, value)
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
                        top + ("url" if fmt is InputFormat.OPENAI else "endpoint"),
                        "must be a string",
                        "bad_endpoint",
                    )
                )
            yield line, BatchRequest(custom_id, body, endpoint)
