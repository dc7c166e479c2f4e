"""The dispatcher: queued submissions go out, oldest first, when the profile has room.

It runs when polling starts, when a job of a profile turns terminal while polling, after a
submission is queued, and whenever a front end asks (`dispatch_queued`; the CLI's
`list --refresh` and `watch`). Each release is one store transaction (see
`JobStore.release_next_queued`), so two dispatchers, in one process or several, never send
the same submission twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from batchtui.core.provider import BatchtuiError, ProgressCallback
from batchtui.core.queue import has_room, room_text
from batchtui.core.store import JobRecord
from batchtui.core.workspace_base import WorkspaceContext
from batchtui.core.workspace_send import Sender


class Queue:
    """The local queue of submissions held back by a profile's in-flight limits."""

    def __init__(self, ctx: WorkspaceContext, sender: Sender) -> None:
        self.ctx = ctx
        self.sender = sender
        self._dispatch_locks: dict[str, asyncio.Lock] = {}

    def queued(self, profile: str | None = None) -> list[JobRecord]:
        """Queued submissions, oldest first (they go out in this order)."""
        out = []
        for intent in self.ctx.store.queued_intents(profile):
            record = self.ctx.store.get(intent.local_id)
            if record is not None:
                out.append(record)
        return out

    def queue_text(self, profile: str) -> str:
        """What holds a profile's queue now, e.g. ``2/2 jobs in flight``."""
        prof = self.ctx.profile(profile)
        in_flight = [
            r
            for r in self.ctx.store.list_jobs(profile=prof.name, live=True)
            if r.status.value != "queued"
        ]
        return room_text(prof, in_flight)

    async def dispatch_queued(self, profile: str | None = None) -> list[JobRecord]:
        """Send the queued submissions that fit now, oldest first; returns the jobs sent.

        A send that fails stops that profile's dispatch (the rest stay queued) and goes to the
        error listeners; a quota or limit refusal is kept on the job and never retried.
        """
        names = [self.ctx.profile(profile).name] if profile else sorted(self.ctx.config.profiles)
        sent: list[JobRecord] = []
        for name in names:
            if not self.ctx.store.queued_intents(name):
                continue
            sent += await self.dispatch_profile(name)
        return sent

    def _input_here(self, job: JobRecord) -> bool:
        """Whether this process can send ``job``: its kept input is a file of this home, or
        one that can be read here. On a team store a submission queued on another machine
        keeps its input there; it stays queued (at the head, so the profile's order holds)
        until a dispatcher of that machine sends it."""
        path = job.input_path
        return path is None or path.parent == self.ctx.store.inputs_dir or path.is_file()

    def _dispatch_lock(self, profile: str) -> asyncio.Lock:
        if profile not in self._dispatch_locks:
            self._dispatch_locks[profile] = asyncio.Lock()
        return self._dispatch_locks[profile]

    async def dispatch_profile(
        self,
        profile: str,
        *,
        own: Collection[str] = (),
        progress: ProgressCallback | None = None,
    ) -> list[JobRecord]:
        """Release and send one profile's queued submissions while they fit.

        Errors of a submission in ``own`` (the caller's) are raised; others are reported.
        """
        prof = self.ctx.profile(profile)
        try:
            self.ctx.provider(prof.name)
        except BatchtuiError:
            return []  # no key: nothing can be sent (the queue waits)
        sent: list[JobRecord] = []
        async with self._dispatch_lock(prof.name):
            while True:
                intent = await asyncio.to_thread(
                    self.ctx.store.release_next_queued,
                    prof.name,
                    lambda job, in_flight: self._input_here(job) and has_room(prof, job, in_flight),
                )
                if intent is None:
                    break
                self.ctx.emit(self.ctx.store.get(intent.local_id))
                mine = intent.local_id in own
                try:
                    record = await self.sender.send(
                        intent.local_id, progress=progress if mine else None
                    )
                except BatchtuiError as exc:
                    if mine:
                        raise
                    self.ctx.report(prof.name, None, exc)
                    break
                sent.append(record)
        return sent
