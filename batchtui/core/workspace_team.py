"""A store shared by a team: poll leases, and other machines' changes as they happen.

Only on a shared store (PostgreSQL). Each job is polled by one process at a time: the one
holding its lease (`JobStore.claim_polls`), renewed every ``renew_s`` and lost after
``lease_s`` without renewal, so a dashboard that quits or dies hands its jobs over within a
minute. Jobs leased elsewhere are not polled here; what the other process writes reaches this
one through the store's change feed (``LISTEN``/``NOTIFY``) and is told to the listeners like
a poll answer. When the database is lost, the last state stays on screen, the loss is
reported once, and the feed reconnects with backoff, catching up on what changed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import Callable, Iterable

from batchtui.core.paths import machine_name
from batchtui.core.store import JobRecord, StoreError, StoreUnavailable
from batchtui.core.workspace_base import WorkspaceContext

LEASE_S = 60.0
RENEW_S = 20.0
_BACKOFF_S = (1.0, 2.0, 5.0, 10.0)


class StoreReconnected(Exception):
    """Not an error: the team store answers again (sent to the error listeners so a screen
    that said the store was lost can say it is back)."""


class TeamSync:
    """Leases and the change feed of one process on a shared store."""

    def __init__(
        self,
        ctx: WorkspaceContext,
        *,
        lease_s: float = LEASE_S,
        renew_s: float = RENEW_S,
    ) -> None:
        self.ctx = ctx
        self.lease_s = lease_s
        self.renew_s = renew_s
        self.owner = f"{machine_name()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lost = False
        """Whether the store is unreachable now (screens keep the last state)."""
        self._stop = threading.Event()
        self._since = ctx.clock.time()
        self._feed_lost: StoreUnavailable | None = None
        """Set by the feed's thread when its connection is lost; reported on the loop."""

    # --- leases ---------------------------------------------------------------------------

    def claim(self, records: Iterable[JobRecord]) -> set[str]:
        """The local ids of these jobs this process may poll (leases taken or renewed)."""
        ids = [r.local_id for r in records if r.id and not r.is_terminal]
        if not ids:
            return set()
        return self.ctx.store.claim_polls(ids, self.owner, self.lease_s)

    def may_poll(self, record: JobRecord) -> bool:
        """Whether this process should poll the job (its lease is free or ours): asked before
        the poller follows a job it was not following."""
        try:
            return record.local_id in self.claim([record])
        except StoreError:
            return False

    def renew(self) -> None:
        """Renew our leases, take free and expired ones, and make the poller follow exactly
        the live jobs we hold (synchronous: run it in a thread)."""
        poller = self.ctx.poller
        if poller is None:
            return
        # A brief read every round (ids and status are all a claim needs); the full record,
        # whose snapshot the poller starts from, only for a job newly taken over.
        store = self.ctx.store
        live = [r for r in store.live_jobs(brief=True) if r.id and r.profile in poller.profiles]
        mine = self.claim(live)
        for record in live:
            assert record.id is not None
            held = record.local_id in mine
            tracked = poller.is_tracked(record.profile, record.id)
            if held and not tracked:
                full = store.get(record.local_id) or record
                poller.track(
                    record.profile,
                    record.id,
                    submitted_at=full.times.created_at,
                    last_snapshot=full.snapshot,
                )
            elif tracked and not held:
                poller.untrack(record.profile, record.id)

    def release(self) -> None:
        """Hand every lease over at once (closing), instead of letting them run out."""
        with contextlib.suppress(StoreError):
            self.ctx.store.release_polls(self.owner)

    # --- the loop -------------------------------------------------------------------------

    async def run(self) -> None:
        """Renew leases every ``renew_s`` and follow the change feed until cancelled."""
        loop = asyncio.get_running_loop()
        feed = threading.Thread(
            target=self._follow_feed,
            args=(lambda ids: loop.call_soon_threadsafe(self._changed, ids),),
            name="batchtui-team-feed",
            daemon=True,
        )
        feed.start()
        try:
            while True:
                try:
                    await asyncio.to_thread(self.renew)
                    self._set_lost(False)
                except StoreUnavailable as exc:
                    self._set_lost(True, exc)
                except StoreError as exc:
                    self.ctx.report("store", None, exc)
                await asyncio.sleep(self.renew_s)
        finally:
            self._stop.set()
            await asyncio.to_thread(self.release)

    def _follow_feed(self, post: Callable[[list[str]], None]) -> None:
        """The feed's thread: read changed ids, reconnecting after a loss."""
        attempt = 0
        while not self._stop.is_set():
            changes = self.ctx.store.changes()
            if changes is None:
                return
            try:
                if attempt:
                    with contextlib.suppress(RuntimeError):
                        post(self._catch_up())
                attempt = 0
                for local_id in changes:
                    if self._stop.is_set():
                        break
                    if local_id:
                        try:
                            post([local_id])
                        except RuntimeError:  # the loop closed: the workspace stopped
                            return
            except StoreError as exc:
                if self._stop.is_set():
                    return  # the workspace stopped (its loop may be closed): nothing to tell
                if isinstance(exc, StoreUnavailable):
                    self._feed_lost = exc
                    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                        post([])  # wakes the loop, which reports the loss
                self._stop.wait(_BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)])
                attempt += 1
            finally:
                with contextlib.suppress(Exception):
                    changes.close()  # type: ignore[attr-defined]

    def _catch_up(self) -> list[str]:
        """After a reconnect: every job changed since the last one seen."""
        return [r.local_id for r in self.ctx.store.changed_since(self._since - 1.0)]

    def _changed(self, local_ids: list[str]) -> None:
        """On the loop: re-read jobs another process changed and tell the listeners."""
        if self._feed_lost is not None:
            exc, self._feed_lost = self._feed_lost, None
            self._set_lost(True, exc)
            return
        for local_id in local_ids:
            try:
                record = self.ctx.store.get(local_id)
            except StoreUnavailable as exc:
                self._set_lost(True, exc)
                return
            except StoreError:
                continue
            self._set_lost(False)
            if record is None:
                continue
            if record.updated_at is not None:
                self._since = max(self._since, record.updated_at.timestamp())
            self.ctx.emit(record)
            if not record.is_terminal:
                self.ctx.track(record)  # a job submitted elsewhere: poll it if its lease is free

    def _set_lost(self, lost: bool, exc: Exception | None = None) -> None:
        if lost == self.lost:
            return
        self.lost = lost
        if lost:
            self.ctx.report("store", None, exc or StoreUnavailable("lost the team store"))
        else:
            self.ctx.report(
                "store",
                None,
                StoreReconnected(f"the team store {self.ctx.store.location} answers again"),
            )
