"""One line of an OpenAI batch output or error file, parsed to the neutral BatchResult."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import BatchResult, Outcome, ResultError, ResultFlag, ResultLine, Usage
from batchtui.providers.values import count_of, dict_of, list_of, load_object, str_of

OPENAI_UNRUN = {"batch_expired": Outcome.EXPIRED, "batch_cancelled": Outcome.CANCELED}


def openai_usage(usage: Any) -> Usage | None:
    """Usage from a chat/completions (prompt/completion) or responses (input/output) body."""
    if not isinstance(usage, dict):
        return None
    if "input_tokens" in usage or "output_tokens" in usage:
        return Usage(
            input_tokens=count_of(usage.get("input_tokens")),
            output_tokens=count_of(usage.get("output_tokens")),
            cached_input_tokens=count_of(
                dict_of(usage.get("input_tokens_details")).get("cached_tokens")
            ),
            reasoning_tokens=count_of(
                dict_of(usage.get("output_tokens_details")).get("reasoning_tokens")
            ),
        )
    return Usage(
        input_tokens=count_of(usage.get("prompt_tokens")),
        output_tokens=count_of(usage.get("completion_tokens")),
        cached_input_tokens=count_of(
            dict_of(usage.get("prompt_tokens_details")).get("cached_tokens")
        ),
        reasoning_tokens=count_of(
            dict_of(usage.get("completion_tokens_details")).get("reasoning_tokens")
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
        choice = dict_of(choices[0])
        finish = str_of(choice.get("finish_reason"))
        message = dict_of(choice.get("message"))
        text = _chat_text(message.get("content")) if message else str_of(choice.get("text"))
        flag = None
        if message.get("refusal"):
            flag = ResultFlag.REFUSED
            text = text if text is not None else str_of(message.get("refusal"))
        elif finish == "content_filter":
            flag = ResultFlag.FILTERED
        elif finish == "length":
            flag = ResultFlag.TRUNCATED
        return text, finish, flag
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(dict_of(data[0]).get("embedding"), list):
        dims = len(dict_of(data[0])["embedding"])
        noun = "embedding" if len(data) == 1 else "embeddings"
        return f"{len(data)} {noun} of {dims} dimensions", None, None
    results = body.get("results")
    if isinstance(results, list):
        flagged = sum(1 for r in results if dict_of(r).get("flagged"))
        return f"{flagged} of {len(results)} inputs flagged", None, None
    return None, None, None


def _responses_success(body: dict[str, Any]) -> tuple[str | None, str | None, ResultFlag | None]:
    """(text, finish reason, flag) of a Responses API body."""
    texts: list[str] = []
    refused = False
    for item in list_of(body.get("output")):
        item = dict_of(item)
        if item.get("type") != "message":
            continue
        for part in list_of(item.get("content")):
            part = dict_of(part)
            if part.get("type") == "output_text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif part.get("type") == "refusal":
                refused = True
    text = "".join(texts) if texts else None
    if text is None and isinstance(body.get("output_text"), str):
        text = body["output_text"]
    reason = str_of(dict_of(body.get("incomplete_details")).get("reason"))
    finish = reason or str_of(body.get("status"))
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
    data = load_object(line)
    if isinstance(data, BatchResult):
        return data
    custom_id = str(data.get("custom_id") or "")
    response = data.get("response")
    top_error = data.get("error")
    if isinstance(response, dict):
        status_code = response.get("status_code")
        body = dict_of(response.get("body"))
        if isinstance(status_code, int) and 200 <= status_code < 300:
            text, finish, flag = _openai_success(body)
            return BatchResult(
                custom_id=custom_id,
                outcome=Outcome.SUCCEEDED,
                text=text,
                usage=openai_usage(body.get("usage")),
                flag=flag,
                finish_reason=finish,
                model=str_of(body.get("model")),
                raw=data,
            )
        error = dict_of(body.get("error"))
        message = str_of(error.get("message")) or f"request failed with HTTP {status_code}"
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.ERRORED,
            usage=openai_usage(body.get("usage")),
            error=ResultError(str_of(error.get("type")), str_of(error.get("code")), message),
            flag=ResultFlag.HTTP_ERROR if line.source == "output" else None,
            model=str_of(body.get("model")),
            raw=data,
        )
    error = dict_of(top_error)
    code = str_of(error.get("code"))
    message = str_of(error.get("message")) or (code or "request has no response")
    outcome = OPENAI_UNRUN.get(code or "", Outcome.ERRORED)
    return BatchResult(
        custom_id=custom_id,
        outcome=outcome,
        error=ResultError(code, code, message),
        raw=data,
    )
