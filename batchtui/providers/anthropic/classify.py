"""The index's cheap classifier of one Anthropic result line: custom_id, outcome, flag and
error type after ``json.loads``, a handful of dict lookups (the full parse is `results`)."""

from __future__ import annotations

from typing import Any

from batchtui.core.jsonline import Shape, typed_reader
from batchtui.core.models import Outcome
from batchtui.core.results.classify import INVALID_LINE, Classification, reads_lines, str_key
from batchtui.providers.anthropic.results import ANTHROPIC_FLAGS as _ANTHROPIC_STOP_FLAGS

_SUCCEEDED = Outcome.SUCCEEDED
_ERRORED = Outcome.ERRORED

_ANTHROPIC_OUTCOMES = {
    "succeeded": _SUCCEEDED,
    "errored": _ERRORED,
    "canceled": Outcome.CANCELED,
    "expired": Outcome.EXPIRED,
}


# The fields the fast path reads, typed as it needs them; a line whose fields have other types
# fails to decode and goes to the dict classifier below, which decides it.
class _Message(Shape, gc=False):
    stop_reason: str | None


class _Result(Shape, gc=False):
    type: str
    message: _Message | None = None


class _Line(Shape, gc=False):
    custom_id: str
    result: _Result


_read = typed_reader(_Line)


def read_anthropic_line(source: str, line: bytes) -> Classification | None:
    """``classify_anthropic`` of a raw success line, decoding only its fields; None otherwise
    (other outcomes are rare: the classifier reads them whole)."""
    obj = _read(line)
    if obj is None:
        return None
    result = obj.result
    if result.type != "succeeded" or result.message is None:
        return None
    flag = _ANTHROPIC_STOP_FLAGS.get(result.message.stop_reason or "")
    return obj.custom_id, _SUCCEEDED, flag, None


@reads_lines(read_anthropic_line)
def classify_anthropic(source: str, obj: dict[str, Any]) -> Classification:
    """Classify one Anthropic ``MessageBatchIndividualResponse`` line."""
    try:  # fast path: a well-formed success
        custom_id = obj["custom_id"]
        result = obj["result"]
        if type(custom_id) is str and result["type"] == "succeeded":
            stop = result["message"]["stop_reason"]
            return custom_id, _SUCCEEDED, _ANTHROPIC_STOP_FLAGS.get(stop), None
    except (KeyError, TypeError):
        pass
    return _classify_anthropic_fully(source, obj)


def _classify_anthropic_fully(source: str, obj: dict[str, Any]) -> Classification:
    """Classify any Anthropic line, checking every type on the way."""
    custom_id = obj.get("custom_id")
    if not isinstance(custom_id, str):
        custom_id = ""
    found = obj.get("result")
    result: dict[str, Any] = found if isinstance(found, dict) else {}
    outcome = _ANTHROPIC_OUTCOMES.get(str_key(result.get("type")) or "")
    if outcome is None:
        return custom_id, _ERRORED, None, INVALID_LINE
    if outcome is _SUCCEEDED:
        message = result.get("message")
        stop = str_key(message.get("stop_reason")) if isinstance(message, dict) else None
        return custom_id, outcome, _ANTHROPIC_STOP_FLAGS.get(stop or ""), None
    if outcome is _ERRORED:
        error_type = None
        wrapper = result.get("error")
        if isinstance(wrapper, dict):
            inner = wrapper.get("error")
            inner = inner if isinstance(inner, dict) else wrapper
            if isinstance(inner.get("type"), str) and inner["type"] != "error":
                error_type = inner["type"]
        return custom_id, outcome, None, error_type
    return custom_id, outcome, None, None
