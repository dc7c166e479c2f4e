"""The results browser's data side: the `LineSource` it reads, filters, and triage groups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from batchtui.core.models import BatchResult, Outcome


@runtime_checkable
class LineSource(Protocol):
    """Indexed results of a job, read one line at a time (the view never loads them all).

    `count` may grow while a download runs; `get_line` returns the raw JSON text of line `i`;
    `get_result` parses it into the neutral `BatchResult`; `get_summary` gives the few fields
    filters and triage need (cheap when indexed).
    """

    @property
    def count(self) -> int: ...

    def get_line(self, index: int) -> str: ...

    def get_result(self, index: int) -> BatchResult: ...

    def get_summary(self, index: int) -> ResultSummary: ...


@runtime_checkable
class FilteredSource(LineSource, Protocol):
    """A `LineSource` that filters through an index of its own (the core's columnar filters)
    instead of reading every line."""

    def filter_rows(self, query: ResultQuery) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class ResultSummary:
    """The few fields of one result that filters and triage need (cheap when indexed)."""

    custom_id: str
    outcome: str
    flag: str | None = None
    error_type: str | None = None

    @property
    def is_problem(self) -> bool:
        """Errored, or flagged as a success that did not really succeed."""
        return self.outcome != Outcome.SUCCEEDED.value or self.flag is not None


def summarize(result: BatchResult) -> ResultSummary:
    """A summary from a parsed result."""
    error_type = None
    if result.error is not None:
        error_type = result.error.type or result.error.code
    return ResultSummary(
        custom_id=result.custom_id,
        outcome=str(result.outcome.value),
        flag=result.flag.value if result.flag is not None else None,
        error_type=error_type,
    )


class ListSource:
    """A `LineSource` over raw lines held in memory, parsed by a given function."""

    def __init__(self, lines: Iterable[str], parse: Callable[[str], BatchResult]) -> None:
        self._lines: list[str] = list(lines)
        self._parse = parse
        self._summaries: dict[int, ResultSummary] = {}

    @property
    def count(self) -> int:
        return len(self._lines)

    def append(self, lines: Iterable[str]) -> None:
        """Add lines at the end (as a download would)."""
        self._lines.extend(lines)

    def get_line(self, index: int) -> str:
        return self._lines[index]

    def get_result(self, index: int) -> BatchResult:
        return self._parse(self._lines[index])

    def get_summary(self, index: int) -> ResultSummary:
        cached = self._summaries.get(index)
        if cached is None:
            cached = self._summaries[index] = summarize(self.get_result(index))
        return cached


# --------------------------------------------------------------------------- filtering


PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class ResultQuery:
    """A parsed results filter: ``outcome:errored flag:truncated type:rate is:problem words``."""

    outcomes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    error_types: tuple[str, ...] = ()
    problems_only: bool = False
    words: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> ResultQuery:
        outcomes: list[str] = []
        flags: list[str] = []
        types: list[str] = []
        words: list[str] = []
        problems = False
        for token in text.split():
            name, sep, value = token.partition(":")
            name = name.lower()
            if sep and value and name in ("outcome", "o"):
                outcomes.append(value.lower())
            elif sep and value and name in ("flag", "f"):
                flags.append(value.lower())
            elif sep and value and name in ("type", "t", "error"):
                types.append(value.lower())
            elif sep and name == "is" and value.lower() in (PROBLEM, "problems", "error", "errors"):
                problems = True
            else:
                words.append(token.lower())
        return cls(tuple(outcomes), tuple(flags), tuple(types), problems, tuple(words))

    @property
    def is_empty(self) -> bool:
        return not (
            self.outcomes or self.flags or self.error_types or self.problems_only or self.words
        )

    def text(self) -> str:
        """The query written back as text (what the filter input shows)."""
        parts = [f"outcome:{o}" for o in self.outcomes]
        parts += [f"flag:{f}" for f in self.flags]
        parts += [f"type:{t}" for t in self.error_types]
        if self.problems_only:
            parts.append("is:problem")
        parts += list(self.words)
        return " ".join(parts)

    def matches_summary(self, summary: ResultSummary) -> bool:
        """True when the indexed fields pass (text words are checked separately)."""
        if self.problems_only and not summary.is_problem:
            return False
        if self.outcomes and not any(summary.outcome.startswith(o) for o in self.outcomes):
            return False
        if self.flags and not (
            summary.flag and any(summary.flag.startswith(f) for f in self.flags)
        ):
            return False
        return not (
            self.error_types
            and not (
                summary.error_type
                and any(t in summary.error_type.lower() for t in self.error_types)
            )
        )

    def matches(self, source: LineSource, index: int) -> bool:
        """True when line `index` passes the whole filter."""
        if not self.matches_summary(source.get_summary(index)):
            return False
        if not self.words:
            return True
        line = source.get_line(index).lower()
        return all(word in line for word in self.words)


def filter_indices(
    source: LineSource,
    query: ResultQuery,
    start: int = 0,
    stop: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[int] | None:
    """Indices in [start, stop) that pass `query`; None if `cancelled()` turned true midway."""
    stop = source.count if stop is None else stop
    if isinstance(source, FilteredSource) and start == 0:
        return [row for row in source.filter_rows(query) if row < stop]
    matched: list[int] = []
    for index in range(start, stop):
        if cancelled is not None and index % 2048 == 0 and cancelled():
            return None
        if query.matches(source, index):
            matched.append(index)
    return matched


# --------------------------------------------------------------------------- triage


@dataclass(slots=True)
class TriageGroup:
    """Problem results sharing one error type (or one flag), with the lines that hold them."""

    key: str
    label: str
    indices: list[int] = field(default_factory=list)
    custom_ids: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.indices)


FLAG_MEANINGS = {
    "truncated": "stopped at max_tokens",
    "filtered": "cut by a content filter",
    "refused": "the model refused",
    "http_error": "non-2xx line in the output file",
}
"""What each result flag means, as the triage groups explain it."""

FLAG_CYCLE = ("", *FLAG_MEANINGS)
"""The flag filter values the results browser's `f` key steps through ("" = any)."""


def is_flag_group(key: str) -> bool:
    """Whether a triage group key is a flag group (answered, but not really a success)."""
    return key.startswith("flag:")


def problem_key(summary: ResultSummary) -> tuple[str, str] | None:
    """The (group key, label) a problem result belongs to, or None for a clean success."""
    if summary.flag is not None:
        meaning = FLAG_MEANINGS.get(summary.flag)
        label = f"flag: {summary.flag}" + (f" — {meaning}" if meaning else "")
        return f"flag:{summary.flag}", label
    if summary.outcome == Outcome.SUCCEEDED.value:
        return None
    if summary.outcome != Outcome.ERRORED.value:
        return f"outcome:{summary.outcome}", summary.outcome
    kind = summary.error_type or "unknown error"
    return f"type:{kind}", kind


def group_problems(source: LineSource, indices: Sequence[int] | None = None) -> list[TriageGroup]:
    """Problem results grouped by error type or flag: error groups first, then flag groups,
    biggest first within each."""
    groups: dict[str, TriageGroup] = {}
    for index in range(source.count) if indices is None else indices:
        summary = source.get_summary(index)
        key = problem_key(summary)
        if key is None:
            continue
        group = groups.get(key[0])
        if group is None:
            group = groups[key[0]] = TriageGroup(key=key[0], label=key[1])
        group.indices.append(index)
        group.custom_ids.append(summary.custom_id)
    return sorted(groups.values(), key=lambda g: (is_flag_group(g.key), -g.count, g.label))


TRUNCATED = "truncated"
DEFAULT_MAX_TOKENS = 1024


def truncated_among(source: LineSource, indices: Iterable[int]) -> list[int]:
    """The lines among `indices` flagged truncated (they may want a higher max_tokens)."""
    return [i for i in indices if source.get_summary(i).flag == TRUNCATED]


def suggested_max_tokens(source: LineSource, truncated: Sequence[int], sample: int = 50) -> int:
    """A new max_tokens for truncated results: twice the most output tokens any of them used
    (their old ceiling), read from at most `sample` results."""
    used = 0
    for index in truncated[:sample]:
        usage = source.get_result(index).usage
        if usage is not None:
            used = max(used, usage.output_tokens)
    return used * 2 if used > 0 else DEFAULT_MAX_TOKENS


def preview_text(result: BatchResult, limit: int = 200) -> str:
    """The first characters of a result's text (or error message) on one line."""
    text = result.text
    if not text and result.error is not None:
        text = result.error.message
    text = (text or "").replace("\r", " ").replace("\n", " ")
    return text[:limit]
