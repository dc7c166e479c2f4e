"""Settle an unsettled submission intent against the provider's list of batches (pure logic).

The rule (docs/ARCHITECTURE.md "Job store and crash safety"): a batch whose
``input_file_id`` is the intent's uploaded file is its batch (OpenAI); without a file id
(Anthropic) a batch created inside the intent's create window, widened by a clock-skew
allowance, with the same request count is its batch. With no match, an intent whose create
may have been sent stays unknown until its window is older than a grace period and the list
reached back past the window; only then was nothing created.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from batchtui.core.models import BatchJob
from batchtui.core.store.records import IntentRecord
from batchtui.core.store.serialize import to_epoch

DEFAULT_GRACE_S = 900.0
"""How long after its create window an unmatched intent may still turn up at the provider."""

DEFAULT_SKEW_S = 120.0
"""Allowance for the difference between the local clock and the provider's timestamps."""


class DecisionKind(enum.StrEnum):
    """What to do with an intent after looking at the provider's batches."""

    MATCHED = "matched"  # this batch is the intent's: mark_created(intent, job)
    NOT_SENT = "not_sent"  # the create was never sent: resume it or abandon, both are safe
    WAIT = "wait"  # a batch may still exist or appear: leave the intent unknown
    ABANDON = "abandon"  # nothing was created: mark_abandoned
    SETTLED = "settled"  # already settled: nothing to do


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of `reconcile_intent`: a kind, the matched batch, and why."""

    kind: DecisionKind
    reason: str
    job: BatchJob | None = None
    candidates: tuple[str, ...] = ()  # every matching batch id when more than one matched


def _total(job: BatchJob) -> int:
    counts = job.counts
    return max(counts.total, counts.processing + counts.done)


def create_window(
    intent: IntentRecord, now: datetime | float, skew_s: float = DEFAULT_SKEW_S
) -> tuple[float, float] | None:
    """The epoch-seconds interval in which the intent's batch would have been created."""
    start = to_epoch(intent.window_start)
    if start is None:
        return None
    end = to_epoch(intent.window_end)
    if end is None:
        end = to_epoch(now) if intent.state.create_maybe_sent else to_epoch(intent.updated_at)
    assert end is not None
    return (start - skew_s, max(start, end) + skew_s)


def job_matches_intent(
    intent: IntentRecord,
    job: BatchJob,
    now: datetime | float,
    skew_s: float = DEFAULT_SKEW_S,
) -> bool:
    """True when `job` is the batch this intent created, by the rule in the module docstring."""
    if job.provider != intent.provider:
        return False
    if intent.input_file_id:
        return job.input_file_id == intent.input_file_id
    window = create_window(intent, now, skew_s)
    created = to_epoch(job.times.created_at)
    if window is None or created is None or intent.request_count is None:
        return False
    return window[0] <= created <= window[1] and _total(job) == intent.request_count


def reconcile_intent(
    intent: IntentRecord,
    provider_jobs: Iterable[BatchJob],
    now: datetime | float,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    skew_s: float = DEFAULT_SKEW_S,
    known_ids: Collection[str] = (),
    listed_since: datetime | float | None = None,
) -> Decision:
    """Decide what became of `intent`, given the profile's batches as the provider lists them.

    `known_ids` are batch ids already claimed by other intents (never matched by time).
    `listed_since` says the list holds every batch created at or after that time (None: the
    list is complete); an intent is only abandoned when the list reaches back past its window.
    """
    if intent.state.is_settled:
        return Decision(DecisionKind.SETTLED, f"already {intent.state.value}")
    jobs = list(provider_jobs)
    by_file = bool(intent.input_file_id)
    matches = [
        j
        for j in jobs
        if (by_file or j.id not in known_ids) and job_matches_intent(intent, j, now, skew_s)
    ]
    if matches:
        matches.sort(key=lambda j: (to_epoch(j.times.created_at) or 0.0, j.id))
        chosen = matches[0]
        how = "input file id" if by_file else "created_at within the window and request count"
        reason = f"batch {chosen.id} matches by {how}"
        if len(matches) > 1:
            reason += f" (earliest of {len(matches)} candidates)"
        return Decision(
            DecisionKind.MATCHED,
            reason,
            job=chosen,
            candidates=tuple(j.id for j in matches) if len(matches) > 1 else (),
        )
    if not intent.state.create_maybe_sent:
        return Decision(DecisionKind.NOT_SENT, f"create never sent (intent {intent.state.value})")
    window = create_window(intent, now, skew_s)
    if window is None:
        # A create that may have been sent without a recorded window start: never give up.
        return Decision(DecisionKind.WAIT, "no create window recorded; cannot rule out a batch")
    # Grace runs from the last moment the create is known to have been in flight.
    last = to_epoch(intent.window_end) or max(
        to_epoch(intent.window_start) or 0.0, to_epoch(intent.updated_at) or 0.0
    )
    age = (to_epoch(now) or 0.0) - last
    if age < grace_s:
        return Decision(
            DecisionKind.WAIT,
            f"no matching batch yet; create window ended {max(age, 0.0):.0f}s ago "
            f"(grace {grace_s:.0f}s)",
        )
    since = to_epoch(listed_since)
    if since is not None and since > window[0]:
        return Decision(DecisionKind.WAIT, "the list did not reach back past the create window")
    return Decision(
        DecisionKind.ABANDON,
        f"no batch matched {len(jobs)} listed; window older than the {grace_s:.0f}s grace period",
    )
