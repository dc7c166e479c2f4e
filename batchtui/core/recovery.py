"""Retry and recovery: pick the requests that still need an answer and write them as a child input.

Both read the parent's kept native input (exactly what was submitted), so a retry resends the
same requests byte for byte, except an optional new ``max_tokens``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from batchtui.core.inputs.native import NativeFormat, Shape, native_format
from batchtui.core.models import Outcome, ResultFlag
from batchtui.core.provider import BatchtuiError
from batchtui.core.results import ResultIndex


class NothingToRetry(BatchtuiError):
    """No request matched what was asked to be retried."""


def _iter_native(path: Path, fmt: NativeFormat) -> Iterator[tuple[str, bytes]]:
    """Each line of a kept native input with its custom_id (as the provider's format names
    it: ``custom_id``, ``key``, ...); lines that are not a request of the format are skipped."""
    with open(path, "rb") as handle:
        for raw in handle:
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            try:
                custom_id = fmt.split(json.loads(line), False)[0]
            except (ValueError, Shape):
                continue
            if isinstance(custom_id, str):
                yield custom_id, line


def submitted_ids(path: Path, provider: str) -> list[str]:
    """Every custom_id of a kept native input of ``provider``, in order."""
    return [custom_id for custom_id, _ in _iter_native(path, native_format(provider))]


def retry_ids(
    index: ResultIndex,
    *,
    error_types: Collection[str] | None = None,
    custom_ids: Collection[str] | None = None,
    flag: ResultFlag | str | None = None,
) -> list[str]:
    """custom_ids of a job's results to retry: errored ones (optionally of some error types),
    those with a flag, or an explicit list (which must be among the results)."""
    wanted_flag = ResultFlag(flag) if flag else None
    types = set(error_types or ())
    chosen: list[str] = []
    seen: set[str] = set()
    explicit = set(custom_ids or ())
    for row in range(index.count):
        custom_id = index.custom_id(row)
        if not custom_id or custom_id in seen:
            continue
        if explicit:
            keep = custom_id in explicit
        elif wanted_flag is not None:
            keep = index.flag(row) is wanted_flag
        else:
            keep = index.outcome(row) is Outcome.ERRORED and (
                not types or (index.error_type(row) or "") in types
            )
        if keep:
            seen.add(custom_id)
            chosen.append(custom_id)
    return chosen


def unfinished_ids(submitted: Iterable[str], indexes: Iterable[ResultIndex]) -> list[str]:
    """The submitted custom_ids with no success in any of the given result sets."""
    succeeded: set[str] = set()
    for index in indexes:
        for row in range(index.count):
            if index.outcome(row) is Outcome.SUCCEEDED and index.flag(row) is None:
                succeeded.add(index.custom_id(row))
    return [custom_id for custom_id in submitted if custom_id not in succeeded]


def write_subset(
    source: Path,
    custom_ids: Collection[str],
    dest: Path,
    provider: str,
    *,
    max_tokens: int | None = None,
) -> tuple[int, str, int]:
    """Write the lines of ``source`` (a native input of ``provider``) whose custom_id is in
    ``custom_ids`` to ``dest``.

    Returns (requests written, sha256, bytes). Lines are copied unchanged unless ``max_tokens``
    is given (set where the provider's format keeps it).
    """
    fmt = native_format(provider)
    wanted = set(custom_ids)
    digest = hashlib.sha256()
    count = size = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        for custom_id, line in _iter_native(source, fmt):
            if custom_id not in wanted:
                continue
            wanted.discard(custom_id)  # a custom_id goes out once
            if max_tokens is not None:
                obj = fmt.with_max_tokens(json.loads(line), max_tokens)
                line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
            data = line + b"\n"
            out.write(data)
            digest.update(data)
            count += 1
            size += len(data)
    if count == 0:
        dest.unlink(missing_ok=True)
        raise NothingToRetry("none of the selected requests is in the kept input")
    return count, digest.hexdigest(), size
