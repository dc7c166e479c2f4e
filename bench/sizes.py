"""Sizes of the full run and of the ``--quick`` run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark's data is and how long its windows last."""

    name: str
    b1_lines: int  # results browser file (~1,800 bytes a line)
    b1_small_lines: int  # the same shape, 10x smaller, to show first-lines time vs size
    b1_datatable_cap: int  # naive DataTable: rows actually loaded (then extrapolated)
    b2_lines: int  # OpenAI input (~3,800 bytes a line)
    b3_anthropic_requests: int  # Anthropic create (~1,200 bytes a request)
    b4_requests: int  # finished batch to download and index
    b5_jobs: int  # live jobs in the store, split over two profiles
    b5_warmup_s: float  # polling runs this long before the idle window
    b5_idle_s: float  # idle CPU / request-rate window (>= the 120 s max poll interval)
    b5_presses: int  # key presses timed
    repeats: int  # best-of-N for the cheap timings

    @property
    def b1_line_bytes(self) -> int:
        return 1800


FULL = Sizes(
    name="full",
    b1_lines=100_000,
    b1_small_lines=10_000,
    b1_datatable_cap=20_000,
    b2_lines=50_000,
    b3_anthropic_requests=100_000,
    b4_requests=50_000,
    b5_jobs=1_000,
    b5_warmup_s=5.0,
    b5_idle_s=125.0,
    b5_presses=60,
    repeats=3,
)

QUICK = Sizes(
    name="quick",
    b1_lines=4_000,
    b1_small_lines=400,
    b1_datatable_cap=4_000,
    b2_lines=1_000,
    b3_anthropic_requests=1_000,
    b4_requests=1_000,
    b5_jobs=40,
    b5_warmup_s=1.0,
    b5_idle_s=2.0,
    b5_presses=10,
    repeats=1,
)
