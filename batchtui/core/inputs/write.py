"""Writing a validated input as the provider's native JSONL, split into parts within limits."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from batchtui.core.inputs.estimate import TokenEstimator, estimate_input_tokens
from batchtui.core.inputs.issues import InputValidationError
from batchtui.core.inputs.limits import ProviderLimits, limits_for
from batchtui.core.inputs.native import native_format
from batchtui.core.inputs.records import Progress
from batchtui.core.inputs.split import SplitPlanner
from batchtui.core.inputs.validate import ValidationReport, scan_file
from batchtui.core.models import BatchRequest


@dataclass(frozen=True, slots=True)
class NativePart:
    """One native JSONL file written for one batch: where it is and what it holds."""

    index: int
    path: Path
    sha256: str
    requests: int
    bytes: int
    first_line: int
    last_line: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "path": str(self.path),
            "sha256": self.sha256,
            "requests": self.requests,
            "bytes": self.bytes,
            "first_line": self.first_line,
            "last_line": self.last_line,
        }


class NativeParts(list[NativePart]):
    """The parts ``write_native`` wrote, in order; ``report`` is the validation of the pass."""

    def __init__(self, parts: list[NativePart], report: ValidationReport) -> None:
        super().__init__(parts)
        self.report = report


def encode_line(native: dict[str, Any]) -> bytes:
    """One compact JSON line (UTF-8, newline-terminated, U+2028/U+2029 escaped)."""
    text = json.dumps(native, ensure_ascii=False, separators=(",", ":"))
    if "\u2028" in text or "\u2029" in text:
        # Valid JSON either way, but tools that split on str.splitlines() would cut the line.
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \\uD8xx escape: keep it escaped
        data = json.dumps(native, separators=(",", ":")).encode("ascii")
    return data + b"\n"


_U2028, _U2029 = "\u2028".encode(), "\u2029".encode()


def copied_line(raw: bytes) -> bytes:
    """A validated JSONL line (one JSON object) as the writer copies it: without the blanks
    around it (CR of a CRLF ending included), newline-terminated, U+2028/U+2029 escaped as
    `encode_line` escapes them. The same JSON value as ``raw``."""
    if not (raw.endswith(b"}\n") and raw.startswith(b"{")):
        raw = raw.strip() + b"\n"
    # Outside strings these characters are not JSON, so they can only be inside strings,
    # where their escapes mean the same.
    if b"\xe2" in raw and (_U2028 in raw or _U2029 in raw):
        raw = raw.replace(_U2028, b"\\u2028").replace(_U2029, b"\\u2029")
    return raw


FLUSH_BYTES = 1 << 20
"""Lines are written (and hashed) in runs of about this many bytes."""


class _PartWriter:
    """The sink of a writing pass: serialises requests and cuts files as the planner says.

    A request whose input line is already the provider's native line (``record`` equals what
    ``to_native`` makes of the request: same format, no default filled in, nothing converted)
    is written as its ``raw`` bytes (`copied_line`) instead of being encoded again; every
    other request is encoded (`encode_line`). The sha256 of a part is that of its bytes.
    """

    def __init__(self, provider: str, limits: ProviderLimits, out_dir: Path, stem: str) -> None:
        self.provider = provider
        fmt = native_format(provider)
        self.to_native = fmt.to_native  # both looked up once, not per line
        self.is_native = fmt.is_native_line
        self.out_dir = out_dir
        self.stem = stem
        self.planner = SplitPlanner(limits)
        self.files: list[Path] = []
        self.opened: list[_PartFile] = []  # hashes are read once the thread wrote everything
        self.f: _PartFile | None = None
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        # Writing, hashing and fsync release the GIL: one thread does them, in order, while
        # the caller validates the next lines. At most MAX_IN_FLIGHT runs wait for it.
        self.io: ThreadPoolExecutor | None = None
        self.in_flight: deque[Future[None]] = deque()
        # Data syncs run on a thread of their own, so that the writing thread goes on writing
        # and hashing while the disk takes what was written before.
        self.syncer: ThreadPoolExecutor | None = None

    def temp_path(self, index: int) -> Path:
        return self.out_dir / f".{self.stem}-{self.provider}-{index + 1:03d}.jsonl.tmp"

    def __call__(
        self,
        line: int,
        custom_id: str,
        body: dict[str, Any],
        endpoint: Any,
        record: Any = None,
        raw: bytes | None = None,
    ) -> int:
        if raw is not None and self.is_native(record, custom_id, body, endpoint):
            data = copied_line(raw)
        else:
            data = encode_line(self.to_native(BatchRequest(custom_id, body, endpoint)))
        size = len(data)
        if self.planner.add(line, size):
            self._close()
            path = self.temp_path(len(self.files))
            self.files.append(path)
            if self.syncer is None:
                self.syncer = ThreadPoolExecutor(1, thread_name_prefix="batchtui-sync")
            self.f = _PartFile(path, self.syncer)
            self.opened.append(self.f)
        self.pending.append(data)
        self.pending_bytes += size
        if self.pending_bytes >= FLUSH_BYTES:
            self._flush()
        return size

    def _later(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on the writing thread, after what was handed to it before."""
        if self.io is None:
            self.io = ThreadPoolExecutor(1, thread_name_prefix="batchtui-write")
        in_flight = self.in_flight
        while len(in_flight) >= MAX_IN_FLIGHT:
            in_flight.popleft().result()  # raises what writing raised (a full disk, ...)
        in_flight.append(self.io.submit(fn, *args))

    def _flush(self) -> None:
        if not self.pending:
            return
        data = b"".join(self.pending)
        self.pending.clear()
        self.pending_bytes = 0
        assert self.f is not None
        self._later(self.f.write, data)

    def _close(self) -> None:
        if self.f is not None:
            self._flush()
            self._later(self.f.close)
            self.f = None

    def _drain(self) -> None:
        """Wait for the writing thread to finish everything; raises what it raised."""
        try:
            while self.in_flight:
                self.in_flight.popleft().result()
        finally:
            if self.io is not None:
                self.io.shutdown(wait=True)
                self.io = None
            if self.syncer is not None:
                self.syncer.shutdown(wait=True)
                self.syncer = None

    def commit(self) -> list[NativePart]:
        """Close the last file and move every part to its final name."""
        self._close()
        self._drain()
        many = len(self.files) > 1
        parts = []
        for i, (tmp, plan) in enumerate(zip(self.files, self.planner.parts, strict=True)):
            name = f"{self.stem}-{self.provider}" + (f"-{i + 1:03d}" if many else "") + ".jsonl"
            final = self.out_dir / name
            os.replace(tmp, final)
            parts.append(
                NativePart(
                    i,
                    final,
                    self.opened[i].digest.hexdigest(),
                    plan.requests,
                    plan.bytes,
                    plan.first_line,
                    plan.last_line,
                )
            )
        return parts

    def abort(self) -> None:
        """Remove whatever was written (after the writing thread is done with it)."""
        try:
            with contextlib.suppress(Exception):  # what failed there is failing here too
                self._drain()
        finally:
            for part in self.opened:
                part.f.close()
            self.f = None
            for path in self.files:
                path.unlink(missing_ok=True)


