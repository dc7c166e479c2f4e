"""One line of a Gemini batch's results, parsed to the neutral BatchResult.

A responses-file line is ``{"key", "response": GenerateContentResponse}`` or ``{"key", "error":
Status}`` (§9 [D]); inline responses are read as the same lines (the adapter adds the key).
"""

from __future__ import annotations

from typing import Any

from batchtui.core.models import BatchResult, Outcome, ResultError, ResultFlag, ResultLine, Usage
from batchtui.providers.values import count_of, dict_of, list_of, load_object, str_of

INVALID_LINE = "invalid_result_line"

FINISH_FLAGS: dict[str, ResultFlag] = {
    "MAX_TOKENS": ResultFlag.TRUNCATED,
    "SAFETY": ResultFlag.FILTERED,
    "RECITATION": ResultFlag.FILTERED,
    "BLOCKLIST": ResultFlag.FILTERED,
    "PROHIBITED_CONTENT": ResultFlag.FILTERED,
    "SPII": ResultFlag.FILTERED,
    "IMAGE_SAFETY": ResultFlag.FILTERED,
    "IMAGE_PROHIBITED_CONTENT": ResultFlag.FILTERED,
}
"""A candidate's ``finishReason`` → flag (STOP and the rest: none)."""

BLOCKED = ResultFlag.FILTERED
"""The flag of a response whose prompt was blocked (``promptFeedback.blockReason``)."""


def response_flag(response: dict[str, Any]) -> tuple[ResultFlag | None, str | None]:
    """(flag, finish reason) of a GenerateContentResponse: its first candidate's finishReason,
    or FILTERED with the block reason when the prompt was blocked and no candidate came."""
    candidates = response.get("candidates")
    first = candidates[0] if isinstance(candidates, list) and candidates else None
    if isinstance(first, dict):
        reason = first.get("finishReason")
        reason = reason if type(reason) is str else None
        return FINISH_FLAGS.get(reason or ""), reason
    feedback = response.get("promptFeedback")
    block = feedback.get("blockReason") if isinstance(feedback, dict) else None
    if type(block) is str and block:
        return BLOCKED, block
    return None, None


def error_fields(error: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(type, code, message) of a Google RPC status: type is its ``status`` (e.g.
    ``INVALID_ARGUMENT``), code its ErrorInfo reason or else its numeric code."""
    status = error.get("status")
    kind = status if type(status) is str and status else None
    reason = None
    for item in list_of(error.get("details")):
        if isinstance(item, dict) and isinstance(item.get("reason"), str) and item["reason"]:
            reason = str(item["reason"])
            break
    number = error.get("code")
    code = reason or (
        str(number) if isinstance(number, int) and not isinstance(number, bool) else None
    )
    return kind, code, str_of(error.get("message")) or "request failed"


def gemini_usage(meta: Any) -> Usage | None:
    """``usageMetadata`` in the neutral sense (see `Usage`).

    ``promptTokenCount`` already includes cached content (``cachedContentTokenCount``, a part
    of it); tool-use prompt tokens are prompt tokens too. ``candidatesTokenCount`` leaves the
    thinking tokens (``thoughtsTokenCount``) out, which are billed as output: the neutral
    ``output_tokens`` is both, with the thoughts as ``reasoning_tokens``.
    """
    if not isinstance(meta, dict):
        return None
    thoughts = count_of(meta.get("thoughtsTokenCount"))
    return Usage(
        input_tokens=count_of(meta.get("promptTokenCount"))
        + count_of(meta.get("toolUsePromptTokenCount")),
        output_tokens=count_of(meta.get("candidatesTokenCount")) + thoughts,
        cached_input_tokens=count_of(meta.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


def response_text(response: dict[str, Any]) -> str | None:
    """The text parts of the first candidate joined (thought parts left out), or None."""
    candidates = list_of(response.get("candidates"))
    first = dict_of(candidates[0]) if candidates else {}
    parts = list_of(dict_of(first.get("content")).get("parts"))
    texts = [
        p["text"]
        for p in parts
        if isinstance(p, dict) and isinstance(p.get("text"), str) and not p.get("thought")
    ]
    return "".join(texts) if texts else None


def parse_gemini_line(line: ResultLine) -> BatchResult:
    """Parse one line of a Gemini responses file (or an inline response as a line)."""
    data = load_object(line)
    if isinstance(data, BatchResult):
        return data
    key = data.get("key")
    custom_id = key if isinstance(key, str) else ""
    response = data.get("response")
    error = data.get("error")
    if isinstance(error, dict):
        kind, code, message = error_fields(error)
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.ERRORED,
            error=ResultError(kind, code, message),
            raw=data,
        )
    if isinstance(response, dict):
        flag, reason = response_flag(response)
        model = str_of(response.get("modelVersion"))
        return BatchResult(
            custom_id=custom_id,
            outcome=Outcome.SUCCEEDED,
            text=response_text(response),
            usage=gemini_usage(response.get("usageMetadata")),
            flag=flag,
            finish_reason=reason,
            model=model.removeprefix("models/") if model else None,
            raw=data,
        )
    return BatchResult(
        custom_id=custom_id,
        outcome=Outcome.ERRORED,
        error=ResultError(INVALID_LINE, None, "result line has neither a response nor an error"),
        raw=data,
    )
