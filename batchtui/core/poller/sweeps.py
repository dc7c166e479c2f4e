"""How deep a list sweep reads: the pages worth reading for the jobs that are due.

A provider's list is read newest first, one request per page, and a sweep must read every
page above the deepest job it refreshes. Reading a page costs about as much as a few single
polls (one request, then a page of jobs to decode), so a sweep goes only as deep as the due
jobs it reaches pay for; a due job deeper than that is polled on its own. A job's depth is
its rank on the list when a read last showed it (ranks grow as newer jobs arrive; a stale
rank only makes a sweep read a little further than planned).
"""

from __future__ import annotations

from collections.abc import Iterable


def pages_worth_reading(
    due_pages: Iterable[int], soon_pages: Iterable[int], page_cost: float
) -> int:
    """The number of list pages (from the top) worth reading, 0 for none.

    ``due_pages``: the page index of each job due now; ``soon_pages``: of each job that may
    join the sweep early (due within the last part of its interval). Reading ``d`` pages
    saves one poll per job on them and costs ``page_cost`` polls per page; the depth with the
    largest saving wins (the shallower on a tie), provided it reaches a job due now.
    """
    marks = sorted([(page, 1) for page in due_pages] + [(page, 0) for page in soon_pages])
    best_depth, best_gain = 0, 0.0
    covered = covered_due = 0
    for i, (page, is_due) in enumerate(marks):
        covered += 1
        covered_due += is_due
        if i + 1 < len(marks) and marks[i + 1][0] == page:
            continue  # count every job on this page before weighing it
        gain = covered - page_cost * (page + 1)
        if covered_due and gain > best_gain:
            best_depth, best_gain = page + 1, gain
    return best_depth
