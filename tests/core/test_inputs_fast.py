"""Input lines decoded by msgspec read exactly as the stdlib read them: the same values, and
for a line msgspec refuses, the stdlib's verdict and message."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest

from batchtui.core.inputs.records import Problem, _json_problem, iter_jsonl
from batchtui.core.jsonline import fast_loads


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_STDLIB = json.JSONDecoder(parse_constant=_reject_constant).decode


def _reference(raw: bytes) -> Any:
    """What a line read as before msgspec: the stdlib's value, or its problem."""
    try:
        return _STDLIB(raw.decode("utf-8"))
    except ValueError as exc:
        return _json_problem(exc)


LINES = [
    b'{"custom_id": "a", "body": {"model": "m", "max_tokens": 5}}',
    b'{"custom_id": "a"} x',  # trailing data
    b'{"custom_id": "a"}{"custom_id": "b"}',  # two objects
    b'{"custom_id": "a"}\x0b',  # not a JSON blank
    b'{"custom_id": "a", "t": NaN}',  # rejected with the stdlib's message
    b'{"custom_id": "a", "t": -Infinity}',
    b'{"custom_id": "a", "t": 1e400}',  # beyond float range: the stdlib takes it
    b'{"custom_id": "\\ud800"}',  # a lone surrogate escape: the stdlib takes it
    b'{"custom_id": "\xff"}',  # not UTF-8
    b'{"custom_id": "caf\xc3\xa9", "n": 123456789012345678901234567890, "f": 0.1}',
    b'{"custom_id": "a", "custom_id": "b"}',  # the last key wins
    b'{"a": "x\x01y"}',  # a raw control character
    b'{"a": 01}',
    b"[1, 2]",
    b'"just a string"',
    b"{",
    b"  \t",
    b'  {"custom_id": "a"}  \r',
]


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isinf(left):
        return left == right
    return type(left) is type(right) and json.dumps(left) == json.dumps(right) and left == right


@pytest.mark.parametrize("raw", LINES)
def test_a_line_reads_as_the_stdlib_reads_it(raw: bytes) -> None:
    records = list(iter_jsonl(io.BytesIO(raw + b"\n"), len(raw) + 1))
    expected = _reference(raw + b"\n")
    if raw.isspace():
        assert records == []
        return
    assert len(records) == 1
    line, size, index, value = records[0]
    assert (line, size, index) == (1, len(raw) + 1, None)
    if isinstance(expected, Problem):
        assert value == expected
    else:
        assert _same(value, expected)


@pytest.mark.parametrize("raw", [b'{"a": 1} x', b'{"a": 1}{}', b'{"a": 1}]'])
def test_msgspec_itself_refuses_trailing_data(raw: bytes) -> None:
    with pytest.raises(ValueError):
        fast_loads(raw)
