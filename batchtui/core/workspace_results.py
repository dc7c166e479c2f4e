"""Results: the Workspace's half that downloads, caches and merges what jobs answered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.core.provider import BatchtuiError, ProgressCallback
from batchtui.core.workspace_base import WorkspaceContext
from batchtui.core.workspace_lookups import Lookups
from batchtui.core.workspace_money import Money

if TYPE_CHECKING:
    from batchtui.core.joins import JoinSource
    from batchtui.core.results import ResultIndex, RunMerge

PREVIEW_LINES = 2_000
"""Rows a first screen indexes before it is shown (see ``results_preview``)."""

CATCH_UP_LINES = 20_000
"""Rows indexed per step when catching up in the background."""


class NoResults(BatchtuiError):
    """The job has no results to fetch (yet)."""


class Results:
    """Fetch, cache and merge job results."""

    def __init__(self, ctx: WorkspaceContext, lookups: Lookups, money: Money) -> None:
        self.ctx = ctx
        self.lookups = lookups
        self.money = money

    def results(self, ident: str) -> ResultIndex | None:
        """The cached results index of a job, or None when nothing is cached."""
        from batchtui.core.results import ResultIndex

        record = self.ctx.job(ident)
        if record.id is None:
            return None
        cached = self.ctx.indexes.get(record.local_id)
        if cached is not None:
            if cached.update():  # a preview or a download may have left lines to index
                cached.save()
            return cached
        results = self.ctx.results_file(record)
        if not results.sources:
            return None
        index = ResultIndex.open(results, update=True)
        self.ctx.indexes[record.local_id] = index
        return index

    def results_preview(self, ident: str, lines: int = PREVIEW_LINES) -> ResultIndex | None:
        """The cached results index with at least its first ``lines`` rows, at once.

        For a first screen: a 100,000-line file opens in milliseconds instead of being indexed
        whole first. ``fetch_results`` (or ``results``) indexes the rest; ``is_current()``
        tells whether anything is left.
        """
        from batchtui.core.results import ResultIndex

        record = self.ctx.job(ident)
        if record.id is None:
            return None
        index = self.ctx.indexes.get(record.local_id)
        if index is None:
            results = self.ctx.results_file(record)
            if not results.sources:
                return None
            index = ResultIndex.open(results)
            self.ctx.indexes[record.local_id] = index
        if index.count < lines:
            index.update(max_lines=lines - index.count)
        return index

    async def _catch_up(
        self, index: ResultIndex, on_lines: Callable[[list[Any]], None] | None
    ) -> None:
        """Index what is on disk but not indexed yet, in steps, telling the caller after each."""
        changed = False
        while await asyncio.to_thread(index.update, CATCH_UP_LINES):
            changed = True
            if on_lines is not None:
                on_lines([])
        if changed:
            await asyncio.to_thread(index.save)

    async def fetch_results(
        self,
        ident: str,
        *,
        progress: ProgressCallback | None = None,
        on_lines: Callable[[list[Any]], None] | None = None,
        index: ResultIndex | None = None,
    ) -> ResultIndex:
        """Download (or resume) a job's results into the cache and return its index."""
        from batchtui.core.results import ResultIndex, download_results

        record = await self.lookups.resolve(ident)
        if record.id is None:
            raise NoResults(f"job {record.display_id} was never accepted by the provider")
        if record.results_complete:
            cached = self.ctx.indexes.get(record.local_id) or self.results_preview(record.local_id)
            if cached is not None:
                await self._catch_up(cached, on_lines)
                if (record.cost or {}).get("source") != "results":
                    await self.money.compute_cost(record.local_id)
                return cached
        provider = self.ctx.provider(record.profile)
        job = await provider.get(record.id)
        record = self.ctx.remember(job, record.profile)
        if not job.results_available:
            raise NoResults(
                f"job {record.display_id} has no results yet ({job.status.value}"
                f"{'' if job.is_terminal else '; they appear when it ends'})"
            )
        results = self.ctx.results_file(record)
        index = index or self.ctx.indexes.get(record.local_id) or ResultIndex.open(results)
        # Known before the download starts, so `results(id)` serves the lines as they arrive
        # instead of opening (and saving) a second index of the same files.
        self.ctx.indexes[record.local_id] = index
        await asyncio.to_thread(index.update)
        results = await download_results(
            provider, job, self.ctx.results_dir, progress=progress, on_lines=on_lines, index=index
        )
        self.ctx.indexes[record.local_id] = index
        record = self.ctx.store.set_results_state(
            record.local_id,
            path=str(self.ctx.results_dir),
            offsets=dict(results.offsets),
            complete=results.complete,
        )
        self.ctx.emit(record)
        if results.complete and (record.cost or {}).get("source") != "results":
            await self.money.compute_cost(record.local_id)
        return index

    def join_source(self, ident: str) -> JoinSource:
        """What a joined export of a job needs: its kept requests by custom_id and, for a CSV
        input, the input's own columns (pass ``.export_kwargs()`` to the export; ``close()``
        it after). Raises BatchtuiError for a job with no kept input (adopted ones)."""
        from batchtui.core.joins import open_join

        record = self.ctx.job(ident)
        if record.input_path is None or not record.input_path.exists():
            raise BatchtuiError(f"job {record.display_id} has no kept input to join results to")
        intent = self.ctx.store.get_intent(record.local_id)
        return open_join(record.input_path, intent.options if intent else None, record.provider)

    def parse_fn(self, ident: str) -> Callable[[Any], Any]:
        """The adapter's result parser for a job (for exports and the detail pane)."""
        return self.ctx.provider(self.ctx.job(ident).profile).parse_result

    async def run_view(self, ident: str, *, fetch: bool = True) -> RunMerge:
        """The merged results of a job's run: latest success per custom_id, and what is missing."""
        from batchtui.core.recovery import submitted_ids
        from batchtui.core.results import merge_run

        jobs = self.ctx.run_jobs(ident)
        pairs: list[tuple[str, ResultIndex]] = []
        submitted: list[str] = []
        seen_inputs: set[Path] = set()
        for record in jobs:
            path = record.input_path
            first = record.parent_local_id is None
            if first and path is not None and path.exists() and path not in seen_inputs:
                seen_inputs.add(path)
                submitted += await asyncio.to_thread(submitted_ids, path, record.provider)
            index = self.results(record.local_id)
            if fetch and record.id and not record.results_complete:
                record = await self.lookups.fresh(record)  # the stored snapshot may be stale
                if record.results_available:
                    with contextlib.suppress(NoResults):
                        index = await self.fetch_results(record.local_id)
            if index is not None and record.id:
                pairs.append((record.id, index))
        return merge_run(pairs, submitted or None)
