"""Import and compose data: validation summaries, file windows, and drafts of neutral JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.ui.models.money import estimate_figures
from batchtui.ui.models.money import estimate_text as money_estimate_text

if TYPE_CHECKING:
    from batchtui.core.inputs import ValidationReport

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
        return self.total_errors == 0


def validation_view(
    report: ValidationReport, path: str | Path, *, with_cost: bool = False
) -> ValidationView:
    """Flatten the core's `ValidationReport` into a `ValidationView`."""
    summary = report.summary
    errors = tuple(
        ErrorItem(issue.line, issue.field or None, issue.message)
        if issue.is_error
        else ErrorItem(issue.line, issue.field or None, f"warning: {issue.message}")
        for issue in report.issues
    )
    models = {name: totals.requests for name, totals in summary.models.items()}
    cost = estimate_text(report) if with_cost else None
    return ValidationView(
        path=str(path),
        format=str(report.format),
        requests=int(summary.requests),
        models=models,
        input_tokens=int(summary.input_tokens),
        splits=tuple(int(part.requests) for part in summary.parts),
        errors=errors,
        total_errors=int(report.error_count),
        cost=cost,
    )


def estimate_text(report: ValidationReport) -> str:
    """The report's cost range at batch prices (``$0.0012–$0.0150``), or "no price" naming
    the models without one. Loads the price database: call it off the loop."""
    from batchtui.core.estimates import summary_estimate

    figures = estimate_figures(summary_estimate(report.provider, report.summary).as_dict())
    return money_estimate_text(figures)


def draft_estimate_text(draft: ComposeDraft, provider: str) -> str | None:
    """The cost range of a composed batch at batch prices (same wording as the import
    summary), or None while the draft has no prompt or no model. Loads the price database:
    call it off the loop."""
    if not draft.prompts or not draft.model.strip():
        return None
    from batchtui.core.costs import estimate
    from batchtui.core.inputs import estimate_input_tokens

    tokens = sum(estimate_input_tokens(draft.request(p)) for p in draft.prompts)
    count = len(draft.prompts)
    ceiling = (draft.max_tokens or 0) * count
    per_model = {draft.model.strip(): (count, tokens, ceiling)}
    uncapped = 0 if draft.max_tokens else count
    figures = estimate_figures(estimate(provider, per_model, uncapped=uncapped).as_dict())
    return money_estimate_text(figures)


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
