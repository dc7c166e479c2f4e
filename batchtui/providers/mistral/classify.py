"""The index's cheap classifier of one Mistral result line: custom_id, outcome, flag and
error type after ``json.loads`` (the full parse is `results`, whose rules and tables this
shares)."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import Outcome, ResultFlag
from batchtui.core.results.classify import Classification
from batchtui.providers.mistral.results import (
    body_error,
    error_type_of,
    line_error,
    status_outcome,
    success_flag,
)


def classify_mistral(source: str, obj: dict[str, Any]) -> Classification:
    """Classify one Mistral batch output/error line."""
    custom_id = obj.get("custom_id")
    if not isinstance(custom_id, str):
        custom_id = ""
    response = obj.get("response")
    top_error = line_error(obj.get("error"))
    if isinstance(response, dict):
        body = response.get("body")
        if status_outcome(response, top_error):
            return custom_id, Outcome.SUCCEEDED, success_flag(body), None
        error = body_error(body) or top_error
        flag = ResultFlag.HTTP_ERROR if source == "output" else None
        return custom_id, Outcome.ERRORED, flag, error_type_of(error) if error else None
    return custom_id, Outcome.ERRORED, None, error_type_of(top_error) if top_error else None
