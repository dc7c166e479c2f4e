"""The classifiers' fast paths (typed msgspec decoding of only the fields the index needs) agree
with the dict classifiers on every line they take, and never take a line the strict line rule
refuses."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.jsonline import fast_loads, typed_reader
from batchtui.core.models import UNPARSEABLE_LINE, Outcome, ResultFlag
from batchtui.core.results import ResultIndex, ResultsFile
from batchtui.core.results.classify import (
    Classification,
    Classifier,
    classifier_for,
    line_reader,
)
from batchtui.providers.anthropic.classify import classify_anthropic, read_anthropic_line
from batchtui.providers.openai.classify import classify_openai, read_openai_line

# -- line builders (the shapes of tests/core/test_results.py) ----------------------------------


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def openai_success(custom_id: str, text: str, finish: str = "stop", refusal: str | None = None):
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {
            "status_code": 200,
            "request_id": f"req_{custom_id}",
            "body": {
                "object": "chat.completion",
                "model": "gpt-4o-mini",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": refusal},
                        "finish_reason": finish,
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            },
        },
        "error": None,
    }


def openai_http_error(custom_id: str, status: int, error_type: str, message: str):
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {
            "status_code": status,
            "request_id": f"req_{custom_id}",
            "body": {
                "error": {"message": message, "type": error_type, "param": None, "code": None}
            },
        },
        "error": None,
    }


def openai_not_run(custom_id: str, code: str = "batch_expired"):
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": "This request could not be executed."},
    }


def anthropic_success(custom_id: str, text: str, stop: str = "end_turn"):
    return {
        "custom_id": custom_id,
        "result": {
            "type": "succeeded",
            "message": {
                "id": f"msg_{custom_id}",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": text}],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": 5, "output_tokens": 9},
            },
        },
    }


def anthropic_errored(custom_id: str, error_type: str, message: str):
    return {
        "custom_id": custom_id,
        "result": {
            "type": "errored",
            "error": {
                "type": "error",
                "error": {"type": error_type, "message": message},
                "request_id": "req_x",
            },
        },
    }


def anthropic_ended(custom_id: str, kind: str):
    return {"custom_id": custom_id, "result": {"type": kind}}


def jsonl(objs: list[Any]) -> bytes:
    return b"".join(dumps(obj) + b"\n" for obj in objs)


def write_job(
    tmp: Path, job_id: str, files: dict[str, bytes], provider: str = "openai"
) -> ResultsFile:
    results = ResultsFile(directory=tmp, job_id=job_id)
    for source, data in files.items():
        results.path(source).write_bytes(data)
    return ResultsFile.open(tmp, job_id, provider=provider)


ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    204,
    404,
    1.5,
    "",
    "stop",
    "length",
    "content_filter",
    "succeeded",
    "errored",
    "max_tokens",
    "batch_expired",
    "I can't",
    [],
    [{}],
    {},
    {"type": "message"},
]

OPENAI_BASES: list[Any] = [
    openai_success("s", "text"),
    openai_success("t", "cut", finish="length"),
    openai_success("r", "", refusal="no"),
    openai_http_error("h", 429, "rate_limit_error", "slow down"),
    openai_not_run("x"),
    openai_not_run("c", "batch_cancelled"),
    {
        "custom_id": "resp",
        "response": {
            "status_code": 200,
            "body": {
                "object": "response",
                "output": [{"type": "message", "content": [{"type": "refusal"}]}],
                "incomplete_details": {"reason": "max_output_tokens"},
                "choices": [{"finish_reason": "stop"}],
            },
        },
    },
]

ANTHROPIC_BASES: list[Any] = [
    anthropic_success("s", "hi"),
    anthropic_success("m", "cut", stop="max_tokens"),
    anthropic_errored("e", "overloaded_error", "busy"),
    anthropic_ended("x", "expired"),
    anthropic_ended("c", "canceled"),
]


def _paths(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield (*path, key)
            yield from _paths(value, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield (*path, i)
            yield from _paths(value, (*path, i))


def _mutants(base: Any) -> Iterator[Any]:
    """``base``, then every copy with one value replaced by an odd one, or one key removed."""
    yield base
    for path in list(_paths(base)):
        for value in [*ODD_VALUES, KeyError]:
            mutant = copy.deepcopy(base)
            holder = mutant
            for step in path[:-1]:
                holder = holder[step]
            if value is KeyError:
                if isinstance(holder, dict):
                    del holder[path[-1]]
                else:
                    continue
            else:
                holder[path[-1]] = value
            yield mutant


def _lines(bases: list[Any]) -> list[bytes]:
    return [dumps(mutant) for base in bases for mutant in _mutants(base)]


@pytest.mark.parametrize(
    ("bases", "classify", "read", "sources"),
    [
        (OPENAI_BASES, classify_openai, read_openai_line, ("output", "error")),
        (ANTHROPIC_BASES, classify_anthropic, read_anthropic_line, ("results",)),
    ],
)
def test_fast_path_agrees_with_the_classifier_on_every_mutant(
    bases: list[Any], classify: Classifier, read: Any, sources: tuple[str, ...]
) -> None:
    taken = 0
    lines = _lines(bases)
    for line in lines:
        for source in sources:
            fast: Classification | None = read(source, line)
            if fast is None:
                continue
            taken += 1
            assert fast == classify(source, json.loads(line)), line
    assert taken > len(lines) // 4  # the fast path takes the common shapes
    assert line_reader(classify) is read


def test_the_registered_classifiers_carry_their_fast_paths() -> None:
    assert line_reader(classifier_for("openai")) is read_openai_line
    assert line_reader(classifier_for("anthropic")) is read_anthropic_line
    assert line_reader(classifier_for("no-such-provider")) is None


def _plain(classify: Classifier) -> Classifier:
    """The same classifier without its fast path."""
    return lambda source, obj: classify(source, obj)


def _rows(index: ResultIndex) -> list[tuple[Any, ...]]:
    return [
        (
            index.custom_id(i),
            index.outcome(i),
            index.flag(i),
            index.error_type(i),
            index.get_line(i),
        )
        for i in range(len(index))
    ]


_A = dumps(openai_success("a", "TEXT"))


def _with(old: bytes, new: bytes) -> bytes:
    assert old in _A
    return _A.replace(old, new)


STRICT_LINES = [
    _A + b" trailing",
    _A + b"{}",
    _A + b"\x0b",  # not a JSON blank
    _A[:-1],  # cut short
    _with(b'"TEXT"', b'"\xff\xfe"'),  # not UTF-8, in a field the fast path skips
    _with(b'"TEXT"', b'"\xe9"'),  # latin-1, in a skipped field
    _with(b'"TEXT"', b'"a\x01b"'),  # a raw control character
    b"\xef\xbb\xbf" + _A,  # a BOM (json.loads of bytes takes it)
    _with(b'"TEXT"', b'"\\ud800"'),  # a lone surrogate escape: valid for json
    _with(b'"index": 0', b'"index": NaN'),  # json takes NaN
    _with(b'"index": 0', b'"index": 1e400'),
    _with(b'"index": 0', b'"index": 123456789012345678901234567890'),
    b"  " + _A + b" \t",
    dumps(openai_success("ünï", "çödé")),  # UTF-8 text is fine
    _with(b'"TEXT"', b"[" * 5000 + b"]" * 5000),  # too deep for json
    b"[1]",
    b"null",
]


def test_the_fast_path_keeps_the_strict_line_rule(tmp_path: Path) -> None:
    """Every line reads as it did before the fast path: the stdlib decides each line msgspec
    refuses, and msgspec takes no line the stdlib refuses (trailing data included)."""
    data = b"".join(line + b"\n" for line in STRICT_LINES)
    results = write_job(tmp_path, "b", {"output": data})
    fast = ResultIndex(results)
    assert fast.update() == len(STRICT_LINES)
    plain = ResultIndex(ResultsFile.open(tmp_path, "b", provider="openai"), _plain(classify_openai))
    assert plain.update() == len(STRICT_LINES)
    assert _rows(fast) == _rows(plain)
    unparseable = [i for i in range(len(fast)) if fast.error_type(i) == UNPARSEABLE_LINE]
    assert unparseable == [0, 1, 2, 3, 4, 5, 6, 14, 15, 16]
    assert fast.custom_id(13) == "ünï" and fast.outcome(13) is Outcome.SUCCEEDED
    for i in (7, 8, 9, 10, 11, 12):
        assert (fast.custom_id(i), fast.outcome(i)) == ("a", Outcome.SUCCEEDED)


@pytest.mark.parametrize(
    "line",
    [
        b'{"custom_id": "a", "response": null} x',
        b'{"custom_id": "a", "response": null}{"custom_id": "b", "response": null}',
        b'{"custom_id": "a", "response": null}]',
    ],
)
def test_msgspec_refuses_trailing_data(line: bytes) -> None:
    """The fast decoders are strict on their own: nothing may follow the object."""
    assert read_openai_line("output", line) is None
    assert typed_reader(dict)(line) is None
    with pytest.raises(ValueError):
        fast_loads(line)


@pytest.mark.parametrize(
    ("bases", "provider", "source"),
    [
        (OPENAI_BASES, "openai", "output"),
        (OPENAI_BASES, "openai", "error"),
        (ANTHROPIC_BASES, "anthropic", "results"),
    ],
)
def test_index_with_and_without_fast_path_is_the_same(
    tmp_path: Path, bases: list[Any], provider: str, source: str
) -> None:
    lines = _lines(bases)
    results = write_job(tmp_path, "b", {source: b"".join(line + b"\n" for line in lines)}, provider)
    fast = ResultIndex(results)
    plain = ResultIndex(results, _plain(classifier_for(provider)))
    assert fast.update() == plain.update() == len(lines)
    assert _rows(fast) == _rows(plain)
    assert fast.counts_by_flag() == plain.counts_by_flag()
    if provider == "openai" and source == "output":
        assert fast.counts_by_flag()[ResultFlag.HTTP_ERROR] > 0


def test_saved_index_reopens_with_the_same_custom_ids(tmp_path: Path) -> None:
    """custom_ids are read back by msgspec; one msgspec refuses (a lone surrogate, which json
    reads from a "\\ud800" escape) still saves and reads back through json."""
    lines = [
        dumps(openai_success("ünï", "x")),
        dumps(openai_success("a", "x")).replace(b'"a"', b'"\\ud800"', 1),
        dumps(openai_success("b", "x")),
    ]
    results = write_job(tmp_path, "b", {"output": b"".join(line + b"\n" for line in lines)})
    built = ResultIndex.build(results)
    assert built.custom_ids == ["ünï", "\ud800", "b"]
    again = ResultIndex(ResultsFile.open(tmp_path, "b", provider="openai"))
    assert again.load() and again.custom_ids == built.custom_ids
    assert again.is_current()
    plain = [line for i, line in enumerate(lines) if i != 1]
    write_job(tmp_path, "c", {"output": b"".join(line + b"\n" for line in plain)})
    ResultIndex.build(ResultsFile.open(tmp_path, "c", provider="openai"))
    reopened = ResultIndex(ResultsFile.open(tmp_path, "c", provider="openai"))
    assert reopened.load() and reopened.custom_ids == ["ünï", "b"]
