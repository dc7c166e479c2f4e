"""A bounded async iterator of job snapshots that keeps only the newest one per job."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from types import TracebackType

from batchtui.core.models import BatchJob

JobKey = tuple[str, str]


class SnapshotFeed:
    """Snapshots posted by a poller, coalesced per (profile, batch id), in arrival order.

    If the consumer is slow, a newer snapshot of a job replaces the pending one in place, so
    the consumer only ever sees each job's latest state. At most ``maxsize`` jobs are pending;
    beyond that the oldest pending job's snapshot is dropped (counted in ``dropped``), so a
    forgotten feed never holds the poller up. Iteration ends once the feed is closed and drained.
    """

    def __init__(
        self, maxsize: int = 10_000, on_close: Callable[[SnapshotFeed], None] | None = None
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.dropped = 0
        self._pending: OrderedDict[JobKey, BatchJob] = OrderedDict()
        self._ready = asyncio.Event()
        self._closed = False
        self._on_close = on_close

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, profile: str, job: BatchJob) -> None:
        """Queue a snapshot, replacing any pending one of the same job; never blocks."""
        if self._closed:
            return
        key = (profile, job.id)
        if key in self._pending:
            self._pending[key] = job
        else:
            if len(self._pending) >= self.maxsize:
                self._pending.popitem(last=False)
                self.dropped += 1
            self._pending[key] = job
        self._ready.set()

    def get_nowait(self) -> BatchJob | None:
        """The oldest pending snapshot, or None when nothing is pending."""
        if not self._pending:
            return None
        _, job = self._pending.popitem(last=False)
        if not self._pending and not self._closed:
            self._ready.clear()
        return job

    def close(self) -> None:
        """End the feed: pending snapshots are still delivered, then iteration stops."""
        if self._closed:
            return
        self._closed = True
        self._ready.set()
        if self._on_close is not None:
            callback, self._on_close = self._on_close, None
            callback(self)

    async def aclose(self) -> None:
        """Close the feed (async spelling, for ``contextlib.aclosing`` and friends)."""
        self.close()

    def __aiter__(self) -> SnapshotFeed:
        return self

    async def __anext__(self) -> BatchJob:
        while True:
            job = self.get_nowait()
            if job is not None:
                return job
            if self._closed:
                raise StopAsyncIteration
            await self._ready.wait()

    async def __aenter__(self) -> SnapshotFeed:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
