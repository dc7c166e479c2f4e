"""parse_result on hand-written result lines of every kind, for both providers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from batchtui.core.models import Outcome, ResultFlag, ResultLine, Usage
from batchtui.providers.anthropic import AnthropicProvider
from batchtui.providers.openai import OpenAIProvider

openai = OpenAIProvider("k", "http://unused.test/v1")
anthropic = AnthropicProvider("k", "http://unused.test")


def oa(source: str, obj: Any) -> ResultLine:
    return ResultLine(source, json.dumps(obj).encode())


def chat_line(message: dict, finish: str = "stop", usage: dict | None = None) -> dict:
    return {
        "id": "batch_req_1",
        "custom_id": "r1",
        "response": {
            "status_code": 200,
            "request_id": "req_1",
            "body": {
                "object": "chat.completion",
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage
                or {
                    "prompt_tokens": 10,
                    "completion_tokens": 5,
                    "total_tokens": 15,
                    "prompt_tokens_details": {"cached_tokens": 4},
                    "completion_tokens_details": {"reasoning_tokens": 2},
                },
            },
        },
        "error": None,
    }


# --- OpenAI ----------------------------------------------------------------------------------


def test_openai_chat_success() -> None:
    result = openai.parse_result(oa("output", chat_line({"role": "assistant", "content": "Hi"})))
    assert result.custom_id == "r1"
    assert result.outcome is Outcome.SUCCEEDED
    assert result.text == "Hi"
    assert result.finish_reason == "stop"
    assert result.flag is None
    assert result.model == "gpt-4o-mini-2024-07-18"
    assert result.usage == Usage(
        input_tokens=10, output_tokens=5, cached_input_tokens=4, reasoning_tokens=2
    )
    assert result.raw["id"] == "batch_req_1"


@pytest.mark.parametrize(
    ("finish", "flag"),
    [("length", ResultFlag.TRUNCATED), ("content_filter", ResultFlag.FILTERED)],
)
def test_openai_chat_finish_flags(finish: str, flag: ResultFlag) -> None:
    line = chat_line({"role": "assistant", "content": "cut"}, finish=finish)
    result = openai.parse_result(oa("output", line))
    assert result.outcome is Outcome.SUCCEEDED
    assert result.flag is flag


def test_openai_chat_refusal() -> None:
    line = chat_line({"role": "assistant", "content": None, "refusal": "I can't help with that."})
    result = openai.parse_result(oa("output", line))
    assert result.outcome is Outcome.SUCCEEDED
    assert result.flag is ResultFlag.REFUSED
    assert result.text == "I can't help with that."


def test_openai_responses_success() -> None:
    line = {
        "custom_id": "r2",
        "response": {
            "status_code": 200,
            "body": {
                "object": "response",
                "model": "gpt-5",
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
                "output": [
                    {"type": "reasoning", "summary": []},
                    {
                        "type": "message",
                        "content": [
                            {"type": "output_text", "text": "Hello "},
                            {"type": "output_text", "text": "world"},
                        ],
                    },
                ],
                "usage": {
                    "input_tokens": 7,
                    "output_tokens": 9,
                    "input_tokens_details": {"cached_tokens": 1},
                    "output_tokens_details": {"reasoning_tokens": 3},
                },
            },
        },
        "error": None,
    }
    result = openai.parse_result(oa("output", line))
    assert result.outcome is Outcome.SUCCEEDED
    assert result.text == "Hello world"
    assert result.flag is ResultFlag.TRUNCATED
    assert result.finish_reason == "max_output_tokens"
    assert result.usage == Usage(
        input_tokens=7, output_tokens=9, cached_input_tokens=1, reasoning_tokens=3
    )


def test_openai_embeddings_success() -> None:
    line = {
        "custom_id": "e1",
        "response": {
            "status_code": 200,
            "body": {
                "object": "list",
                "data": [{"object": "embedding", "embedding": [0.1, 0.2, 0.3], "index": 0}],
                "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 4, "total_tokens": 4},
            },
        },
        "error": None,
    }
    result = openai.parse_result(oa("output", line))
    assert result.outcome is Outcome.SUCCEEDED
    assert result.text == "1 embedding of 3 dimensions"
    assert result.usage == Usage(input_tokens=4)


def test_openai_completions_success() -> None:
    line = {
        "custom_id": "c1",
        "response": {
            "status_code": 200,
            "body": {
                "object": "text_completion",
                "choices": [{"text": "once upon", "finish_reason": "length"}],
            },
        },
        "error": None,
    }
    result = openai.parse_result(oa("output", line))
    assert (result.text, result.flag) == ("once upon", ResultFlag.TRUNCATED)


def _http_error_line(status: int) -> dict:
    return {
        "id": "batch_req_2",
        "custom_id": "r3",
        "response": {
            "status_code": status,
            "request_id": "req_2",
            "body": {
                "error": {
                    "message": "Invalid model",
                    "type": "invalid_request_error",
                    "param": "model",
                    "code": "model_not_found",
                }
            },
        },
        "error": None,
    }


def test_openai_http_error_in_error_file() -> None:
    result = openai.parse_result(oa("error", _http_error_line(400)))
    assert result.outcome is Outcome.ERRORED
    assert result.flag is None
    assert result.error is not None
    assert (result.error.type, result.error.code, result.error.message) == (
        "invalid_request_error",
        "model_not_found",
        "Invalid model",
    )


def test_openai_http_error_in_output_file_is_flagged() -> None:
    result = openai.parse_result(oa("output", _http_error_line(500)))
    assert result.outcome is Outcome.ERRORED
    assert result.flag is ResultFlag.HTTP_ERROR


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("batch_expired", Outcome.EXPIRED),
        ("batch_cancelled", Outcome.CANCELED),
        ("some_other_failure", Outcome.ERRORED),
    ],
)
def test_openai_top_level_errors(code: str, outcome: Outcome) -> None:
    line = {
        "id": "batch_req_3",
        "custom_id": "r4",
        "response": None,
        "error": {"code": code, "message": "not run"},
    }
    result = openai.parse_result(oa("error", line))
    assert result.outcome is outcome
    assert result.error is not None and result.error.code == code
    assert result.error.message == "not run"


def test_openai_unreadable_line_is_an_errored_result() -> None:
    result = openai.parse_result(ResultLine("output", b"{not json"))
    assert result.outcome is Outcome.ERRORED
    assert result.error is not None and result.error.type == "unparseable_line"


# --- Anthropic -------------------------------------------------------------------------------


def an(obj: Any) -> ResultLine:
    return ResultLine("results", json.dumps(obj).encode())


def succeeded(stop: str = "end_turn", content: list | None = None) -> dict:
    return {
        "custom_id": "a1",
        "result": {
            "type": "succeeded",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": content
                if content is not None
                else [
                    {"type": "thinking", "thinking": "hmm", "signature": "s"},
                    {"type": "text", "text": "Hello"},
                    {"type": "tool_use", "id": "t", "name": "f", "input": {}},
                    {"type": "text", "text": ", there"},
                ],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 11,
                    "output_tokens": 22,
                    "cache_read_input_tokens": 5,
                    "cache_creation_input_tokens": 6,
                },
            },
        },
    }


def test_anthropic_success() -> None:
    result = anthropic.parse_result(an(succeeded()))
    assert result.outcome is Outcome.SUCCEEDED
    assert result.text == "Hello, there"
    assert result.finish_reason == "end_turn"
    assert result.flag is None
    assert result.model == "claude-sonnet-4-5"
    # The neutral input_tokens counts every prompt token: Anthropic's 11 plus the 5 read from
    # and the 6 written to the cache, which stay visible as its parts.
    assert result.usage == Usage(
        input_tokens=22, output_tokens=22, cached_input_tokens=5, cache_creation_input_tokens=6
    )
    assert result.usage.uncached_input_tokens == 11


@pytest.mark.parametrize(
    ("stop", "flag"), [("max_tokens", ResultFlag.TRUNCATED), ("refusal", ResultFlag.REFUSED)]
)
def test_anthropic_stop_reason_flags(stop: str, flag: ResultFlag) -> None:
    result = anthropic.parse_result(an(succeeded(stop)))
    assert result.outcome is Outcome.SUCCEEDED
    assert result.flag is flag


def test_anthropic_success_without_text() -> None:
    assert anthropic.parse_result(an(succeeded(content=[]))).text is None


def test_anthropic_errored_uses_nested_type() -> None:
    line = {
        "custom_id": "a2",
        "result": {
            "type": "errored",
            "error": {
                "type": "error",
                "error": {"type": "invalid_request_error", "message": "max_tokens: too big"},
                "request_id": "req_011X",
            },
        },
    }
    result = anthropic.parse_result(an(line))
    assert result.outcome is Outcome.ERRORED
    assert result.error is not None
    assert (result.error.type, result.error.message) == (
        "invalid_request_error",
        "max_tokens: too big",
    )
    assert result.raw["result"]["error"]["request_id"] == "req_011X"


@pytest.mark.parametrize(
    ("kind", "outcome"), [("canceled", Outcome.CANCELED), ("expired", Outcome.EXPIRED)]
)
def test_anthropic_not_run(kind: str, outcome: Outcome) -> None:
    result = anthropic.parse_result(an({"custom_id": "a3", "result": {"type": kind}}))
    assert (result.custom_id, result.outcome, result.error) == ("a3", outcome, None)


def test_anthropic_unknown_result_type() -> None:
    result = anthropic.parse_result(an({"custom_id": "a4", "result": {"type": "mystery"}}))
    assert result.outcome is Outcome.ERRORED
    assert result.error is not None and result.error.type == "invalid_result_line"


# --- lines that are not results ----------------------------------------------------------------

NOT_OBJECTS = [b"[1, 2]", b'"x"', b"3", b"null", b"true", b"not json", b"", b"{", b"\xff\xfe{}"]


def _garbage_after(obj: dict) -> list[bytes]:
    line = json.dumps(obj).encode()
    return [line + b" xyz", line + b"}", line + b" " + line, line + b"\x00"]


@pytest.mark.parametrize("data", NOT_OBJECTS)
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_line_that_is_not_a_json_object_is_unparseable(kind: str, data: bytes) -> None:
    adapter = openai if kind == "openai" else anthropic
    result = adapter.parse_result(ResultLine("output" if kind == "openai" else "results", data))
    assert (result.custom_id, result.outcome, result.usage) == ("", Outcome.ERRORED, None)
    assert result.error is not None and result.error.type == "unparseable_line"
    assert result.error.message and result.raw == {}


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_anything_after_the_object_makes_the_line_unparseable(kind: str) -> None:
    if kind == "openai":
        adapter, source, good = openai, "output", chat_line({"role": "assistant", "content": "x"})
    else:
        adapter, source, good = anthropic, "results", succeeded()
    for data in _garbage_after(good):
        result = adapter.parse_result(ResultLine(source, data))
        assert result.error is not None and result.error.type == "unparseable_line", data
        assert result.custom_id == "" and result.usage is None
    for blanks in (b" ", b"\t \r", b"\r"):  # blanks after the object are fine
        result = adapter.parse_result(ResultLine(source, json.dumps(good).encode() + blanks))
        assert result.outcome is Outcome.SUCCEEDED and result.usage is not None


ODD_VALUES: list[Any] = [None, 3, -4, 2.5, True, "s", [], [1], {}, {"a": 1}]


def _odd_variants(obj: Any, depth: int = 0) -> list[Any]:
    """Copies of ``obj`` with one value somewhere replaced by a value of an unexpected type."""
    out: list[Any] = []
    if depth > 6:
        return out
    if isinstance(obj, dict):
        for key, value in obj.items():
            for odd in ODD_VALUES:
                out.append({**obj, key: odd})
            out += [{**obj, key: v} for v in _odd_variants(value, depth + 1)]
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out += [[*obj[:i], v, *obj[i + 1 :]] for v in _odd_variants(value, depth + 1)]
    return out


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_objects_of_odd_shapes_never_make_the_parser_raise(kind: str) -> None:
    """Any JSON object parses to some result (the results view and costs rely on it)."""
    if kind == "openai":
        bases = [
            chat_line({"role": "assistant", "content": "x"}),
            _http_error_line(400),
            {"custom_id": "e", "response": None, "error": {"code": "batch_expired"}},
        ]
        adapter, source = openai, "output"
    else:
        bases = [succeeded(), {"custom_id": "c", "result": {"type": "canceled"}}]
        adapter, source = anthropic, "results"
    for base in bases:
        for variant in _odd_variants(base):
            result = adapter.parse_result(ResultLine(source, json.dumps(variant).encode()))
            assert isinstance(result.outcome, Outcome)
            usage = result.usage
            assert usage is None or min(usage.as_dict().values()) >= 0
