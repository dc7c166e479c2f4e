"""Anthropic result lines: the JSONL a message batch's results URL serves.

Markers on Anthropic (text of the first user message of ``params.messages``):

- ``[[http_error]]`` — ``errored`` with an ``invalid_request_error``.
- ``[[refuse]]`` — ``stop_reason: "refusal"``.
- ``[[filter]]`` — Anthropic has no content-filter stop: the request is answered normally.
- A tiny ``max_tokens`` — ``stop_reason: "max_tokens"``.

``fail_rate`` failures are ``errored`` results with a nested error and a ``request_id``.
"""

from __future__ import annotations

from typing import Any

from batchtui.emulator.facts import Facts, as_int, first_user_text, marker_in, prompt_tokens_of
from batchtui.emulator.results import (
    HTTP_ERROR_MESSAGE,
    failure_pick,
    id_b62,
    randomly_failed,
    reply,
)


def request_facts(custom_id: str, params: dict[str, Any]) -> Facts:
    """Facts of one Anthropic request."""
    text = first_user_text(params.get("messages"))
    payload = [params.get("system"), params.get("messages")]
    marker = marker_in(text)
    return Facts(
        custom_id,
        str(params.get("model") or ""),
        None if marker == "filter" else marker,  # no content-filter stop: answered normally
        as_int(params.get("max_tokens")),
        prompt_tokens_of(payload),
    )


FAILURES = (
    ("invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"),
    ("api_error", "Internal server error"),
    ("overloaded_error", "Overloaded"),
)


def result_line(seed: int, facts: Facts, fail_rate: float) -> dict[str, Any]:
    """A finished request's result line (succeeded or errored)."""
    if facts.marker == "http_error" or randomly_failed(seed, facts.custom_id, fail_rate):
        if facts.marker == "http_error":
            etype = "invalid_request_error"
            error_message = HTTP_ERROR_MESSAGE
        else:
            pick = failure_pick(seed, facts.custom_id, len(FAILURES))
            etype, error_message = FAILURES[pick]
        error = {
            "type": "error",
            "error": {"type": etype, "message": error_message},
            "request_id": "req_011C" + id_b62(seed, facts.custom_id, 44, 20),
        }
        return {"custom_id": facts.custom_id, "result": {"type": "errored", "error": error}}
    r = reply(seed, facts)
    stop = {"stop": "end_turn", "length": "max_tokens", "refuse": "refusal"}[r.stop]
    content = [{"type": "text", "text": r.text}] if r.text else []
    message = {
        "id": "msg_01" + id_b62(seed, facts.custom_id, 0, 22),
        "type": "message",
        "role": "assistant",
        "model": facts.model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": facts.prompt_tokens,
            "output_tokens": r.output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "batch",
        },
    }
    return {"custom_id": facts.custom_id, "result": {"type": "succeeded", "message": message}}


def unrun_line(custom_id: str, kind: str) -> dict[str, Any]:
    """A `canceled` or `expired` result line."""
    return {"custom_id": custom_id, "result": {"type": kind}}
