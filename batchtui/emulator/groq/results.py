"""Groq result lines: OpenAI's output/error line shape with Groq's chat completion body.

Groq's chat completion (groq SDK ``types/chat/chat_completion.py``) knows only the finish
reasons ``stop``, ``length``, ``tool_calls`` and ``function_call``, a ``service_tier`` among
``auto``, ``on_demand``, ``flex`` and ``performance``, timing fields in ``usage`` and an
``x_groq`` object with a request id. Markers on Groq (text of the first user message):

- ``[[http_error]]`` — as on OpenAI: an output-file line with ``response.status_code`` 400 and
  the error inside ``response.body.error``.
- ``[[refuse]]`` — Groq has no refusal field or content-filter finish reason: the model's
  refusal is plain ``content`` with ``finish_reason: "stop"``.
- ``[[filter]]`` — Groq documents no content filter on chat completions [U]: the safe reading
  answers the short reply with ``finish_reason: "stop"``.
- A tiny ``max_completion_tokens``/``max_tokens`` — ``finish_reason: "length"``.

``fail_rate`` failures and never-run lines (``batch_expired``, ``batch_cancelled``) are OpenAI's
error-file lines; Groq documents neither [U], OpenAI's shape is the one its SDK mirrors.
"""

from __future__ import annotations

from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.ids import digest
from batchtui.emulator.openai.results import result_line as openai_line
from batchtui.emulator.results import id_b62, reply

ENDPOINT = "/v1/chat/completions"
FINISH_REASONS = {"stop": "stop", "length": "length", "refuse": "stop", "filter": "stop"}
TOKENS_PER_SECOND = 500.0  # emulated throughput for the usage timing fields


def chat_body(seed: int, facts: Facts, created: int) -> dict[str, Any]:
    """The chat completion Groq would have answered with."""
    r = reply(seed, facts)
    prompt_time = round(facts.prompt_tokens / (TOKENS_PER_SECOND * 10), 6)
    completion_time = round(r.output_tokens / TOKENS_PER_SECOND, 6)
    return {
        "id": "chatcmpl-" + id_b62(seed, facts.custom_id, 0, 29),
        "object": "chat.completion",
        "created": created,
        "model": facts.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": r.text},
                "logprobs": None,
                "finish_reason": FINISH_REASONS[r.stop],
            }
        ],
        "usage": {
            "queue_time": 0.01,
            "prompt_tokens": facts.prompt_tokens,
            "prompt_time": prompt_time,
            "completion_tokens": r.output_tokens,
            "completion_time": completion_time,
            "total_tokens": facts.prompt_tokens + r.output_tokens,
            "total_time": round(prompt_time + completion_time, 6),
        },
        "service_tier": "on_demand",
        "system_fingerprint": "fp_" + digest(seed, "fp", facts.model).hex()[:10],
        "x_groq": {"id": "req_" + id_b62(seed, facts.custom_id, 29, 26).lower()},
    }


def result_line(
    seed: int, batch_id: str, facts: Facts, fail_rate: float, created: int
) -> tuple[dict[str, Any], bool]:
    """A finished request's line and whether it belongs in the output file (else error file)."""
    line, to_output = openai_line(seed, batch_id, facts, ENDPOINT, fail_rate, created)
    response = line["response"]
    if response is not None and response["status_code"] == 200:
        response["body"] = chat_body(seed, facts, created)
    return line, to_output
