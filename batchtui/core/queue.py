"""The local queue: when a profile's in-flight job and enqueued-token limits leave room.

A profile may set ``max_in_flight`` (jobs at the provider that have not ended, submissions
being sent included) and ``max_enqueued_tokens`` (the sum of their estimated input tokens, as
the provider counts its enqueued-token limit). A submission that does not fit waits as QUEUED
and is released oldest first by the workspace's dispatcher as earlier jobs end. Jobs adopted
from elsewhere count as in flight but bring no token estimate (they count as 0 tokens).
"""

from __future__ import annotations

from collections.abc import Sequence

from batchtui.core.config import Profile
from batchtui.core.provider import BatchtuiError
from batchtui.core.store import JobRecord


class QueueLimitError(BatchtuiError):
    """A submission could never fit the profile's queue limits (e.g. one part is too big)."""


def is_limited(profile: Profile) -> bool:
    """Whether the profile holds submissions back at all."""
    return profile.max_in_flight is not None or profile.max_enqueued_tokens is not None


def has_room(profile: Profile, job: JobRecord, in_flight: Sequence[JobRecord]) -> bool:
    """Whether ``job`` may go out now beside ``in_flight`` (the profile's unended jobs).

    With nothing in flight a job always goes, so an over-large estimate cannot wedge the
    queue (submissions are checked against the token limit before they are queued).
    """
    if not in_flight:
        return True
    if profile.max_in_flight is not None and len(in_flight) >= profile.max_in_flight:
        return False
    if profile.max_enqueued_tokens is not None:
        used = sum(j.estimated_input_tokens for j in in_flight)
        if used + job.estimated_input_tokens > profile.max_enqueued_tokens:
            return False
    return True


def room_text(profile: Profile, in_flight: Sequence[JobRecord]) -> str:
    """What holds the profile's queue, e.g. ``2/2 jobs in flight, 9000/10000 tokens``."""
    parts = []
    if profile.max_in_flight is not None:
        parts.append(f"{len(in_flight)}/{profile.max_in_flight} jobs in flight")
    if profile.max_enqueued_tokens is not None:
        used = sum(j.estimated_input_tokens for j in in_flight)
        parts.append(f"~{used}/{profile.max_enqueued_tokens} enqueued tokens")
    return ", ".join(parts) or "no limits"


def check_fits_alone(profile: Profile, tokens: Sequence[int]) -> None:
    """Refuse parts whose estimated input tokens alone top ``max_enqueued_tokens``."""
    limit = profile.max_enqueued_tokens
    if limit is None:
        return
    for number, count in enumerate(tokens, 1):
        if count > limit:
            which = f"part {number} of the input" if len(tokens) > 1 else "the input"
            raise QueueLimitError(
                f"{which} holds ~{count} input tokens, more than max_enqueued_tokens {limit} "
                f"of profile {profile.name!r}: it could never be sent; raise the limit or "
                "submit a smaller input"
            )
