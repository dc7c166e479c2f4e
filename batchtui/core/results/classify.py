"""Cheap per-line classifiers: custom_id, outcome, flag and error type from a parsed result line.

The index calls one of these for every line right after ``json.loads``, so each is a handful of
dict lookups following the facts in providers.md (outcome follows the facts, not the file a line
came in). They must agree with the adapters' ``parse_result``; the integration tests check that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from batchtui.core.models import UNPARSEABLE_LINE, Outcome, ResultFlag

Classification = tuple[str, Outcome, ResultFlag | None, str | None]
Classifier = Callable[[str, dict[str, Any]], Classification]
"""``classify(source, parsed_line) -> (custom_id, outcome, flag, error_type)``."""

CLASSIFIER_VERSION = 2
"""Bumped whenever a classifier's rules change, so persisted indexes are rebuilt."""

_SUCCEEDED = Outcome.SUCCEEDED
_ERRORED = Outcome.ERRORED
_CANCELED = Outcome.CANCELED
_EXPIRED = Outcome.EXPIRED

_TOP_LEVEL_OUTCOMES = {
    "batch_expired": _EXPIRED,
    "batch_cancelled": _CANCELED,
}
_OPENAI_FINISH_FLAGS = {"length": ResultFlag.TRUNCATED, "content_filter": ResultFlag.FILTERED}
_OPENAI_INCOMPLETE_FLAGS = {
    "max_output_tokens": ResultFlag.TRUNCATED,
    "content_filter": ResultFlag.FILTERED,
}
_ANTHROPIC_STOP_FLAGS = {
    "max_tokens": ResultFlag.TRUNCATED,
    "model_context_window_exceeded": ResultFlag.TRUNCATED,
    "refusal": ResultFlag.REFUSED,
}
_ANTHROPIC_OUTCOMES = {
    "succeeded": _SUCCEEDED,
    "errored": _ERRORED,
    "canceled": _CANCELED,
    "expired": _EXPIRED,
}
INVALID_LINE = "invalid_result_line"
"""Error type of a JSON object that is not a result of a known kind (the adapters' parsers use
the same name)."""
UNPARSEABLE = UNPARSEABLE_LINE
"""Error type of a line that is not one JSON object alone on its line (see the index)."""


def _s(value: Any) -> str | None:
    """``value`` when it is a string (safe as a dict key), else None."""
    return value if type(value) is str else None


def _openai_success_flag(body: Any) -> ResultFlag | None:
    """The flag of a 2xx OpenAI body: the first choice, or a Responses API object."""
    if not isinstance(body, dict):
        return None
    if body.get("object") == "response" or isinstance(body.get("output"), list):
        output = body.get("output")
        for item in output if isinstance(output, list) else ():
            if isinstance(item, dict) and item.get("type") == "message":
                content = item.get("content")
                for part in content if isinstance(content, list) else ():
                    if isinstance(part, dict) and part.get("type") == "refusal":
                        return ResultFlag.REFUSED
        details = body.get("incomplete_details")
        reason = _s(details.get("reason")) if isinstance(details, dict) else None
        return _OPENAI_INCOMPLETE_FLAGS.get(reason)  # type: ignore[arg-type]
    choices = body.get("choices")
    if choices and isinstance(choices, list):
        choice = choices[0]
        if not isinstance(choice, dict):
            return None
        message = choice.get("message")
        if isinstance(message, dict) and message.get("refusal"):
            return ResultFlag.REFUSED
        return _OPENAI_FINISH_FLAGS.get(_s(choice.get("finish_reason")))  # type: ignore[arg-type]
    return None


def classify_openai(source: str, obj: dict[str, Any]) -> Classification:
    """Classify one OpenAI batch output/error line (``BatchRequestOutput``)."""
    try:  # fast path: a well-formed chat/completions success
        custom_id = obj["custom_id"]
        response = obj["response"]
        status = response["status_code"]
        if type(custom_id) is str and type(status) is int and 200 <= status < 300:
            choice = response["body"]["choices"][0]
            message = choice.get("message")
            if message is None or (type(message) is dict and not message.get("refusal")):
                flag = _OPENAI_FINISH_FLAGS.get(choice["finish_reason"])
                return custom_id, _SUCCEEDED, flag, None
    except (KeyError, TypeError, IndexError, AttributeError):
        pass
    return _classify_openai_fully(source, obj)


def _classify_openai_fully(source: str, obj: dict[str, Any]) -> Classification:
    """Classify any OpenAI line, checking every type on the way."""
    custom_id = obj.get("custom_id")
    if not isinstance(custom_id, str):
        custom_id = ""
    response = obj.get("response")
    if isinstance(response, dict):
        status = response.get("status_code")
        body = response.get("body")
        if not (isinstance(status, int) and 200 <= status < 300):
            error_type = None
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and isinstance(error.get("type"), str):
                error_type = error["type"]
            flag = ResultFlag.HTTP_ERROR if source == "output" else None
            return custom_id, _ERRORED, flag, error_type
        return custom_id, _SUCCEEDED, _openai_success_flag(body), None
    error = obj.get("error")
    if isinstance(error, dict):
        code = _s(error.get("code"))
        outcome = _TOP_LEVEL_OUTCOMES.get(code, _ERRORED)  # type: ignore[arg-type]
        return custom_id, outcome, None, code
    return custom_id, _ERRORED, None, None


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
    result = obj.get("result")
    kind = _s(result.get("type")) if isinstance(result, dict) else None
    outcome = _ANTHROPIC_OUTCOMES.get(kind)  # type: ignore[arg-type]
    if outcome is None:
        return custom_id, _ERRORED, None, INVALID_LINE
    if outcome is _SUCCEEDED:
        message = result.get("message")  # type: ignore[union-attr]
        stop = _s(message.get("stop_reason")) if isinstance(message, dict) else None
        return custom_id, outcome, _ANTHROPIC_STOP_FLAGS.get(stop), None  # type: ignore[arg-type]
    if outcome is _ERRORED:
        error_type = None
        wrapper = result.get("error")  # type: ignore[union-attr]
        if isinstance(wrapper, dict):
            inner = wrapper.get("error")
            inner = inner if isinstance(inner, dict) else wrapper
            if isinstance(inner.get("type"), str) and inner["type"] != "error":
                error_type = inner["type"]
        return custom_id, outcome, None, error_type
    return custom_id, outcome, None, None


def classify_any(source: str, obj: dict[str, Any]) -> Classification:
    """Classify a line of either provider, telling them apart by shape."""
    if "result" in obj:
        return classify_anthropic(source, obj)
    return classify_openai(source, obj)


_BY_PROVIDER: dict[str, Classifier] = {"openai": classify_openai, "anthropic": classify_anthropic}


def classifier_for(provider: str | None) -> Classifier:
    """The classifier for a provider name ("openai", "anthropic"); shape-sniffing otherwise."""
    return _BY_PROVIDER.get((provider or "").lower(), classify_any)


def classifier_name(classify: Classifier) -> str:
    """A stable name for a classifier, stored in a persisted index to detect a change of rules."""
    for name, known in _BY_PROVIDER.items():
        if known is classify:
            return f"{name}/{CLASSIFIER_VERSION}"
    if classify is classify_any:
        return f"any/{CLASSIFIER_VERSION}"
    module = getattr(classify, "__module__", "?")
    qualname = getattr(classify, "__qualname__", type(classify).__name__)
    return f"{module}.{qualname}"
