"""Deterministic per-request outcomes and result lines for both providers.

Everything a request yields (when it finishes inside the job, success or failure, text, usage)
is a pure function of (seed, custom_id, request), so a seed reproduces every result.

Request markers, looked for in the text of the first user message (OpenAI chat ``messages``,
responses ``input``, completions ``prompt``; Anthropic ``params.messages``):

- ``[[http_error]]`` — OpenAI: the line lands in the OUTPUT file with ``response.status_code``
  400 and the error inside ``response.body.error`` (counted as failed); Anthropic: ``errored``
  with an ``invalid_request_error``.
- ``[[refuse]]`` — OpenAI chat/completions: ``finish_reason: "content_filter"`` with a
  ``refusal`` (responses: a refusal content item); Anthropic: ``stop_reason: "refusal"``.
- ``[[filter]]`` — OpenAI: a partial answer cut by the content filter (``finish_reason:
  "content_filter"``, no ``refusal``; responses: ``status: "incomplete"``, reason
  ``content_filter``). Anthropic has no such stop reason: the request is answered normally.
- A tiny output limit (``max_tokens``/``max_completion_tokens``/``max_output_tokens`` <= 5, or
  any limit below the natural reply length) — OpenAI ``finish_reason: "length"`` (responses:
  ``status: "incomplete"``); Anthropic ``stop_reason: "max_tokens"``.

Besides the markers, ``fail_rate`` makes that share of requests fail with realistic bodies
(OpenAI: error-file lines with status 4xx/5xx and ``response.body.error``; Anthropic:
``errored`` results with a nested error and a ``request_id``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from batchtui.emulator.ids import BASE62, digest

WORDS = (  # noqa: SIM905 - one readable line of words
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu batch token "
    "result window queue answer model prompt"
).split()

HTTP_ERROR_MARKER = "[[http_error]]"
REFUSE_MARKER = "[[refuse]]"
FILTER_MARKER = "[[filter]]"
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."


@dataclass(frozen=True)
class Facts:
    """What the emulator needs to know about one request to produce its result."""

    custom_id: str
    model: str
    marker: str | None
    max_tokens: int | None
    prompt_tokens: int
    n_inputs: int = 1


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return ""


def first_user_text(messages: Any) -> str:
    """The text of the first user message (string or list-of-parts content)."""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        for msg in messages:
            if isinstance(msg, dict) and msg.get("role", "user") == "user":
                return _text_of(msg.get("content"))
    return ""


def _marker(text: str) -> str | None:
    if HTTP_ERROR_MARKER in text:
        return "http_error"
    if REFUSE_MARKER in text:
        return "refuse"
    if FILTER_MARKER in text:
        return "filter"
    return None


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _prompt_tokens(payload: Any) -> int:
    return max(1, len(json.dumps(payload, separators=(",", ":"))) // 4)


def openai_facts(custom_id: str, endpoint: str, body: dict[str, Any]) -> Facts:
    """Facts of one OpenAI input line."""
    model = str(body.get("model") or "")
    if endpoint == "/v1/chat/completions":
        text = first_user_text(body.get("messages"))
        limit = _as_int(body.get("max_completion_tokens")) or _as_int(body.get("max_tokens"))
        payload: Any = body.get("messages")
    elif endpoint == "/v1/responses":
        text = first_user_text(body.get("input"))
        limit = _as_int(body.get("max_output_tokens"))
        payload = body.get("input")
    elif endpoint == "/v1/completions":
        prompt = body.get("prompt")
        text = prompt[0] if isinstance(prompt, list) and prompt else str(prompt or "")
        limit = _as_int(body.get("max_tokens"))
        payload = prompt
    else:
        inp = body.get("input", body.get("prompt"))
        text = first_user_text(inp) if isinstance(inp, list | str) else ""
        limit = None
        payload = inp
    inputs = body.get("input")
    n_inputs = len(inputs) if endpoint == "/v1/embeddings" and isinstance(inputs, list) else 1
    return Facts(custom_id, model, _marker(str(text)), limit, _prompt_tokens(payload), n_inputs)


def anthropic_facts(custom_id: str, params: dict[str, Any]) -> Facts:
    """Facts of one Anthropic request."""
    text = first_user_text(params.get("messages"))
    payload = [params.get("system"), params.get("messages")]
    marker = _marker(text)
    return Facts(
        custom_id,
        str(params.get("model") or ""),
        None if marker == "filter" else marker,  # no content-filter stop: answered normally
        _as_int(params.get("max_tokens")),
        _prompt_tokens(payload),
    )


def time_share(seed: int, custom_id: str) -> float:
    """Where in the run (0 < share <= 1) this request finishes."""
    return 1.0 - int.from_bytes(_key(seed, custom_id)[:8], "big") / 2**64


def randomly_failed(seed: int, custom_id: str, fail_rate: float) -> bool:
    """Whether fail_rate picks this request to fail."""
    if fail_rate <= 0:
        return False
    return int.from_bytes(_key(seed, custom_id)[8:16], "big") / 2**64 < fail_rate


def succeeded(seed: int, facts: Facts, fail_rate: float) -> bool:
    """Whether the request ends with a 2xx answer (refusals and truncations included)."""
    return facts.marker != "http_error" and not randomly_failed(seed, facts.custom_id, fail_rate)


@dataclass(frozen=True)
class Reply:
    """The deterministic reply to one request."""

    text: str
    output_tokens: int
    stop: str  # "stop" | "length" | "refuse" | "filter"


def reply(seed: int, facts: Facts) -> Reply:
    """The reply text and output tokens for a request."""
    h = _key(seed, facts.custom_id)
    natural = 6 + h[17] % 40
    words = [WORDS[b % len(WORDS)] for b in h[18 : 18 + natural]]
    if facts.marker == "refuse":
        return Reply(REFUSAL_TEXT, len(REFUSAL_TEXT.split()), "refuse")
    if facts.marker == "filter":
        return Reply(" ".join(words[:3]), 3, "filter")
    if facts.max_tokens is not None and facts.max_tokens < natural:
        n = max(facts.max_tokens, 0)
        return Reply(" ".join(words[:n]), n, "length")
    return Reply(" ".join(words).capitalize() + ".", natural, "stop")


@functools.lru_cache(maxsize=1 << 18)
def _key(seed: int, custom_id: str) -> bytes:
    """64 seeded bytes per request: [0:8] time, [8:16] failure, [16] failure kind,
    [17] reply length, [18:64] reply words."""
    return hashlib.sha512(f"{seed}\x00{custom_id}".encode()).digest()


@functools.lru_cache(maxsize=1 << 18)
def _id_bytes(seed: int, custom_id: str) -> bytes:
    return hashlib.sha512(f"{seed}\x00ids\x00{custom_id}".encode()).digest()


def _b62(seed: int, custom_id: str, start: int, n: int) -> str:
    """n base62 characters of the request's id material from offset start (start + n <= 64)."""
    return "".join(BASE62[b % 62] for b in _id_bytes(seed, custom_id)[start : start + n])


