"""Validation of an OpenAI batch input file, as done while a batch is `validating`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.openai.results import line_facts

MAX_ERRORS = 100
NO_MODEL_ENDPOINTS = ("/v1/moderations",)


@dataclass
class InputReport:
    """What validation found: the requests' facts, the model, or line-numbered errors."""

    facts: list[Facts] = field(default_factory=list)
    model: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, code: str, message: str, param: str | None, line: int | None) -> None:
        """Record one problem (up to MAX_ERRORS)."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"code": code, "message": message, "param": param, "line": line})


def _check_line(report: InputReport, obj: Any, lineno: int, endpoint: str) -> str | None:
    """Check one parsed line; returns its custom_id when usable."""
    if not isinstance(obj, dict):
        report.error("invalid_json_line", f"Line {lineno} is not a JSON object.", None, lineno)
        return None
    cid = obj.get("custom_id")
    if not isinstance(cid, str) or not cid:
        report.error(
            "missing_required_parameter",
            f"Line {lineno} is missing the required 'custom_id' string.",
            "custom_id",
            lineno,
        )
        return None
    if obj.get("method") != "POST":
        report.error(
            "invalid_method",
            f"Line {lineno}: 'method' must be 'POST'.",
            "method",
            lineno,
        )
        return None
    if obj.get("url") != endpoint:
        report.error(
            "url_mismatch",
            f"Line {lineno}: the URL '{obj.get('url')}' does not match the batch endpoint "
            f"'{endpoint}'.",
            "url",
            lineno,
        )
        return None
    body = obj.get("body")
    if not isinstance(body, dict):
        report.error(
            "missing_required_parameter",
            f"Line {lineno} is missing the required 'body' object.",
            "body",
            lineno,
        )
        return None
    model = body.get("model")
    if endpoint not in NO_MODEL_ENDPOINTS and (not isinstance(model, str) or not model):
        report.error(
            "missing_required_parameter",
            f"Line {lineno} is missing the required 'body.model'.",
            "body.model",
            lineno,
        )
        return None
    if isinstance(model, str) and model:
        if report.model is None:
            report.model = model
        elif model != report.model:
            report.error(
                "model_mismatch",
                f"Line {lineno}: model '{model}' differs from '{report.model}'; a batch may only "
                "use one model.",
                "body.model",
                lineno,
            )
            return None
    return cid


def validate_input(path: Path, endpoint: str, max_tasks: int) -> InputReport:
    """Read the JSONL input line by line (split on \\n only) and check every line."""
    report = InputReport()
    seen: dict[str, int] = {}
    count = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            count += 1
            if count > max_tasks:
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                report.error(
                    "invalid_json_line",
                    f"Line {lineno} is not valid JSON.",
                    None,
                    lineno,
                )
                continue
            cid = _check_line(report, obj, lineno, endpoint)
            if cid is None:
                continue
            if cid in seen:
                report.error(
                    "duplicate_custom_id",
                    f"Line {lineno}: the custom_id '{cid}' is a duplicate of line {seen[cid]}; "
                    "custom_id values must be unique within a batch.",
                    "custom_id",
                    lineno,
                )
                continue
            seen[cid] = lineno
            report.facts.append(line_facts(cid, endpoint, obj["body"]))
    if count == 0:
        report.error("empty_file", "The batch input file is empty.", None, None)
    elif count > max_tasks:
        report.errors.insert(
            0,
            {
                "code": "too_many_tasks",
                "message": f"The batch input file has {count} requests; the limit is "
                f"{max_tasks:,}.",
                "param": None,
                "line": None,
            },
        )
    if report.errors:
        report.facts = []
    return report
