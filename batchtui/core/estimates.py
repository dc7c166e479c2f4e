"""Cost estimates of submissions: from a validation summary, per part, or from a kept input.

The input tokens are the inputs package's estimate (about 4 characters a token, see
`batchtui.core.inputs.estimate`); the output ceiling is each request's ``max_tokens``. Prices
come from `batchtui.core.costs`. Parts of a split input get the run's estimate apportioned:
input by their share of the bytes, output ceiling by their share of the requests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from batchtui.core.costs import Estimate, estimate
from batchtui.core.inputs import estimate_input_tokens
from batchtui.core.inputs.native import native_format

MAX_TOKENS_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


class _PartLike(Protocol):
    @property
    def requests(self) -> int: ...

    @property
    def bytes(self) -> int: ...


def summary_estimate(provider: str, summary: Any) -> Estimate:
    """The estimate of everything an input summary (`InputSummary`) holds."""
    per_model = {
        name: (t.requests, t.input_tokens, t.max_tokens) for name, t in summary.models.items()
    }
    return estimate(provider, per_model, uncapped=int(summary.max_tokens_missing or 0))


def part_estimates(run: Estimate, parts: Sequence[_PartLike]) -> list[Estimate]:
    """The run's estimate apportioned to each part (exact when there is one part)."""
    if len(parts) <= 1:
        return [run] * len(parts)
    total_bytes = sum(p.bytes for p in parts) or 1
    total_requests = sum(p.requests for p in parts) or 1
    return [
        run.scaled(p.requests, p.bytes / total_bytes, p.requests / total_requests) for p in parts
    ]


def _max_tokens(body: dict[str, Any]) -> int | None:
    for key in MAX_TOKENS_KEYS:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def native_estimate(path: Path, provider: str) -> Estimate:
    """The estimate of a kept native JSONL input (one provider request a line)."""
    per_model: dict[str, list[int]] = {}
    uncapped = 0
    try:
        from_native = native_format(provider).from_native  # looked up once, not per line
    except ValueError:  # a provider without an input format: no line can be read
        return estimate(provider, {}, uncapped=0)
    with open(path, "rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                request = from_native(json.loads(raw))
            except (ValueError, TypeError):
                continue
            body = request.body
            model = request.model or "(unknown model)"
            totals = per_model.setdefault(model, [0, 0, 0])
            totals[0] += 1
            totals[1] += estimate_input_tokens(body)
            limit = _max_tokens(body)
            if limit is None:
                uncapped += 1
            else:
                totals[2] += limit
    return estimate(
        provider, {m: (r, i, o) for m, (r, i, o) in per_model.items()}, uncapped=uncapped
    )


@dataclass(frozen=True, slots=True)
class SubmissionEstimate:
    """The estimate of a submission: the whole run, each part, and the validation report."""

    run: Estimate
    parts: tuple[Estimate, ...]
    report: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.run.as_dict(), "parts": [p.as_dict() for p in self.parts]}
