"""A Mistral batch job's timeline: QUEUED -> RUNNING -> SUCCESS, or FAILED (a bad input file),
TIMEOUT_EXCEEDED (``timeout_hours`` passed) or CANCELLATION_REQUESTED -> CANCELLED."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.jobs import Done, Job, Progress
from batchtui.emulator.mistral.results import ok, tokens
from batchtui.emulator.results import time_share

TERMINAL = ("SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED")


@dataclass
class MistralJob(Job):
    """One batch job; its state is a function of the clock's time."""

    endpoint: str = "/v1/chat/completions"
    model: str | None = None
    input_files: list[str] = field(default_factory=list)
    metadata: dict[str, str] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)  # a failed job's [{message, count}]
    queue_share: float = 0.1  # share of job_seconds spent QUEUED
    output_file: str | None = None
    error_file: str | None = None
    materialized: bool = False
    outputs_path: Path | None = None  # every result line, for ``?inline=true``

    def token_counts(self, facts: Facts) -> tuple[int, int]:
        return tokens(self.seed, facts, self.endpoint)

    def progress(self) -> Progress:
        """The finishing order, with Mistral's own success rule (a line without a model fails)."""
        if self._progress is None or self._progress_rate != self.fail_rate:
            shares = [time_share(self.seed, f.custom_id) for f in self.facts]
            good = [ok(self.seed, f, self.fail_rate) for f in self.facts]
            counts = [self.token_counts(f) for f in self.facts]
            self._progress = Progress(shares, good, counts)
            self._progress_rate = self.fail_rate
        return self._progress

    @property
    def started_at(self) -> float:
        """End of QUEUED."""
        return self.created + self.queue_share * self.job_seconds

    def run_window(self) -> tuple[float, float]:
        return self.started_at, self.created + self.job_seconds

    def terminal(self) -> tuple[str, float]:
        """The terminal status this job reaches and when."""
        if self.cancel_at is not None:
            return "CANCELLED", self.cancel_at + self.cancel_delay
        end = self.started_at if self.errors else self.run_window()[1]
        if self.expires < end:
            return "TIMEOUT_EXCEEDED", self.expires
        if self.errors:
            return "FAILED", self.started_at
        return "SUCCESS", end

    def status_at(self, now: float) -> str:
        kind, end = self.terminal()
        if now >= end:
            return kind
        if self.cancel_at is not None and now >= self.cancel_at:
            return "CANCELLATION_REQUESTED"
        return "QUEUED" if now < self.started_at else "RUNNING"

    def running_since(self, now: float) -> bool:
        """Whether requests began running by now (never for a failed job, nor for one
        cancelled or timed out while QUEUED)."""
        if self.errors or now < self.started_at:
            return False
        if self.cancel_at is not None and self.cancel_at < self.started_at:
            return False
        return self.expires >= self.started_at

    def cutoff(self, now: float) -> float:
        """Time up to which finished requests count."""
        limit = min(now, self.expires)
        if self.cancel_at is not None:
            limit = min(limit, self.cancel_at)
        return limit

    def done(self, now: float) -> Done:
        if not self.running_since(now):
            return Done(0, 0, 0, 0)
        return self.progress().done_by(self.share_at(self.cutoff(now)))

    def to_json(self, now: float) -> dict[str, Any]:
        """The BatchJob object at time now (Unix seconds; nulls for what is not set)."""
        kind, end = self.terminal()
        terminal = now >= end
        done = self.done(now)
        return {
            "id": self.id,
            "object": "batch",
            "input_files": list(self.input_files),
            "metadata": self.metadata,
            "endpoint": self.endpoint,
            "model": self.model,
            "agent_id": None,
            "output_file": self.output_file if terminal else None,
            "error_file": self.error_file if terminal else None,
            "errors": self.errors if terminal and kind == "FAILED" else [],
            "status": self.status_at(now),
            "created_at": int(self.created),
            "total_requests": len(self.facts),
            "completed_requests": done.finished,
            "succeeded_requests": done.ok,
            "failed_requests": done.finished - done.ok,
            "started_at": int(self.started_at) if self.running_since(now) else None,
            "completed_at": int(end) if terminal else None,
        }
