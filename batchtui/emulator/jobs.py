"""Lazy job timelines shared by every provider half: a job's status, timestamps and counts are pure
functions of the clock's time. Each half subclasses Job with its own states (``<half>/jobs.py``)."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from batchtui.emulator.facts import Facts
from batchtui.emulator.results import succeeded, time_share


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
    """Timing shared by every provider's jobs; the clock is only read, never ticked."""

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


def rfc3339(t: float) -> str:
    """Unix seconds as RFC 3339 with microseconds and a Z suffix."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
