"""The index's cheap classifier of one OpenAI result line: custom_id, outcome, flag and
error type after ``json.loads``, a handful of dict lookups (the full parse is `results`)."""

from __future__ import annotations

from typing import Any

from batchtui.core.jsonline import Shape, typed_reader
from batchtui.core.models import Outcome, ResultFlag
from batchtui.core.results.classify import Classification, reads_lines, str_key
from batchtui.providers.openai.results import OPENAI_UNRUN as _TOP_LEVEL_OUTCOMES

_SUCCEEDED = Outcome.SUCCEEDED
_ERRORED = Outcome.ERRORED

_OPENAI_FINISH_FLAGS = {"length": ResultFlag.TRUNCATED, "content_filter": ResultFlag.FILTERED}
_OPENAI_INCOMPLETE_FLAGS = {
    "max_output_tokens": ResultFlag.TRUNCATED,
    "content_filter": ResultFlag.FILTERED,
}


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
        reason = str_key(details.get("reason")) if isinstance(details, dict) else None
        return _OPENAI_INCOMPLETE_FLAGS.get(reason or "")
    choices = body.get("choices")
    if choices and isinstance(choices, list):
        choice = choices[0]
        if not isinstance(choice, dict):
            return None
        message = choice.get("message")
        if isinstance(message, dict) and message.get("refusal"):
            return ResultFlag.REFUSED
        return _OPENAI_FINISH_FLAGS.get(str_key(choice.get("finish_reason")) or "")
    return None


# The fields the index reads, typed as the fast path needs them; a line whose fields have other
# types fails to decode and goes to the dict classifier below, which decides it.
class _Message(Shape, gc=False):
    refusal: str | None = None


class _Choice(Shape, gc=False):
    finish_reason: str | None
    message: _Message | None = None


class _Error(Shape, gc=False):
    type: str | None = None


class _Body(Shape, gc=False):
    choices: list[_Choice] | None = None
    error: _Error | None = None


class _Response(Shape, gc=False):
    status_code: int
    body: _Body | None = None


class _LineError(Shape, gc=False):
    code: str | None = None


class _Line(Shape, gc=False):
    custom_id: str
    response: _Response | None = None
    error: _LineError | None = None


_read = typed_reader(_Line)


def read_openai_line(source: str, line: bytes) -> Classification | None:
    """``classify_openai`` of a raw line, decoding only its fields; None: ask the classifier."""
    obj = _read(line)
    if obj is None:
        return None
    response = obj.response
    if response is None:
        error = obj.error
        if error is None:
            return obj.custom_id, _ERRORED, None, None
        code = error.code
        return obj.custom_id, _TOP_LEVEL_OUTCOMES.get(code or "", _ERRORED), None, code
    body = response.body
    if 200 <= response.status_code < 300:
        choices = body.choices if body is not None else None
        if not choices:
            return None  # not a chat completion: the classifier reads the body
        choice = choices[0]
        message = choice.message
        if message is not None and message.refusal:
            return None
        return obj.custom_id, _SUCCEEDED, _OPENAI_FINISH_FLAGS.get(choice.finish_reason or ""), None
    error_type = None
    if body is not None and body.error is not None:
        error_type = body.error.type
    flag = ResultFlag.HTTP_ERROR if source == "output" else None
    return obj.custom_id, _ERRORED, flag, error_type


@reads_lines(read_openai_line)
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
        code = str_key(error.get("code"))
        outcome = _TOP_LEVEL_OUTCOMES.get(code or "", _ERRORED)
        return custom_id, outcome, None, code
    return custom_id, _ERRORED, None, None
