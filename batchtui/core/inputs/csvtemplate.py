"""CSV/TSV inputs: a prompt template with ``{column}`` placeholders rendered once per row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from batchtui.core.inputs import records
from batchtui.core.inputs.records import Problem, Progress, Record

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_FIELD_LIMIT = 1 << 28

DEFAULT_PROMPT_COLUMN = "prompt"


def _raise_field_limit() -> None:
    # The csv module's default (128 KiB per field) is too small for long prompts; raising it
    # only relaxes a global guard, it never changes how other readers parse.
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A parsed prompt template: ``{name}`` is a column, ``{{`` and ``}}`` are literal braces."""

    text: str
    parts: tuple[tuple[str, str | None], ...]  # (literal, column or None)

    @classmethod
    def parse(cls, text: str) -> PromptTemplate:
        """Split ``text`` into literals and column placeholders."""
        parts: list[tuple[str, str | None]] = []
        literal: list[str] = []
        pos = 0
        for m in _TOKEN.finditer(text):
            literal.append(text[pos : m.start()])
            token = m.group(0)
            if token == "{{":
                literal.append("{")
            elif token == "}}":
                literal.append("}")
            else:
                parts.append(("".join(literal), m.group(1)))
                literal = []
            pos = m.end()
        literal.append(text[pos:])
        parts.append(("".join(literal), None))
        return cls(text, tuple(parts))

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.parts if name is not None)

    def render(self, row: dict[str, str]) -> str:
        """The prompt for one row (every placeholder must be a key of ``row``)."""
        out: list[str] = []
        for literal, name in self.parts:
            out.append(literal)
            if name is not None:
                out.append(row[name])
        return "".join(out)


def iter_csv(
    f: BinaryIO,
    total: int,
    *,
    template: str | None,
    id_column: str | None,
    system: str | None = None,
    delimiter: str = ",",
    progress: Progress | None = None,
) -> Iterator[Record]:
    """Yield one neutral request dict per data row (``custom_id`` + one user message).

    Ids come from ``id_column`` or are generated as ``row-000001`` (the data row's number).
    Model and parameters are not set here; the caller's defaults supply them.
    """
    _raise_field_limit()
    text = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as exc:
        yield 1, 0, None, Problem("csv", f"cannot read the header: {exc}", "invalid_csv", True)
        return
    if header is None:
        return
    header = [h.strip() for h in header]
    if template is None:
        if DEFAULT_PROMPT_COLUMN not in header:
            yield (
                1,
                0,
                None,
                Problem(
                    "template",
                    "a CSV input needs a prompt template (or a 'prompt' column)",
                    "csv_no_template",
                    True,
                ),
            )
            return
        template = "{" + DEFAULT_PROMPT_COLUMN + "}"
    parsed = PromptTemplate.parse(template)
    missing = [c for c in parsed.columns if c not in header]
    fatal = False
    for name in missing:
        fatal = True
        yield (
            1,
            0,
            None,
            Problem(
                "template",
                f"placeholder {{{name}}} is not a column of the header "
                f"(columns: {', '.join(header)}; write {{{{ and }}}} for literal braces)",
                "csv_placeholder",
            ),
        )
    if id_column is not None and id_column not in header:
        fatal = True
        yield (
            1,
            0,
            None,
            Problem(id_column, f"id column {id_column!r} is not in the header", "csv_id_column"),
        )
    if fatal:
        return
    width = len(header)
    id_index = header.index(id_column) if id_column is not None else None
    prev_end = reader.line_num
    row_no = 0
    every = records.PROGRESS_EVERY
    next_report = every
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as exc:
            yield (
                prev_end + 1,
                0,
                None,
                Problem("csv", f"cannot read the row: {exc}", "invalid_csv", True),
            )
            return
        line = prev_end + 1
        prev_end = reader.line_num
        if progress is not None:
            done = f.tell() if not f.closed else total
            if done >= next_report:
                progress(done, total)
                next_report = done + every
        if not row or all(not cell.strip() for cell in row):
            continue
        row_no += 1
        if len(row) != width:
            yield (
                line,
                0,
                None,
                Problem(
                    "row", f"row has {len(row)} fields, the header has {width}", "csv_row_width"
                ),
            )
            continue
        values = dict(zip(header, row, strict=True))
        prompt = parsed.render(values)
        custom_id = row[id_index].strip() if id_index is not None else f"row-{row_no:06d}"
        messages = [{"role": "user", "content": prompt}]
        obj: dict[str, object] = {"custom_id": custom_id}
        if system is not None:
            obj["system"] = system
        obj["messages"] = messages
        size = len(prompt.encode("utf-8", "surrogatepass")) + len(custom_id) + 64
        yield line, size, None, obj
    if progress is not None:
        progress(total, total)
