"""`JobRecord`s made of `rows.JOB_SELECT` rows, many at once (one row: `JobRecord.from_row`).

The columns are looked up by position, once per read, and each row's values are picked out in
one call: at 10,000 jobs, a dict per row and a lookup per value were a good part of the read.
A brief record, for lists, has a snapshot made of the row's own columns plus the few snapshot
fields a list shows (``snapshot.raw`` and ``metadata`` are empty); a full one decodes the
stored snapshot whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from operator import itemgetter
from pathlib import Path
from typing import Any

from batchtui.core.models import BatchJob
from batchtui.core.paths import machine_name
from batchtui.core.store.records import IntentState, JobRecord, status_of
from batchtui.core.store.serialize import (
    counts_from_json,
    errors_from_list,
    fraction,
    from_epoch,
    job_from_dict,
    snapshot_brief,
    times_from_json,
)

_COLUMNS = (
    "local_id",
    "batch_id",
    "provider",
    "profile",
    "status",
    "raw_status",
    "counts",
    "times",
    "run_id",
    "label",
    "parent_local_id",
    "parent_batch_id",
    "part_index",
    "model",
    "endpoint",
    "input_path",
    "input_sha256",
    "request_count",
    "input_file_id",
    "output_file_id",
    "error_file_id",
    "results_path",
    "results_offsets",
    "results_complete",
    "results_host",
    "adopted",
    "notes",
    "intent_state",
    "created_at",
    "updated_at",
    "last_polled_at",
    "next_poll_at",
    "estimate",
    "cost",
    "progress_at",
    "cleaned",
    "failure",
    "stray_files",
    "submitted_by",
    "snapshot",
)
"""The columns of a `rows.JOB_SELECT` row that a record is made of, in the order
`job_records` unpacks them."""

_RECORD_FIELDS = (
    "local_id",
    "id",
    "provider",
    "profile",
    "status",
    "raw_status",
    "counts",
    "times",
    "run_id",
    "label",
    "parent_local_id",
    "parent_id",
    "part_index",
    "model",
    "endpoint",
    "input_path",
    "input_sha256",
    "request_count",
    "input_file_id",
    "output_file_id",
    "error_file_id",
    "results_path",
    "results_offsets",
    "results_complete",
    "adopted",
    "notes",
    "intent_state",
    "created_at",
    "updated_at",
    "last_polled_at",
    "next_poll_at",
    "snapshot",
    "estimate",
    "cost",
    "progress_at",
    "cleaned",
    "failure",
    "stray_files",
    "submitted_by",
)
"""`JobRecord`'s fields in declaration order: `job_records` passes them by position."""

if tuple(f.name for f in fields(JobRecord)) != _RECORD_FIELDS:
    raise ImportError(
        "JobRecord's fields changed: update job_records, which passes them by position"
    )

_INTENT_STATES = {state.value: state for state in IntentState}


def _json_object(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else None


def job_records(
    names: Sequence[str], rows: Sequence[Sequence[Any]], *, brief: bool
) -> list[JobRecord]:
    """Records of `rows.JOB_SELECT` rows given as tuples whose columns are ``names``; ``brief``
    (for lists): snapshots without the provider's raw object and metadata."""
    position = {name: index for index, name in enumerate(names)}
    pick = itemgetter(*(position[name] for name in _COLUMNS))
    here: str | None = None
    records = []
    for row in rows:
        (
            local_id,
            batch_id,
            provider,
            profile,
            status_text,
            raw_status,
            counts_text,
            times_text,
            run_id,
            label,
            parent_local_id,
            parent_batch_id,
            part_index,
            model,
            endpoint,
            input_path,
            input_sha256,
            request_count,
            input_file_id,
            output_file_id,
            error_file_id,
            results_path,
            offsets,
            results_complete,
            holder,
            adopted,
            notes,
            intent_state,
            created_at,
            updated_at,
            last_polled_at,
            next_poll_at,
            estimate,
            cost,
            progress_at,
            cleaned,
            failure,
            stray_files,
            submitted_by,
            snapshot_text,
        ) = pick(row)
        status = status_of(status_text)
        counts = counts_from_json(counts_text)
        times = times_from_json(times_text)
        snapshot = None
        if snapshot_text and not brief:
            snapshot = job_from_dict(json.loads(snapshot_text))
        elif snapshot_text:
            listed = snapshot_brief(snapshot_text)
            snapshot = BatchJob(
                provider=provider,
                id=batch_id or "",
                status=status,
                raw_status=raw_status or "",
                counts=counts,
                times=times,
                endpoint=endpoint,
                model=listed.model,
                input_file_id=input_file_id,
                output_file_id=output_file_id,
                error_file_id=error_file_id,
                results_url=listed.results_url,
                results_available=bool(listed.results_available),
                errors=errors_from_list(listed.errors),
                profile=profile,
                progress=fraction(listed.progress),
            )
        # A poll writes the same moment to several columns: equal seconds, one datetime.
        created = from_epoch(created_at)
        updated = created if updated_at == created_at else from_epoch(updated_at)
        cached_here = True
        if holder is not None:
            if here is None:
                here = machine_name()
            if holder != here:
                offsets = "{}"  # another machine's cache: here, the results are not downloaded
                cached_here = False
        records.append(
            JobRecord(  # by position, in _RECORD_FIELDS order (kwargs cost more)
                local_id,
                batch_id,  # id
                provider,
                profile,
                status,
                raw_status,
                counts,
                times,
                run_id,
                label,
                parent_local_id,
                parent_batch_id,  # parent_id
                part_index,
                model,
                endpoint,
                Path(input_path) if input_path else None,  # input_path
                input_sha256,
                request_count,
                input_file_id,
                output_file_id,
                error_file_id,
                Path(results_path) if results_path and cached_here else None,  # results_path
                (
                    {k: int(v) for k, v in json.loads(offsets).items()} if offsets != "{}" else {}
                ),  # results_offsets
                bool(results_complete) and cached_here,  # results_complete
                bool(adopted),  # adopted
                notes,
                (
                    (_INTENT_STATES.get(intent_state) or IntentState(intent_state))
                    if intent_state
                    else None
                ),  # intent_state
                created,  # created_at
                updated,  # updated_at
                (
                    updated if last_polled_at == updated_at else from_epoch(last_polled_at)
                ),  # last_polled_at
                from_epoch(next_poll_at),  # next_poll_at
                snapshot,
                _json_object(estimate),  # estimate
                _json_object(cost),  # cost
                updated if progress_at == updated_at else from_epoch(progress_at),  # progress_at
                _json_object(cleaned),  # cleaned
                _json_object(failure),  # failure
                tuple(json.loads(stray_files)) if stray_files else (),  # stray_files
                submitted_by,
            )
        )
    return records
