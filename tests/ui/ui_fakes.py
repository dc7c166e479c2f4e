"""A deterministic in-memory workspace for UI snapshots and Pilot tests (no network).

Its methods have the real `Workspace`'s signatures and return the core's types (JobRecord,
Profile, ValidationReport, CostTotal, CleanPlan, ...), except results: `fetch_results` and
`results` give an in-memory `ListSource` and `run_view` a `RunSummary`, both of which the
dashboard accepts beside the core's `ResultIndex` and `RunMerge`.
test_ui_fake_contract.py checks it against the real `Workspace`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from batchtui.core.budget import CostTotal
from batchtui.core.clean import CleanItem, CleanPlan, CleanReport
from batchtui.core.clock import FixedClock
from batchtui.core.config import Config, Profile
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
from batchtui.core.provider import ProgressCallback, ProviderError
from batchtui.core.store import JobRecord, StoreError
from batchtui.ui.models.results import ListSource
from batchtui.ui.models.runs import RunRow, RunSummary

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

PROFILES = (
    Profile("openai-main", "openai", default_model="gpt-4o-mini", stale_after_s=600),
    Profile("anthropic", "anthropic", default_model="claude-haiku-4-5"),
)
DEFAULT_STALE_AFTER_S = 1800.0
"""The core's threshold for a profile without ``stale_after_s`` (30 minutes)."""


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
    return JobRecord(
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


class FakeStore:
    """The part of the core's `JobStore` the dashboard reads (jobs another process recorded)."""

    def __init__(self, records: dict[str, JobRecord]) -> None:
        self._records = records

    def list_jobs(
        self,
        *,
        profile: str | None = None,
        statuses: Iterable[BatchStatus] | None = None,
        live: bool | None = None,
        run_id: str | None = None,
        adopted: bool | None = None,
        limit: int | None = None,
        created_since: datetime | float | None = None,
    ) -> list[JobRecord]:
        """Jobs, newest first, filtered like `JobStore.list_jobs`."""
        since = (
            datetime.fromtimestamp(created_since, UTC)
            if isinstance(created_since, int | float)
            else created_since
        )
        wanted = None if statuses is None else {BatchStatus(s) for s in statuses}
        found = [
            r
            for r in self._records.values()
            if (profile is None or r.profile == profile)
            and (wanted is None or r.status in wanted)
            and (live is None or live != r.is_terminal)
            and (run_id is None or r.run_id == run_id)
            and (adopted is None or r.adopted == adopted)
            and (since is None or (r.created_at is not None and r.created_at >= since))
        ]
        found.sort(key=lambda r: r.created_at or START, reverse=True)
        return found if limit is None else found[:limit]


class FakeWorkspace:
    """The workspace contract, in memory; `set_status` plays the poller."""

    CONTROLS = frozenset(
        {
            "records",
            "lines",
            "cached",
            "live",
            "listeners",
            "error_listeners",
            "calls",
            "chunk",
            "chunk_delay",
            "fail_next",
            "slow",
            "slow_stop",
            "cleaned",
            "clean_failures",
            "poll_error",
            "publish",
            "set_status",
        }
    )
    """Public names that are test controls, not `Workspace` API (the contract test skips
    them and checks that the real `Workspace` has none of them)."""

    def __init__(self, clock: FixedClock | None = None, *, chunk: int = 20) -> None:
        self.clock = clock or FixedClock(START)
        self.config = Config({p.name: p for p in PROFILES}, default_profile=PROFILES[0].name)
        self.records: dict[str, JobRecord] = {r.local_id: r for r in seed_records()}
        self.store = FakeStore(self.records)
        self.lines: dict[str, list[str]] = {
            "j1": result_lines("fr", 60, 6, flagged=2),
            "j2": result_lines("fr-retry", 4, 0),
            "j4": flagged_lines("eval", 18),
            "j5": result_lines("cls", 21, 0),
        }
        self.cached: dict[str, ListSource] = {}
        self.live: dict[str, ListSource] = {}
        self.listeners: list[Callable[[JobRecord], None]] = []
        self.error_listeners: list[Callable[[str, str | None, Exception], None]] = []
        self.calls: list[tuple[str, Any]] = []
        self.chunk = chunk
        self.chunk_delay = 0.0
        self.fail_next: BaseException | None = None
        self.slow: float = 0.0
        self.slow_stop: float = 0.0
        self.cleaned: set[tuple[str, str]] = set()
        self.clean_failures: dict[str, str] = {}
        self._polling = asyncio.Event()
        self._counter = 100

    # -------------------------------------------------------------- reads

    def profiles(self) -> list[Profile]:
        return list(self.config.profiles.values())

    def usable_profiles(self) -> list[str]:
        """Every profile has a key here."""
        return list(self.config.profiles)

    def stale_after(self, profile: str) -> float:
        """Seconds without progress before a job is stale (the core's default: 30 minutes)."""
        return self.config.profile(profile).stale_after_s or DEFAULT_STALE_AFTER_S

    def stale_since(self, record: JobRecord, now: datetime | None = None) -> datetime | None:
        """When the job went stale, or None when it is not stale now (the core's rule; no
        poller follows anything here, so a poll since the threshold must confirm it)."""
        after = self.stale_after(record.profile)
        if not record.is_stale(now or self.clock.now(), after):
            return None
        return record.stale_since(after)

    def follows(self, profile: str, batch_id: str | None) -> bool:
        """No poller runs here: nothing is followed."""
        return False

    def jobs(self, *, brief: bool = False) -> list[JobRecord]:
        return list(self.records.values())

    def job(self, ident: str) -> JobRecord:
        try:
            return self.records[ident]
        except KeyError:
            raise StoreError(f"no job {ident} in the local store") from None

    def children(self, local_id: str) -> list[JobRecord]:
        return [r for r in self.records.values() if r.parent_local_id == local_id]

    # -------------------------------------------------------------- live

    def subscribe(self, callback: Callable[[JobRecord], None]) -> Callable[[], None]:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback) if callback in self.listeners else None

    def subscribe_errors(
        self, callback: Callable[[str, str | None, Exception], None]
    ) -> Callable[[], None]:
        self.error_listeners.append(callback)
        return lambda: (
            self.error_listeners.remove(callback) if callback in self.error_listeners else None
        )

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

    async def reconcile(
        self,
        profile: str | None = None,
        *,
        on_error: Callable[[str, ProviderError], None] | None = None,
    ) -> list[JobRecord]:
        """Nothing is left open here: no submission to settle."""
        self.calls.append(("reconcile", profile))
        return []

    async def start_polling(self) -> None:
        self.calls.append(("start_polling", None))
        await self._polling.wait()

    async def stop_polling(self) -> None:
        self.calls.append(("stop_polling", None))
        if self.slow_stop:
            await asyncio.sleep(self.slow_stop)  # a poll in flight that takes its time
        self._polling.set()

    def poll_now(self, ident: str | None = None) -> None:
        self.calls.append(("poll_now", ident))

    # -------------------------------------------------------------- actions

    async def _maybe_fail(self, name: str) -> None:
        if self.slow:
            await asyncio.sleep(self.slow)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def validate(
        self,
        path: Path | str,
        profile: str | None = None,
        *,
        defaults: dict[str, Any] | None = None,
        progress: ProgressCallback | None = None,
        split: bool = True,
        csv_template: str | None = None,
        csv_id_column: str | None = None,
        csv_system: str | None = None,
    ) -> ValidationReport:
        """The core's real validator (pure, no network) for the profile's provider (only the
        caller's defaults: the profile's are not merged in here)."""
        self.calls.append(("validate", (str(path), profile)))
        return validate_file(
            path,
            self.config.profile(profile).provider,
            defaults=defaults,
            progress=progress,
            split=split,
            csv_template=csv_template,
            csv_id_column=csv_id_column,
            csv_system=csv_system,
        )

    def _new_id(self) -> str:
        self._counter += 1
        return f"j{self._counter}"

    async def submit_file(
        self,
        path: Path | str,
        profile: str | None = None,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        endpoint: str | None = None,
        label: str | None = None,
        split: bool = True,
        again: bool = False,
        progress: ProgressCallback | None = None,
        csv_template: str | None = None,
        csv_id_column: str | None = None,
        csv_system: str | None = None,
        max_cost_usd: float | None = None,
    ) -> list[JobRecord]:
        """One job of the file's lines, labelled after the file unless a label is given."""
        self.calls.append(("submit_file", (str(path), profile)))
        await self._maybe_fail("submit")
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        prof = self.config.profile(profile)
        local_id = self._new_id()
        new = record(
            local_id,
            label or Path(path).stem,
            prof.name,
            prof.provider,
            BatchStatus.VALIDATING,
            _job(
                prof.provider,
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

    async def cancel(self, ident: str) -> JobRecord:
        self.calls.append(("cancel", ident))
        await self._maybe_fail("cancel")
        return self.set_status(ident, BatchStatus.CANCELLING)

    async def retry(
        self,
        ident: str,
        *,
        error_types: list[str] | None = None,
        custom_ids: list[str] | None = None,
        flag: ResultFlag | str | None = None,
        max_tokens: int | None = None,
    ) -> JobRecord:
        """A child job of the chosen requests (or of the errored ones); the call is recorded
        with the keywords given."""
        given = {
            "error_types": error_types,
            "custom_ids": custom_ids,
            "flag": flag,
            "max_tokens": max_tokens,
        }
        self.calls.append(("retry", (ident, {k: v for k, v in given.items() if v is not None})))
        await self._maybe_fail("retry")
        parent = self.records[ident]
        total = len(custom_ids or []) or parent.counts.errored
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
            parent_id=ident,
            created_at=self.clock.now(),
        )
        self.publish(new)
        return new

    async def recover(self, ident: str) -> JobRecord:
        self.calls.append(("recover", ident))
        return await self.retry(ident)

    async def fetch_results(
        self,
        ident: str,
        *,
        progress: ProgressCallback | None = None,
        on_lines: Callable[[list[Any]], None] | None = None,
        index: Any = None,
    ) -> ListSource:
        """The job's lines, appended in chunks as a download would."""
        self.calls.append(("fetch_results", ident))
        await self._maybe_fail("fetch")
        lines = self.lines.get(ident, [])
        source = ListSource([], parse_line)
        self.live[ident] = source
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
        self.cached[ident] = source
        self.live.pop(ident, None)
        return source

    def results(self, ident: str) -> ListSource | None:
        return self.cached.get(ident) or self.live.get(ident)

    def results_preview(self, ident: str, lines: int = 2_000) -> ListSource | None:
        """Every cached line (nothing here waits to be indexed)."""
        return self.results(ident)

    def parse_fn(self, ident: str) -> Callable[[Any], Any]:
        """The parser of the fake's own result lines."""
        return parse_line

    async def run_view(self, ident: str, *, fetch: bool = True) -> RunSummary:
        self.calls.append(("run_view", ident))
        family = [ident] + [r.local_id for r in self.children(ident)]
        latest: dict[str, RunRow] = {}
        missing: list[str] = []
        for job_id in family:
            for line in self.lines.get(job_id, []):
                result = parse_line(line)
                if result.outcome is Outcome.SUCCEEDED:
                    latest[result.custom_id] = RunRow(
                        result.custom_id, "succeeded", job_id, result.text or ""
                    )
        for line in self.lines.get(ident, []):
            custom_id = json.loads(line)["custom_id"]
            if custom_id not in latest:
                missing.append(custom_id)
        return RunSummary(
            root_id=ident,
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

    async def clean(self, cleaning: CleanPlan) -> CleanReport:
        """Delete every item of the plan (those in `clean_failures` fail with its message)."""
        self.calls.append(("clean", [item.target for item in cleaning.items]))
        await self._maybe_fail("clean")
        report = CleanReport()
        for item in cleaning.items:
            message = self.clean_failures.get(item.target)
            if message:
                report.failed.append((item, message))
                continue
            self.cleaned.add((item.local_id, item.target))
            report.deleted.append(item)
        return report

    async def aclose(self) -> None:
        self._polling.set()


__all__ = ["START", "FakeStore", "FakeWorkspace", "parse_line", "record"]
