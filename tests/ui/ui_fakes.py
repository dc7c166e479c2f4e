"""A deterministic in-memory workspace for UI snapshots and Pilot tests (no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from batchtui.core.clock import FixedClock
from batchtui.core.models import (
    BatchJob,
    BatchResult,
    BatchStatus,
    Outcome,
    ProviderErrorDetail,
    RequestCounts,
    ResultError,
    ResultFlag,
    Timestamps,
    Usage,
)
from batchtui.ui.models.inputs import ErrorItem, ValidationView
from batchtui.ui.models.results import ListSource
from batchtui.ui.models.runs import RunRow, RunSummary

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakeProfile:
    name: str
    provider: str
    default_model: str | None = None


@dataclass(frozen=True)
class FakeRecord:
    """Shaped like the store's JobRecord as far as the UI reads it."""

    local_id: str
    label: str
    profile: str
    provider: str
    status: BatchStatus
    job: BatchJob | None = None
    parent_id: str | None = None
    input_path: str | None = None
    created_at: datetime | None = None


def parse_line(line: str) -> BatchResult:
    """Parse the fake's own result lines (a neutral-looking JSON object per line)."""
    data = json.loads(line)
    error = data.get("error")
    usage = data.get("usage")
    return BatchResult(
        custom_id=data["custom_id"],
        outcome=Outcome(data["outcome"]),
        text=data.get("text"),
        usage=Usage(**usage) if usage else None,
        error=ResultError(error.get("type"), error.get("code"), error["message"])
        if error
        else None,
        flag=ResultFlag(data["flag"]) if data.get("flag") else None,
        finish_reason=data.get("finish_reason"),
        model=data.get("model"),
        raw=data,
    )


ERROR_KINDS = (
    ("rate_limit_error", "rate_limited", "Too many tokens in the queue; retry later."),
    ("invalid_request_error", "context_length_exceeded", "Prompt is too long: 210000 > 200000."),
    ("overloaded_error", None, "Overloaded [upstream 529]"),
)


