"""An injectable clock, so tests and snapshots can freeze time and the emulator can scale it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time in UTC."""

    def now(self) -> datetime: ...

    def time(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def time(self) -> float:
        return time.time()


class FixedClock:
    """A clock that only moves when told to; for tests and snapshots."""

    def __init__(self, start: datetime | float = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)) -> None:
        self._now = start if isinstance(start, datetime) else datetime.fromtimestamp(start, UTC)

    def now(self) -> datetime:
        return self._now

    def time(self) -> float:
        return self._now.timestamp()

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
