"""The input formats batchtui reads, and their detection from a file's name and first line."""

from __future__ import annotations

import enum
import json
import re
from pathlib import Path

_HEAD_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
_REQUESTS_FIRST = re.compile(rb'\{\s*"requests"\s*:')
_RECORD_KEYS = {"custom_id", "params", "body", "messages", "model", "method", "url"}
_KEY = re.compile(rb'"(params|method|url|body|messages|custom_id|model)"\s*:')


class InputFormat(enum.StrEnum):
    """A kind of input file; each is read into neutral ``BatchRequest`` objects."""

    NEUTRAL = "neutral"  # JSONL: custom_id, model, messages, system?, params..., endpoint?
    OPENAI = "openai"  # JSONL: {custom_id, method, url, body}
    ANTHROPIC = "anthropic"  # JSONL: {custom_id, params}
    ANTHROPIC_JSON = "anthropic-json"  # JSON: [{custom_id, params}, ...] or {"requests": [...]}
    CSV = "csv"  # CSV/TSV rows rendered through a prompt template

    @classmethod
    def parse(cls, value: str | InputFormat) -> InputFormat:
        """Accept an enum member, its value, or a forgiving spelling such as ``anthropic_json``."""
        if isinstance(value, InputFormat):
            return value
        key = value.strip().lower().replace("_", "-")
        aliases = {
            "jsonl": cls.NEUTRAL,
            "batchtui": cls.NEUTRAL,
            "anthropic-jsonl": cls.ANTHROPIC,
            "json": cls.ANTHROPIC_JSON,
            "tsv": cls.CSV,
        }
        if key in aliases:
            return aliases[key]
        try:
            return cls(key)
        except ValueError:
            names = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown input format {value!r} (one of: {names})") from None

    @property
    def is_jsonl(self) -> bool:
        return self in (InputFormat.NEUTRAL, InputFormat.OPENAI, InputFormat.ANTHROPIC)


def classify_keys(keys: object) -> InputFormat:
    """Guess a JSONL format from the keys of one record."""
    if not isinstance(keys, (dict, set, frozenset, list, tuple)):
        return InputFormat.NEUTRAL
    if "params" in keys:
        return InputFormat.ANTHROPIC
    if "body" in keys or ("url" in keys and "method" in keys):
        return InputFormat.OPENAI
    return InputFormat.NEUTRAL


def detect_format(path: str | Path) -> InputFormat:
    """Tell the format of ``path`` from its extension and its first non-blank line.

    CSV and TSV go by extension. A file starting with ``[``, or with an object whose first key is
    ``requests``, is an Anthropic JSON batch. Otherwise the first record's keys decide:
    ``params`` -> Anthropic JSONL, ``body`` (or ``method`` + ``url``) -> OpenAI, else neutral.
    Only the first megabyte is read.
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
    fallback = InputFormat.ANTHROPIC_JSON if ext == ".json" else InputFormat.NEUTRAL
    if not head:
        return fallback
    if head[:1] == b"[":
        return InputFormat.ANTHROPIC_JSON
    if head[:1] != b"{":
        return fallback
    if _REQUESTS_FIRST.match(head):
        return InputFormat.ANTHROPIC_JSON
    first, newline, _ = head.partition(b"\n")
    if newline or whole:
        try:
            obj = json.loads(first)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            if "requests" in obj and "custom_id" not in obj:
                return InputFormat.ANTHROPIC_JSON
            if ext == ".json" and not obj.keys() & _RECORD_KEYS:
                return InputFormat.ANTHROPIC_JSON  # a JSON document that is not a request
            return classify_keys(obj)
        if obj is None and ext == ".json":
            return InputFormat.ANTHROPIC_JSON  # a pretty-printed JSON document
    # A first line longer than the head, or unparsable: look at the keys it names.
    keys = {m.group(1).decode() for m in _KEY.finditer(first)}
    return classify_keys(keys) if keys else fallback
