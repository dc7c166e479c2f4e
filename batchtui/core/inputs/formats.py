"""The input formats batchtui reads, and their detection from a file's name and first line.

Two formats are the core's own: the neutral JSONL and CSV/TSV through a prompt template. The
others are the registered providers' native formats (`batchtui.core.inputs.native`): each
gives a JSONL format named like the format (``InputFormat("<name>")``), and one whose records
may also come as one JSON document gives a second format for that container.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import ClassVar

from batchtui.core.inputs.native import NativeFormat, native_formats

_HEAD_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
_REQUESTS_FIRST = re.compile(rb'\{\s*"requests"\s*:')
_NEUTRAL_KEYS = frozenset({"custom_id", "messages", "model"})
_NEUTRAL = "neutral"
_CSV = "csv"


def _natives() -> dict[str, tuple[NativeFormat, bool]]:
    """Each native format value -> (its format, whether it is the JSON-document container)."""
    table: dict[str, tuple[NativeFormat, bool]] = {}
    for fmt in native_formats():
        table.setdefault(fmt.name, (fmt, False))
        if fmt.document is not None:
            table.setdefault(fmt.document, (fmt, True))
    return table


class _FormatType(type):
    """Gives `InputFormat` an attribute per registered native format (``InputFormat.<NAME>``,
    the value upper-cased with ``-`` as ``_``) and iteration over every format, like an enum."""

    def __getattr__(cls, name: str) -> InputFormat:
        if name.isupper() and not name.startswith("_"):
            value = name.lower().replace("_", "-")
            if value in _natives():
                return InputFormat(value)
        raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")

    def __iter__(cls) -> Iterator[InputFormat]:
        return iter(InputFormat.members())


class InputFormat(str, metaclass=_FormatType):
    """A kind of input file; each is read into neutral ``BatchRequest`` objects.

    ``NEUTRAL`` (JSONL: custom_id, model, messages, system?, params..., endpoint?), ``CSV``
    (CSV/TSV rows rendered through a prompt template), and the native formats of the
    registered providers. Values are unique objects, so ``is`` compares them like enum
    members: ``InputFormat("csv") is InputFormat.CSV``.
    """

    __slots__ = ()

    NEUTRAL: ClassVar[InputFormat]
    CSV: ClassVar[InputFormat]
    _made: ClassVar[dict[str, InputFormat]] = {}

    def __new__(cls, value: str) -> InputFormat:
        if isinstance(value, InputFormat):
            return value
        made = cls._made.get(value)
        if made is not None:
            return made
        if value not in (_NEUTRAL, _CSV) and value not in _natives():
            raise ValueError(f"{value!r} is not a valid InputFormat")
        made = cls._made[value] = super().__new__(cls, value)
        return made

    def __repr__(self) -> str:
        return f"<InputFormat.{self.name}: {str.__repr__(self)}>"

    @property
    def name(self) -> str:
        """The attribute that gives this format (``NEUTRAL``, ``CSV``, ...)."""
        return self.upper().replace("-", "_")

    @property
    def value(self) -> str:
        return str(self)

    @classmethod
    def members(cls) -> list[InputFormat]:
        """Every format known now: neutral, the registered native ones, CSV."""
        return [cls.NEUTRAL, *(cls(value) for value in _natives()), cls.CSV]

    @classmethod
    def parse(cls, value: str | InputFormat) -> InputFormat:
        """Accept a format, its value, or a forgiving spelling (``_`` for ``-``; ``jsonl``,
        ``json``, ``tsv``, and ``<name>-jsonl`` for a format that also has a JSON document)."""
        if isinstance(value, InputFormat):
            return value
        key = value.strip().lower().replace("_", "-")
        aliases = {"jsonl": cls.NEUTRAL, "batchtui": cls.NEUTRAL, "tsv": cls.CSV}
        for fmt in native_formats():
            if fmt.document is not None:
                aliases.setdefault(f"{fmt.name}-jsonl", cls(fmt.name))
                aliases.setdefault("json", cls(fmt.document))
        if key in aliases:
            return aliases[key]
        try:
            return cls(key)
        except ValueError:
            names = ", ".join(m.value for m in cls.members())
            raise ValueError(f"unknown input format {value!r} (one of: {names})") from None

    @property
    def native(self) -> NativeFormat | None:
        """The provider format of this file's records (None for neutral and CSV)."""
        found = _natives().get(self)
        return None if found is None else found[0]

    @property
    def is_document(self) -> bool:
        """Records come in one JSON document (``[...]`` or ``{"requests": [...]}``)."""
        found = _natives().get(self)
        return found is not None and found[1]

    @property
    def is_jsonl(self) -> bool:
        return self is not InputFormat.CSV and not self.is_document


InputFormat.NEUTRAL = InputFormat(_NEUTRAL)
InputFormat.CSV = InputFormat(_CSV)


def _holds(keys: Iterable[str], wanted: frozenset[str]) -> bool:
    return all(key in keys for key in wanted)


def classify_keys(keys: object) -> InputFormat:
    """Guess a JSONL format from the keys of one record: the first registered native format
    whose ``detect_keys`` it holds, else neutral."""
    if not isinstance(keys, (dict, set, frozenset, list, tuple)):
        return InputFormat.NEUTRAL
    for fmt in native_formats():
        if any(_holds(keys, wanted) for wanted in fmt.detect_keys):
            return InputFormat(fmt.name)
    return InputFormat.NEUTRAL


def _record_keys(formats: list[NativeFormat]) -> frozenset[str]:
    keys = set(_NEUTRAL_KEYS)
    for fmt in formats:
        keys.add(fmt.body_key)
        for wanted in fmt.detect_keys:
            keys.update(wanted)
    return frozenset(keys)


@functools.cache
def _key_pattern(keys: frozenset[str]) -> re.Pattern[bytes]:
    names = b"|".join(re.escape(key.encode()) for key in sorted(keys))
    return re.compile(rb'"(' + names + rb')"\s*:')


def detect_format(path: str | Path) -> InputFormat:
    """Tell the format of ``path`` from its extension and its first non-blank line.

    CSV and TSV go by extension. A file starting with ``[``, or with an object whose first key is
    ``requests``, is a JSON document of the (first) native format that has one. Otherwise the
    first record's keys decide (`classify_keys`): a native format's ``detect_keys``, else
    neutral. Only the first megabyte is read.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv"):
        return InputFormat.CSV
    with path.open("rb") as f:
        head = f.read(_HEAD_BYTES)
        whole = len(head) < _HEAD_BYTES
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    head = head.lstrip()
    formats = native_formats()
    document = next(
        (InputFormat(fmt.document) for fmt in formats if fmt.document is not None),
        InputFormat.NEUTRAL,
    )
    fallback = document if ext == ".json" else InputFormat.NEUTRAL
    if not head:
        return fallback
    if head[:1] == b"[":
        return document
    if head[:1] != b"{":
        return fallback
    if _REQUESTS_FIRST.match(head):
        return document
    first, newline, _ = head.partition(b"\n")
    record_keys = _record_keys(formats)
    if newline or whole:
        try:
            obj = json.loads(first)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            if "requests" in obj and "custom_id" not in obj:
                return document
            if ext == ".json" and not obj.keys() & record_keys:
                return document  # a JSON document that is not a request
            return classify_keys(obj)
        if obj is None and ext == ".json":
            return document  # a pretty-printed JSON document
    # A first line longer than the head, or unparsable: look at the keys it names.
    keys = {m.group(1).decode() for m in _key_pattern(record_keys).finditer(first)}
    return classify_keys(keys) if keys else fallback
