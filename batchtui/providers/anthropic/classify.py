"""The index's cheap classifier of one Anthropic result line: custom_id, outcome, flag and
error type after ``json.loads``, a handful of dict lookups (the full parse is `results`)."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import Outcome
from batchtui.core.results.classify import INVALID_LINE, Classification, str_key
from batchtui.providers.anthropic.results import ANTHROPIC_FLAGS as _ANTHROPIC_STOP_FLAGS

_SUCCEEDED = Outcome.SUCCEEDED
_ERRORED = Outcome.ERRORED

_ANTHROPIC_OUTCOMES = {
    "succeeded": _SUCCEEDED,
    "errored": _ERRORED,
    "canceled": Outcome.CANCELED,
    "expired": Outcome.EXPIRED,
}


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
