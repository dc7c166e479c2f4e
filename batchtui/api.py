"""The public Python API: submit, follow and read batch jobs from Python code.

A thin layer over the Workspace, the object the dashboard and the CLI hold, so a script sees
the same store, the same validation and the same results cache as they do. Everything is
async; `SyncBatchtui` (``open_sync``) wraps each call for scripts and notebooks. Nothing here
imports Textual. See docs/API.md for a worked example::

    async with batchtui.open() as bt:
        [job] = await bt.submit(requests, profile="openai", label="nightly")
        job = await bt.wait(job.local_id)
        async for result in bt.results(job.local_id):
            print(result.custom_id, result.outcome, result.text)

Jobs are the store's `JobRecord` and results the core's `BatchResult`: the same objects the
front ends read. An ident is a provider batch id, a local id or a unique local-id prefix.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
)
from pathlib import Path
from typing import IO, Any, TypedDict, TypeVar, Unpack

from batchtui.core.clock import Clock
from batchtui.core.config import Config, load_config
from batchtui.core.inputs import InputError, InputValidationError
from batchtui.core.models import BatchRequest, BatchResult, BatchStatus, Outcome, ResultFlag
from batchtui.core.provider import BatchtuiError
from batchtui.core.results import ResultIndex, by_flag, by_outcome
from batchtui.core.store import JobRecord
from batchtui.core.submit import DuplicateInput
from batchtui.core.workspace import BudgetExceeded, NoResults, ProviderFactory, Workspace

__all__ = [
    "REQUESTS_NAME",
    "BatchRequest",
    "BatchResult",
    "BatchStatus",
    "Batchtui",
    "BatchtuiError",
    "BudgetExceeded",
    "DuplicateInput",
    "InputError",
    "InputValidationError",
    "InvalidRequests",
    "JobRecord",
    "NoResults",
    "OpenArgs",
    "Outcome",
    "ResultFlag",
    "RetryArgs",
    "SubmitArgs",
    "SubmitFileArgs",
    "SyncBatchtui",
    "open",
    "open_sync",
]

T = TypeVar("T")

REQUESTS_NAME = "<requests>"
"""How errors name requests given as an iterable: ``<requests>:3`` is the third request."""

RESULT_CHUNK = 500
"""Results parsed per step (in a worker thread) while streaming them."""


class SubmitArgs(TypedDict, total=False):
    """Options of `Batchtui.submit` (see `Batchtui.submit_file`)."""

    model: str | None
    max_tokens: int | None
    endpoint: str | None
    label: str | None
    split: bool
    again: bool
    max_cost_usd: float | None


class SubmitFileArgs(SubmitArgs, total=False):
    """Options of `Batchtui.submit_file`: those of `submit` and the CSV/TSV ones."""

    csv_template: str | None
    csv_id_column: str | None
    csv_system: str | None


class OpenArgs(TypedDict, total=False):
    """Options of `open`, `open_sync` and `SyncBatchtui` (see `open`)."""

    config: Config | Path | str | None
    clock: Clock | None
    provider_factory: ProviderFactory | None


class RetryArgs(TypedDict, total=False):
    """Options of `Batchtui.retry` (see there)."""

    error_types: list[str] | None
    custom_ids: list[str] | None
    flag: ResultFlag | str | None
    max_tokens: int | None


class InvalidRequests(InputValidationError):
    """Requests given as an iterable failed validation; nothing was kept or sent.

    Issues name ``<requests>:N`` for the Nth request (1-based), then the field and the problem,
    e.g. ``<requests>:2: messages[0].role: ...``; ``.report`` holds them all.
    """

    def __init__(self, report: Any) -> None:
        super().__init__(report)
        self.args = (f"{self.args[0]} ({REQUESTS_NAME}:N is the Nth request given)",)


def _config(config: Config | Path | str | None) -> Config | None:
    if config is None or isinstance(config, Config):
        return config
    return load_config(config)


def open(
    home: Path | str | None = None,
    *,
    config: Config | Path | str | None = None,
    clock: Clock | None = None,
    provider_factory: ProviderFactory | None = None,
) -> Batchtui:
    """Open the workspace under ``home`` (default: the user's data dir, ``$BATCHTUI_HOME``).

    ``config`` is a `Config`, the path of a TOML config file, or None for the user's config.
    Use the result as ``async with batchtui.open() as bt:`` (or call ``await bt.aclose()``);
    use it from one event loop only, the one its first network call runs on.
    """
    workspace = Workspace.open(
        Path(home) if home is not None else None,
        config=_config(config),
        clock=clock,
        provider_factory=provider_factory,
    )
    return Batchtui(workspace)


def open_sync(home: Path | str | None = None, **options: Unpack[OpenArgs]) -> SyncBatchtui:
    """Like `open` (the same arguments), for code without an event loop (scripts) or inside
    one (notebooks). Use it as ``with batchtui.open_sync() as bt:`` (or call ``bt.close()``).
    """
    return SyncBatchtui(home, **options)


class Batchtui:
    """Batch jobs of every configured profile, async. Make one with `batchtui.open`."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        """The Workspace underneath, for everything else (costs, clean, run views, ...)."""

    async def __aenter__(self) -> Batchtui:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close adapters, result indexes and the store."""
        await self.workspace.aclose()

    # --- submitting ------------------------------------------------------------------------

    async def submit_file(
        self, path: Path | str, profile: str | None = None, **options: Unpack[SubmitFileArgs]
    ) -> list[JobRecord]:
        """Validate an input file (any supported format) and submit it; one job per part.

        Options (`SubmitFileArgs`): ``model`` and ``max_tokens`` fill requests that lack them;
        ``endpoint``; ``label``; ``split`` (default True: parts over the provider's limits);
        ``again`` (submit an input that already has a job on the profile); ``max_cost_usd``;
        ``csv_template``, ``csv_id_column`` and ``csv_system`` for CSV/TSV inputs.

        Raises InputValidationError (naming file, line and field) before anything is kept or
        sent; BudgetExceeded over ``max_cost_usd`` or a profile budget; DuplicateInput when
        this input already has a job on the profile, unless ``again``. Over a profile's queue
        limits the jobs come back QUEUED (`wait` sends them once they fit).
        """
        return await self.workspace.submit_file(path, profile, **options)

    async def submit(
        self,
        requests: Iterable[Mapping[str, Any] | BatchRequest]
        | AsyncIterable[Mapping[str, Any] | BatchRequest],
        profile: str | None = None,
        **options: Unpack[SubmitArgs],
    ) -> list[JobRecord]:
        """Submit neutral requests: dicts of the neutral JSONL (``custom_id``, ``model``,
        ``messages``, optional ``system``, ``max_tokens`` and other parameters, ``endpoint``)
        or `BatchRequest` objects, from any iterable or async iterable.

        They are streamed to a private temporary file (never all held in memory) and submitted
        as `submit_file` submits a file (the same options but the CSV ones); the file is
        removed after. Errors name ``<requests>:N``, the Nth request (InvalidRequests, an
        InputValidationError; a request that is not a dict or not JSON: InputError).
        """
        if isinstance(requests, str | bytes | os.PathLike):
            raise TypeError("submit() takes requests; give a file's path to submit_file()")
        if isinstance(requests, Mapping | BatchRequest):
            raise TypeError("submit() takes an iterable of requests, e.g. a list of one")
        workdir = Path(tempfile.mkdtemp(prefix="api-", dir=self.workspace.staging_dir))
        try:
            path = workdir / "requests.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                if isinstance(requests, AsyncIterable):
                    number = 0
                    async for item in requests:
                        number += 1
                        _write_request(handle, number, item)
                else:
                    await asyncio.to_thread(_write_requests, handle, requests)
            try:
                return await self.workspace.submit_file(path, profile, **options)
            except InputValidationError as exc:
                raise InvalidRequests(_renamed(exc.report)) from None
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    # --- following -------------------------------------------------------------------------

    async def jobs(self) -> list[JobRecord]:
        """Every stored job, newest run first, each followed by its retries (no network)."""
        return self.workspace.jobs()

    async def get(self, ident: str, profile: str | None = None) -> JobRecord:
        """A job, fresh from its provider. A provider id the store does not know is looked up
        (at ``profile``, else at every profile with a key) and kept from then on."""
        return await self.workspace.refresh(ident, profile)

    async def wait(
        self,
        ident: str,
        *,
        poll_s: float | None = None,
        timeout: float | None = None,
    ) -> JobRecord:
        """Poll a job every ``poll_s`` seconds (default: its profile's ``poll_min_s``) until
        it is terminal, and return it. Raises TimeoutError after ``timeout`` seconds.

        A job QUEUED by the profile's limits is sent while waiting, once it fits; a job that
        ends lets queued jobs of its profile go.
        """
        if poll_s is not None and not poll_s > 0:
            raise ValueError(f"poll_s must be a positive number of seconds, got {poll_s!r}")
        ws = self.workspace
        record = await ws.resolve(ident)
        pause = poll_s if poll_s is not None else ws.profile(record.profile).poll_min_s
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if record.status is BatchStatus.QUEUED:
                await self._refresh_live(record.profile)  # has one of them ended?
                await ws.dispatch_queued(record.profile)
            elif record.id is None and not record.is_terminal:
                await ws.reconcile(record.profile)  # settle a create left open
            record = await ws.refresh(record.local_id)
            if record.is_terminal:
                if ws.queued(record.profile):
                    await ws.dispatch_queued(record.profile)
                return record
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(
                    f"job {record.display_id} is still {record.status.value} after {timeout:g} s"
                )
            await asyncio.sleep(pause if left is None else min(pause, left))

    async def _refresh_live(self, profile: str) -> None:
        """Fresh snapshots of a profile's jobs at the provider that have not ended."""
        for record in self.workspace.jobs():
            if record.profile == profile and record.id and not record.is_terminal:
                await self.workspace.refresh(record.local_id)

    async def cancel(self, ident: str) -> JobRecord:
        """Ask the provider to cancel a job (a QUEUED one is withdrawn locally). What it
        finished is kept: once it is terminal, `results` streams it."""
        return await self.workspace.cancel(ident)

    # --- results ---------------------------------------------------------------------------

    async def results_available(self, ident: str) -> bool:
        """Whether results can be fetched now: True as soon as the provider can hand back any
        result, for completed jobs and for cancelled, expired or failed ones that kept some
        (or when they are already cached here). Asks the provider unless cached."""
        ws = self.workspace
        record = await ws.resolve(ident)
        if record.id is None:
            return False
        if record.results_complete:
            return True
        return (await ws.refresh(record.local_id)).results_available

    async def results(
        self,
        ident: str,
        *,
        outcome: Outcome | str | None = None,
        flag: ResultFlag | str | None = None,
    ) -> AsyncIterator[BatchResult]:
        """Stream a job's results, downloaded (or resumed) into the local cache first.

        Works for any job whose results are available, cancelled and expired ones too (their
        unfinished requests come as ``canceled`` / ``expired`` results where the provider
        lists them). ``outcome`` and ``flag`` keep only matching rows. Raises NoResults when
        the provider has none (yet).
        """
        async for chunk in self._result_chunks(ident, outcome=outcome, flag=flag):
            for result in chunk:
                yield result

    async def _result_chunks(
        self,
        ident: str,
        *,
        outcome: Outcome | str | None = None,
        flag: ResultFlag | str | None = None,
    ) -> AsyncGenerator[list[BatchResult], None]:
        """The results of a job in lists of up to RESULT_CHUNK, each parsed in a thread."""
        ws = self.workspace
        record = await ws.resolve(ident)
        index = await ws.fetch_results(record.local_id)
        parse = ws.parse_fn(record.local_id)
        rows: Any = range(index.count)
        if outcome is not None:
            rows = by_outcome(index, [outcome])
        if flag is not None:
            rows = by_flag(index, [flag], within=rows if outcome is not None else None)
        rows = list(rows)
        for start in range(0, len(rows), RESULT_CHUNK):
            part = rows[start : start + RESULT_CHUNK]
            yield await asyncio.to_thread(_parse_rows, index, part, parse)

    # --- sending again ---------------------------------------------------------------------

    async def retry(self, ident: str, **options: Unpack[RetryArgs]) -> JobRecord:
        """Resubmit a job's errored requests as a child job; or, with options (`RetryArgs`),
        those of ``error_types``, those with ``flag``, or those named by ``custom_ids``, with
        ``max_tokens`` raised if given. Requests a retry already answered or holds are left
        out unless named."""
        return await self.workspace.retry(ident, **options)

    async def recover(self, ident: str) -> JobRecord:
        """Resubmit exactly the requests a stopped (cancelled, expired, failed) job did not
        finish, as a child job; its partial results stay where they are."""
        return await self.workspace.recover(ident)


def _request_line(number: int, item: Any) -> str:
    """One neutral JSONL line for the ``number``-th request (InputError naming it if not)."""
    if isinstance(item, BatchRequest):
        record: dict[str, Any] = {"custom_id": item.custom_id, **item.body}
        if item.endpoint is not None:
            record["endpoint"] = item.endpoint
    elif isinstance(item, Mapping):
        record = dict(item)
    else:
        raise InputError(
            f"{REQUESTS_NAME}:{number}: record: expected a dict or a BatchRequest, "
            f"got {type(item).__name__}"
        )
    try:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{REQUESTS_NAME}:{number}: record: not JSON: {exc}") from None


def _write_request(handle: IO[str], number: int, item: Any) -> None:
    handle.write(_request_line(number, item))
    handle.write("\n")


def _write_requests(handle: IO[str], requests: Iterable[Any]) -> None:
    for number, item in enumerate(requests, 1):
        _write_request(handle, number, item)


def _renamed(report: Any) -> Any:
    """The report of the temporary file, its name replaced by ``<requests>`` throughout."""
    return dataclasses.replace(
        report,
        path=REQUESTS_NAME,
        issues=[dataclasses.replace(issue, path=REQUESTS_NAME) for issue in report.issues],
    )


def _parse_rows(index: ResultIndex, rows: list[int], parse: Any) -> list[BatchResult]:
    return [parse(index.result_line(row)) for row in rows]


# --- the sync wrapper ----------------------------------------------------------------------


class _LoopThread:
    """An event loop of its own, running in a private daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="batchtui-api", daemon=True
        )
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the private loop and wait for its result (from any thread)."""
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("a SyncBatchtui call cannot be made from its own loop")
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Let the loop's worker threads end, stop the loop, end the thread, close the loop."""
        if self.loop.is_closed():
            return
        if threading.current_thread() is self.thread:
            self.loop.stop()  # from its own thread (a finalizer): it cannot join itself
            return
        with contextlib.suppress(Exception):
            self.run(self.loop.shutdown_default_executor())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()


def _shutdown(loop: _LoopThread, api: Batchtui) -> None:
    """Close the workspace on its loop, then stop the loop and its thread."""
    try:
        if not loop.loop.is_closed() and threading.current_thread() is not loop.thread:
            loop.run(api.aclose())
    finally:
        loop.stop()


class SyncBatchtui:
    """`Batchtui` for code that does not await: each call runs on the object's own event loop
    in a private thread, so it also works where a loop already runs (Jupyter)."""

    def __init__(self, home: Path | str | None = None, **options: Unpack[OpenArgs]) -> None:
        self._loop = _LoopThread()

        async def make() -> Batchtui:
            return open(home, **options)

        try:
            self.api = self._loop.run(make())
        except BaseException:
            self._loop.stop()
            raise
        self.workspace = self.api.workspace
        """The Workspace underneath: call its coroutines through `run`."""
        # Closed by close(), or when this object is collected without it (a notebook cell
        # run again): the loop's thread does not outlive the object.
        self._finalizer = weakref.finalize(self, _shutdown, self._loop, self.api)

    def __enter__(self) -> SyncBatchtui:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the workspace and stop the private loop (a second call does nothing)."""
        self._finalizer()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run any coroutine on this object's loop, e.g. ``bt.run(bt.workspace.clean(plan))``."""
        return self._loop.run(coro)

    def submit_file(
        self, path: Path | str, profile: str | None = None, **options: Unpack[SubmitFileArgs]
    ) -> list[JobRecord]:
        return self._loop.run(self.api.submit_file(path, profile, **options))

    def submit(
        self,
        requests: Iterable[Mapping[str, Any] | BatchRequest],
        profile: str | None = None,
        **options: Unpack[SubmitArgs],
    ) -> list[JobRecord]:
        return self._loop.run(self.api.submit(requests, profile, **options))

    def jobs(self) -> list[JobRecord]:
        return self._loop.run(self.api.jobs())

    def get(self, ident: str, profile: str | None = None) -> JobRecord:
        return self._loop.run(self.api.get(ident, profile))

    def wait(
        self, ident: str, *, poll_s: float | None = None, timeout: float | None = None
    ) -> JobRecord:
        return self._loop.run(self.api.wait(ident, poll_s=poll_s, timeout=timeout))

    def cancel(self, ident: str) -> JobRecord:
        return self._loop.run(self.api.cancel(ident))

    def results_available(self, ident: str) -> bool:
        return self._loop.run(self.api.results_available(ident))

    def results(
        self,
        ident: str,
        *,
        outcome: Outcome | str | None = None,
        flag: ResultFlag | str | None = None,
    ) -> Iterator[BatchResult]:
        """Stream a job's results (see `Batchtui.results`), a chunk per call to the loop."""
        chunks = self.api._result_chunks(ident, outcome=outcome, flag=flag)

        async def step() -> list[BatchResult] | None:
            return await anext(chunks, None)

        try:
            while (chunk := self._loop.run(step())) is not None:
                yield from chunk
        finally:
            if not self._loop.loop.is_closed():
                self._loop.run(chunks.aclose())

    def retry(self, ident: str, **options: Unpack[RetryArgs]) -> JobRecord:
        return self._loop.run(self.api.retry(ident, **options))

    def recover(self, ident: str) -> JobRecord:
        return self._loop.run(self.api.recover(ident))
