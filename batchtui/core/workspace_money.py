"""Money: estimates before submission, budgets, actual costs after, and totals per day.

Prices come from genai-prices through `batchtui.core.costs`; its first import takes about a
second, so every pricing call that may be the first runs in a thread.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.core.budget import BudgetExceeded  # re-exported
from batchtui.core.config import Profile
from batchtui.core.models import BatchResult, ResultLine, Usage
from batchtui.core.provider import BatchtuiError
from batchtui.core.store import JobRecord
from batchtui.core.workspace_base import WorkspaceContext

if TYPE_CHECKING:
    from batchtui.core.budget import CostTotal
    from batchtui.core.costs import Estimate
    from batchtui.core.estimates import SubmissionEstimate

DEFAULT_STALE_AFTER_S = 1800.0
"""A profile without ``stale_after_s`` marks a job stale after 30 minutes without progress."""


def check_usd(value: float | None, what: str = "max cost") -> None:
    """Refuse a money limit that is not a positive, finite number (one clear line)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BatchtuiError(f"{what}: not a number: {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise BatchtuiError(f"{what}: must be a positive number of US dollars, got {value!r}")


class Money:
    """Estimates, budgets, actual costs and cost totals."""

    def __init__(self, ctx: WorkspaceContext) -> None:
        self.ctx = ctx

    # --- before submission -----------------------------------------------------------------

    def estimate_file(
        self,
        path: Path | str,
        profile: str | None = None,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        endpoint: str | None = None,
        split: bool = True,
        csv_template: str | None = None,
        csv_id_column: str | None = None,
        csv_system: str | None = None,
    ) -> SubmissionEstimate:
        """Validate an input and estimate what it would cost (run and parts; no network).

        Raises InputValidationError when the input has errors. Call it in a thread from a
        UI: it streams the whole file, and the first price lookup imports the price database.
        """
        from batchtui.core.inputs import InputValidationError

        prof = self.ctx.profile(profile)
        defaults: dict[str, Any] = {"model": model, "max_tokens": max_tokens}
        if endpoint:
            defaults["endpoint"] = endpoint
        report = self.ctx.validate(
            path,
            prof.name,
            defaults=defaults,
            split=split,
            csv_template=csv_template,
            csv_id_column=csv_id_column,
            csv_system=csv_system,
        )
        if not report.ok:
            raise InputValidationError(report)
        return self.estimate_report(report)

    def estimate_report(self, report: Any) -> SubmissionEstimate:
        """The estimate of a validation report's summary (run, and each planned part)."""
        from batchtui.core.estimates import SubmissionEstimate, part_estimates, summary_estimate

        summary = report.summary
        run = summary_estimate(summary.provider, summary)
        parts = part_estimates(run, summary.parts) if summary.parts else [run]
        return SubmissionEstimate(run, tuple(parts), report)

    def check_budget(
        self,
        source: Path | str | Estimate | SubmissionEstimate,
        profile: str | None = None,
        *,
        max_cost_usd: float | None = None,
        **estimate_options: Any,
    ) -> SubmissionEstimate:
        """Check a submission against ``max_cost_usd`` and the profile's budgets.

        ``source`` is an input path (validated and estimated with ``estimate_options``, see
        `estimate_file`) or an estimate already made. Returns the estimate when it passes;
        raises BudgetExceeded (one line naming the estimate and the budget) when not.
        """
        from batchtui.core.costs import Estimate
        from batchtui.core.estimates import SubmissionEstimate

        check_usd(max_cost_usd)
        prof = self.ctx.profile(profile)
        if isinstance(source, SubmissionEstimate):
            guess = source
        elif isinstance(source, Estimate):
            guess = SubmissionEstimate(source, (source,))
        else:
            guess = self.estimate_file(source, prof.name, **estimate_options)
        self.check_budgets(prof, guess.run, max_cost_usd)
        return guess

    def check_budgets(self, prof: Profile, guess: Estimate, max_cost_usd: float | None) -> None:
        """Refuse (BudgetExceeded) a submission estimated at ``guess`` over any budget."""
        from batchtui.core.budget import Budget, check_day, check_submission

        budgets = []
        if max_cost_usd is not None:
            budgets.append(Budget("--max-cost", max_cost_usd))
        if prof.max_cost_usd is not None:
            budgets.append(Budget(f"max_cost_usd of profile {prof.name!r}", prof.max_cost_usd))
        check_submission(guess, budgets)
        if prof.max_cost_usd_per_day is not None:
            name = f"max_cost_usd_per_day of profile {prof.name!r}"
            check_day(guess, self.spent_today(prof.name), Budget(name, prof.max_cost_usd_per_day))

    def spent_today(self, profile: str) -> float:
        """Today's spend of a profile: actual costs, else high estimates, of today's jobs."""
        from batchtui.core.budget import day_start, spent

        since = day_start(self.ctx.clock.now())
        return spent(self.ctx.store.list_jobs(profile=profile, created_since=since))

    # --- after: actual costs ---------------------------------------------------------------

    async def compute_cost(self, ident: str) -> JobRecord:
        """Work out a job's actual cost and keep it on the job (in a thread).

        From its cached results when they are complete (every line's usage as the adapter's
        parser reads it, source ``results``; lines that are not results are counted in
        ``unparseable_lines`` and left out, with a ``note``); else from the provider's
        aggregate usage of an ended OpenAI batch (source ``batch_usage``). A job with neither
        keeps no cost. Reading results needs the profile's adapter (its parser); without one
        (no key) the batch's usage is used when there is one.
        """
        record = self.ctx.job(ident)
        parse: Callable[[ResultLine], BatchResult] | None = None
        if record.results_complete and record.id is not None:
            try:
                parse = self.ctx.provider(record.profile).parse_result
            except BatchtuiError:
                parse = None  # no adapter to read the lines: the batch's usage, if any
        try:
            cost = await asyncio.to_thread(self._cost_of, record, parse)
        except (OSError, ValueError, LookupError):
            return record  # a results file gone or unreadable: no cost rather than a crash
        if cost is None:
            return record
        record = self.ctx.store.set_cost(record.local_id, cost)
        self.ctx.emit(record)
        return record

    def _cost_of(
        self, record: JobRecord, parse: Callable[[ResultLine], BatchResult] | None = None
    ) -> dict[str, Any] | None:
        from batchtui.core.costs import cost_of_lines, cost_of_usage
        from batchtui.core.results.files import iter_lines

        source = "results"
        if parse is not None and record.results_complete and record.id is not None:
            files = self.ctx.results_file(record)

            def lines() -> Iterator[ResultLine]:
                for name in files.sources:
                    for _, data in iter_lines(files.path(name)):
                        yield ResultLine(source=name, data=data)

            cost = cost_of_lines(record.provider, lines(), parse, default_model=record.model)
        else:
            usage = self._usage_of(record)
            if not record.is_terminal or usage is None:
                return None
            source = "batch_usage"
            cost = cost_of_usage(
                record.provider,
                record.model or (record.snapshot.model if record.snapshot else None),
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                requests=record.counts.succeeded,
            )
        return {
            **cost.as_dict(),
            "source": source,
            "computed_at": datetime.now(UTC).isoformat(),
        }

    async def cost_when_terminal(self, record: JobRecord) -> JobRecord:
        """Give an ended job a cost from the provider's usage if it has none yet."""
        if record.is_terminal and record.cost is None and self._usage_of(record) is not None:
            return await self.compute_cost(record.local_id)
        return record

    @staticmethod
    def _usage_of(record: JobRecord) -> Usage | None:
        """The aggregate usage the provider reported on the job's last snapshot, if any."""
        from batchtui.core.costs import job_usage

        return job_usage(record.provider, record.snapshot.raw) if record.snapshot else None

    # --- totals ----------------------------------------------------------------------------

    def cost_totals(self, profile: str | None = None) -> list[CostTotal]:
        """Money per profile (``day`` None) and per profile and local day, newest day first."""
        from batchtui.core.budget import cost_totals

        return cost_totals(self.ctx.store.list_jobs(profile=profile))

    def run_money(self, ident: str) -> dict[str, Any]:
        """Money of a job's run (its parts and retries): the summed estimate and actual costs.

        Keys: ``jobs``, ``estimate`` (summed `Estimate.as_dict()`, or None), ``costed_jobs``,
        ``cost_usd``, ``sync_cost_usd``, ``saved_usd`` (sums over jobs with a known cost;
        None when one of them has no price).
        """
        from batchtui.core.costs import Estimate, sum_estimates

        jobs = self.ctx.run_jobs(ident)
        estimates = [Estimate.from_dict(j.estimate) for j in jobs if j.estimate]
        costs = [j.cost for j in jobs if j.cost]
        priced = all(c.get("cost_usd") is not None for c in costs)

        def total(key: str) -> float | None:
            return sum(float(c.get(key) or 0.0) for c in costs) if priced else None

        return {
            "jobs": len(jobs),
            "estimate": sum_estimates(estimates).as_dict() if estimates else None,
            "costed_jobs": len(costs),
            "cost_usd": total("cost_usd"),
            "sync_cost_usd": total("sync_cost_usd"),
            "saved_usd": total("saved_usd"),
        }

    # --- stale jobs ------------------------------------------------------------------------

    def stale_after(self, profile: str) -> float:
        """Seconds without progress after which a job of this profile is marked stale."""
        try:
            value = self.ctx.config.profile(profile).stale_after_s
        except BatchtuiError:
            value = None
        return value or DEFAULT_STALE_AFTER_S

    def stale_since(self, record: JobRecord, now: datetime | None = None) -> datetime | None:
        """When the job went stale, or None when it is not stale now (see `JobRecord.is_stale`).

        A job the running poller follows counts as watched: its unchanged polls are not
        written to the store, but they happen. A job in a status that cannot be stale costs
        no config or poller lookup (most jobs of a long list have ended).
        """
        if not record.may_be_stale:
            return None
        after = self.stale_after(record.profile)
        watched = self.ctx.follows(record.profile, record.id)
        if not record.is_stale(now or self.ctx.clock.now(), after, watched=watched):
            return None
        return record.stale_since(after)


__all__ = ["DEFAULT_STALE_AFTER_S", "BudgetExceeded", "Money", "check_usd"]
