"""The index's cheap classifier of one Gemini result line: custom_id (the line's key), outcome,
flag and error type after ``json.loads`` (the full parse is `results`; both share its tables)."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import Outcome
from batchtui.core.results.classify import INVALID_LINE, Classification, str_key
from batchtui.providers.gemini.results import response_flag


def classify_gemini(source: str, obj: dict[str, Any]) -> Classification:
    """Classify one ``{"key", "response" | "error"}`` line."""
    key = obj.get("key")
    custom_id = key if type(key) is str else ""
    error = obj.get("error")
    if isinstance(error, dict):
        return custom_id, Outcome.ERRORED, None, str_key(error.get("status")) or None
    response = obj.get("response")
    if isinstance(response, dict):
        flag, _ = response_flag(response)
        return custom_id, Outcome.SUCCEEDED, flag, None
    return custom_id, Outcome.ERRORED, None, INVALID_LINE
