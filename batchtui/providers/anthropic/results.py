"""One line of an Anthropic results stream, parsed to the neutral BatchResult."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import BatchResult, Outcome, ResultError, ResultFlag, ResultLine, Usage
from batchtui.providers.values import count_of, dict_of, list_of, load_object, str_of

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
    read = count_of(usage.get("cache_read_input_tokens"))
    written = count_of(usage.get("cache_creation_input_tokens"))
    return Usage(
        input_tokens=count_of(usage.get("input_tokens")) + read + written,
        output_tokens=count_of(usage.get("output_tokens")),
        cached_input_tokens=read,
        cache_creation_input_tokens=written,
        reasoning_tokens=count_of(
            dict_of(usage.get("output_tokens_details")).get("thinking_tokens")
        ),
    )


def parse_anthropic_line(line: ResultLine) -> BatchResult:
    """Parse one line of an Anthropic results stream.

    An errored result's type is the nested ``error.error.type`` (the outer ``type`` is just
    ``"error"``); its ``request_id`` stays in ``raw``.
    """
    data = load_object(line)
    if isinstance(data, BatchResult):
        return data
    custom_id = str(data.get("custom_id") or "")
    result = dict_of(data.get("result"))
    kind = result.get("type")
    if kind == "succeeded":
        message = dict_of(result.get("message"))
        blocks = [dict_of(b) for b in list_of(message.get("content"))]
        texts = [
            b["text"] for b in blocks if b.get("type") == "text" and isinstance(b.get("text"), str)
        ]
        stop = str_of(message.get("stop_reason"))
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.SUCCEEDED,
            text="".join(texts) if texts else None,
            usage=anthropic_usage(message.get("usage")),
            flag=ANTHROPIC_FLAGS.get(stop or ""),
            finish_reason=stop,
            model=str_of(message.get("model")),
            raw=data,
        )
    if kind == "errored":
        outer = dict_of(result.get("error"))
        inner = dict_of(outer.get("error")) if isinstance(outer.get("error"), dict) else outer
        details = dict_of(inner.get("details"))
        error_type = str_of(inner.get("type"))
        if error_type == "error":
            error_type = None
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.ERRORED,
            error=ResultError(
                error_type,
                str_of(details.get("error_code")),
                str_of(inner.get("message")) or "request errored",
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
