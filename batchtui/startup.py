"""`BATCHTUI_PROFILE_STARTUP=1`: where the dashboard's start-up time goes, phase by phase.

Each `mark` records the wall-clock time since the process started (read from /proc on Linux,
to 10 ms; elsewhere since this module was first imported, which `batchtui` does first). The
dashboard marks its phases and, once it exits, prints them to stderr (printing while the
dashboard draws would tear the screen). Off, `mark` costs one dict lookup.
"""

from __future__ import annotations

import os
import sys
import time

ENV = "BATCHTUI_PROFILE_STARTUP"
_origin = time.perf_counter()
_marks: list[tuple[str, float, float]] = []
enabled = os.environ.get(ENV, "") not in ("", "0")


def _process_age() -> float:
    """Seconds since the process started (Linux /proc), else 0."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        with open("/proc/uptime", "rb") as uptime:
            up = float(uptime.read().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, up - started)
    except (OSError, ValueError, IndexError):
        return 0.0


if enabled:
    _origin -= _process_age()


def mark(phase: str) -> None:
    """Record that `phase` has just finished (nothing unless profiling is on)."""
    if enabled:
        _marks.append((phase, time.perf_counter() - _origin, time.process_time()))


def report() -> str:
    """The marks as lines: seconds since start, the phase's own wall time and CPU time (the
    steadier figure on a busy machine), the phase."""
    lines = [f"{'since start':>11}  {'phase':>7}  {'cpu':>7}  (BATCHTUI_PROFILE_STARTUP)"]
    before, cpu_before = 0.0, 0.0
    for phase, at, cpu in _marks:
        lines.append(f"{at:10.3f}s  {at - before:6.3f}s  {cpu - cpu_before:6.3f}s  {phase}")
        before, cpu_before = at, cpu
    return "\n".join(lines)


def print_report() -> None:
    """Print the marks to stderr once (when profiling is on and anything was marked)."""
    if enabled and _marks:
        print(report(), file=sys.stderr, flush=True)
        _marks.clear()
