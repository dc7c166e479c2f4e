"""Resumable download of a job's result lines to one local JSONL file per source."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from batchtui.core.models import BatchJob, ResultLine
from batchtui.core.provider import (
    NetworkError,
    ProgressCallback,
    Provider,
    RateLimitedError,
    ServerError,
)
from batchtui.core.results.files import atomic_write, complete_prefix, iter_lines, safe_stem

if TYPE_CHECKING:
    from batchtui.core.results.index import ResultIndex

SOURCE_ORDER = ("output", "error", "results")
"""Known sources in display order: OpenAI's output then error file, Anthropic's single stream."""

STATE_VERSION = 1
RETRYABLE = (NetworkError, ServerError, RateLimitedError)

LinesCallback = Callable[[list[ResultLine]], None]
"""Called with each batch of lines once they are safely in the local files."""


def _source_key(source: str) -> tuple[int, str]:
    try:
        return SOURCE_ORDER.index(source), source
    except ValueError:
        return len(SOURCE_ORDER), source


@dataclass
class ResultsFile:
    """The local copy of one job's results: a JSONL file per source plus a small state file.

    ``offsets`` maps each source to the bytes of complete lines held locally; ``remote`` maps it
    to the byte offset in the provider's stream to resume from. The two are equal unless the
    adapter reports a line's end in the provider's stream (``ResultLine.end``) that differs,
    e.g. for CRLF line ends or blank lines it skipped. ``complete`` is set once the stream of
    a terminal job has been read to its end.
    """

    directory: Path
    job_id: str
    provider: str = ""
    offsets: dict[str, int] = field(default_factory=dict)
    remote: dict[str, int] = field(default_factory=dict)
    complete: bool = False

    @property
    def stem(self) -> str:
        return safe_stem(self.job_id)

    @property
    def state_path(self) -> Path:
        return self.directory / f"{self.stem}.state.json"

    @property
    def index_path(self) -> Path:
        return self.directory / f"{self.stem}.index"

    def path(self, source: str) -> Path:
        """The local JSONL file of one source (``output``, ``error`` or ``results``)."""
        return self.directory / f"{self.stem}.{safe_stem(source)}.jsonl"

    @property
    def sources(self) -> list[str]:
        """Sources with a local file, in display order."""
        return sorted(self.offsets, key=_source_key)

    @property
    def total_bytes(self) -> int:
        return sum(self.offsets.values())

    @classmethod
    def open(cls, directory: Path | str, job_id: str, *, provider: str = "") -> ResultsFile:
        """Load what is on disk for a job (state file and source files); never writes.

        Where the local and remote offsets coincide the file is the truth (a crash may leave
        the state behind the data, or a torn last line); otherwise the state is, and a longer
        file is cut back to it when the download resumes.
        """
        directory = Path(directory)
        results = cls(directory=directory, job_id=job_id, provider=provider)
        state: dict[str, Any] = {}
        try:
            state = json.loads(results.state_path.read_bytes())
        except (FileNotFoundError, ValueError):
            state = {}
        recorded: dict[str, int] = {}
        remote: dict[str, int] = {}
        if state.get("version") == STATE_VERSION and state.get("job_id") == job_id:
            results.provider = provider or state.get("provider") or ""
            results.complete = bool(state.get("complete"))
            recorded = {k: int(v) for k, v in (state.get("offsets") or {}).items()}
            remote = {k: int(v) for k, v in (state.get("remote") or {}).items()}
        known = list(recorded)
        prefix = f"{results.stem}."
        for candidate in directory.glob(f"{results.stem}.*.jsonl"):
            source = candidate.name[len(prefix) : -len(".jsonl")]
            if source and "." not in source and source not in known:
                known.append(source)
        for source in known:
            held = complete_prefix(results.path(source))
            local = recorded.get(source, 0)
            far = remote.get(source, local)
            if far == local:
                results.offsets[source] = results.remote[source] = held
            elif held >= local:
                results.offsets[source], results.remote[source] = local, far
            else:  # lines the state vouches for are gone: fetch this source again
                results.offsets[source] = results.remote[source] = 0
        if results.complete and any(
            results.offsets.get(source) != offset for source, offset in recorded.items()
        ):
            results.complete = False  # a file was lost or cut since: fetch again
        return results

    def save_state(self, *, durable: bool = False) -> None:
        """Write the state file atomically (and fsync it when ``durable``)."""
        state = {
            "version": STATE_VERSION,
            "job_id": self.job_id,
            "provider": self.provider,
            "offsets": {source: self.offsets[source] for source in self.sources},
            "remote": {source: self.remote.get(source, 0) for source in self.sources},
            "complete": self.complete,
            "updated_at": time.time(),
        }
        atomic_write(self.state_path, json.dumps(state, indent=1).encode(), fsync=durable)

    def iter_lines(self, sources: list[str] | None = None) -> Iterator[ResultLine]:
        """Every complete line of the given sources (default: all, output before error)."""
        for source in sources if sources is not None else self.sources:
            end = self.offsets.get(source, 0)
            for _offset, data in iter_lines(self.path(source), 0, end):
                yield ResultLine(source=source, data=data)


class _Writer:
    """Appends complete lines to the per-source files, tracking local and remote offsets."""

    def __init__(self, results: ResultsFile) -> None:
        self.results = results
        self.offsets = dict(results.offsets)
        self.remote = dict(results.remote)
        self.handles: dict[str, BinaryIO] = {}

    def _handle(self, source: str) -> BinaryIO:
        handle = self.handles.get(source)
        if handle is None:
            path = self.results.path(source)
            keep = self.offsets.get(source)
            if keep is None:
                keep = self.offsets[source] = self.remote[source] = complete_prefix(path)
            if path.exists() and path.stat().st_size != keep:
                with path.open("r+b") as torn:
                    torn.truncate(keep)  # drop a partial trailing line or unvouched lines
            handle = path.open("ab", buffering=1 << 20)
            self.handles[source] = handle
        return handle

    def write(self, line: ResultLine) -> int:
        """Append one line and return its local offset."""
        source = line.source
        handle = self._handle(source)
        offset = self.offsets[source]
        size = len(line.data) + 1
        handle.write(line.data + b"\n")
        self.offsets[source] = offset + size
        end = getattr(line, "end", None)
        self.remote[source] = end if isinstance(end, int) else self.remote[source] + size
        return offset

    @property
    def total(self) -> int:
        return sum(self.offsets.values())

    def flush(self) -> None:
        for handle in self.handles.values():
            handle.flush()
        self.results.offsets.update(self.offsets)
        self.results.remote.update(self.remote)

    def close(self) -> None:
        self.flush()
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()


def _retry_delay(exc: Exception, failures: int, backoff: float, max_backoff: float) -> float:
    hinted = getattr(exc, "retry_after", None)
    if isinstance(hinted, int | float) and hinted >= 0:
        return min(float(hinted), max_backoff)
    return float(min(max_backoff, backoff * 2 ** (failures - 1)))


async def download_results(
    provider: Provider,
    job: BatchJob,
    dest_dir: Path | str,
    *,
    progress: ProgressCallback | None = None,
    on_lines: LinesCallback | None = None,
    index: ResultIndex | None = None,
    max_attempts: int = 5,
    backoff: float = 0.5,
    max_backoff: float = 30.0,
    flush_lines: int = 2000,
    flush_seconds: float = 0.25,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> ResultsFile:
    """Download (or resume) a job's results into ``dest_dir/<job id>.<source>.jsonl``.

    Only complete lines are written; after a cut, a crash or a restart the stream is resumed
    with ``start=`` the byte offsets reached, so no line is lost or duplicated. Network and server
    errors are retried with backoff (``max_attempts`` failures in a row without progress).
    ``on_lines`` receives lines in batches once they are on disk; ``index``, when given, is fed
    the lines as they arrive (saving a second parse) and saved at the end. The download is
    marked complete only for a terminal job whose stream ended normally.
    """
    directory = Path(dest_dir)
    directory.mkdir(parents=True, exist_ok=True)
    results = ResultsFile.open(directory, job.id, provider=getattr(provider, "name", ""))
    if results.complete:
        if index is not None:
            index.update()
            index.save()
        return results

    writer = _Writer(results)
    pending: list[ResultLine] = []

    feed: list[tuple[str, int, bytes]] | None = [] if index is not None else None

    def publish() -> None:
        writer.flush()
        results.save_state()
        if feed and index is not None:
            index.add_batch(feed)
            feed.clear()
        if on_lines is not None and pending:
            batch = pending.copy()
            pending.clear()
            on_lines(batch)
        if progress is not None:
            progress(writer.total, None)

    failures = 0
    try:
        while True:
            before = writer.total
            start = {source: offset for source, offset in writer.remote.items() if offset}
            try:
                count = 0
                last = time.monotonic()
                stream = provider.result_lines(job, start=start or None)
                try:
                    async for line in stream:
                        offset = writer.write(line)
                        if feed is not None:
                            feed.append((line.source, offset, line.data))
                        if on_lines is not None:
                            pending.append(line)
                        count += 1
                        if count >= flush_lines or time.monotonic() - last >= flush_seconds:
                            publish()
                            count = 0
                            last = time.monotonic()
                finally:
                    closer = getattr(stream, "aclose", None)
                    if closer is not None:
                        await closer()  # release the connection now, not at garbage collection
                break
            except RETRYABLE as exc:
                publish()
                failures = 0 if writer.total > before else failures + 1
                if failures >= max_attempts:
                    raise
                await sleep(_retry_delay(exc, max(failures, 1), backoff, max_backoff))
        results.complete = job.is_terminal
    finally:
        writer.close()
        publish()
    if results.complete:
        for source in results.sources:
            with results.path(source).open("rb+") as handle:
                os.fsync(handle.fileno())
        results.save_state(durable=True)
    if index is not None:
        index.update()
        index.save()
    return results
