"""An Anthropic message batch's timeline: in_progress -> (canceling ->) ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batchtui.emulator.facts import Facts
from batchtui.emulator.jobs import Job, rfc3339
from batchtui.emulator.results import reply


@dataclass
class AnthropicJob(Job):
    """An Anthropic message batch: in_progress -> (canceling ->) ended."""

    retention_seconds: float = 29 * 86400.0
    results_path: Any = None

    def token_counts(self, facts: Facts) -> tuple[int, int]:
        return facts.prompt_tokens, reply(self.seed, facts).output_tokens

    def run_window(self) -> tuple[float, float]:
        return self.created, self.created + self.job_seconds

    def ending(self) -> tuple[str, float]:
        """How the batch ends ("done", "canceled" or "expired") and when."""
        if self.cancel_at is not None:
            return "canceled", self.cancel_at + self.cancel_delay
        run_end = self.run_window()[1]
        if self.expires < run_end:
            return "expired", self.expires
        return "done", run_end

    def status_at(self, now: float) -> str:
        """processing_status at time now."""
        _, end = self.ending()
        if now >= end:
            return "ended"
        if self.cancel_at is not None and now >= self.cancel_at:
            return "canceling"
        return "in_progress"

    def finished_share(self) -> float:
        """The finishing share up to which requests ran before the end."""
        kind, end = self.ending()
        if kind == "canceled":
            return self.share_at(self.cancel_at or end)
        return self.share_at(end)

    def counts(self, now: float) -> dict[str, int]:
        """request_counts: everything `processing` until ended."""
        n = len(self.facts)
        if self.status_at(now) != "ended":
            return {"processing": n, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        kind, _ = self.ending()
        done = self.progress().done_by(self.finished_share())
        rest = n - done.finished
        return {
            "processing": 0,
            "succeeded": done.ok,
            "errored": done.finished - done.ok,
            "canceled": rest if kind == "canceled" else 0,
            "expired": rest if kind == "expired" else 0,
        }

    def archived(self, now: float) -> bool:
        """Whether results were deleted (retention passed)."""
        return now >= self.created + self.retention_seconds

    def to_json(self, now: float, base_url: str) -> dict[str, Any]:
        """The MessageBatch object at time now."""
        _, end = self.ending()
        ended = self.status_at(now) == "ended"
        self.settled = self.settled or ended
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": self.status_at(now),
            "request_counts": self.counts(now),
            "created_at": rfc3339(self.created),
            "expires_at": rfc3339(self.expires),
            "ended_at": rfc3339(end) if ended else None,
            "cancel_initiated_at": rfc3339(self.cancel_at) if self.cancel_at is not None else None,
            "archived_at": (
                rfc3339(self.created + self.retention_seconds) if self.archived(now) else None
            ),
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }
