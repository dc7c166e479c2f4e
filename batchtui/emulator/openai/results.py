"""OpenAI result lines: the output- and error-file lines of a finished batch, per endpoint.

Markers on OpenAI (text of the first user message of chat ``messages``, responses ``input``,
completions ``prompt``):

- ``[[http_error]]`` — the line lands in the OUTPUT file with ``response.status_code`` 400 and
  the error inside ``response.body.error`` (counted as failed).
- ``[[refuse]]`` — chat/completions: ``finish_reason: "content_filter"`` with a ``refusal``
  (responses: a refusal content item).
- ``[[filter]]`` — a partial answer cut by the content filter (``finish_reason:
  "content_filter"``, no ``refusal``; responses: ``status: "incomplete"``, reason
  ``content_filter``).
- A tiny output limit (``max_tokens``/``max_completion_tokens``/``max_output_tokens``) —
  ``finish_reason: "length"`` (responses: ``status: "incomplete"``).

``fail_rate`` failures are error-file lines with status 4xx/5xx and ``response.body.error``.
"""

from __future__ import annotations

import functools
from typing import Any

from batchtui.emulator.facts import Facts, as_int, first_user_text, marker_in, prompt_tokens_of
from batchtui.emulator.ids import digest
from batchtui.emulator.results import (
    HTTP_ERROR_MESSAGE,
    failure_pick,
    id_b62,
    id_hex,
    randomly_failed,
    reply,
)


def line_facts(custom_id: str, endpoint: str, body: dict[str, Any]) -> Facts:
    """Facts of one OpenAI input line."""
    model = str(body.get("model") or "")
    if endpoint == "/v1/chat/completions":
        text = first_user_text(body.get("messages"))
        limit = as_int(body.get("max_completion_tokens")) or as_int(body.get("max_tokens"))
        payload: Any = body.get("messages")
    elif endpoint == "/v1/responses":
        text = first_user_text(body.get("input"))
        limit = as_int(body.get("max_output_tokens"))
        payload = body.get("input")
    elif endpoint == "/v1/completions":
        prompt = body.get("prompt")
        text = prompt[0] if isinstance(prompt, list) and prompt else str(prompt or "")
        limit = as_int(body.get("max_tokens"))
        payload = prompt
    else:
        inp = body.get("input", body.get("prompt"))
        text = first_user_text(inp) if isinstance(inp, list | str) else ""
        limit = None
        payload = inp
    inputs = body.get("input")
    n_inputs = len(inputs) if endpoint == "/v1/embeddings" and isinstance(inputs, list) else 1
    return Facts(custom_id, model, marker_in(str(text)), limit, prompt_tokens_of(payload), n_inputs)


@functools.lru_cache(maxsize=256)
def _fingerprint(seed: int, model: str) -> str:
    return "fp_" + digest(seed, "fp", model).hex()[:10]


def _line_ids(seed: int, batch_id: str, custom_id: str) -> tuple[str, str]:
    """(batch_req_ line id, req_ request id) for a request within one batch."""
    h = digest(seed, batch_id, custom_id).hex()
    return "batch_req_" + h[:32], "req_" + h[32:]


def usage(seed: int, facts: Facts, endpoint: str) -> tuple[int, int]:
    """(input_tokens, output_tokens) a successful OpenAI request bills."""
    if endpoint in ("/v1/embeddings", "/v1/moderations"):
        return facts.prompt_tokens, 0
    return facts.prompt_tokens, reply(seed, facts).output_tokens


FINISH_REASONS = {  # reply stop -> chat/completions finish_reason
    "stop": "stop",
    "length": "length",
    "refuse": "content_filter",
    "filter": "content_filter",
}


def _chat_body(seed: int, facts: Facts, created: int) -> dict[str, Any]:
    r = reply(seed, facts)
    finish = FINISH_REASONS[r.stop]
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if r.stop == "refuse" else r.text,
        "refusal": r.text if r.stop == "refuse" else None,
        "annotations": [],
    }
    return {
        "id": "chatcmpl-" + id_b62(seed, facts.custom_id, 0, 29),
        "object": "chat.completion",
        "created": created,
        "model": facts.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": facts.prompt_tokens,
            "completion_tokens": r.output_tokens,
            "total_tokens": facts.prompt_tokens + r.output_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": _fingerprint(seed, facts.model),
    }


def _responses_body(seed: int, facts: Facts, created: int) -> dict[str, Any]:
    r = reply(seed, facts)
    if r.stop == "refuse":
        content: dict[str, Any] = {"type": "refusal", "refusal": r.text}
    else:
        content = {"type": "output_text", "text": r.text, "annotations": [], "logprobs": []}
    incomplete = r.stop in ("length", "filter")
    reason = "content_filter" if r.stop == "filter" else "max_output_tokens"
    return {
        "id": "resp_" + id_hex(seed, facts.custom_id, 0),
        "object": "response",
        "created_at": created,
        "status": "incomplete" if incomplete else "completed",
        "error": None,
        "incomplete_details": {"reason": reason} if incomplete else None,
        "instructions": None,
        "max_output_tokens": facts.max_tokens,
        "model": facts.model,
        "output": [
            {
                "type": "message",
                "id": "msg_" + id_hex(seed, facts.custom_id, 32),
                "status": "incomplete" if incomplete else "completed",
                "role": "assistant",
                "content": [content],
            }
        ],
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "metadata": {},
        "text": {"format": {"type": "text"}},
        "truncation": "disabled",
        "usage": {
            "input_tokens": facts.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": r.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": facts.prompt_tokens + r.output_tokens,
        },
    }


