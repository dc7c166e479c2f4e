"""Provider file hygiene: what `clean` may delete at the provider, and what it did delete.

Only what can no longer be needed is planned: the input, output and error files (OpenAI) or
the batch itself (Anthropic) of jobs that ended and whose results are fully cached here; the
input file of an ended job that has no result to fetch; and the uploaded input of a
submission the provider refused (no batch uses it); and the files a repeated upload left that
no batch uses. Anything deleted is recorded on the job,
so it is never planned again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from batchtui.core.store import IntentState, JobRecord

FILE_ROLES = ("input", "output", "error")
STRAY_ROLE = "unused upload"
"""The role of a file that a repeated upload left and the batch does not use."""


@dataclass(frozen=True, slots=True)
class CleanItem:
    """One object to delete at a provider: a file (``kind`` "file") or a batch ("batch")."""

    local_id: str
    job_id: str | None
    profile: str
    provider: str
    kind: str
    target: str
    role: str
    """``input``, ``output`` or ``error`` for files; ``batch`` for a batch."""

    def describe(self) -> str:
        """One line for the plan, e.g. ``openai: delete openai output file file-1 of batch_2``."""
        if self.kind == "batch":
            return f"{self.profile}: delete {self.provider} batch {self.target}"
        owner = self.job_id or f"submission {self.local_id}"
        return f"{self.profile}: delete {self.provider} {self.role} file {self.target} of {owner}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "local_id": self.local_id,
            "job_id": self.job_id,
            "profile": self.profile,
            "provider": self.provider,
            "kind": self.kind,
            "target": self.target,
            "role": self.role,
        }


@dataclass(frozen=True, slots=True)
class CleanPlan:
    """What `clean` would delete, in order; empty when nothing is left to clean."""

    items: tuple[CleanItem, ...] = ()

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def as_dict(self) -> dict[str, Any]:
        return {"items": [i.as_dict() for i in self.items]}


@dataclass(slots=True)
class CleanReport:
    """What a `clean` run deleted, and what failed (with the provider's message)."""

    deleted: list[CleanItem] = field(default_factory=list)
    failed: list[tuple[CleanItem, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deleted": [i.as_dict() for i in self.deleted],
            "failed": [{**i.as_dict(), "error": message} for i, message in self.failed],
        }


def _cleaned_files(record: JobRecord) -> set[str]:
    return set((record.cleaned or {}).get("files") or {})


def _results_safe(record: JobRecord) -> bool:
    """Whether nothing the provider holds for this job is missing locally."""
    if not record.is_terminal or record.id is None:
        return False
    if record.results_complete:
        return True
    return (
        record.snapshot is not None
        and not record.results_available
        and not record.output_file_id
        and not record.error_file_id
    )


def job_items(
    record: JobRecord, *, can_delete_files: bool, can_delete_job: bool
) -> list[CleanItem]:
    """The provider objects of one job that `clean` may delete now."""
    done = _cleaned_files(record)
    items: list[CleanItem] = []

    def item(kind: str, target: str, role: str) -> CleanItem:
        return CleanItem(
            record.local_id, record.id, record.profile, record.provider, kind, target, role
        )

    if can_delete_files:  # never needed by anything, whatever became of the job
        items.extend(item("file", f, STRAY_ROLE) for f in record.stray_files if f not in done)
    refused = record.id is None and record.intent_state is IntentState.FAILED
    if refused:
        if can_delete_files and record.input_file_id and record.input_file_id not in done:
            items.append(item("file", record.input_file_id, "input"))
        return items
    if not _results_safe(record):
        return items
    if can_delete_files:
        for role, file_id in zip(
            FILE_ROLES,
            (record.input_file_id, record.output_file_id, record.error_file_id),
            strict=True,
        ):
            if file_id and file_id not in done:
                items.append(item("file", file_id, role))
    if can_delete_job and record.id and not (record.cleaned or {}).get("batch"):
        items.append(item("batch", record.id, "batch"))
    return items


def plan(records: Iterable[JobRecord], capabilities: dict[str, tuple[bool, bool]]) -> CleanPlan:
    """The plan over ``records``; ``capabilities`` maps profile -> (delete files, delete job)."""
    items: list[CleanItem] = []
    for record in records:
        files, jobs = capabilities.get(record.profile, (False, False))
        items.extend(job_items(record, can_delete_files=files, can_delete_job=jobs))
    return CleanPlan(tuple(items))
