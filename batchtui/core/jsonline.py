"""Fast decoding of one JSON line with msgspec, for the hot loops (the results index, input
validation).

msgspec is strict where the stdlib is (one value per line, nothing but blanks after it, no
NaN), but a few rare lines it refuses are valid for ``json.loads`` (lone surrogate escapes,
numbers out of float range) and a typed decode does not check strings it skips. So the rule
here: a line msgspec decodes must also be valid UTF-8, and every line msgspec refuses is
judged again by the stdlib by the caller, so the verdict and the message stay the stdlib's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

Shape = msgspec.Struct
"""Base class of a typed line shape: declare only the fields a reader needs; every other key is
skipped without building Python objects for it."""

DECODE_ERRORS: tuple[type[BaseException], ...] = (msgspec.MsgspecError, ValueError, RecursionError)
"""What a msgspec decode may raise on a line it does not take (UnicodeDecodeError included)."""


def typed_reader(shape: type[T]) -> Callable[[bytes], T | None]:
    """``read(line)``: the line decoded into ``shape``, or None when msgspec does not take it
    (not JSON, not one object alone on its line, a field of another type, not UTF-8)."""
    decode = msgspec.json.Decoder(shape).decode

    def read(line: bytes) -> T | None:
        try:
            if not line.isascii():
                line.decode()  # skipped strings are not checked by a typed decode
            return decode(line)
        except DECODE_ERRORS:
            return None

    return read


fast_loads: Callable[[bytes], Any] = msgspec.json.Decoder().decode
"""Any JSON value, decoded by msgspec; raises one of ``DECODE_ERRORS`` where msgspec refuses it
(then ask ``json`` for the verdict and its message)."""
