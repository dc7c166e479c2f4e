"""Sizes of the full run and of the ``--quick`` run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """One store size of the live-dashboard benchmarks (B5/B6) and its targets."""

    jobs: int  # live jobs in the store, split over two profiles
    idle_s: float  # idle CPU / request-rate window
    cold_start_s: float  # B6 target: spawn -> first frame
    idle_cpu_pct: float  # B5 target: idle CPU with polling, % of a core


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
    b5_scales: tuple[Scale, ...]  # B5/B6 store sizes, each its own rows
    b5_warmup_s: float  # polling runs this long before the idle window
    b5_presses: int  # key presses timed
    b7_jobs: int  # B7: jobs in the store for `list` and the filter/sort keys
    b7_sorts: int  # B7: `s` presses timed (each re-sorts the whole table)
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
    # 1,000 jobs: an idle window longer than the 120 s max poll interval; 10,000 jobs: 30 s
    # (what issue 13's author used) to keep the full run reasonable.
    b5_scales=(Scale(1_000, 125.0, 0.6, 1.0), Scale(10_000, 30.0, 0.8, 10.0)),
    b5_warmup_s=5.0,
    b5_presses=60,
    b7_jobs=10_000,
    b7_sorts=12,
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
    b5_scales=(Scale(30, 2.0, 0.6, 1.0), Scale(80, 2.0, 0.8, 10.0)),
    b5_warmup_s=1.0,
    b5_presses=10,
    b7_jobs=80,
    b7_sorts=6,
    repeats=1,
)
