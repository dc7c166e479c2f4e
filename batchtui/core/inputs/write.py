"""Writing a validated input as the provider's native JSONL, split into parts within limits."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
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


class _PartWriter:
    """The sink of a writing pass: serialises requests and cuts files as the planner says."""

    def __init__(self, provider: str, limits: ProviderLimits, out_dir: Path, stem: str) -> None:
        self.provider = provider
        self.to_native = native_format(provider).to_native  # looked up once, not per line
        self.out_dir = out_dir
        self.stem = stem
        self.planner = SplitPlanner(limits)
        self.files: list[Path] = []
        self.f: BinaryIO | None = None
        self.hash = hashlib.sha256()
        self.hashes: list[str] = []

    def temp_path(self, index: int) -> Path:
        return self.out_dir / f".{self.stem}-{self.provider}-{index + 1:03d}.jsonl.tmp"

    def __call__(self, line: int, request: BatchRequest) -> int:
        data = encode_line(self.to_native(request))
        if self.planner.add(line, len(data)):
            self._close()
            path = self.temp_path(len(self.files))
            self.files.append(path)
            self.f = path.open("wb")
            self.hash = hashlib.sha256()
        assert self.f is not None
        self.f.write(data)
        self.hash.update(data)
        return len(data)

    def _close(self) -> None:
        if self.f is not None:
            self.f.flush()
            os.fsync(self.f.fileno())
            self.f.close()
            self.f = None
            self.hashes.append(self.hash.hexdigest())

    def commit(self) -> list[NativePart]:
        """Close the last file and move every part to its final name."""
        self._close()
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
                    self.hashes[i],
                    plan.requests,
                    plan.bytes,
                    plan.first_line,
                    plan.last_line,
                )
            )
        return parts

    def abort(self) -> None:
        """Remove whatever was written."""
        if self.f is not None:
            self.f.close()
            self.f = None
        for path in self.files:
            path.unlink(missing_ok=True)


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