def _hex(seed: int, custom_id: str, start: int) -> str:
    """32 hex characters of the request's id material (start in 0..96)."""
    return _id_bytes(seed, custom_id).hex()[start : start + 32]


@functools.lru_cache(maxsize=256)
def _fingerprint(seed: int, model: str) -> str:
    return "fp_" + digest(seed, "fp", model).hex()[:10]


def _line_ids(seed: int, batch_id: str, custom_id: str) -> tuple[str, str]:
    """(batch_req_ line id, req_ request id) for a request within one batch."""
    h = digest(seed, batch_id, custom_id).hex()
    return "batch_req_" + h[:32], "req_" + h[32:]


# ---------------------------------------------------------------- OpenAI


def openai_usage(seed: int, facts: Facts, endpoint: str) -> tuple[int, int]:
    """(input_tokens, output_tokens) a successful OpenAI request bills."""
    if endpoint in ("/v1/embeddings", "/v1/moderations"):
        return facts.prompt_tokens, 0
    return facts.prompt_tokens, reply(seed, facts).output_tokens


def _chat_body(seed: int, facts: Facts, created: int) -> dict[str, Any]:
    r = reply(seed, facts)
    finish = {
        "stop": "stop",
        "length": "length",
        "refuse": "content_filter",
        "filter": "content_filter",
    }[r.stop]
    message = {
        "role": "assistant",
        "content": None if r.stop == "refuse" else r.text,
        "refusal": r.text if r.stop == "refuse" else None,
        "annotations": [],
    }
    return {
        "id": "chatcmpl-" + _b62(seed, facts.custom_id, 0, 29),
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
        "id": "resp_" + _hex(seed, facts.custom_id, 0),
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
                "id": "msg_" + _hex(seed, facts.custom_id, 32),
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
    finish = {
        "stop": "stop",
        "length": "length",
        "refuse": "content_filter",
        "filter": "content_filter",
    }[r.stop]
    return {
        "id": "cmpl-" + _b62(seed, facts.custom_id, 29, 29),
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
        "id": "modr-" + _hex(seed, facts.custom_id, 64),
        "model": facts.model,
        "results": [
            {
                "flagged": False,
                "categories": dict.fromkeys(names, False),
                "category_scores": dict.fromkeys(names, 0.0001),
            }
        ],
    }


def openai_success_body(seed: int, facts: Facts, endpoint: str, created: int) -> dict[str, Any]:
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


OPENAI_FAILURES = (
    (400, "invalid_request_error", "messages", "context_length_exceeded",
     "This model's maximum context length is 8192 tokens. However, your messages resulted in "
     "9120 tokens. Please reduce the length of the messages."),
    (500, "server_error", None, None,
     "The server had an error while processing your request. Sorry about that!"),
    (404, "invalid_request_error", "model", "model_not_found",
     "The model does not exist or you do not have access to it."),
)  # fmt: skip


def openai_result_line(
    seed: int, batch_id: str, facts: Facts, endpoint: str, fail_rate: float, created: int
) -> tuple[dict[str, Any], bool]:
    """A finished request's line and whether it belongs in the output file (else error file)."""
    line_id, rid = _line_ids(seed, batch_id, facts.custom_id)
    if facts.marker == "http_error":
        status, etype, param, code = 400, "invalid_request_error", "messages", None
        message = "The emulator was asked to fail this request ([[http_error]] marker)."
        to_output = True
    elif randomly_failed(seed, facts.custom_id, fail_rate):
        pick = _key(seed, facts.custom_id)[16] % len(OPENAI_FAILURES)
        status, etype, param, code, message = OPENAI_FAILURES[pick]
        to_output = False
    else:
        body = openai_success_body(seed, facts, endpoint, created)
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


def openai_unrun_line(seed: int, batch_id: str, custom_id: str, code: str) -> dict[str, Any]:
    """An error-file line for a request that never ran (expired or cancelled)."""
    return {
        "id": _line_ids(seed, batch_id, custom_id)[0],
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": UNRUN_MESSAGES[code]},
    }


# ---------------------------------------------------------------- Anthropic

ANTHROPIC_FAILURES = (
    ("invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"),
    ("api_error", "Internal server error"),
    ("overloaded_error", "Overloaded"),
)


def anthropic_result_line(seed: int, facts: Facts, fail_rate: float) -> dict[str, Any]:
    """A finished request's result line (succeeded or errored)."""
    if facts.marker == "http_error" or randomly_failed(seed, facts.custom_id, fail_rate):
        if facts.marker == "http_error":
            etype = "invalid_request_error"
            message = "The emulator was asked to fail this request ([[http_error]] marker)."
        else:
            pick = _key(seed, facts.custom_id)[16] % len(ANTHROPIC_FAILURES)
            etype, message = ANTHROPIC_FAILURES[pick]
        error = {
            "type": "error",
            "error": {"type": etype, "message": message},
            "request_id": "req_011C" + _b62(seed, facts.custom_id, 44, 20),
        }
        return {"custom_id": facts.custom_id, "result": {"type": "errored", "error": error}}
    r = reply(seed, facts)
    stop = {"stop": "end_turn", "length": "max_tokens", "refuse": "refusal"}[r.stop]
    content = [{"type": "text", "text": r.text}] if r.text else []
    message = {
        "id": "msg_01" + _b62(seed, facts.custom_id, 0, 22),
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


def anthropic_unrun_line(custom_id: str, kind: str) -> dict[str, Any]:
    """A `canceled` or `expired` result line."""
    return {"custom_id": custom_id, "result": {"type": kind}}