def result_lines(prefix: str, total: int, errored: int, flagged: int = 0) -> list[str]:
    """Deterministic result lines: errors spread over three types, some truncated successes."""
    lines = []
    for n in range(total):
        custom_id = f"{prefix}-{n:04d}"
        row: dict[str, Any] = {"custom_id": custom_id, "model": "gpt-4o-mini"}
        if n % max(1, total // max(1, errored)) == 1 and errored > 0:
            kind = ERROR_KINDS[n % 3]
            row.update(
                outcome="errored",
                error={"type": kind[0], "code": kind[1], "message": kind[2]},
            )
            errored -= 1
        else:
            row.update(
                outcome="succeeded",
                text=f"Réponse {n}: la traduction de la phrase numéro {n} est prête.",
                usage={"input_tokens": 40 + n % 17, "output_tokens": 12 + n % 5},
                finish_reason="stop",
            )
            if flagged > 0 and n % 50 == 7:
                row.update(flag="truncated", finish_reason="length")
                flagged -= 1
        lines.append(json.dumps(row, ensure_ascii=False))
    return lines


def _job(
    provider: str,
    batch_id: str,
    status: BatchStatus,
    raw: str,
    counts: RequestCounts,
    created: datetime,
    **times: datetime,
) -> BatchJob:
    return BatchJob(
        provider=provider,
        id=batch_id,
        status=status,
        raw_status=raw,
        counts=counts,
        times=Timestamps(created_at=created, **times),
        model="gpt-4o-mini" if provider == "openai" else "claude-haiku-4-5",
        input_file_id="file-in-7f3a9c" if provider == "openai" else None,
        output_file_id="file-out-2b81d0" if provider == "openai" and status.is_terminal else None,
        results_available=status.is_terminal,
    )


def seed_records() -> list[FakeRecord]:
    """The fixed set of jobs every snapshot shows."""
    t = START
    h = timedelta(hours=1)
    m = timedelta(minutes=1)
    return [
        FakeRecord(
            "j1",
            "translate-fr",
            "openai-main",
            "openai",
            BatchStatus.COMPLETED,
            _job(
                "openai",
                "batch_68f2a1c9e7b04d1f",
                BatchStatus.COMPLETED,
                "completed",
                RequestCounts(total=60, succeeded=54, errored=6),
                t - 3 * h,
                in_progress_at=t - 3 * h + m,
                completed_at=t - 2 * h,
                expires_at=t + 21 * h,
            ),
            input_path="/data/translate-fr.jsonl",
            created_at=t - 3 * h,
        ),
        FakeRecord(
            "j2",
            "translate-fr retry",
            "openai-main",
            "openai",
            BatchStatus.IN_PROGRESS,
            _job(
                "openai",
                "batch_68f2b7d0aa11c3e9",
                BatchStatus.IN_PROGRESS,
                "in_progress",
                RequestCounts(total=6, processing=2, succeeded=4),
                t - 20 * m,
                in_progress_at=t - 19 * m,
            ),
            parent_id="j1",
            created_at=t - 20 * m,
        ),
        FakeRecord(
            "j3",
            "summaries-q1",
            "anthropic",
            "anthropic",
            BatchStatus.IN_PROGRESS,
            _job(
                "anthropic",
                "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d",
                BatchStatus.IN_PROGRESS,
                "in_progress",
                RequestCounts(total=1000, processing=380, succeeded=611, errored=9),
                t - 40 * m,
            ),
            input_path="/data/summaries.jsonl",
            created_at=t - 40 * m,
        ),
        FakeRecord(
            "j4",
            "eval-run-7",
            "openai-main",
            "openai",
            BatchStatus.CANCELLED,
            _job(
                "openai",
                "batch_68f1c02b5e9d7a44",
                BatchStatus.CANCELLED,
                "cancelled",
                RequestCounts(total=40, succeeded=18, canceled=22),
                t - 5 * h,
                cancelling_at=t - 4 * h,
                cancelled_at=t - 4 * h + m,
            ),
            created_at=t - 5 * h,
        ),
        FakeRecord(
            "j5",
            "classify-xl",
            "anthropic",
            "anthropic",
            BatchStatus.EXPIRED,
            _job(
                "anthropic",
                "msgbatch_01Hj9bQ2mXrT5sYw8vN3kLp4",
                BatchStatus.EXPIRED,
                "ended",
                RequestCounts(total=30, succeeded=21, expired=9),
                t - 26 * h,
                ended_at=t - 2 * h,
                expires_at=t - 2 * h,
            ),
            created_at=t - 26 * h,
        ),
        FakeRecord(
            "j6",
            "bad-input",
            "openai-main",
            "openai",
            BatchStatus.FAILED,
            replace(
                _job(
                    "openai",
                    "batch_68f2c4e1d3b2f900",
                    BatchStatus.FAILED,
                    "failed",
                    RequestCounts(),
                    t - 10 * m,
                    failed_at=t - 9 * m,
                ),
                errors=(
                    ProviderErrorDetail(
                        "invalid_model",
                        "Model 'gpt-9' does not exist [or no access]",
                        line=3,
                        param="body.model",
                    ),
                ),
            ),
            created_at=t - 10 * m,
        ),
        FakeRecord(
            "j7",
            "nightly-digest",
            "anthropic",
            "anthropic",
            BatchStatus.QUEUED,
            None,
            created_at=t - 2 * m,
        ),
    ]


class FakeWorkspace:
    """The workspace contract, in memory; `set_status` plays the poller."""

    def __init__(self, clock: FixedClock | None = None, *, chunk: int = 20) -> None:
        self.clock = clock or FixedClock(START)
        self.records: dict[str, FakeRecord] = {r.local_id: r for r in seed_records()}
        self.lines: dict[str, list[str]] = {
            "j1": result_lines("fr", 60, 6, flagged=2),
            "j2": result_lines("fr-retry", 4, 0),
            "j4": result_lines("eval", 18, 0),
            "j5": result_lines("cls", 21, 0),
        }
        self.cached: dict[str, ListSource] = {}
        self.listeners: list[Callable[[Any], None]] = []
        self.calls: list[tuple[str, Any]] = []
        self.chunk = chunk
        self.fail_next: BaseException | None = None
        self.slow: float = 0.0
        self._polling = asyncio.Event()
        self._counter = 100

    # -------------------------------------------------------------- reads

    def profiles(self) -> list[FakeProfile]:
        return [
            FakeProfile("openai-main", "openai", "gpt-4o-mini"),
            FakeProfile("anthropic", "anthropic", "claude-haiku-4-5"),
        ]

    def jobs(self) -> list[FakeRecord]:
        return list(self.records.values())

    def job(self, id_or_local_id: str) -> FakeRecord:
        return self.records[id_or_local_id]

    def children(self, local_id: str) -> list[FakeRecord]:
        return [r for r in self.records.values() if r.parent_id == local_id]

    # -------------------------------------------------------------- live

    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback) if callback in self.listeners else None

    def publish(self, record: FakeRecord) -> None:
        self.records[record.local_id] = record
        for listener in list(self.listeners):
            listener(record)

    def set_status(self, local_id: str, status: BatchStatus, **counts: int) -> FakeRecord:
        """Move a job as the poller would, and tell the listeners."""
        record = self.records[local_id]
        job = record.job
        if job is not None:
            new_counts = replace(job.counts, **counts) if counts else job.counts
            job = replace(
                job,
                status=status,
                raw_status=status.value,
                counts=new_counts,
                results_available=status.is_terminal or job.results_available,
            )
        record = replace(record, status=status, job=job)
        self.publish(record)
        return record

    async def start_polling(self) -> None:
        self.calls.append(("start_polling", None))
        await self._polling.wait()

    async def stop_polling(self) -> None:
        self._polling.set()

    def poll_now(self, id_or_local_id: str | None = None) -> None:
        self.calls.append(("poll_now", id_or_local_id))

    # -------------------------------------------------------------- actions

    async def _maybe_fail(self, name: str) -> None:
        if self.slow:
            await asyncio.sleep(self.slow)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def validate(
        self, path: Path, profile: str, *, defaults: Any = None, progress: Any = None
    ) -> ValidationView:
        self.calls.append(("validate", (str(path), profile)))
        errors: list[ErrorItem] = []
        models: dict[str, int] = {}
        seen: set[str] = set()
        count = 0
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if progress is not None:
                progress(number, len(lines))
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                errors.append(ErrorItem(number, None, f"bad JSON: {error.msg}"))
                continue
            count += 1
            custom_id = data.get("custom_id")
            if not custom_id:
                errors.append(ErrorItem(number, "custom_id", "missing"))
            elif custom_id in seen:
                errors.append(ErrorItem(number, "custom_id", f"duplicate {custom_id!r}"))
            seen.add(str(custom_id))
            model = data.get("model")
            if not model:
                errors.append(ErrorItem(number, "model", "missing"))
            else:
                models[model] = models.get(model, 0) + 1
        return ValidationView(
            path=str(path),
            format="neutral JSONL",
            requests=count,
            models=models,
            input_tokens=count * 42,
            splits=(count,),
            errors=tuple(errors),
            total_errors=len(errors),
        )

    def _new_id(self) -> str:
        self._counter += 1
        return f"j{self._counter}"

    async def submit_file(self, path: Path, profile: str, **kwargs: Any) -> list[FakeRecord]:
        self.calls.append(("submit_file", (str(path), profile)))
        await self._maybe_fail("submit")
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        provider = "openai" if profile.startswith("openai") else "anthropic"
        local_id = self._new_id()
        record = FakeRecord(
            local_id,
            Path(path).stem,
            profile,
            provider,
            BatchStatus.VALIDATING,
            _job(
                provider,
                f"batch_new{local_id}",
                BatchStatus.VALIDATING,
                "validating",
                RequestCounts(total=len(lines), processing=len(lines)),
                self.clock.now(),
            ),
            input_path=str(path),
            created_at=self.clock.now(),
        )
        self.publish(record)
        return [record]

    async def cancel(self, id: str) -> FakeRecord:
        self.calls.append(("cancel", id))
        await self._maybe_fail("cancel")
        return self.set_status(id, BatchStatus.CANCELLING)

    async def retry(self, id: str, **kwargs: Any) -> FakeRecord:
        self.calls.append(("retry", (id, kwargs)))
        await self._maybe_fail("retry")
        parent = self.records[id]
        ids = kwargs.get("custom_ids") or []
        total = len(ids) or (parent.job.counts.errored if parent.job else 0)
        local_id = self._new_id()
        record = FakeRecord(
            local_id,
            f"{parent.label} retry",
            parent.profile,
            parent.provider,
            BatchStatus.VALIDATING,
            _job(
                parent.provider,
                f"batch_retry{local_id}",
                BatchStatus.VALIDATING,
                "validating",
                RequestCounts(total=total, processing=total),
                self.clock.now(),
            ),
            parent_id=id,
            created_at=self.clock.now(),
        )
        self.publish(record)
        return record

    async def recover(self, id: str) -> FakeRecord:
        self.calls.append(("recover", id))
        return await self.retry(id)

    async def fetch_results(self, id: str, *, progress: Any = None, on_lines: Any = None) -> Any:
        self.calls.append(("fetch_results", id))
        await self._maybe_fail("fetch")
        lines = self.lines.get(id, [])
        source = ListSource([], parse_line)
        total = sum(len(line) + 1 for line in lines)
        done = 0
        for start in range(0, len(lines), self.chunk):
            part = lines[start : start + self.chunk]
            source.append(part)
            done += sum(len(line) + 1 for line in part)
            if on_lines is not None:
                on_lines(source)
            if progress is not None:
                progress(done, total)
            await asyncio.sleep(0)
        self.cached[id] = source
        return source

    def results(self, id: str) -> ListSource | None:
        return self.cached.get(id)

    def run_view(self, id: str) -> RunSummary:
        self.calls.append(("run_view", id))
        family = [id] + [r.local_id for r in self.children(id)]
        latest: dict[str, RunRow] = {}
        missing: list[str] = []
        for job_id in family:
            for line in self.lines.get(job_id, []):
                result = parse_line(line)
                if result.outcome is Outcome.SUCCEEDED:
                    latest[result.custom_id] = RunRow(
                        result.custom_id, "succeeded", job_id, result.text or ""
                    )
        for line in self.lines.get(id, []):
            custom_id = json.loads(line)["custom_id"]
            if custom_id not in latest:
                missing.append(custom_id)
        return RunSummary(
            root_id=id,
            job_ids=tuple(family),
            rows=list(latest.values()),
            missing=missing,
            total=len(latest) + len(missing),
        )

    async def aclose(self) -> None:
        self._polling.set()


__all__ = ["START", "FakeRecord", "FakeWorkspace", "parse_line"]
