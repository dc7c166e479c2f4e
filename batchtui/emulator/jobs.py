"""Lazy job timelines: status, timestamps and counts are pure functions of the clock's time."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from batchtui.emulator.results import Facts, openai_usage, reply, succeeded, time_share


@dataclass(frozen=True)
class Done:
    """Tallies of the requests finished by some time."""

    finished: int
    ok: int
    input_tokens: int
    output_tokens: int


class Progress:
    """Requests sorted by when they finish in the run, with prefix sums for fast tallies."""

    def __init__(self, shares: list[float], ok: list[bool], tokens: list[tuple[int, int]]) -> None:
        order = sorted(range(len(shares)), key=shares.__getitem__)
        self.shares = [shares[i] for i in order]
        self._ok = [0]
        self._in = [0]
        self._out = [0]
        for i in order:
            good = ok[i]
            self._ok.append(self._ok[-1] + good)
            self._in.append(self._in[-1] + (tokens[i][0] if good else 0))
            self._out.append(self._out[-1] + (tokens[i][1] if good else 0))

    def done_by(self, share: float) -> Done:
        """Tallies of requests whose finishing share is <= share."""
        n = bisect.bisect_right(self.shares, share)
        return Done(n, self._ok[n], self._in[n], self._out[n])


@dataclass
class Job:
    """Timing shared by both providers' jobs; the clock is only read, never ticked."""

    id: str
    created: float
    job_seconds: float
    expire_seconds: float
    fail_rate: float
    seed: int
    facts: list[Facts]
    cancel_seconds: float | None = None
    cancel_at: float | None = None
    seq: int = 0
    settled: bool = False  # seen terminal by a client: the outcome no longer changes
    _progress: Progress | None = field(default=None, repr=False)
    _progress_rate: float = field(default=-1.0, repr=False)

    def override(
        self, job_seconds: float | None, expire_seconds: float | None, fail_rate: float | None
    ) -> None:
        """Change timing or failure rate; a job already seen terminal keeps its outcome."""
        if self.settled:
            return
        if job_seconds is not None:
            self.job_seconds = job_seconds
        if expire_seconds is not None:
            self.expire_seconds = expire_seconds
        if fail_rate is not None:
            self.fail_rate = fail_rate

    @property
    def cancel_delay(self) -> float:
        """How long cancelling/canceling lasts."""
        if self.cancel_seconds is not None:
            return self.cancel_seconds
        return 0.1 * self.job_seconds

    @property
    def expires(self) -> float:
        """When the completion window closes."""
        return self.created + self.expire_seconds

    def token_counts(self, facts: Facts) -> tuple[int, int]:
        """(input, output) tokens a successful request bills; provider-specific."""
        raise NotImplementedError

    def progress(self) -> Progress:
        """The sorted finishing order (rebuilt when fail_rate changes)."""
        if self._progress is None or self._progress_rate != self.fail_rate:
            shares = [time_share(self.seed, f.custom_id) for f in self.facts]
            ok = [succeeded(self.seed, f, self.fail_rate) for f in self.facts]
            tokens = [self.token_counts(f) for f in self.facts]
            self._progress = Progress(shares, ok, tokens)
            self._progress_rate = self.fail_rate
        return self._progress

    def run_window(self) -> tuple[float, float]:
        """(start, end) of the span in which requests finish."""
        raise NotImplementedError

    def share_at(self, t: float) -> float:
        """The finishing share reached at time t."""
        start, end = self.run_window()
        if end <= start:
            return math.inf if t >= start else -math.inf
        return (t - start) / (end - start)

    def finish_time(self, facts: Facts) -> float:
        """When this request finishes if the job runs to the end."""
        start, end = self.run_window()
        return start + time_share(self.seed, facts.custom_id) * (end - start)


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
        return openai_usage(self.seed, facts, self.endpoint)

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


def rfc3339(t: float) -> str:
    """Unix seconds as RFC 3339 with microseconds and a Z suffix."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
