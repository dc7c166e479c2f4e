"""Sending one recorded submission to its provider (`submit.send_intent` with the profile's
settings), and settling the ones that will not be sent."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from batchtui.core.provider import BatchtuiError, ProgressCallback, QuotaError
from batchtui.core.store import JobRecord
from batchtui.core.workspace_base import WorkspaceContext

if TYPE_CHECKING:
    pass


class Sender:
    """Sends recorded submissions, one at a time per call."""

    def __init__(self, ctx: WorkspaceContext) -> None:
        self.ctx = ctx

    def drop_unsent(self, local_id: str) -> None:
        """Settle a recorded part whose create was never sent (an earlier part failed)."""
        intent = self.ctx.store.get_intent(local_id)
        if intent is None or intent.state.value not in ("recorded", "queued"):
            return  # it got further: leave it to send_intent's own bookkeeping
        with contextlib.suppress(BatchtuiError):
            self.ctx.store.mark_abandoned(local_id, "not sent: an earlier part of the input failed")
            self.ctx.emit(self.ctx.store.get(local_id))

    async def send(self, local_id: str, *, progress: ProgressCallback | None = None) -> JobRecord:
        from batchtui.core.submit import send_intent

        intent = self.ctx.store.get_intent(local_id)
        assert intent is not None
        prof = self.ctx.profile(intent.profile)
        self.ctx.in_flight.add(local_id)
        try:
            record = await send_intent(
                self.ctx.store,
                self.ctx.provider(intent.profile),
                intent,
                clock=self.ctx.clock,
                progress=progress,
                settle_pause_s=prof.settle_pause_s,
                budget_s=prof.retry_budget_s,
            )
        except QuotaError as exc:
            self.note_limit(local_id, exc)
            raise
        except BaseException:
            self.ctx.emit(self.ctx.store.get(local_id))
            raise
        finally:
            self.ctx.in_flight.discard(local_id)
        self.ctx.emit(record)
        self.ctx.track(record)
        return record

    def note_limit(self, local_id: str, exc: QuotaError) -> None:
        """Keep a quota or spend-limit refusal on the job, so it shows and is not retried."""
        failure = {"code": exc.code or exc.error_type or "quota", "message": exc.message}
        with contextlib.suppress(BatchtuiError):
            self.ctx.emit(self.ctx.store.set_failure(local_id, failure))
