"""The Gemini half's per-request facts and result objects: a GenerateContentResponse or a
google.rpc.Status for each request that ran, keyed as the docs describe (§9 [D])."""

from __future__ import annotations

from typing import Any

from batchtui.emulator.facts import Facts, as_int, marker_in, prompt_tokens_of
from batchtui.emulator.results import (
    HTTP_ERROR_MESSAGE,
    failure_pick,
    id_b62,
    randomly_failed,
    reply,
)


def first_user_text(request: dict[str, Any]) -> str:
    """The text of the first ``user`` content of a GenerateContentRequest."""
    contents = request.get("contents")
    if not isinstance(contents, list):
        return ""
    for content in contents:
        if isinstance(content, dict) and content.get("role", "user") == "user":
            parts = content.get("parts")
            if isinstance(parts, list):
                return " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
    return ""


def request_facts(custom_id: str, model: str, request: dict[str, Any]) -> Facts:
    """What the emulator needs of one GenerateContentRequest."""
    config = request.get("generationConfig")
    max_tokens = as_int(config.get("maxOutputTokens")) if isinstance(config, dict) else None
    return Facts(
        custom_id=custom_id,
        model=model,
        marker=marker_in(first_user_text(request)),
        max_tokens=max_tokens,
        prompt_tokens=prompt_tokens_of(request),
    )


FAILURES = (
    (400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    (500, "INTERNAL", "An internal error has occurred. Please retry or report it."),
    (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
)


def outcome(seed: int, facts: Facts, fail_rate: float) -> dict[str, Any]:
    """``{"response": …}`` or ``{"error": …}`` of a request that ran."""
    if facts.marker == "http_error":
        return {"error": {"code": 400, "message": HTTP_ERROR_MESSAGE, "status": "INVALID_ARGUMENT"}}
    if randomly_failed(seed, facts.custom_id, fail_rate):
        code, status, message = FAILURES[failure_pick(seed, facts.custom_id, len(FAILURES))]
        return {"error": {"code": code, "message": message, "status": status}}
    r = reply(seed, facts)
    model = facts.model.removeprefix("models/")
    candidate: dict[str, Any] = {"index": 0}
    if r.stop == "filter":
        candidate["finishReason"] = "SAFETY"
    else:
        candidate["content"] = {"parts": [{"text": r.text}], "role": "model"}
        candidate["finishReason"] = "MAX_TOKENS" if r.stop == "length" else "STOP"
    return {
        "response": {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": facts.prompt_tokens,
                "candidatesTokenCount": r.output_tokens,
                "totalTokenCount": facts.prompt_tokens + r.output_tokens,
            },
            "modelVersion": model,
            "responseId": id_b62(seed, facts.custom_id, 0, 22),
        }
    }
