"""Together result lines: OpenAI's output/error line shape (providers.md §5: "Output/error
files as OpenAI") with Together's chat completion body.

Together's chat completion (together SDK ``types/chat/chat_completion.py``) requires a
``prompt`` list and knows the finish reasons ``stop``, ``eos``, ``length``, ``tool_calls`` and
``function_call``. Markers (text of the first user message):

- ``[[http_error]]`` — an error-file line with ``response.status_code`` 400 and the error
  inside ``response.body.error`` (Together documents errors in the error file).
- ``[[refuse]]`` / ``[[filter]]`` — Together has no refusal field or content-filter finish
  reason [U]: the reply is plain ``content`` with ``finish_reason: "stop"``.
- A tiny ``max_tokens`` — ``finish_reason: "length"``.

``fail_rate`` failures are error-file lines with a 4xx/5xx ``response.body.error``.
"""

from __future__ import annotations

from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.ids import digest
from batchtui.emulator.results import (
    HTTP_ERROR_MESSAGE,
    failure_pick,
    id_b62,
    randomly_failed,
    reply,
)

FINISH_REASONS = {"stop": "stop", "length": "length", "refuse": "stop", "filter": "stop"}

FAILURES = (
    (400, "invalid_request_error", "messages",
     "Input validation error: the prompt is longer than the model's context length."),
    (500, "server_error", None, "The server had an error processing your request."),
    (404, "invalid_request_error", "model",
     "Unable to access model. Please visit https://api.together.ai/models to view the list of "
     "supported models."),
)  # fmt: skip


def chat_body(seed: int, facts: Facts, created: int) -> dict[str, Any]:
    """The chat completion Together would have answered with."""
    r = reply(seed, facts)
    return {
        "id": id_b62(seed, facts.custom_id, 0, 16).lower() + "-" + str(created),
        "object": "chat.completion",
        "created": created,
        "model": facts.model,
        "prompt": [],
        "choices": [
            {
                "index": 0,
                "finish_reason": FINISH_REASONS[r.stop],
                "logprobs": None,
                "seed": int.from_bytes(digest(seed, "seed", facts.custom_id)[:7], "big"),
                "message": {"role": "assistant", "content": r.text, "tool_calls": []},
            }
        ],
        "usage": {
            "prompt_tokens": facts.prompt_tokens,
            "completion_tokens": r.output_tokens,
            "total_tokens": facts.prompt_tokens + r.output_tokens,
        },
    }


def _line_ids(seed: int, batch_id: str, custom_id: str) -> tuple[str, str]:
    h = digest(seed, batch_id, custom_id).hex()
    return "batch_req_" + h[:32], h[32:]


def result_line(
    seed: int, batch_id: str, facts: Facts, fail_rate: float, created: int
) -> tuple[dict[str, Any], bool]:
    """A finished request's line and whether it belongs in the output file (else error file)."""
    line_id, rid = _line_ids(seed, batch_id, facts.custom_id)
    param: str | None
    if facts.marker == "http_error":
        status, etype, param, message = 400, "invalid_request_error", "messages", None
        message = HTTP_ERROR_MESSAGE
    elif randomly_failed(seed, facts.custom_id, fail_rate):
        status, etype, param, message = FAILURES[failure_pick(seed, facts.custom_id, 3)]
    else:
        body = chat_body(seed, facts, created)
        response = {"status_code": 200, "request_id": rid, "body": body}
        line = {"id": line_id, "custom_id": facts.custom_id, "response": response, "error": None}
        return line, True
    error = {"message": message, "type": etype, "param": param, "code": None}
    response = {"status_code": status, "request_id": rid, "body": {"error": error}}
    line = {"id": line_id, "custom_id": facts.custom_id, "response": response, "error": None}
    return line, False
