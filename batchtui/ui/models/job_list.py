"""The job table's order and filter: retries under their parents, sort keys, the `/` query."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from batchtui.core.models import BatchStatus
from batchtui.ui.models.jobs import JobView, display_label, fraction_done

# --------------------------------------------------------------------------- ordering


SORT_KEYS: tuple[str, ...] = ("created", "label", "provider", "status", "progress", "age")
"""Columns the `s` key cycles through; "created" is the default (oldest first)."""

_STATUS_ORDER = {status: index for index, status in enumerate(BatchStatus)}


def sort_value(view: JobView, key: str) -> Any:
    """The value a job sorts by for a sort key (a column key or "created")."""
    if key == "label":
        return display_label(view).lower()
    if key == "provider":
        return (view.provider, view.profile)
    if key == "status":
        return _STATUS_ORDER[view.status]
    if key == "progress":
        return fraction_done(view) or 0.0
    if key in ("age", "created"):
        created = view.created_at or view.times.created_at
        return created.timestamp() if created else 0.0
    if key == "short_id":
        return view.provider_id or ""
    if key == "counts":
        return view.counts.errored
    if key == "cost":
        figure = view.cost.cost if view.cost is not None else None
        if figure is None and view.estimate is not None:
            figure = view.estimate.high
        return figure if figure is not None else -1.0
    return view.local_id


def depths(views: Mapping[str, JobView]) -> dict[str, int]:
    """How many retry generations separate each job from the root of its run."""
    result: dict[str, int] = {}
    for local_id in views:
        depth, seen, current = 0, {local_id}, views[local_id].parent_id
        while current and current in views and current not in seen:
            depth += 1
            seen.add(current)
            current = views[current].parent_id
        result[local_id] = depth
    return result


def _sorted_ids(views: Mapping[str, JobView], ids: list[str], key: str, reverse: bool) -> list[str]:
    """`ids` sorted by `key`, ties by local id (as if sorted by ``(value, local_id)``): sorted by
    id first, then stably by value, so no tuple is built per job."""
    if len(ids) < 2:
        return list(ids)
    by_id = sorted(ids, reverse=reverse)
    value = {local_id: sort_value(views[local_id], key) for local_id in by_id}
    return sorted(by_id, key=value.__getitem__, reverse=reverse)


def order_jobs(
    views: Mapping[str, JobView], key: str = "created", reverse: bool = False
) -> list[str]:
    """Local ids in display order: roots sorted by `key`, each followed by its retries."""
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    for local_id, view in views.items():
        parent = view.parent_id
        if parent is not None and parent in views:
            children.setdefault(parent, []).append(local_id)
        else:
            roots.append(local_id)
    ordered_roots = _sorted_ids(views, roots, key, reverse)
    if not children:
        return ordered_roots

    order: list[str] = []
    seen: set[str] = set()

    def visit(local_id: str) -> None:
        if local_id in seen:
            return
        seen.add(local_id)
        order.append(local_id)
        kids = children.get(local_id)
        if kids:
            for child in _sorted_ids(views, kids, "created", False):
                visit(child)

    for root in ordered_roots:
        visit(root)
    if len(order) < len(views):
        for local_id in views:  # cycles in parent links: still show every job once
            visit(local_id)
    return order


def children_of(views: Mapping[str, JobView], local_id: str) -> list[str]:
    """Local ids of the direct retries of a job."""
    return [v.local_id for v in views.values() if v.parent_id == local_id]


# --------------------------------------------------------------------------- filtering


@dataclass(frozen=True, slots=True)
class JobQuery:
    """A parsed `/` filter: ``status:failed provider:openai words...`` (all must match)."""

    words: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> JobQuery:
        words: list[str] = []
        statuses: list[str] = []
        providers: list[str] = []
        for token in text.lower().split():
            name, sep, value = token.partition(":")
            if sep and value and name in ("status", "s", "is"):
                statuses.append(value)
            elif sep and value and name in ("provider", "p", "profile"):
                providers.append(value)
            else:
                words.append(token)
        return cls(tuple(words), tuple(statuses), tuple(providers))

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.statuses or self.providers)

    def matches(self, view: JobView, text: str | None = None) -> bool:
        """True when the job passes every part of the filter (`text`: the job's
        `haystack`, when the caller keeps it)."""
        if self.statuses and not any(view.status.value.startswith(s) for s in self.statuses):
            return False
        if self.providers and not any(
            p in view.provider.lower() or p in view.profile.lower() for p in self.providers
        ):
            return False
        if not self.words:
            return True
        text = haystack(view) if text is None else text
        return all(word in text for word in self.words)


def haystack(view: JobView) -> str:
    """The lower-cased text the filter's words are looked for in."""
    return " ".join(
        [
            view.label,
            view.local_id,
            view.provider_id or "",
            view.provider,
            view.profile,
            view.status.value,
            view.model or "",
        ]
    ).lower()


def visible_ids(
    views: Mapping[str, JobView],
    query: JobQuery,
    order: Sequence[str],
    texts: dict[str, str] | None = None,
) -> list[str]:
    """The ordered ids that pass the filter (`texts`: a cache of `haystack` by local id,
    filled as needed, so typing a filter over 10,000 jobs builds each text once)."""
    if query.is_empty:
        return list(order)
    if texts is None or not query.words:
        return [local_id for local_id in order if query.matches(views[local_id])]
    shown = []
    for local_id in order:
        text = texts.get(local_id)
        if text is None:
            text = texts[local_id] = haystack(views[local_id])
        if query.matches(views[local_id], text):
            shown.append(local_id)
    return shown
