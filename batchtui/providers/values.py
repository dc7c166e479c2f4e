"""Reading provider JSON defensively: the coercions every provider package shares, strict
loading of one result line, and the two timestamp forms providers use."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from batchtui.core.models import (
    UNPARSEABLE_LINE,
    BatchResult,
    BatchStatus,
    Outcome,
    RequestCounts,
    ResultError,
    ResultLine,
)


def dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def count_of(value: Any) -> int:
    """A token count: a non-negative integer, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def str_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def list_of(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


JSON_TYPES = {
    "list": "array",
    "str": "string",
    "int": "number",
    "float": "number",
    "bool": "boolean",
    "NoneType": "null",
}


def unparseable(message: str) -> BatchResult:
    return BatchResult(
        custom_id="",
        outcome=Outcome.ERRORED,
        error=ResultError(UNPARSEABLE_LINE, None, message),
    )


def load_object(line: ResultLine) -> dict[str, Any] | BatchResult:
    """The line's JSON object, or an errored ``unparseable_line`` result saying why not.

    Strict, like the results index: one JSON object with only blanks around it. ``json.loads``
    refuses anything after the value; a value that is not an object is refused here.
    """
    try:
        data = json.loads(line.data)
    except ValueError as exc:  # UnicodeDecodeError too
        return unparseable(f"unreadable result line: {exc}")
    except RecursionError:
        return unparseable("unreadable result line: nested too deeply")
    if not isinstance(data, dict):
        kind = JSON_TYPES.get(type(data).__name__, type(data).__name__)
        return unparseable(f"result line is a JSON {kind}, not an object")
    return data


def nonempty_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def unix_time(value: Any) -> datetime | None:
    """An aware UTC datetime from Unix seconds (OpenAI), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


_FRACTION = re.compile(r"(\.\d{6})\d+")


def rfc3339_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 string (Anthropic), or None."""
    if not isinstance(value, str) or not value:
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def split_counts(total: int, succeeded: int, errored: int, status: BatchStatus) -> RequestCounts:
    """Neutral counts from a total, the succeeded and the failed ones: the remainder is still
    running while the job lives, canceled or expired once it is cancelled or expired, and
    errored after any other end (requests unaccounted for did not succeed)."""
    rest = max(0, total - succeeded - errored)
    counts = {"total": total, "succeeded": succeeded, "errored": errored}
    if not status.is_terminal:
        counts["processing"] = rest
    elif status is BatchStatus.CANCELLED:
        counts["canceled"] = rest
    elif status is BatchStatus.EXPIRED:
        counts["expired"] = rest
    else:
        counts["errored"] = errored + rest
    return RequestCounts(**counts)
