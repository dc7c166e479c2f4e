"""The merged view of a run: per custom_id the best result across a job and its retries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from batchtui.core.models import Outcome, ResultFlag
from batchtui.core.results.export import ExportFormat, Item, write_csv, write_jsonl
from batchtui.core.results.index import FLAGS, OUTCOMES, ParseFn, ResultIndex


@dataclass(frozen=True, slots=True)
class Pick:
    """Where the chosen result of one custom_id lives: position of its job in the run, row."""

    job: int
    row: int


@dataclass
class RunMerge:
    """The merge of a run's jobs (parent first, then retries oldest to newest).

    ``chosen`` maps each custom_id with any result line to its pick: the latest unflagged
    success, else the latest flagged success, else the latest non-success. ``missing`` lists, in
    submission order, the custom_ids with no success at all (errored, canceled, expired, or
    never run: submitted but no line in any job); ``never_run`` is the last group alone;
    ``flagged`` lists those whose best is a flagged success (truncated, filtered, refused).
    ``unexpected`` lists custom_ids found in results that were not in the submitted set.
    """

    job_ids: list[str]
    indexes: list[ResultIndex]
    chosen: dict[str, Pick]
    order: list[str]
    missing: list[str] = field(default_factory=list)
    never_run: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def pick(self, custom_id: str) -> tuple[str, int] | None:
        """``(job id, row)`` of the chosen result of ``custom_id``, or None if it never ran."""
        pick = self.chosen.get(custom_id)
        return None if pick is None else (self.job_ids[pick.job], pick.row)

    def outcome(self, custom_id: str) -> Outcome | None:
        pick = self.chosen.get(custom_id)
        return None if pick is None else OUTCOMES[self.indexes[pick.job].outcomes[pick.row]]

    def flag(self, custom_id: str) -> ResultFlag | None:
        pick = self.chosen.get(custom_id)
        return None if pick is None else FLAGS[self.indexes[pick.job].flags[pick.row]]

    def counts(self) -> dict[str, int]:
        """Chosen results per outcome, plus ``never_run``, ``flagged`` and ``total``."""
        counted = Counter(
            self.indexes[pick.job].outcomes[pick.row] for pick in self.chosen.values()
        )
        counts = {outcome.value: counted.get(code, 0) for code, outcome in enumerate(OUTCOMES)}
        counts["never_run"] = len(self.never_run)
        counts["flagged"] = len(self.flagged)
        counts["total"] = len(self.order)
        return counts

    @property
    def complete(self) -> bool:
        """True when every custom_id has a success."""
        return not self.missing

    def items(self) -> Iterator[Item]:
        """The chosen rows in submission order, as export items."""
        for custom_id in self.order:
            pick = self.chosen.get(custom_id)
            if pick is not None:
                yield self.indexes[pick.job], pick.row, self.job_ids[pick.job]

    def export(
        self,
        out: Path | str | IO[Any],
        *,
        parse: ParseFn,
        format: ExportFormat = "jsonl",
        join: Mapping[str, Any] | None = None,
        request_columns: Sequence[str] = (),
        request_row: Callable[[Any], Mapping[str, Any]] | None = None,
    ) -> int:
        """Export the merged set (one line per custom_id that has any result)."""
        if format == "jsonl":
            return write_jsonl(self.items(), out, parse=parse, join=join)
        if format == "csv":
            return write_csv(
                self.items(),
                out,
                parse=parse,
                join=join,
                request_columns=request_columns,
                request_row=request_row,
            )
        raise ValueError(f"unknown export format {format!r} (use jsonl or csv)")


def merge_run(
    jobs: Sequence[tuple[str, ResultIndex]], submitted: Iterable[str] | None = None
) -> RunMerge:
    """Merge a run's jobs, given as ``(job id, index)`` from the parent to the newest retry.

    ``submitted`` is every custom_id sent in the run (from the kept inputs), in order; without
    it, the custom_ids seen in the results are the whole run.
    """
    best: dict[str, tuple[int, int, int]] = {}
    for position, (_job_id, index) in enumerate(jobs):
        get = best.get
        for row, (custom_id, outcome, flag) in enumerate(
            zip(index.custom_ids, index.outcomes, index.flags, strict=False)
        ):
            if not custom_id:
                continue
            rank = 0 if outcome else (1 if flag else 2)
            current = get(custom_id)
            if current is None or rank >= current[0]:
                best[custom_id] = (rank, position, row)

    order: list[str] = []
    unexpected: list[str] = []
    if submitted is not None:
        seen: set[str] = set()
        for custom_id in submitted:
            if custom_id not in seen:
                seen.add(custom_id)
                order.append(custom_id)
        unexpected = [custom_id for custom_id in best if custom_id not in seen]
        order.extend(unexpected)
    else:
        order = list(best)

    missing: list[str] = []
    never_run: list[str] = []
    flagged: list[str] = []
    for custom_id in order:
        entry = best.get(custom_id)
        if entry is None:
            never_run.append(custom_id)
            missing.append(custom_id)
        elif entry[0] == 0:
            missing.append(custom_id)
        elif entry[0] == 1:
            flagged.append(custom_id)

    return RunMerge(
        job_ids=[job_id for job_id, _ in jobs],
        indexes=[index for _, index in jobs],
        chosen={custom_id: Pick(entry[1], entry[2]) for custom_id, entry in best.items()},
        order=order,
        missing=missing,
        never_run=never_run,
        flagged=flagged,
        unexpected=unexpected,
    )
