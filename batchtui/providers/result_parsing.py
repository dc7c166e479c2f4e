"""Pure parsers from one provider result line to the neutral BatchResult."""

from __future__ import annotations

import json
from typing import Any

from batchtui.core.models import (
    UNPARSEABLE_LINE,
    BatchResult,
    Outcome,
    ResultError,
    ResultFlag,
    ResultLine,
    Usage,
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    """A token count: a non-negative integer, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_JSON_TYPES = {
    "list": "array",
    "str": "string",
    "int": "number",
    "float": "number",
    "bool": "boolean",
    "NoneType": "null",
}


def _unparseable(message: str) -> BatchResult:
    return BatchResult(
        custom_id="",
        outcome=Outcome.ERRORED,
        error=ResultError(UNPARSEABLE_LINE, None, message),
    )


def _load(line: ResultLine) -> dict[str, Any] | BatchResult:
    """The line's JSON object, or an errored ``unparseable_line`` result saying why not.

    Strict, like the results index: one JSON object with only blanks around it. ``json.loads``
    refuses anything after the value; a value that is not an object is refused here.
    """
    try:
        data = json.loads(line.data)
    except ValueError as exc:  # UnicodeDecodeError too
        return _unparseable(f"unreadable result line: {exc}")
    except RecursionError:
        return _unparseable("unreadable result line: nested too deeply")
    if not isinstance(data, dict):
        kind = _JSON_TYPES.get(type(data).__name__, type(data).__name__)
        return _unparseable(f"result line is a JSON {kind}, not an object")
    return data


# --- OpenAI ----------------------------------------------------------------------------------

OPENAI_UNRUN = {"batch_expired": Outcome.EXPIRED, "batch_cancelled": Outcome.CANCELED}


def openai_usage(usage: Any) -> Usage | None:
    """Usage from a chat/completions (prompt/completion) or responses (input/output) body."""
    if not isinstance(usage, dict):
        return None
    if "input_tokens" in usage or "output_tokens" in usage:
        return Usage(
            input_tokens=_int(usage.get("input_tokens")),
            output_tokens=_int(usage.get("output_tokens")),
            cached_input_tokens=_int(_dict(usage.get("input_tokens_details")).get("cached_tokens")),
            reasoning_tokens=_int(
                _dict(usage.get("output_tokens_details")).get("reasoning_tokens")
            ),
        )
    return Usage(
        input_tokens=_int(usage.get("prompt_tokens")),
        output_tokens=_int(usage.get("completion_tokens")),
        cached_input_tokens=_int(_dict(usage.get("prompt_tokens_details")).get("cached_tokens")),
        reasoning_tokens=_int(
            _dict(usage.get("completion_tokens_details")).get("reasoning_tokens")
        ),
    )


def _chat_text(content: Any) -> str | None:
    """Message content as text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        texts = [p for p in parts if isinstance(p, str)]
        return "".join(texts) if texts else None
    return None


def _openai_success(body: dict[str, Any]) -> tuple[str | None, str | None, ResultFlag | None]:
    """(text, finish reason, flag) of a successful body of any supported endpoint."""
    if body.get("object") == "response" or isinstance(body.get("output"), list):
        return _responses_success(body)
    choices = body.get("choices")
    if isinstance(choices, list) and choices:
        choice = _dict(choices[0])
        finish = _str(choice.get("finish_reason"))
        message = _dict(choice.get("message"))
        text = _chat_text(message.get("content")) if message else _str(choice.get("text"))
        flag = None
        if message.get("refusal"):
            flag = ResultFlag.REFUSED
            text = text if text is not None else _str(message.get("refusal"))
        elif finish == "content_filter":
            flag = ResultFlag.FILTERED
        elif finish == "length":
            flag = ResultFlag.TRUNCATED
        return text, finish, flag
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(_dict(data[0]).get("embedding"), list):
        dims = len(_dict(data[0])["embedding"])
        noun = "embedding" if len(data) == 1 else "embeddings"
        return f"{len(data)} {noun} of {dims} dimensions", None, None
    results = body.get("results")
    if isinstance(results, list):
        flagged = sum(1 for r in results if _dict(r).get("flagged"))
        return f"{flagged} of {len(results)} inputs flagged", None, None
    return None, None, None


def _responses_success(body: dict[str, Any]) -> tuple[str | None, str | None, ResultFlag | None]:
    """(text, finish reason, flag) of a Responses API body."""
    texts: list[str] = []
    refused = False
    for item in _list(body.get("output")):
        item = _dict(item)
        if item.get("type") != "message":
            continue
        for part in _list(item.get("content")):
            part = _dict(part)
            if part.get("type") == "output_text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif part.get("type") == "refusal":
                refused = True
    text = "".join(texts) if texts else None
    if text is None and isinstance(body.get("output_text"), str):
        text = body["output_text"]
    reason = _str(_dict(body.get("incomplete_details")).get("reason"))
    finish = reason or _str(body.get("status"))
    flag = None
    if refused:
        flag = ResultFlag.REFUSED
    elif reason == "content_filter":
        flag = ResultFlag.FILTERED
    elif reason == "max_output_tokens":
        flag = ResultFlag.TRUNCATED
    return text, finish, flag


def parse_openai_line(line: ResultLine) -> BatchResult:
    """Parse one line of an OpenAI output or error file.

    The outcome follows the facts, not the file: a non-2xx ``response.status_code`` is errored
    wherever it sits (flagged ``http_error`` when it came in the output file), a top-level
    ``batch_expired``/``batch_cancelled`` error is expired/canceled, any other top-level error
    is errored.
    """
    data = _load(line)
    if isinstance(data, BatchResult):
        return data
    custom_id = str(data.get("custom_id") or "")
    response = data.get("response")
    top_error = data.get("error")
    if isinstance(response, dict):
        status_code = response.get("status_code")
        body = _dict(response.get("body"))
        if isinstance(status_code, int) and 200 <= status_code < 300:
            text, finish, flag = _openai_success(body)
            return BatchResult(
                custom_id=custom_id,
                outcome=Outcome.SUCCEEDED,
                text=text,
                usage=openai_usage(body.get("usage")),
                flag=flag,
                finish_reason=finish,
                model=_str(body.get("model")),
                raw=data,
            )
        error = _dict(body.get("error"))
        message = _str(error.get("message")) or f"request failed with HTTP {status_code}"
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.ERRORED,
            usage=openai_usage(body.get("usage")),
            error=ResultError(_str(error.get("type")), _str(error.get("code")), message),
            flag=ResultFlag.HTTP_ERROR if line.source == "output" else None,
            model=_str(body.get("model")),
            raw=data,
        )
    error = _dict(top_error)
    code = _str(error.get("code"))
    message = _str(error.get("message")) or (code or "request has no response")
    outcome = OPENAI_UNRUN.get(code or "", Outcome.ERRORED)
    return BatchResult(
        custom_id=custom_id,
        outcome=outcome,
        error=ResultError(code, code, message),
        raw=data,
    )


