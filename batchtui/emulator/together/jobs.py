"""A Together batch job: VALIDATING -> IN_PROGRESS -> COMPLETED (or FAILED, EXPIRED,
CANCELING -> CANCELLED), with ISO timestamps and ``progress`` from 0 to 100.

Together has no finalizing phase and no request counts (providers.md §9); ``progress`` is the
share of requests finished. ``completed_at`` is set only when the job COMPLETED: the sources
do not say whether failed, expired or cancelled jobs carry it [U], and the safe reading leaves
it null there so no client reads an end time from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.jobs import Done, Job, rfc3339
from batchtui.emulator.openai.results import usage

TERMINAL = ("COMPLETED", "FAILED", "EXPIRED", "CANCELLED")
USER_ID = "emulator-user"


@dataclass
class TogetherJob(Job):
    """One Together batch job; its state is computed from the clock on each request."""

    endpoint: str = "/v1/chat/completions"
    input_file_id: str = ""
    file_size_bytes: int = 0
    model_id: str | None = None
    error: str | None = None  # validation failure: the job FAILED with this message
    validate_share: float = 0.1
    output_file_id: str | None = None
    error_file_id: str | None = None
    materialized: bool = False

    def token_counts(self, facts: Facts) -> tuple[int, int]:
        return usage(self.seed, facts, self.endpoint)

    @property
    def validated_at(self) -> float:
        """End of VALIDATING."""
        return self.created + self.validate_share * self.job_seconds

    def run_window(self) -> tuple[float, float]:
        return self.validated_at, max(self.created + self.job_seconds, self.validated_at)

    def terminal(self) -> tuple[str, float]:
        """The terminal status this job reaches and when."""
        if self.cancel_at is not None:
            return "CANCELLED", self.cancel_at + self.cancel_delay
        run_end = self.validated_at if self.error else self.run_window()[1]
        if self.expires < run_end:
            return "EXPIRED", self.expires
        if self.error:
            return "FAILED", self.validated_at
        return "COMPLETED", run_end

    def status_at(self, now: float) -> str:
        """The status at time now."""
        kind, end = self.terminal()
        if now >= end:
            return kind
        if self.cancel_at is not None and now >= self.cancel_at:
            return "CANCELING"
        return "VALIDATING" if now < self.validated_at else "IN_PROGRESS"

    def started(self, now: float) -> bool:
        """Whether validation passed and requests began running by now."""
        v = self.validated_at
        if self.error or now < v or self.expires < v:
            return False
        return self.cancel_at is None or self.cancel_at >= v

    def cutoff(self, now: float) -> float:
        """Time up to which finished requests count (a cancel stops the run at once)."""
        limit = min(now, self.expires)
        if self.cancel_at is not None:
            limit = min(limit, self.cancel_at)
        return limit

    def done(self, now: float) -> Done:
        """Tallies of finished requests at time now."""
        if not self.started(now):
            return Done(0, 0, 0, 0)
        return self.progress().done_by(self.share_at(self.cutoff(now)))

    def to_json(self, now: float) -> dict[str, Any]:
        """The job object at time now (every field present, nulls when unset)."""
        kind, end = self.terminal()
        terminal = now >= end
        total = len(self.facts)
        finished = self.done(now).finished
        return {
            "id": self.id,
            "user_id": USER_ID,
            "input_file_id": self.input_file_id,
            "file_size_bytes": self.file_size_bytes,
            "status": self.status_at(now),
            "job_deadline": rfc3339(self.expires),
            "created_at": rfc3339(self.created),
            "completed_at": rfc3339(end) if terminal and kind == "COMPLETED" else None,
            "endpoint": self.endpoint,
            "progress": round(100.0 * finished / total, 2) if total else 0.0,
            "model_id": self.model_id,
            "output_file_id": self.output_file_id if terminal else None,
            "error_file_id": self.error_file_id if terminal else None,
            "error": self.error if terminal and kind == "FAILED" else None,
        }
