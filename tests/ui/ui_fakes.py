"""A deterministic in-memory workspace for UI snapshots and Pilot tests (no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from batchtui.core.budget import CostTotal
from batchtui.core.clean import CleanItem, CleanPlan, CleanReport
from batchtui.core.clock import FixedClock
from batchtui.core.inputs import ValidationReport, validate_file
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
from batchtui.core.store import JobRecord
from batchtui.ui.models.results import ListSource
from batchtui.ui.models.runs import RunRow, RunSummary

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakeProfile:
    name: str
    provider: str
    default_model: str | None = None
    stale_after_s: float | None = None


_MONEY_FIELDS = ("estimate", "cost", "progress_at")
if {f.name for f in fields(JobRecord)} >= set(_MONEY_FIELDS):
    Record = JobRecord
else:  # a core from before the money fields: carry them on a subclass, as the store would

    @dataclass(frozen=True)
    class Record(JobRecord):  # type: ignore[no-redef]
        estimate: dict[str, Any] | None = None
        cost: dict[str, Any] | None = None
        progress_at: datetime | None = None

        def stale_since(self, after_s: float) -> datetime | None:
            if self.status not in (BatchStatus.IN_PROGRESS, BatchStatus.FINALIZING):
                return None
            start = self.progress_at or self.times.in_progress_at or self.times.created_at
            return start + timedelta(seconds=after_s) if start is not None else None


def estimate(low: float | None, high: float | None, requests: int, *unpriced: str) -> dict:
    """An estimate as the core keeps it on a job (`costs.Estimate.as_dict()`)."""
    return {
        "requests": requests,
        "input_tokens": requests * 180,
        "max_output_tokens": requests * 256,
        "cost_usd_low": low,
        "cost_usd_high": high,
        "unpriced_models": list(unpriced),
    }


def cost(batch: float, sync: float) -> dict:
    """An actual cost as the core keeps it on a job (`costs.Cost.as_dict()`)."""
    return {
        "cost_usd": batch,
        "sync_cost_usd": sync,
        "saved_usd": round(sync - batch, 6),
        "unpriced_models": [],
        "source": "results",
    }


def record(
    local_id: str,
    label: str,
    profile: str,
    provider: str,
    status: BatchStatus,
    job: BatchJob | None = None,
    *,
    parent_id: str | None = None,
    input_path: str | None = None,
    created_at: datetime | None = None,
    **extra: Any,
) -> JobRecord:
    """A real store record as the store would return it (`extra`: estimate, cost,
    progress_at, last_polled_at, results_complete)."""
    return Record(
        local_id=local_id,
        id=job.id if job else None,
        provider=provider,
        profile=profile,
        status=status,
        raw_status=job.raw_status if job else None,
        counts=job.counts if job else RequestCounts(),
        times=job.times if job else Timestamps(),
        run_id=f"run-{parent_id or local_id}",
        label=label,
        parent_local_id=parent_id,
        model=job.model if job else None,
        input_path=Path(input_path) if input_path else None,
        input_file_id=job.input_file_id if job else None,
        output_file_id=job.output_file_id if job else None,
        error_file_id=job.error_file_id if job else None,
        created_at=created_at,
        snapshot=job,
        **extra,
    )


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
    step = max(1, total // errored) if errored else 0
    for n in range(total):
        custom_id = f"{prefix}-{n:04d}"
        row: dict[str, Any] = {"custom_id": custom_id, "model": "gpt-4o-mini"}
        if step and n % step == 1 and errored > 0:
            kind = ERROR_KINDS[(n // step) % 3]
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


FLAG_CYCLE = ("truncated", "filtered", "truncated", "refused", "http_error", "truncated")


def flagged_lines(prefix: str, total: int) -> list[str]:
    """Answers of which every third is flagged: truncated (at max_tokens 256), filtered,
    refused, or a non-2xx line of the output file (http_error, counted as errored)."""
    lines = []
    for n in range(total):
        row: dict[str, Any] = {
            "custom_id": f"{prefix}-{n:04d}",
            "model": "gpt-4o-mini",
            "outcome": "succeeded",
            "text": f"Answer {n}: the model's verdict on eval item {n}.",
            "usage": {"input_tokens": 90 + n, "output_tokens": 40 + n % 7},
            "finish_reason": "stop",
        }
        if n % 3 == 2:
            flag = FLAG_CYCLE[(n // 3) % len(FLAG_CYCLE)]
            row["flag"] = flag
            if flag == "truncated":
                row.update(finish_reason="length", usage={"input_tokens": 90, "output_tokens": 256})
            elif flag == "filtered":
                row.update(finish_reason="content_filter", text="")
            elif flag == "refused":
                row.update(text="I can't help with that.", finish_reason="refusal")
            else:
                row.update(
                    outcome="errored",
                    text=None,
                    usage=None,
                    finish_reason=None,
                    error={"type": "server_error", "code": "500", "message": "HTTP 500 line"},
                )
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
        input_file_id=f"file-in-{batch_id[-6:]}" if provider == "openai" else None,
        output_file_id=f"file-out-{batch_id[-6:]}"
        if provider == "openai" and status.is_terminal
        else None,
        results_available=status.is_terminal,
    )


def seed_records() -> list[JobRecord]:
    """The fixed set of jobs every snapshot shows."""
    t = START
    h = timedelta(hours=1)
    m = timedelta(minutes=1)
    return [
        record(
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
            estimate=estimate(0.0051, 0.0342, 60),
            cost=cost(0.0123, 0.0246),
            results_complete=True,
        ),
        record(
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
            estimate=estimate(0.0004, 0.0031, 6),
            progress_at=t - 19 * m,  # counts stuck since: stale (profile threshold 10m)
            last_polled_at=t - m // 2,
        ),
        record(
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
            estimate=estimate(0.31, 1.85, 1000),
            progress_at=t - m,
            last_polled_at=t - m // 2,
        ),
        record(
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
            estimate=estimate(0.0038, 0.0221, 40),
            cost=cost(0.0041, 0.0082),
            results_complete=True,
        ),
        record(
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
            estimate=estimate(0.021, 0.118, 30),
            results_complete=True,
        ),
        record(
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
            estimate=estimate(None, None, 6, "gpt-9"),
        ),
        record(
            "j7",
            "nightly-digest",
            "anthropic",
            "anthropic",
            BatchStatus.QUEUED,
            None,
            created_at=t - 2 * m,
            estimate=estimate(0.04, 0.26, 120),
        ),
    ]


class FakeWorkspace:
    """The workspace contract, in memory; `set_status` plays the poller."""

    def __init__(self, clock: FixedClock | None = None, *, chunk: int = 20) -> None:
        self.clock = clock or FixedClock(START)
        self.records: dict[str, JobRecord] = {r.local_id: r for r in seed_records()}
        self.lines: dict[str, list[str]] = {
            "j1": result_lines("fr", 60, 6, flagged=2),
            "j2": result_lines("fr-retry", 4, 0),
            "j4": flagged_lines("eval", 18),
            "j5": result_lines("cls", 21, 0),
        }
        self.cached: dict[str, ListSource] = {}
        self.live: dict[str, ListSource] = {}
        self.listeners: list[Callable[[Any], None]] = []
        self.error_listeners: list[Callable[[str, str | None, Exception], None]] = []
        self.calls: list[tuple[str, Any]] = []
        self.chunk = chunk
        self.chunk_delay = 0.0
        self.fail_next: BaseException | None = None
        self.slow: float = 0.0
        self.slow_stop: float = 0.0
        self.cleaned: set[str] = set()
        self.clean_failures: dict[str, str] = {}
        self._polling = asyncio.Event()
        self._counter = 100

    # -------------------------------------------------------------- reads

    def profiles(self) -> list[FakeProfile]:
        return [
            FakeProfile("openai-main", "openai", "gpt-4o-mini", stale_after_s=600),
            FakeProfile("anthropic", "anthropic", "claude-haiku-4-5"),
        ]

    def stale_after(self, profile: str) -> float:
        """Seconds without progress before a job is stale (the core's default: 30 minutes)."""
        value = next((p.stale_after_s for p in self.profiles() if p.name == profile), None)
        return value or 1800.0

    def jobs(self) -> list[JobRecord]:
        return list(self.records.values())

    def job(self, id_or_local_id: str) -> JobRecord:
        return self.records[id_or_local_id]

    def children(self, local_id: str) -> list[JobRecord]:
        return [r for r in self.records.values() if r.parent_local_id == local_id]

    # -------------------------------------------------------------- live

    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback) if callback in self.listeners else None

    def subscribe_errors(self, callback: Callable[[str, str | None, Exception], None]) -> Any:
        self.error_listeners.append(callback)
        return lambda: self.error_listeners.remove(callback)

    def poll_error(self, profile: str, batch_id: str | None, error: Exception) -> None:
        """Report a background polling error, as the poller would."""
        for listener in list(self.error_listeners):
            listener(profile, batch_id, error)

    def publish(self, record: JobRecord) -> None:
        self.records[record.local_id] = record
        for listener in list(self.listeners):
            listener(record)

    def set_status(self, local_id: str, status: BatchStatus, **counts: int) -> JobRecord:
        """Move a job as the poller would, and tell the listeners."""
        current = self.records[local_id]
        job = current.snapshot
        new_counts = replace(current.counts, **counts) if counts else current.counts
        if job is not None:
            job = replace(
                job,
                status=status,
                raw_status=status.value,
                counts=new_counts,
                results_available=status.is_terminal or job.results_available,
            )
        updated = replace(
            current, status=status, raw_status=status.value, counts=new_counts, snapshot=job
        )
        self.publish(updated)
        return updated

    async def start_polling(self) -> None:
        self.calls.append(("start_polling", None))
        await self._polling.wait()

    async def stop_polling(self) -> None:
        self.calls.append(("stop_polling", None))
        if self.slow_stop:
            await asyncio.sleep(self.slow_stop)  # a poll in flight that takes its time
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
    ) -> ValidationReport:
        """The core's real validator (pure, no network) for the profile's provider."""
        self.calls.append(("validate", (str(path), profile)))
        provider = "openai" if profile.startswith("openai") else "anthropic"
        return validate_file(path, provider, defaults=defaults, progress=progress)

    def _new_id(self) -> str:
        self._counter += 1
        return f"j{self._counter}"

    async def submit_file(self, path: Path, profile: str, **kwargs: Any) -> list[JobRecord]:
        self.calls.append(("submit_file", (str(path), profile)))
        await self._maybe_fail("submit")
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        provider = "openai" if profile.startswith("openai") else "anthropic"
        local_id = self._new_id()
        new = record(
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
        self.publish(new)
        return [new]

    async def cancel(self, id: str) -> JobRecord:
        self.calls.append(("cancel", id))
        await self._maybe_fail("cancel")
        return self.set_status(id, BatchStatus.CANCELLING)

    async def retry(self, id: str, **kwargs: Any) -> JobRecord:
        self.calls.append(("retry", (id, kwargs)))
        await self._maybe_fail("retry")
        parent = self.records[id]
        ids = kwargs.get("custom_ids") or []
        total = len(ids) or parent.counts.errored
        local_id = self._new_id()
        new = record(
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
        self.publish(new)
        return new

    async def recover(self, id: str) -> JobRecord:
        self.calls.append(("recover", id))
        return await self.retry(id)

    async def fetch_results(self, id: str, *, progress: Any = None, on_lines: Any = None) -> Any:
        self.calls.append(("fetch_results", id))
        await self._maybe_fail("fetch")
        lines = self.lines.get(id, [])
        source = ListSource([], parse_line)
        self.live[id] = source
        total = sum(len(line) + 1 for line in lines)
        done = 0
        for start in range(0, len(lines), self.chunk):
            part = lines[start : start + self.chunk]
            source.append(part)
            done += sum(len(line) + 1 for line in part)
            if on_lines is not None:
                on_lines(part)
            if progress is not None:
                progress(done, total)
            await asyncio.sleep(self.chunk_delay)
        self.cached[id] = source
        self.live.pop(id, None)
        return source

    def results(self, id: str) -> ListSource | None:
        return self.cached.get(id) or self.live.get(id)

    async def run_view(self, id: str) -> RunSummary:
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

    # -------------------------------------------------------------- money and hygiene

    def cost_totals(self, profile: str | None = None) -> list[CostTotal]:
        """Per profile (all days) and per profile and day: actual costs, the high estimates
        of jobs still without one (pending), and jobs with no price."""
        sums: dict[tuple[str, str | None], list[float]] = {}
        for rec in self.records.values():
            if profile and rec.profile != profile:
                continue
            day = rec.created_at.date().isoformat() if rec.created_at else None
            actual = (rec.cost or {}).get("cost_usd")
            high = (rec.estimate or {}).get("cost_usd_high")
            for key in ((rec.profile, None), (rec.profile, day)):
                total = sums.setdefault(key, [0.0, 0.0, 0.0])
                if actual is not None:
                    total[0] += actual
                elif high is None:
                    total[2] += 1
                elif not rec.is_terminal or rec.results_available:
                    total[1] += high
        return [
            CostTotal(p, d, cost_usd=c, pending_usd_high=h, unpriced_jobs=int(u))
            for (p, d), (c, h, u) in sorted(sums.items(), key=str)
        ]

    def clean_plan(self, profile: str | None = None) -> CleanPlan:
        """Files (OpenAI) or batches (Anthropic) of ended jobs whose results are cached."""
        self.calls.append(("clean_plan", profile))
        items: list[CleanItem] = []
        for rec in self.records.values():
            if not (rec.is_terminal and rec.results_complete and rec.id):
                continue
            if rec.provider == "anthropic":
                found = [("batch", rec.id, "batch")]
            else:
                found = [
                    ("file", file_id, role)
                    for role, file_id in (
                        ("input", rec.input_file_id),
                        ("output", rec.output_file_id),
                        ("error", rec.error_file_id),
                    )
                    if file_id
                ]
            for kind, target, role in found:
                if (rec.local_id, target) not in self.cleaned:
                    items.append(
                        CleanItem(
                            rec.local_id, rec.id, rec.profile, rec.provider, kind, target, role
                        )
                    )
        return CleanPlan(tuple(items))

    async def clean(self, plan: CleanPlan) -> CleanReport:
        """Delete every item of the plan (those in `clean_failures` fail with its message)."""
        self.calls.append(("clean", [item.target for item in plan.items]))
        await self._maybe_fail("clean")
        report = CleanReport()
        for item in plan.items:
            message = self.clean_failures.get(item.target)
            if message:
                report.failed.append((item, message))
                continue
            self.cleaned.add((item.local_id, item.target))
            report.deleted.append(item)
        return report

    async def aclose(self) -> None:
        self._polling.set()


__all__ = ["START", "FakeWorkspace", "parse_line", "record"]
