"""App-wide messages: what the core reports, turned into Textual messages on the event loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from batchtui.core.store import JobRecord


class JobChanged(Message):
    """A job's record changed in the store (new job, new snapshot, new status)."""

    def __init__(self, record: JobRecord) -> None:
        super().__init__()
        self.record = record


class ResultsGrew(Message):
    """More result lines are indexed (newer messages replace unprocessed older ones)."""

    def __init__(self, job_id: str, count: int, done: int | None, total: int | None) -> None:
        super().__init__()
        self.job_id = job_id
        self.count = count
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ResultsGrew) and message.job_id == self.job_id


class ValidationProgressed(Message):
    """Validation of an input file moved on (bytes or lines done out of total)."""

    def __init__(self, done: int, total: int | None) -> None:
        super().__init__()
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ValidationProgressed)


class PollFailed(Message):
    """A background poll of a profile failed (the poller retries on its own)."""

    def __init__(self, profile: str, batch_id: str | None, error: Exception) -> None:
        super().__init__()
        self.profile = profile
        self.batch_id = batch_id
        self.error = error
