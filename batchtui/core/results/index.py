"""A compact, persisted, incremental line index over a job's downloaded result files."""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
import zlib
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from batchtui.core.jsonline import DECODE_ERRORS, fast_loads
from batchtui.core.models import BatchResult, Outcome, ResultFlag, ResultLine
from batchtui.core.results.classify import (
    INVALID_LINE,
    UNPARSEABLE,
    Classification,
    Classifier,
    classifier_for,
    classifier_name,
    line_reader,
)
from batchtui.core.results.download import ResultsFile
from batchtui.core.results.files import CHUNK, atomic_write, complete_prefix

OUTCOMES: tuple[Outcome, ...] = (
    Outcome.SUCCEEDED,
    Outcome.ERRORED,
    Outcome.CANCELED,
    Outcome.EXPIRED,
)
"""Outcome codes stored in the index: the position in this tuple."""

FLAGS: tuple[ResultFlag | None, ...] = (
    None,
    ResultFlag.TRUNCATED,
    ResultFlag.FILTERED,
    ResultFlag.REFUSED,
    ResultFlag.HTTP_ERROR,
)
"""Flag codes stored in the index: the position in this tuple (0 = no flag)."""

OUTCOME_CODE = {outcome: code for code, outcome in enumerate(OUTCOMES)}
FLAG_CODE = {flag: code for code, flag in enumerate(FLAGS)}

_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # C scanner, not in stubs
_BLANKS = " \t\r\n"
"""What json.loads allows around a value (and so may follow an object on its line)."""
_MAGIC = b"BTRIDX1\n"
_VERSION = 1
_TAIL = 4096
_READ = 1 << 18
"""Bytes read per step while indexing: 256 KiB keeps the transient lines small (a 1 MiB read
left ~4 MB more resident after a 100,000-line index, for no measurable speed)."""
_COLUMNS = ("offsets", "lengths", "source_ids", "outcomes", "flags", "error_types")

ParseFn = Callable[[ResultLine], BatchResult]


def _slow_loads(line: bytes) -> Any:
    """``json.loads`` for the rare line the fast scanner refuses (e.g. leading whitespace).

    Strict: anything but blanks after the value is an error, like for the fast path.
    """
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _tail_crc(path: Path, end: int) -> int:
    """CRC32 of the first and last few KB before ``end``, to notice a file replaced under us."""
    if end <= 0:
        return 0
    with path.open("rb") as handle:
        crc = zlib.crc32(handle.read(min(end, _TAIL)))
        start = max(0, end - _TAIL)
        handle.seek(start)
        return zlib.crc32(handle.read(end - start), crc)


