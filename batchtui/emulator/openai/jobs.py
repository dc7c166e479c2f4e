"""An OpenAI batch's timeline: validating -> in_progress -> finalizing -> completed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.jobs import Done, Job
from batchtui.emulator.openai.results import usage


@dataclass
class OpenAIJob(Job):
    """An OpenAI batch: validating -> in_progress -> finalizing -> completed (or side exits)."""

    endpoint: str = ""
    input_file_id: str = ""
    completion_window: str = "24h"
    metadata: dict[str, str] | None = None
    model: str | None = None
    errors: list[dict[str, Any]] | None = None
    output_expires_after: int | None = None
    validate_share: float = 0.1
    finalize_share: float = 0.1
    output_file_id: str | None = None
    error_file_id: str | None = None
    materialized: bool = False
    enqueued_tokens: int = 0  # prompt tokens this batch holds in the org's enqueued limit

    def token_counts(self, facts: Facts) -> tuple[int, int]:
        return usage(self.seed, facts, self.endpoint)

    @property
    def validated_at(self) -> float:
        """End of `validating`."""
        return self.created + self.validate_share * self.job_seconds

    @property
    def finalizing_from(self) -> float:
        """Start of `finalizing` (every request has finished by then)."""
        return self.created + (1.0 - self.finalize_share) * self.job_seconds

    @property
    def completes_at(self) -> float:
        """When a normal run reaches `completed`."""
        return self.created + self.job_seconds

    def run_window(self) -> tuple[float, float]:
        return self.validated_at, max(self.finalizing_from, self.validated_at)

    def terminal(self) -> tuple[str, float]:
        """The terminal status this job reaches and when."""
        if self.cancel_at is not None:
            return "cancelled", self.cancel_at + self.cancel_delay
        run_end = self.validated_at if self.errors else self.run_window()[1]
        if self.expires < run_end:
            return "expired", self.expires
        if self.errors:
            return "failed", self.validated_at
        return "completed", self.completes_at

    def status_at(self, now: float) -> str:
        """The status at time now."""
        kind, end = self.terminal()
        if now >= end:
            return kind
        if self.cancel_at is not None and now >= self.cancel_at:
            return "cancelling"
        if now < self.validated_at:
            return "validating"
        if now < self.finalizing_from:
            return "in_progress"
        return "finalizing"

    def started(self, now: float) -> bool:
        """Whether validation passed and requests began running by now."""
        kind, _ = self.terminal()
        v = self.validated_at
        if self.errors or now < v or (kind == "expired" and self.expires < v):
            return False
        return self.cancel_at is None or self.cancel_at >= v

    def cutoff(self, now: float) -> float:
        """Time up to which finished requests count."""
        kind, _ = self.terminal()
        limit = now
        if self.cancel_at is not None:
            limit = min(limit, self.cancel_at)
        if kind == "expired":
            limit = min(limit, self.expires)
        return limit

    def done(self, now: float) -> Done:
        """Tallies of finished requests at time now."""
        if not self.started(now):
            return Done(0, 0, 0, 0)
        return self.progress().done_by(self.share_at(self.cutoff(now)))

    def to_json(self, now: float) -> dict[str, Any]:
        """The Batch object at time now (every key present, nulls for unset values)."""
        kind, end = self.terminal()
        status = self.status_at(now)
        terminal = now >= end
        started = self.started(now)
        finalizing = (
            started
            and now >= self.finalizing_from
            and kind != "expired"
            and (self.cancel_at is None or self.cancel_at >= self.finalizing_from)
        )
        done = self.done(now)
        total = len(self.facts) if started else 0

        def at(flag: bool, t: float) -> int | None:
            return int(t) if flag else None

        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "model": self.model,
            "errors": (
                {"object": "list", "data": self.errors}
                if self.errors and terminal and kind == "failed"
                else None
            ),
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": status,
            "output_file_id": self.output_file_id if terminal else None,
            "error_file_id": self.error_file_id if terminal else None,
            "created_at": int(self.created),
            "in_progress_at": at(started, self.validated_at),
            "expires_at": int(self.expires),
            "finalizing_at": at(finalizing, self.finalizing_from),
            "completed_at": at(terminal and kind == "completed", end),
            "failed_at": at(terminal and kind == "failed", end),
            "expired_at": at(terminal and kind == "expired", end),
            "cancelling_at": at(self.cancel_at is not None, self.cancel_at or 0.0),
            "cancelled_at": at(terminal and kind == "cancelled", end),
            "request_counts": {
                "total": total,
                "completed": done.ok,
                "failed": done.finished - done.ok,
            },
            "metadata": self.metadata,
            "usage": {
                "input_tokens": done.input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": done.output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": done.input_tokens + done.output_tokens,
            },
        }
