"""Import and compose data: validation summaries, file windows, and drafts of neutral JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

INPUT_SUFFIXES = (".jsonl", ".json", ".csv")


@dataclass(frozen=True, slots=True)
class ErrorItem:
    """One validation problem with the line it sits on (1-based; None for whole-file ones)."""

    line: int | None
    field: str | None
    message: str

    def text(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass(frozen=True, slots=True)
class ValidationView:
    """What the import screen shows after validating a file."""

    path: str
    format: str = ""
    requests: int = 0
    models: Mapping[str, int] = field(default_factory=dict)
    input_tokens: int | None = None
    splits: tuple[int, ...] = ()
    errors: tuple[ErrorItem, ...] = ()
    total_errors: int = 0
    cost: str | None = None

    @property
    def ok(self) -> bool:
        return self.total_errors == 0 and not self.errors


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def error_item(error: Any) -> ErrorItem:
    """An `ErrorItem` from a core validation error (or a plain string)."""
    if isinstance(error, str):
        return ErrorItem(None, None, error)
    line = _get(error, "line", "lineno")
    return ErrorItem(
        line=int(line) if line is not None else None,
        field=_get(error, "field", "param"),
        message=str(_get(error, "message", "msg", default=error)),
    )


def validation_view(report: Any, path: str | Path) -> ValidationView:
    """Flatten a core validation report into a `ValidationView`."""
    if isinstance(report, ValidationView):
        return report
    errors = tuple(error_item(e) for e in _get(report, "errors", default=()) or ())
    models = _get(report, "models", default={}) or {}
    if not isinstance(models, Mapping):
        models = {str(m): 0 for m in models}
    splits = _get(report, "splits", "split_plan", "plan", default=()) or ()
    splits = tuple(
        s if isinstance(s, int) else int(_get(s, "count", "requests", default=0)) for s in splits
    )
    estimate = _get(report, "estimate", default=None)
    tokens = _get(report, "input_tokens", "estimated_input_tokens", default=None)
    if tokens is None and estimate is not None:
        tokens = _get(estimate, "input_tokens", default=None)
    cost = None
    if estimate is not None:
        low = _get(estimate, "cost_usd_low", default=None)
        high = _get(estimate, "cost_usd_high", default=None)
        if low is not None and high is not None:
            cost = f"${low:,.2f}–${high:,.2f}"
    return ValidationView(
        path=str(path),
        format=str(_get(report, "format", "detected_format", default="") or ""),
        requests=int(_get(report, "requests", "request_count", "count", default=0) or 0),
        models=dict(models),
        input_tokens=tokens,
        splits=splits,
        errors=errors,
        total_errors=int(_get(report, "total_errors", "error_count", default=len(errors))),
        cost=cost,
    )


def read_window(
    path: str | Path, line: int, before: int = 5, after: int = 20, max_chars: int = 400
) -> list[tuple[int, str]]:
    """Lines around 1-based `line` as (number, text), reading the file only up to the window."""
    first = max(1, line - before)
    last = line + after
    window: list[tuple[int, str]] = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(islice(handle, first - 1, last), start=first):
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if len(text) > max_chars:
                text = text[:max_chars] + "…"
            window.append((number, text))
    return window


def input_suffix_ok(path: Path) -> bool:
    """Whether the import tree lists this file."""
    return path.suffix.lower() in INPUT_SUFFIXES


# --------------------------------------------------------------------------- compose


@dataclass(frozen=True, slots=True)
class PromptItem:
    """One user prompt of a composed batch."""

    custom_id: str
    text: str


@dataclass(frozen=True, slots=True)
class ComposeDraft:
    """A batch written in the compose screen."""

    model: str = ""
    system: str = ""
    max_tokens: int | None = 1024
    temperature: float | None = None
    prompts: tuple[PromptItem, ...] = ()

    def request(self, prompt: PromptItem) -> dict[str, Any]:
        """The neutral request line of one prompt."""
        line: dict[str, Any] = {
            "custom_id": prompt.custom_id,
            "model": self.model,
            "messages": [{"role": "user", "content": prompt.text}],
        }
        if self.system:
            line["system"] = self.system
        if self.max_tokens is not None:
            line["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            line["temperature"] = self.temperature
        return line

    def problems(self) -> list[str]:
        """What stops this draft from being saved, in words."""
        problems: list[str] = []
        if not self.model.strip():
            problems.append("model is empty")
        if not self.prompts:
            problems.append("no prompts")
        seen: set[str] = set()
        for prompt in self.prompts:
            if not prompt.custom_id.strip():
                problems.append("a prompt has an empty custom_id")
            elif prompt.custom_id in seen:
                problems.append(f"duplicate custom_id {prompt.custom_id!r}")
            seen.add(prompt.custom_id)
            if not prompt.text.strip():
                problems.append(f"prompt {prompt.custom_id!r} is empty")
        return problems

    def jsonl(self) -> str:
        """The whole draft as neutral JSONL text."""
        return "".join(json.dumps(self.request(p), ensure_ascii=False) + "\n" for p in self.prompts)


def next_custom_id(existing: Iterable[str], prefix: str = "request") -> str:
    """The first ``prefix-NNN`` id not already taken."""
    taken = set(existing)
    number = 1
    while f"{prefix}-{number:03d}" in taken:
        number += 1
    return f"{prefix}-{number:03d}"


def move(items: Sequence[Any], index: int, delta: int) -> tuple[list[Any], int]:
    """Items with the one at `index` moved by `delta` (clamped), and its new index."""
    result = list(items)
    if not result:
        return result, 0
    target = max(0, min(len(result) - 1, index + delta))
    item = result.pop(index)
    result.insert(target, item)
    return result, target
