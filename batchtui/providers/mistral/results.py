"""One line of a Mistral batch output or error file, parsed to the neutral BatchResult.

The line shape is not verified (§9 [3][U]): ``{"id"?, "custom_id", "response": {"status_code",
"body"}, "error"?}``, failures perhaps as ``{"custom_id", "error": ...}`` only. Reading is
liberal (errors nested under ``body.error`` or flat in the body, as Mistral's own error answers
are; ``error`` an object or a string); the outcome is strict and follows the facts:

- ``response.status_code`` 2xx: succeeded; any other status: errored, flagged ``http_error``
  when the line sits in the output file;
- no status code: succeeded only when the body is a recognisable answer (``choices``,
  ``data``, ``results``, ``pages``, ``outputs`` or ``text``) and nothing names an error;
- otherwise (an ``error`` without a response, or neither): errored.
"""

from __future__ import annotations

from typing import Any

from batchtui.core.models import BatchResult, Outcome, ResultError, ResultFlag, ResultLine, Usage
from batchtui.providers.values import count_of, dict_of, list_of, load_object, str_of

FINISH_FLAGS = {"length": ResultFlag.TRUNCATED, "model_length": ResultFlag.TRUNCATED}
"""Chat finish reasons that flag a result (SDK ``ChatCompletionChoiceFinishReason``) [S]."""

ANSWER_KEYS = ("choices", "data", "results", "pages", "outputs", "text")
"""Keys of a successful answer body of any batch endpoint (chat/FIM, embeddings,
moderations/classifications, OCR, conversations, transcriptions)."""


def is_http_success(status: Any) -> bool:
    return isinstance(status, int) and not isinstance(status, bool) and 200 <= status < 300


def body_error(body: Any) -> dict[str, Any] | None:
    """The error an answer body carries: ``body.error`` (an object or a string), or the body
    itself when it is Mistral's flat error (``object: "error"``, or a message and no answer)."""
    if not isinstance(body, dict):
        return None
    nested = body.get("error")
    if isinstance(nested, dict):
        return nested
    if isinstance(nested, str) and nested:
        return {"message": nested}
    if body.get("object") == "error" or (
        isinstance(body.get("message"), str) and not any(k in body for k in ANSWER_KEYS)
    ):
        return body
    return None


def line_error(value: Any) -> dict[str, Any] | None:
    """A line's top-level ``error`` as an object (a string becomes its message); None when
    it names none."""
    if isinstance(value, dict) and value:
        return value
    if isinstance(value, str) and value:
        return {"message": value}
    return None


def error_type_of(error: dict[str, Any]) -> str | None:
    """The error type to index an error by: its ``type``, else its ``code`` (as text)."""
    kind = error.get("type")
    if isinstance(kind, str) and kind:
        return kind
    code = error.get("code")
    if isinstance(code, str) and code:
        return code
    if isinstance(code, int) and not isinstance(code, bool):
        return str(code)
    return None


def status_outcome(response: dict[str, Any], top_error: dict[str, Any] | None) -> bool:
    """Whether a line with a ``response`` object succeeded (see the module rules)."""
    status = response.get("status_code")
    if status is not None:
        return is_http_success(status)
    body = response.get("body")
    return (
        top_error is None
        and isinstance(body, dict)
        and body_error(body) is None
        and any(k in body for k in ANSWER_KEYS)
    )


def success_flag(body: Any) -> ResultFlag | None:
    """The flag of a successful body: its first choice's finish reason."""
    choices = body.get("choices") if isinstance(body, dict) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        reason = choices[0].get("finish_reason")
        return FINISH_FLAGS.get(reason) if isinstance(reason, str) else None
    return None


def mistral_usage(usage: Any) -> Usage | None:
    """Usage of an answer body (``prompt_tokens`` count every prompt token, cached ones
    included, as the neutral ``input_tokens`` does)."""
    if not isinstance(usage, dict):
        return None
    return Usage(
        input_tokens=count_of(usage.get("prompt_tokens")),
        output_tokens=count_of(usage.get("completion_tokens")),
        cached_input_tokens=count_of(
            dict_of(usage.get("prompt_tokens_details")).get("cached_tokens")
        ),
    )


def _content_text(content: Any) -> str | None:
    """Message content as text: a string, or the text chunks of a list of chunks."""
    if isinstance(content, str):
        return content
    texts = [
        part["text"]
        for part in list_of(content)
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    ]
    return "".join(texts) if texts else None


def _answer(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(text, finish reason) of a successful body of any batch endpoint."""
    choices = body.get("choices")
    if isinstance(choices, list) and choices:
        choice = dict_of(choices[0])
        finish = str_of(choice.get("finish_reason"))
        message = dict_of(choice.get("message"))
        text = _content_text(message.get("content")) if message else str_of(choice.get("text"))
        return text, finish
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(dict_of(data[0]).get("embedding"), list):
        dims = len(dict_of(data[0])["embedding"])
        noun = "embedding" if len(data) == 1 else "embeddings"
        return f"{len(data)} {noun} of {dims} dimensions", None
    results = body.get("results")
    if isinstance(results, list):
        flagged = sum(
            1
            for r in results
            if any(v is True for v in dict_of(dict_of(r).get("categories")).values())
        )
        return f"{flagged} of {len(results)} inputs flagged", None
    pages = body.get("pages")
    if isinstance(pages, list):
        texts = [dict_of(p).get("markdown") for p in pages]
        return "\n\n".join(t for t in texts if isinstance(t, str)), None
    outputs = body.get("outputs")
    if isinstance(outputs, list):
        texts = [_content_text(dict_of(o).get("content")) for o in outputs]
        joined = "".join(t for t in texts if t)
        return joined or None, None
    return str_of(body.get("text")), None


def _result_error(error: dict[str, Any], fallback: str) -> ResultError:
    code = error.get("code")
    code_text = str(code) if isinstance(code, str | int) and not isinstance(code, bool) else None
    message = str_of(error.get("message")) or str_of(error.get("detail")) or fallback
    return ResultError(error_type_of(error), code_text or None, message)


def parse_mistral_line(line: ResultLine) -> BatchResult:
    """Parse one line of a Mistral output or error file (rules in the module docstring)."""
    data = load_object(line)
    if isinstance(data, BatchResult):
        return data
    custom_id = data.get("custom_id")
    custom_id = custom_id if isinstance(custom_id, str) else ""
    response = data.get("response")
    top_error = line_error(data.get("error"))
    if isinstance(response, dict):
        body = dict_of(response.get("body"))
        usage = mistral_usage(body.get("usage"))
        model = str_of(body.get("model"))
        if status_outcome(response, top_error):
            text, finish = _answer(body)
            return BatchResult(
                custom_id=custom_id,
                outcome=Outcome.SUCCEEDED,
                text=text,
                usage=usage,
                flag=success_flag(body),
                finish_reason=finish,
                model=model,
                raw=data,
            )
        status = response.get("status_code")
        error = body_error(body) or top_error or {}
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.ERRORED,
            usage=usage,
            error=_result_error(error, f"request failed with HTTP {status}"),
            flag=ResultFlag.HTTP_ERROR if line.source == "output" else None,
            model=model,
            raw=data,
        )
    return BatchResult(
        custom_id=custom_id,
        outcome=Outcome.ERRORED,
        error=_result_error(top_error or {}, "request has no response"),
        raw=data,
    )
