"""Results joined to their requests: the kept native input, and a CSV input's own columns.

A CSV/TSV input loses its columns when it becomes native requests (only the rendered prompt
is kept), so at submission its rows are kept beside the native parts as a small JSONL sidecar
(``{"custom_id": ..., "columns": {header: value}}`` a line). A joined CSV export then starts
with the input's own columns; a JSONL export puts the native request beside each result.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchtui.core.inputs.native import Shape, native_format
from batchtui.core.results import RequestLookup

CSV_OPTION = "csv_columns"
"""The intent option that names a submission's column sidecar: ``{"path", "header"}``."""


def write_csv_columns(
    source: Path, dest_dir: Path, *, id_column: str | None
) -> tuple[Path, list[str]]:
    """Keep a CSV/TSV input's rows by custom_id (ids as the CSV reader makes them).

    Returns the sidecar's path (named by its content hash in ``dest_dir``) and the header.
    """
    delimiter = "\t" if source.suffix.lower() == ".tsv" else ","
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / f".columns-{os.getpid()}.tmp"
    digest = hashlib.sha256()
    header: list[str] = []
    with open(source, encoding="utf-8-sig", newline="") as handle, open(tmp, "wb") as out:
        reader = csv.reader(handle, delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        id_index = header.index(id_column) if id_column in header else None
        row_no = 0
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            row_no += 1
            if len(row) != len(header):
                continue
            custom_id = row[id_index].strip() if id_index is not None else f"row-{row_no:06d}"
            line = json.dumps(
                {"custom_id": custom_id, "columns": dict(zip(header, row, strict=True))},
                ensure_ascii=False,
            ).encode()
            out.write(line + b"\n")
            digest.update(line + b"\n")
    target = dest_dir / f"{digest.hexdigest()}.columns.jsonl"
    os.replace(tmp, target)
    return target, header


@dataclass
class JoinSource:
    """What a joined export needs: requests by custom_id, and the input's own columns."""

    requests: RequestLookup
    columns: tuple[str, ...] = ()
    """The CSV input's header, or () when the input was not a CSV."""
    rows: RequestLookup | None = None

    def row(self, request: Any) -> Mapping[str, Any]:
        """The input's own column values of a native request (empty when unknown)."""
        if self.rows is None or not isinstance(request, dict):
            return {}
        try:
            custom_id = self.requests.id_of(request)
        except (ValueError, LookupError, TypeError, AttributeError):
            return {}
        if not isinstance(custom_id, str) or custom_id not in self.rows:
            return {}
        return self.rows[custom_id].get("columns") or {}

    def export_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `export_rows` / `RunMerge.export` (``join`` and columns)."""
        if self.columns and self.rows is not None:
            return {"join": self.requests, "request_columns": self.columns, "request_row": self.row}
        return {"join": self.requests}

    def close(self) -> None:
        self.requests.close()
        if self.rows is not None:
            self.rows.close()


def open_join(
    input_path: Path, options: Mapping[str, Any] | None, provider: str | None = None
) -> JoinSource:
    """The join source of a job from its kept input (a native input of ``provider``, whose
    format names each line's custom_id) and its submission options."""
    spec = (options or {}).get(CSV_OPTION) or {}
    rows = None
    columns: tuple[str, ...] = ()
    path = spec.get("path")
    if path and Path(path).exists():
        rows = RequestLookup(Path(path))
        columns = tuple(spec.get("header") or ())
    id_of = None
    if provider is not None:
        fmt = native_format(provider)

        def id_of(obj: Any) -> Any:
            try:
                return fmt.split(obj, False)[0]
            except Shape:  # not a request of the format
                return None

    return JoinSource(RequestLookup(input_path, id_of), columns, rows)


__all__ = ["CSV_OPTION", "JoinSource", "open_join", "write_csv_columns"]
