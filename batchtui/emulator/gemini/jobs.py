"""A Gemini batch's timeline: PENDING → RUNNING → SUCCEEDED, or FAILED (an unreadable input
file), CANCELLED (at once, on cancel) or EXPIRED (48 h, scaled: twice the shared window)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.jobs import Job, rfc3339
from batchtui.emulator.results import reply

WINDOW_FACTOR = 2.0
"""Gemini's window is 48 h [D]; the shared ``expire_seconds`` scales a 24 h window."""

BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"


@dataclass
class GeminiJob(Job):
    """A Gemini batch (an Operation named ``batches/{id}``)."""

    model: str = ""
    display_name: str = ""
    file_name: str | None = None  # the input file (None: inline requests)
    keys: list[str] = field(default_factory=list)  # each request's key or inline metadata
    metadata: list[Any] = field(default_factory=list)  # inline requests' metadata
    pending_share: float = 0.1
    failure: str | None = None  # why the batch fails at the end of PENDING
    output_file: str | None = None  # the responses file, once written

    def token_counts(self, facts: Facts) -> tuple[int, int]:
        return facts.prompt_tokens, reply(self.seed, facts).output_tokens

    @property
    def expires(self) -> float:
        return self.created + WINDOW_FACTOR * self.expire_seconds

    def run_window(self) -> tuple[float, float]:
        return self.created + self.pending_share * self.job_seconds, self.created + self.job_seconds

    def ending(self) -> tuple[str, float]:
        """How the batch ends (SUCCEEDED, FAILED, CANCELLED or EXPIRED) and when."""
        start, end = self.run_window()
        if self.failure is not None and (self.cancel_at is None or self.cancel_at >= start):
            return "BATCH_STATE_FAILED", start
        if self.cancel_at is not None and self.cancel_at < min(end, self.expires):
            return "BATCH_STATE_CANCELLED", self.cancel_at
        if self.expires < end:
            return "BATCH_STATE_EXPIRED", self.expires
        return "BATCH_STATE_SUCCEEDED", end

    def state_at(self, now: float) -> str:
        """The batch's state at time now."""
        state, end = self.ending()
        if now >= end:
            return state
        if now >= self.run_window()[0]:
            return "BATCH_STATE_RUNNING"
        return "BATCH_STATE_PENDING"

    def finished_share(self, now: float) -> float:
        """The finishing share reached by now (frozen at a cancel or the end)."""
        state, end = self.ending()
        if state in ("BATCH_STATE_FAILED", "BATCH_STATE_EXPIRED") and now >= end:
            return -1.0 if state == "BATCH_STATE_FAILED" else self.share_at(end)
        return self.share_at(min(now, end))

    def stats(self, now: float) -> dict[str, str]:
        """batchStats, int64 counts written as strings (proto3 JSON)."""
        n = len(self.facts)
        done = self.progress().done_by(self.finished_share(now))
        pending = n - done.finished
        state = self.state_at(now)
        if state in ("BATCH_STATE_FAILED",):
            done_ok, done_failed, pending = 0, 0, 0
        else:
            done_ok, done_failed = done.ok, done.finished - done.ok
        if state in ("BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"):
            pending = 0
        return {
            "requestCount": str(n),
            "successfulRequestCount": str(done_ok),
            "failedRequestCount": str(done_failed),
            "pendingRequestCount": str(pending),
        }

    def ended(self, now: float) -> bool:
        return now >= self.ending()[1]

    def to_json(self, now: float, output: dict[str, Any] | None) -> dict[str, Any]:
        """The Operation at time now; ``output`` is the batch's output once it has ended."""
        state = self.state_at(now)
        ended = self.ended(now)
        self.settled = self.settled or ended
        updated = min(now, self.ending()[1]) if ended else now
        batch: dict[str, Any] = {
            "@type": BATCH_TYPE,
            "model": self.model,
            "displayName": self.display_name,
            "createTime": rfc3339(self.created),
            "updateTime": rfc3339(updated),
            "batchStats": self.stats(now),
            "state": state,
            "name": self.id,
        }
        if self.file_name is not None:
            batch["inputConfig"] = {"fileName": self.file_name}
        if ended:
            batch["endTime"] = rfc3339(self.ending()[1])
        if output is not None:
            batch["output"] = output
        operation: dict[str, Any] = {"name": self.id, "metadata": batch}
        if ended:
            operation["done"] = True
            if state == "BATCH_STATE_FAILED":
                operation["error"] = {"code": 3, "message": self.failure or "batch failed"}
            elif output is not None:
                operation["response"] = {"@type": OUTPUT_TYPE, **output}
        return operation
