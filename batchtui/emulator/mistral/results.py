"""Mistral result lines: what each request of a finished job writes to its output or error file.

Line shape (providers.md §9, a third party and Mistral's inline example [3][U]):
``{"id", "custom_id", "response": {"status_code", "body"}, "error"}``.

- success: status 200, ``body`` the endpoint's answer (chat and FIM: a chat completion;
  embeddings: an embedding list; the other endpoints are answered as chat here, a
  simplification of the emulator), ``error`` null — in the output file;
- ``[[http_error]]`` marker, or a line without a model when the job names none: status 400
  with Mistral's flat error body — in the error file;
- a ``fail_rate`` failure: ``response`` null and ``error: {message, code}`` — in the error file.

Mistral has no refusal or content-filter finish reason: ``[[refuse]]`` answers the refusal text
with ``stop``, ``[[filter]]`` a short answer with ``stop``; a tiny ``max_tokens`` gives
``length``.
"""

from __future__ import annotations

from typing import Any

from batchtui.emulator.facts import Facts, as_int, first_user_text, marker_in, prompt_tokens_of
from batchtui.emulator.ids import digest
from batchtui.emulator.results import HTTP_ERROR_MESSAGE, id_hex, randomly_failed, reply

EMBEDDINGS = "/v1/embeddings"
FIM = "/v1/fim/completions"
EMBEDDING_DIMS = 8
FINISH = {"stop": "stop", "length": "length", "refuse": "stop", "filter": "stop"}
NO_MODEL = "model: Field required (name it on the job or in the request body)"


def line_facts(custom_id: str, endpoint: str, body: dict[str, Any], model: str | None) -> Facts:
    """Facts of one request; ``model`` is the job's (a body's own model wins)."""
    name = body.get("model") if isinstance(body.get("model"), str) else model
    if endpoint == FIM:
        text, payload = str(body.get("prompt") or ""), body.get("prompt")
    elif endpoint == EMBEDDINGS:
        inputs = body.get("inputs", body.get("input"))
        text = inputs if isinstance(inputs, str) else first_user_text(inputs)
        payload = inputs
    else:
        text, payload = first_user_text(body.get("messages")), body.get("messages")
    inputs = body.get("inputs", body.get("input"))
    n = len(inputs) if endpoint == EMBEDDINGS and isinstance(inputs, list) else 1
    marker = marker_in(str(text)) or ("no_model" if not name else None)
    limit = as_int(body.get("max_tokens"))
    return Facts(custom_id, name or "", marker, limit, prompt_tokens_of(payload), n)


def ok(seed: int, facts: Facts, fail_rate: float) -> bool:
    """Whether the request succeeds."""
    if facts.marker in ("http_error", "no_model"):
        return False
    return not randomly_failed(seed, facts.custom_id, fail_rate)


def tokens(seed: int, facts: Facts, endpoint: str) -> tuple[int, int]:
    """(prompt, completion) tokens of a successful request."""
    if endpoint == EMBEDDINGS:
        return facts.prompt_tokens, 0
    return facts.prompt_tokens, reply(seed, facts).output_tokens


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _body(seed: int, facts: Facts, endpoint: str, created: int) -> dict[str, Any]:
    answer_id = id_hex(seed, facts.custom_id, 0)
    if endpoint == EMBEDDINGS:
        h = digest(seed, "embedding", facts.custom_id)
        vector = [round(b / 255 - 0.5, 4) for b in h[:EMBEDDING_DIMS]]
        return {
            "id": answer_id,
            "object": "list",
            "model": facts.model,
            "usage": _usage(facts.prompt_tokens, 0),
            "data": [
                {"object": "embedding", "embedding": vector, "index": i}
                for i in range(facts.n_inputs)
            ],
        }
    r = reply(seed, facts)
    return {
        "id": answer_id,
        "object": "chat.completion",
        "model": facts.model,
        "usage": _usage(facts.prompt_tokens, r.output_tokens),
        "created": created,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": r.text, "tool_calls": None},
                "finish_reason": FINISH[r.stop],
            }
        ],
    }


def result_line(
    seed: int, job_id: str, facts: Facts, endpoint: str, fail_rate: float, created: int
) -> tuple[dict[str, Any], bool]:
    """(line, goes to the output file) for a request that finished."""
    line_id = "batch-" + digest(seed, job_id, facts.custom_id).hex()[:32]
    line: dict[str, Any] = {"id": line_id, "custom_id": facts.custom_id}
    if ok(seed, facts, fail_rate):
        body = _body(seed, facts, endpoint, created)
        return {**line, "response": {"status_code": 200, "body": body}, "error": None}, True
    if facts.marker in ("http_error", "no_model"):
        message = HTTP_ERROR_MESSAGE if facts.marker == "http_error" else NO_MODEL
        body = {
            "object": "error",
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
        return {**line, "response": {"status_code": 400, "body": body}, "error": None}, False
    error = {"message": "Internal error while processing the request.", "code": "3000"}
    return {**line, "response": None, "error": error}, False