class ResultIndex:
    """One row per result line: byte offset, length, source, outcome, flag, error type, custom_id.

    Columns are ``array``/``bytearray`` objects plus one list of custom_id strings, so 100,000
    lines take a few MB. The index is built in one streaming pass (``update``), extended with
    only the new bytes when more lines arrive, fed directly by a download (``add``), and saved
    next to the results (``save``) so reopening is instant. Row order is the order lines were
    indexed; within one source it follows the file.
    """

    cache_size = 256

    def __init__(self, results: ResultsFile, classify: Classifier | None = None) -> None:
        self.results = results
        self.classify: Classifier = classify or classifier_for(results.provider)
        self._lock = threading.RLock()
        self._fds: dict[str, int] = {}
        self._cache: OrderedDict[tuple[int, int], BatchResult] = OrderedDict()
        self.reset()

    # -- construction -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every row (the next ``update`` re-indexes from the start)."""
        with self._lock:
            self.sources: list[str] = []
            self.indexed: dict[str, int] = {}
            self.offsets = array("q")
            self.lengths = array("i")
            self.source_ids = bytearray()
            self.outcomes = bytearray()
            self.flags = bytearray()
            self.error_types = array("i")
            self.custom_ids: list[str] = []
            self.error_type_names: list[str | None] = [None]
            self._error_type_ids: dict[str | None, int] = {None: 0}
            self._cache.clear()
            self._close_fds()

    @classmethod
    def open(
        cls, results: ResultsFile, classify: Classifier | None = None, *, update: bool = False
    ) -> ResultIndex:
        """Load the persisted index if it still matches the files, else start empty.

        With ``update=True`` the new bytes are indexed (and the index saved if anything changed).
        """
        index = cls(results, classify)
        index.load()
        if update and index.update():
            index.save()
        return index

    @classmethod
    def build(cls, results: ResultsFile, classify: Classifier | None = None) -> ResultIndex:
        """Open, bring up to date with the files, and save."""
        return cls.open(results, classify, update=True)

    @property
    def path(self) -> Path:
        return self.results.index_path

    def _source_id(self, source: str) -> int:
        try:
            return self.sources.index(source)
        except ValueError:
            if len(self.sources) >= 255:
                raise ValueError("too many result sources") from None
            self.sources.append(source)
            self.indexed.setdefault(source, 0)
            return len(self.sources) - 1

    def _intern_error_type(self, name: str | None) -> int:
        ident = self._error_type_ids.get(name)
        if ident is None:
            ident = len(self.error_type_names)
            self.error_type_names.append(name)
            self._error_type_ids[name] = ident
        return ident

    def _classify(self, source: str, line: bytes) -> Classification:
        """Parse the whole line (strict line rule) and classify it: the path of every line the
        classifier's fast path (``line_reader``) does not vouch for."""
        # One JSON object alone on its line (blanks around it are fine), as json.loads
        # reads it: the scanner reads the first value only, so check what follows it.
        try:
            text = line.decode()
            obj: Any
            obj, end = _SCAN(text, 0)
            if end != len(text) and text[end:].strip(_BLANKS):
                obj = None  # trailing garbage after the value
        except (ValueError, StopIteration, RecursionError):
            obj = _slow_loads(line)
        if type(obj) is not dict:
            return "", Outcome.ERRORED, None, UNPARSEABLE
        try:
            return self.classify(source, obj)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError):
            return "", Outcome.ERRORED, None, INVALID_LINE

    def _ingest(self, source: str, items: Iterable[tuple[int, bytes]]) -> int:
        """Classify and append non-blank lines given as ``(offset, line)``; the hot loop.

        Each line goes first to the classifier's fast path, which decodes only the fields it
        needs; the lines it leaves (rare shapes, bad lines) are parsed whole (``_classify``).
        """
        source_id = self._source_id(source)
        read = line_reader(self.classify)
        slow = self._classify
        outcome_code = OUTCOME_CODE
        flag_code = FLAG_CODE
        error_ids = self._error_type_ids
        add_offset = self.offsets.append
        add_length = self.lengths.append
        add_source = self.source_ids.append
        add_outcome = self.outcomes.append
        add_flag = self.flags.append
        add_error = self.error_types.append
        add_custom_id = self.custom_ids.append
        count = 0
        for offset, line in items:
            found = read(source, line) if read is not None else None
            custom_id, outcome, flag, error_type = found or slow(source, line)
            add_offset(offset)
            add_length(len(line))
            add_source(source_id)
            add_outcome(outcome_code[outcome])
            add_flag(flag_code[flag])
            ident = error_ids.get(error_type)
            add_error(ident if ident is not None else self._intern_error_type(error_type))
            add_custom_id(custom_id)
            count += 1
        return count

    def add(self, source: str, offset: int, data: bytes) -> bool:
        """Index one line a download just wrote at ``offset``; False if not next in its source.

        A line that is not contiguous with what is indexed is skipped; ``update`` picks it up.
        """
        return self.add_batch([(source, offset, data)]) == 1

    def add_batch(self, lines: Iterable[tuple[str, int, bytes]]) -> int:
        """Index lines a download just wrote, as ``(source, offset, data)``; returns how many
        were taken (blank lines count, and advance the source, without making a row).

        Lines that are not contiguous with what is indexed of their source are skipped;
        ``update`` picks them up from the file.
        """
        taken = 0
        with self._lock:
            indexed = self.indexed
            runs: dict[str, list[tuple[int, bytes]]] = {}
            for source, offset, data in lines:
                if indexed.get(source, 0) != offset:
                    continue
                indexed[source] = offset + len(data) + 1
                taken += 1
                if data and not data.isspace():
                    run = runs.get(source)
                    if run is None:
                        run = runs[source] = []
                    run.append((offset, data))
            for source, run in runs.items():
                self._ingest(source, run)
            if taken:
                self._cache.clear()
        return taken

    def _disk_sources(self) -> list[str]:
        fresh = ResultsFile.open(self.results.directory, self.results.job_id)
        names = list(fresh.sources)
        for source in self.results.sources:
            if source not in names:
                names.append(source)
        return names

    def is_current(self) -> bool:
        """True when every complete line on disk is indexed (nothing left for ``update``)."""
        with self._lock:
            return all(
                self.indexed.get(source, 0) >= complete_prefix(self.results.path(source))
                for source in self._disk_sources()
            )

    def update(self, max_lines: int | None = None) -> int:
        """Index the complete lines added to the files since the last update; returns how many.

        ``max_lines`` bounds the work of one call, so a caller can show the first rows at once
        and keep indexing in the background.
        """
        added = 0
        with self._lock:
            for source in self._disk_sources():
                if max_lines is not None and added >= max_lines:
                    break
                path = self.results.path(source)
                end = complete_prefix(path)
                start = self.indexed.get(source, 0)
                if end < start:  # the file shrank under us: its rows are stale
                    self.reset()
                    return self.update(max_lines)
                if end > start:
                    left = None if max_lines is None else max_lines - added
                    added += self._index_range(source, path, start, end, left)
            if added:
                self._cache.clear()
        return added

    def _index_range(self, source: str, path: Path, start: int, end: int, limit: int | None) -> int:
        self._source_id(source)
        ingest = self._ingest
        added = 0
        chunk_size = _READ if limit is None else min(_READ, max(65536, limit * 4096))
        with path.open("rb") as handle:
            position = start
            handle.seek(position)
            while position < end:
                chunk = handle.read(min(chunk_size, end - position))
                if not chunk:
                    break
                cut = chunk.rfind(b"\n")
                while cut < 0:  # one line longer than a chunk
                    more = handle.read(min(CHUNK, end - position - len(chunk)))
                    if not more:
                        break
                    chunk += more
                    cut = chunk.rfind(b"\n")
                if cut < 0:
                    break
                offset = position
                stopped = False
                items: list[tuple[int, bytes]] = []
                for line in chunk[:cut].split(b"\n"):
                    if limit is not None and added + len(items) >= limit:
                        stopped = True
                        break
                    if line and not line.isspace():
                        items.append((offset, line))
                    offset += len(line) + 1
                added += ingest(source, items)
                position = offset
                if stopped:
                    break
                handle.seek(position)
            self.indexed[source] = position
        return added

    # -- persistence --------------------------------------------------------------------------

    def save(self) -> None:
        """Write the index next to the results, atomically."""
        with self._lock:
            tails = {
                source: _tail_crc(self.results.path(source), self.indexed.get(source, 0))
                for source in self.sources
            }
            columns = [getattr(self, name) for name in _COLUMNS]
            blobs = [bytes(column) for column in columns]
            # surrogatepass: a custom_id may hold a lone surrogate (json reads "\ud800" escapes)
            ids = json.dumps(self.custom_ids, ensure_ascii=False).encode("utf-8", "surrogatepass")
            blobs.append(ids)
            header = {
                "version": _VERSION,
                "job_id": self.results.job_id,
                "classifier": classifier_name(self.classify),
                "byteorder": sys.byteorder,
                "count": len(self.offsets),
                "sources": self.sources,
                "indexed": self.indexed,
                "tails": tails,
                "error_types": self.error_type_names,
                "itemsizes": [getattr(c, "itemsize", 1) for c in columns],
                "sizes": [len(blob) for blob in blobs],
            }
            head = json.dumps(header).encode()
            atomic_write(self.path, b"".join([_MAGIC, struct.pack("<Q", len(head)), head, *blobs]))

    def load(self) -> bool:
        """Replace the rows with the persisted index if it is valid for the files; else reset."""
        with self._lock:
            self.reset()
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                return False
            try:
                return self._load(data)
            except (ValueError, KeyError, TypeError, struct.error, OSError):
                self.reset()
                return False

    def _load(self, data: bytes) -> bool:
        if not data.startswith(_MAGIC):
            return False
        (head_len,) = struct.unpack_from("<Q", data, len(_MAGIC))
        position = len(_MAGIC) + 8
        header = json.loads(data[position : position + head_len])
        position += head_len
        if (
            header["version"] != _VERSION
            or header["job_id"] != self.results.job_id
            or header["classifier"] != classifier_name(self.classify)
            or header["byteorder"] != sys.byteorder
        ):
            return False
        for source in header["sources"]:
            path = self.results.path(source)
            end = header["indexed"].get(source, 0)
            if complete_prefix(path) < end or _tail_crc(path, end) != header["tails"][source]:
                return False
        blobs = []
        for size in header["sizes"]:
            blobs.append(data[position : position + size])
            position += size
        count = header["count"]
        columns = []
        for name, itemsize, blob in zip(_COLUMNS, header["itemsizes"], blobs, strict=False):
            template = getattr(self, name)
            if getattr(template, "itemsize", 1) != itemsize:
                return False
            if isinstance(template, array):
                column: array[int] | bytearray = array(template.typecode, blob)
            else:
                column = bytearray(blob)
            if len(column) != count:
                return False
            columns.append(column)
        try:
            custom_ids = fast_loads(blobs[len(_COLUMNS)])
        except DECODE_ERRORS:  # e.g. a lone surrogate, which json reads back
            custom_ids = json.loads(blobs[len(_COLUMNS)])
        if len(custom_ids) != count:
            return False
        for name, column in zip(_COLUMNS, columns, strict=True):
            setattr(self, name, column)
        self.custom_ids = custom_ids
        self.sources = list(header["sources"])
        self.indexed = {source: int(header["indexed"].get(source, 0)) for source in self.sources}
        self.error_type_names = list(header["error_types"])
        self._error_type_ids = {name: i for i, name in enumerate(self.error_type_names)}
        return True

    # -- reading ------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets)

    def source(self, i: int) -> str:
        return self.sources[self.source_ids[i]]

    def outcome(self, i: int) -> Outcome:
        return OUTCOMES[self.outcomes[i]]

    def flag(self, i: int) -> ResultFlag | None:
        return FLAGS[self.flags[i]]

    def error_type(self, i: int) -> str | None:
        return self.error_type_names[self.error_types[i]]

    def custom_id(self, i: int) -> str:
        return self.custom_ids[i]

    def counts_by_outcome(self) -> dict[Outcome, int]:
        """Rows per outcome (every outcome present, zeros included)."""
        counted = Counter(self.outcomes)
        return {outcome: counted.get(code, 0) for code, outcome in enumerate(OUTCOMES)}

    def counts_by_flag(self) -> dict[ResultFlag, int]:
        """Rows per flag (every flag present, zeros included; unflagged rows not counted)."""
        counted = Counter(self.flags)
        return {flag: counted.get(code, 0) for code, flag in enumerate(FLAGS) if flag is not None}

    def counts_by_error_type(self) -> dict[str | None, int]:
        """Rows per error type among rows that have one (errored, expired and canceled rows)."""
        counted = Counter(self.error_types)
        counted.pop(0, None)
        return {self.error_type_names[ident]: n for ident, n in counted.most_common()}

    def _fd(self, source: str) -> int:
        fd = self._fds.get(source)
        if fd is None:
            fd = os.open(self.results.path(source), os.O_RDONLY | getattr(os, "O_BINARY", 0))
            self._fds[source] = fd
        return fd

    def get_line(self, i: int) -> bytes:
        """The raw bytes of row ``i`` (no newline), read with one positioned read."""
        if i < 0:
            i += len(self.offsets)
        offset, length = self.offsets[i], self.lengths[i]
        source = self.sources[self.source_ids[i]]
        if hasattr(os, "pread"):
            data = os.pread(self._fd(source), length, offset)
        else:  # pragma: no cover - Windows
            with self._lock:
                fd = self._fd(source)
                os.lseek(fd, offset, os.SEEK_SET)
                data = os.read(fd, length)
        return data[:-1] if data.endswith(b"\r") else data

    def result_line(self, i: int) -> ResultLine:
        """Row ``i`` as the ``ResultLine`` the provider sent."""
        return ResultLine(source=self.source(i), data=self.get_line(i))

    def get_result(self, i: int, parse: ParseFn) -> BatchResult:
        """Row ``i`` parsed by ``parse`` (the adapter's ``parse_result``), cached in an LRU."""
        if i < 0:
            i += len(self.offsets)
        key = (i, id(parse))
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        result = parse(self.result_line(i))
        self._cache[key] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def rows_of_source(self, source: str) -> array[int]:
        """Row numbers of one source, in file order."""
        if source not in self.sources:
            return array("i")
        ident = self.sources.index(source)
        return array("i", (i for i, s in enumerate(self.source_ids) if s == ident))

    def iter_rows(self) -> Iterator[int]:
        return iter(range(len(self.offsets)))

    # -- lifecycle ----------------------------------------------------------------------------

    def _close_fds(self) -> None:
        for fd in self._fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds.clear()

    def close(self) -> None:
        """Close the read handles (the rows stay usable; handles reopen on demand)."""
        with self._lock:
            self._close_fds()

    def __enter__(self) -> ResultIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._close_fds()
        except Exception:
            pass