def _completions_body(seed: int, facts: Facts, created: int) -> dict[str, Any]:
    r = reply(seed, facts)
    finish = FINISH_REASONS[r.stop]
    return {
        "id": "cmpl-" + id_b62(seed, facts.custom_id, 29, 29),
        "object": "text_completion",
        "created": created,
        "model": facts.model,
        "choices": [{"text": r.text, "index": 0, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": facts.prompt_tokens,
            "completion_tokens": r.output_tokens,
            "total_tokens": facts.prompt_tokens + r.output_tokens,
        },
    }


def _embeddings_body(seed: int, facts: Facts) -> dict[str, Any]:
    data = []
    for i in range(facts.n_inputs):
        h = digest(seed, "emb", facts.custom_id, i)
        vector = [round((b - 127.5) / 127.5, 6) for b in h[:16]]
        data.append({"object": "embedding", "index": i, "embedding": vector})
    return {
        "object": "list",
        "data": data,
        "model": facts.model,
        "usage": {"prompt_tokens": facts.prompt_tokens, "total_tokens": facts.prompt_tokens},
    }


def _moderations_body(seed: int, facts: Facts) -> dict[str, Any]:
    names = ("harassment", "hate", "self-harm", "sexual", "violence")
    return {
        "id": "modr-" + id_hex(seed, facts.custom_id, 64),
        "model": facts.model,
        "results": [
            {
                "flagged": False,
                "categories": dict.fromkeys(names, False),
                "category_scores": dict.fromkeys(names, 0.0001),
            }
        ],
    }


def success_body(seed: int, facts: Facts, endpoint: str, created: int) -> dict[str, Any]:
    """The body the endpoint would have answered with."""
    if endpoint == "/v1/chat/completions":
        return _chat_body(seed, facts, created)
    if endpoint == "/v1/responses":
        return _responses_body(seed, facts, created)
    if endpoint == "/v1/completions":
        return _completions_body(seed, facts, created)
    if endpoint == "/v1/embeddings":
        return _embeddings_body(seed, facts)
    if endpoint == "/v1/moderations":
        return _moderations_body(seed, facts)
    return {"created": created, "data": [{"url": "http://emulator.invalid/" + facts.custom_id}]}


FAILURES = (
    (400, "invalid_request_error", "messages", "context_length_exceeded",
     "This model's maximum context length is 8192 tokens. However, your messages resulted in "
     "9120 tokens. Please reduce the length of the messages."),
    (500, "server_error", None, None,
     "The server had an error while processing your request. Sorry about that!"),
    (404, "invalid_request_error", "model", "model_not_found",
     "The model does not exist or you do not have access to it."),
)  # fmt: skip


def result_line(
    seed: int, batch_id: str, facts: Facts, endpoint: str, fail_rate: float, created: int
) -> tuple[dict[str, Any], bool]:
    """A finished request's line and whether it belongs in the output file (else error file)."""
    line_id, rid = _line_ids(seed, batch_id, facts.custom_id)
    param: str | None
    code: str | None
    if facts.marker == "http_error":
        status, etype, param, code = 400, "invalid_request_error", "messages", None
        message = HTTP_ERROR_MESSAGE
        to_output = True
    elif randomly_failed(seed, facts.custom_id, fail_rate):
        pick = failure_pick(seed, facts.custom_id, len(FAILURES))
        status, etype, param, code, message = FAILURES[pick]
        to_output = False
    else:
        body = success_body(seed, facts, endpoint, created)
        response = {"status_code": 200, "request_id": rid, "body": body}
        line = {"id": line_id, "custom_id": facts.custom_id, "response": response, "error": None}
        return line, True
    error = {"message": message, "type": etype, "param": param, "code": code}
    response = {"status_code": status, "request_id": rid, "body": {"error": error}}
    line = {"id": line_id, "custom_id": facts.custom_id, "response": response, "error": None}
    return line, to_output


UNRUN_MESSAGES = {
    "batch_expired": "This request could not be executed before the completion window expired.",
    "batch_cancelled": "This request was not executed because the batch was cancelled.",
}


def unrun_line(seed: int, batch_id: str, custom_id: str, code: str) -> dict[str, Any]:
    """An error-file line for a request that never ran (expired or cancelled)."""
    return {
        "id": _line_ids(seed, batch_id, custom_id)[0],
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": UNRUN_MESSAGES[code]},
    }
