"""Anthropic's batch request ``{custom_id, params}`` (JSONL, or one JSON document) and its
conversion.

Neutral -> Anthropic keeps ``system`` as a top-level parameter and takes ``max_tokens`` from
``max_completion_tokens`` when only that is set; the request's endpoint is not written (every
request is a Messages request). Round trips: native -> neutral -> native and neutral ->
Anthropic -> neutral both give back what they started from.
"""

from __future__ import annotations

from typing import Any

from batchtui.core.inputs.native import EnvelopeFormat


def native_params(body: dict[str, Any], endpoint: str | None) -> dict[str, Any]:
    """The Anthropic ``params`` of a neutral request body (a new dict)."""
    params = dict(body)
    if "max_tokens" not in params and "max_completion_tokens" in params:
        params["max_tokens"] = params.pop("max_completion_tokens")
    return params


NATIVE = EnvelopeFormat(
    name="anthropic",
    body_key="params",
    # A first record with params is an Anthropic request.
    detect_keys=(frozenset({"params"}),),
    # The same records as one JSON document: [...] or {"requests": [...]} (a batch's body).
    document="anthropic-json",
    native_body=native_params,
)
