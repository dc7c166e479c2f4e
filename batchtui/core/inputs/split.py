"""Cutting a stream of requests into parts that each fit a provider's per-batch limits."""

from __future__ import annotations

from dataclasses import dataclass

from batchtui.core.inputs.limits import ProviderLimits


@dataclass(slots=True)
class PartPlan:
    """One planned part: which input lines it holds, how many requests and bytes."""

    index: int
    first_line: int
    last_line: int
    requests: int = 0
    bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "index": self.index,
            "first_line": self.first_line,
            "last_line": self.last_line,
            "requests": self.requests,
            "bytes": self.bytes,
        }


class SplitPlanner:
    """Greedy, order-keeping split: a new part starts when the next request would not fit.

    Sizes are native bytes per request (line plus newline); ``part_overhead_bytes`` of the
    limits is reserved in every part. Validation feeds it estimates, the writer real sizes.
    """

    def __init__(self, limits: ProviderLimits) -> None:
        self.max_requests = limits.max_requests
        self.max_bytes = limits.max_bytes - limits.part_overhead_bytes
        self.parts: list[PartPlan] = []
        self._current: PartPlan | None = None

    def fits_alone(self, size: int) -> bool:
        """Whether one request of ``size`` bytes fits in a part at all."""
        return size <= self.max_bytes

    def add(self, line: int, size: int) -> bool:
        """Place one request; True when it opened a new part (the first one included)."""
        part = self._current
        if (
            part is None
            or part.requests + 1 > self.max_requests
            or (part.requests and part.bytes + size > self.max_bytes)
        ):
            part = PartPlan(len(self.parts), line, line)
            self.parts.append(part)
            self._current = part
            opened = True
        else:
            opened = False
        part.requests += 1
        part.bytes += size
        part.last_line = line
        return opened
