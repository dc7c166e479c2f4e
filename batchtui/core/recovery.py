"""Retry and recovery: pick the requests that still need an answer and write them as a child input.

Both read the parent's kept native input (exactly what was submitted), so a retry resends the
same requests byte for byte, except an optional new ``max_tokens``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from batchtui.core.models import Outcome, ResultFlag
from batchtui.core.provider import BatchtuiError
from batchtui.core.results import ResultIndex


class NothingToRetry(BatchtuiError):
    """No request matched what was asked to be retried."""


def _iter_native(path: Path) -> Iterator[tuple[str, bytes]]:
    with open(path, "rb") as handle:
        for raw in handle:
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            try:
                custom_id = json.loads(line).get("custom_id")
            except (ValueError, AttributeError):
                continue
            if isinstance(custom_id, str):
                yield custom_id, line


def submitted_ids(path: Path) -> list[str]:
    """Every custom_id of a kept native input, in order."""
    return [custom_id for custom_id, _ in _iter_native(path)]


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


def _set_max_tokens(obj: dict[str, Any], max_tokens: int) -> None:
    body = obj.get("params") if "params" in obj else obj.get("body")
    if not isinstance(body, dict):
        return
    if "max_completion_tokens" in body and "params" not in obj:
        body["max_completion_tokens"] = max_tokens
    elif "max_output_tokens" in body:
        body["max_output_tokens"] = max_tokens
    else:
        body["max_tokens"] = max_tokens


def write_subset(
    source: Path, custom_ids: Collection[str], dest: Path, *, max_tokens: int | None = None
) -> tuple[int, str, int]:
    """Write the lines of ``source`` whose custom_id is in ``custom_ids`` to ``dest``.

    Returns (requests written, sha256, bytes). Lines are copied unchanged unless ``max_tokens``
    is given.
    """
    wanted = set(custom_ids)
    digest = hashlib.sha256()
    count = size = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        for custom_id, line in _iter_native(source):
            if custom_id not in wanted:
                continue
            wanted.discard(custom_id)  # a custom_id goes out once
            if max_tokens is not None:
                obj = json.loads(line)
                _set_max_tokens(obj, max_tokens)
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
