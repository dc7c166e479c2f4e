"""Conversion between the neutral ``BatchRequest`` and each provider's native batch line.

Neutral -> OpenAI: ``{custom_id, method: "POST", url, body}``; for chat completions a
``system`` parameter becomes a leading system message, for ``/v1/responses`` the chat shape is
mapped to ``input``/``instructions``/``max_output_tokens``. Neutral -> Anthropic:
``{custom_id, params}`` with ``system`` kept as a top-level parameter and ``max_tokens`` taken
from ``max_completion_tokens`` when only that is set. Content blocks pass through unchanged
(images and tools are not translated between providers).

Round trips: native -> neutral -> native gives the same line for both providers; neutral ->
Anthropic -> neutral gives the same request; neutral -> OpenAI -> neutral gives the request
with its system prompt moved into ``messages`` (an OpenAI line has nowhere else to keep it).
"""

from __future__ import annotations

from typing import Any

from batchtui.core.inputs.limits import ANTHROPIC_ENDPOINT, OPENAI_CHAT_ENDPOINT, limits_for
from batchtui.core.models import BatchRequest

RESPONSES_ENDPOINT = "/v1/responses"


class NativeFormatError(ValueError):
    """A native line does not have the shape of its provider's batch line."""


def to_native(request: BatchRequest, provider: str) -> dict[str, Any]:
    """The provider's native batch line for ``request`` (a new dict; the request is not changed)."""
    limits_for(provider)
    if provider == "openai":
        endpoint = request.endpoint or OPENAI_CHAT_ENDPOINT
        return {
            "custom_id": request.custom_id,
            "method": "POST",
            "url": endpoint,
            "body": _openai_body(request.body, endpoint),
        }
    return {"custom_id": request.custom_id, "params": _anthropic_params(request.body)}


def from_native(obj: Any, provider: str) -> BatchRequest:
    """The neutral request of one native line (OpenAI keeps its ``url`` as the endpoint)."""
    limits_for(provider)
    if not isinstance(obj, dict):
        raise NativeFormatError("a native batch line must be a JSON object")
    custom_id = obj.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise NativeFormatError("custom_id: missing or not a string")
    key = "body" if provider == "openai" else "params"
    body = obj.get(key)
    if not isinstance(body, dict):
        raise NativeFormatError(f"{key}: missing or not an object")
    if provider == "openai":
        url = obj.get("url")
        if url is not None and not isinstance(url, str):
            raise NativeFormatError("url: must be a string")
        return BatchRequest(custom_id, dict(body), url)
    return BatchRequest(custom_id, dict(body), None)


def _openai_body(body: dict[str, Any], endpoint: str) -> dict[str, Any]:
    if endpoint == OPENAI_CHAT_ENDPOINT:
        if "system" not in body:
            return dict(body)
        out = dict(body)
        system = out.pop("system")
        if system is None:
            return out
        messages = out.get("messages")
        rest = list(messages) if isinstance(messages, list) else []
        out["messages"] = [{"role": "system", "content": _openai_text(system)}, *rest]
        return out
    if endpoint == RESPONSES_ENDPOINT and "messages" in body and "input" not in body:
        out = {}
        for key, value in body.items():
            if key == "messages":
                out["input"] = value
            elif key == "system" and "instructions" not in body:
                if value is not None:
                    out["instructions"] = _plain_text(value)
            elif key == "max_tokens" and "max_output_tokens" not in body:
                out["max_output_tokens"] = value
            else:
                out[key] = value
        return out
    return dict(body)


def _anthropic_params(body: dict[str, Any]) -> dict[str, Any]:
    params = dict(body)
    if "max_tokens" not in params and "max_completion_tokens" in params:
        params["max_tokens"] = params.pop("max_completion_tokens")
    return params


def _openai_text(system: Any) -> Any:
    """A system prompt as OpenAI content: strings stay, text blocks keep only type and text."""
    if isinstance(system, list):
        return [
            {"type": "text", "text": block["text"]}
            if isinstance(block, dict) and isinstance(block.get("text"), str)
            else block
            for block in system
        ]
    return system


def _plain_text(system: Any) -> Any:
    if isinstance(system, list):
        texts = [b.get("text") for b in system if isinstance(b, dict)]
        if all(isinstance(t, str) for t in texts):
            return "\n\n".join(texts)  # type: ignore[arg-type]
    return system


def native_endpoint(request: BatchRequest, provider: str) -> str:
    """The endpoint a request will run on at ``provider``."""
    if provider == "openai":
        return request.endpoint or OPENAI_CHAT_ENDPOINT
    return ANTHROPIC_ENDPOINT