# --- Anthropic -------------------------------------------------------------------------------

ANTHROPIC_FLAGS = {
    "max_tokens": ResultFlag.TRUNCATED,
    "model_context_window_exceeded": ResultFlag.TRUNCATED,
    "refusal": ResultFlag.REFUSED,
}


def anthropic_usage(usage: Any) -> Usage | None:
    """Usage of an Anthropic Message in the neutral sense (see `Usage`).

    Anthropic's ``input_tokens`` counts only the prompt tokens after the last cache
    breakpoint; ``cache_read_input_tokens`` and ``cache_creation_input_tokens`` are billed on
    top of it. The neutral ``input_tokens`` is all three together, with the cache reads and
    writes kept as its parts, as OpenAI reports them.
    """
    if not isinstance(usage, dict):
        return None
    read = _int(usage.get("cache_read_input_tokens"))
    written = _int(usage.get("cache_creation_input_tokens"))
    return Usage(
        input_tokens=_int(usage.get("input_tokens")) + read + written,
        output_tokens=_int(usage.get("output_tokens")),
        cached_input_tokens=read,
        cache_creation_input_tokens=written,
        reasoning_tokens=_int(_dict(usage.get("output_tokens_details")).get("thinking_tokens")),
    )


def parse_anthropic_line(line: ResultLine) -> BatchResult:
    """Parse one line of an Anthropic results stream.

    An errored result's type is the nested ``error.error.type`` (the outer ``type`` is just
    ``"error"``); its ``request_id`` stays in ``raw``.
    """
    data = _load(line)
    if isinstance(data, BatchResult):
        return data
    custom_id = str(data.get("custom_id") or "")
    result = _dict(data.get("result"))
    kind = result.get("type")
    if kind == "succeeded":
        message = _dict(result.get("message"))
        blocks = [_dict(b) for b in _list(message.get("content"))]
        texts = [
            b["text"] for b in blocks if b.get("type") == "text" and isinstance(b.get("text"), str)
        ]
        stop = _str(message.get("stop_reason"))
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.SUCCEEDED,
            text="".join(texts) if texts else None,
            usage=anthropic_usage(message.get("usage")),
            flag=ANTHROPIC_FLAGS.get(stop or ""),
            finish_reason=stop,
            model=_str(message.get("model")),
            raw=data,
        )
    if kind == "errored":
        outer = _dict(result.get("error"))
        inner = _dict(outer.get("error")) if isinstance(outer.get("error"), dict) else outer
        details = _dict(inner.get("details"))
        error_type = _str(inner.get("type"))
        if error_type == "error":
            error_type = None
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.ERRORED,
            error=ResultError(
                error_type,
                _str(details.get("error_code")),
                _str(inner.get("message")) or "request errored",
            ),
            raw=data,
        )
    if kind == "canceled":
        return BatchResult(custom_id=custom_id, outcome=Outcome.CANCELED, raw=data)
    if kind == "expired":
        return BatchResult(custom_id=custom_id, outcome=Outcome.EXPIRED, raw=data)
    return BatchResult(
        custom_id=custom_id,
        outcome=Outcome.ERRORED,
        error=ResultError("invalid_result_line", None, f"unknown result type {kind!r}"),
        raw=data,
    )