MAX_IN_FLIGHT = 4
"""Runs of lines (each about FLUSH_BYTES) handed to the writing thread and not yet written."""

SYNC_BYTES = 8 << 20
"""A part's data sync starts every this many bytes written (when the one before is done), so
that the disk writes while the caller validates, not all at the final fsync."""


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS and Windows have no fdatasync


class _PartFile:
    """One part file as the writing thread sees it: its handle, its hash, unsynced bytes.

    The data syncs run on ``syncer`` while the writing thread goes on; ``close`` waits for
    the last one and fsyncs what came after it.
    """

    def __init__(self, path: Path, syncer: ThreadPoolExecutor) -> None:
        self.f: BinaryIO = path.open("wb")
        self.digest = hashlib.sha256()
        self.unsynced = 0
        self.syncer = syncer
        self.syncing: Future[None] | None = None

    def write(self, data: bytes) -> None:
        self.f.write(data)
        self.digest.update(data)
        self.unsynced += len(data)
        if self.unsynced >= SYNC_BYTES:
            syncing = self.syncing
            if syncing is None or syncing.done():
                if syncing is not None:
                    syncing.result()  # raises what the last sync raised
                self.f.flush()
                self.syncing = self.syncer.submit(_datasync, self.f.fileno())
                self.unsynced = 0

    def close(self) -> None:
        """Flush, fsync and close (the part is on disk before it is renamed and kept)."""
        try:
            self.f.flush()
            if self.syncing is not None:
                self.syncing.result()
            os.fsync(self.f.fileno())
        finally:
            if self.syncing is not None:
                wait([self.syncing])  # never close the handle under a sync still running
            self.f.close()


def write_native(
    path: str | Path,
    provider: str,
    out_dir: str | Path,
    *,
    fmt: Any = None,
    split: bool = True,
    defaults: Mapping[str, Any] | None = None,
    csv_template: str | None = None,
    csv_id_column: str | None = None,
    csv_system: str | None = None,
    limits: ProviderLimits | None = None,
    progress: Progress | None = None,
    name: str | None = None,
    max_issues: int = 200,
    estimator: TokenEstimator = estimate_input_tokens,
) -> NativeParts:
    """Validate ``path`` and write it as ``provider``-native JSONL part files in one pass.

    Files are named ``{name}-{provider}.jsonl`` (or ``-001``, ``-002``... when split), where
    ``name`` defaults to the input's stem; each holds at most the provider's per-batch limits
    (measured on the bytes actually written). The result is a list of ``NativePart`` whose
    ``report`` attribute holds the validation report and summary of the pass. Raises
    ``InputValidationError`` (carrying the report) and leaves no file behind when any error
    stands, including ``over_limit`` with ``split=False``.
    """
    limits = limits if limits is not None else limits_for(provider)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writer = _PartWriter(provider, limits, out, name or Path(path).stem)
    try:
        report = scan_file(
            path,
            provider,
            fmt=fmt,
            defaults=defaults,
            csv_template=csv_template,
            csv_id_column=csv_id_column,
            csv_system=csv_system,
            split=split,
            limits=limits,
            progress=progress,
            max_issues=max_issues,
            estimator=estimator,
            sink=writer,
        )
        if not report.ok:
            raise InputValidationError(report)
        return NativeParts(writer.commit(), report)
    except BaseException:
        writer.abort()
        raise
