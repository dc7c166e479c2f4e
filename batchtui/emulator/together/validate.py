"""Validation of a Together batch input file, as done while a job is VALIDATING.

Lines are ``{"custom_id", "body"}`` (Together docs, providers.md §5): ``custom_id`` a string of
at most 64 characters, unique in the file; ``body`` the chat completion request with its
``model``. Where the sources are silent the safe reading refuses [U]: a line carrying OpenAI's
``method`` or ``url`` keys, and a file mixing models (the job names one ``model_id``). The
first problem found fails the job with a message naming the line, as Together's job carries
one ``error`` string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.openai.results import line_facts

MAX_CUSTOM_ID = 64
CHAT = "/v1/chat/completions"


@dataclass
class InputReport:
    """What validation found: the requests' facts and model, or the first error."""

    facts: list[Facts] = field(default_factory=list)
    model: str | None = None
    error: str | None = None


def _line_error(obj: Any, lineno: int, seen: dict[str, int], model: str | None) -> str | None:
    """The problem with one parsed line, or None."""
    if not isinstance(obj, dict):
        return f"Line {lineno}: expected a JSON object."
    if "method" in obj or "url" in obj:
        return f"Line {lineno}: unexpected 'method'/'url'; lines are {{custom_id, body}}."
    cid = obj.get("custom_id")
    if not isinstance(cid, str) or not cid:
        return f"Line {lineno}: 'custom_id' must be a non-empty string."
    if len(cid) > MAX_CUSTOM_ID:
        return f"Line {lineno}: 'custom_id' is longer than {MAX_CUSTOM_ID} characters."
    if cid in seen:
        return f"Line {lineno}: duplicate custom_id '{cid}' (first on line {seen[cid]})."
    body = obj.get("body")
    if not isinstance(body, dict):
        return f"Line {lineno}: 'body' must be an object."
    line_model = body.get("model")
    if not isinstance(line_model, str) or not line_model:
        return f"Line {lineno}: 'body.model' is required."
    if model is not None and line_model != model:
        return f"Line {lineno}: model '{line_model}' differs from '{model}'; use one model."
    if not isinstance(body.get("messages"), list):
        return f"Line {lineno}: 'body.messages' must be a list."
    return None


def validate_input(path: Path, max_requests: int) -> InputReport:
    """Read the JSONL input line by line and stop at the first problem."""
    report = InputReport()
    seen: dict[str, int] = {}
    count = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            count += 1
            if count > max_requests:
                report.error = f"The input file has more than {max_requests:,} requests."
                break
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                report.error = f"Line {lineno}: invalid JSON."
                break
            report.error = _line_error(obj, lineno, seen, report.model)
            if report.error:
                break
            seen[obj["custom_id"]] = lineno
            report.model = obj["body"]["model"]
            report.facts.append(line_facts(obj["custom_id"], CHAT, obj["body"]))
    if count == 0 and report.error is None:
        report.error = "The input file is empty."
    if report.error:
        report.facts = []
    return report
