"""Filters over a result index: outcome, flag, error type and custom_id work on the index
columns (no file access); text search streams the raw bytes once."""

from __future__ import annotations

import json
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress
from typing import TypeAlias

from batchtui.core.models import Outcome, ResultFlag
from batchtui.core.results.files import CHUNK
from batchtui.core.results.index import FLAG_CODE, OUTCOME_CODE, ResultIndex

Rows: TypeAlias = "array[int]"
"""Row numbers of an index, ascending, as ``array('i')``."""


def _rows(index: ResultIndex, mask: Iterable[bool]) -> Rows:
    return array("i", compress(range(len(index)), mask))


def _codes_mask(column: bytes | bytearray | array[int], codes: set[int]) -> Iterable[bool]:
    if len(codes) == 1:
        (code,) = codes
        return map(code.__eq__, column)
    return map(codes.__contains__, column)


def _within(rows: Rows, within: Iterable[int] | None) -> Rows:
    if within is None:
        return rows
    keep = set(within)
    return array("i", (i for i in rows if i in keep))


def by_outcome(
    index: ResultIndex, outcomes: Iterable[Outcome | str], *, within: Iterable[int] | None = None
) -> Rows:
    """Rows whose outcome is one of ``outcomes``."""
    codes = {OUTCOME_CODE[Outcome(o)] for o in outcomes}
    return _within(_rows(index, _codes_mask(index.outcomes, codes)), within)


def by_flag(
    index: ResultIndex,
    flags: Iterable[ResultFlag | str | None],
    *,
    within: Iterable[int] | None = None,
) -> Rows:
    """Rows whose flag is one of ``flags`` (``None`` selects unflagged rows)."""
    codes = {FLAG_CODE[None if f is None else ResultFlag(f)] for f in flags}
    return _within(_rows(index, _codes_mask(index.flags, codes)), within)


def flagged(index: ResultIndex, *, within: Iterable[int] | None = None) -> Rows:
    """Rows that carry any flag."""
    return _within(_rows(index, map(bool, index.flags)), within)


def by_error_type(
    index: ResultIndex, error_types: Iterable[str | None], *, within: Iterable[int] | None = None
) -> Rows:
    """Rows whose error type is one of ``error_types`` (``None``: rows without one)."""
    ids = {
        index.error_type_names.index(name)
        for name in set(error_types)
        if name in index.error_type_names
    }
    if not ids:
        return array("i")
    return _within(_rows(index, _codes_mask(index.error_types, ids)), within)


def by_custom_ids(
    index: ResultIndex, custom_ids: Iterable[str], *, within: Iterable[int] | None = None
) -> Rows:
    """Rows whose custom_id is in ``custom_ids``."""
    wanted = custom_ids if isinstance(custom_ids, set | frozenset) else set(custom_ids)
    return _within(_rows(index, map(wanted.__contains__, index.custom_ids)), within)


def _needles(text: str, case_sensitive: bool) -> list[bytes]:
    """The byte patterns to look for: the text as UTF-8 and as it looks inside a JSON string."""
    forms = {text} if case_sensitive else {text, text.lower(), text.upper()}
    needles: set[bytes] = set()
    for form in forms:
        for encoded in (form.encode(), json.dumps(form)[1:-1].encode()):
            needles.add(encoded if case_sensitive else encoded.lower())
    return sorted(n for n in needles if n)


def search_text(
    index: ResultIndex,
    text: str,
    *,
    case_sensitive: bool = False,
    within: Iterable[int] | None = None,
) -> Rows:
    """Rows whose raw line contains ``text``, streaming each file once.

    The text is matched as UTF-8 and in its JSON-escaped form (so ``café`` finds
    ``caf\\u00e9``); case-insensitive matching folds ASCII letters and tries the all-lower and
    all-upper forms of other letters.
    """
    if not text:
        return _within(array("i", range(len(index))), within)
    needles = _needles(text, case_sensitive)
    longest = max(len(n) for n in needles)
    found: set[int] = set()
    for ident, source in enumerate(index.sources):
        rows = _rows(index, map(ident.__eq__, index.source_ids))
        if not rows:
            continue
        starts = [index.offsets[i] for i in rows]
        end = starts[-1] + index.lengths[rows[-1]]
        path = index.results.path(source)
        with path.open("rb") as handle:
            base = 0
            while base < end:
                handle.seek(base)
                chunk = handle.read(min(CHUNK, end - base))
                if not chunk:
                    break
                hay = chunk if case_sensitive else chunk.lower()
                for needle in needles:
                    at = hay.find(needle)
                    while at >= 0:
                        line = bisect_right(starts, base + at) - 1
                        row = rows[line]
                        line_end = starts[line] + index.lengths[row]
                        if base + at + len(needle) <= line_end:
                            found.add(row)
                        # Skip to the next line: one hit per line is enough.
                        at = hay.find(needle, max(at + 1, line_end + 1 - base))
                if base + len(chunk) >= end:
                    break
                # Overlap by the longest needle so a match across chunks is not missed.
                base += max(1, len(chunk) - longest + 1)
    return _within(array("i", sorted(found)), within)


@dataclass(frozen=True)
class ResultFilter:
    """A combination of filters; empty fields do not filter. All given fields must match."""

    outcomes: frozenset[Outcome] = frozenset()
    flags: frozenset[ResultFlag | None] = frozenset()
    error_types: frozenset[str | None] = frozenset()
    custom_ids: frozenset[str] = frozenset()
    text: str = ""
    case_sensitive: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.outcomes or self.flags or self.error_types or self.custom_ids or self.text)

    def apply(self, index: ResultIndex) -> Rows:
        """The rows of ``index`` that pass every given filter, ascending."""
        rows: Rows | None = None
        if self.outcomes:
            rows = by_outcome(index, self.outcomes)
        if self.flags:
            rows = by_flag(index, self.flags, within=rows)
        if self.error_types:
            rows = by_error_type(index, self.error_types, within=rows)
        if self.custom_ids:
            rows = by_custom_ids(index, self.custom_ids, within=rows)
        if self.text:
            rows = search_text(index, self.text, case_sensitive=self.case_sensitive, within=rows)
        if rows is None:
            rows = array("i", range(len(index)))
        return rows
