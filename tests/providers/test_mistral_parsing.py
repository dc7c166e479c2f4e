"""Mistral's status map, job mapping, result-line parser and cheap classifier (pure units)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from batchtui.core.models import UNPARSEABLE_LINE, BatchStatus, Outcome, ResultFlag, ResultLine
from batchtui.core.results.classify import classifier_for
from batchtui.providers.mistral.classify import classify_mistral
from batchtui.providers.mistral.results import parse_mistral_line
from batchtui.providers.mistral.status import MISTRAL_STATUS, mistral_job, mistral_status

T0 = 1_767_268_800


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("QUEUED", BatchStatus.VALIDATING),
        ("RUNNING", BatchStatus.IN_PROGRESS),
        ("SUCCESS", BatchStatus.COMPLETED),
        ("FAILED", BatchStatus.FAILED),
        ("TIMEOUT_EXCEEDED", BatchStatus.EXPIRED),
        ("CANCELLATION_REQUESTED", BatchStatus.CANCELLING),
        ("CANCELLED", BatchStatus.CANCELLED),
        ("SOMETHING_NEW", BatchStatus.IN_PROGRESS),
    ],
)
def test_status_map(raw: str, status: BatchStatus) -> None:
    assert mistral_status(raw) is status


def test_every_sdk_status_is_mapped() -> None:
    from typing import get_args

    from mistralai.client.models import BatchJobStatus

    literal = get_args(BatchJobStatus)[0]
    assert set(get_args(literal)) == set(MISTRAL_STATUS)


def job(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "6b9c0f5e-0000-4000-8000-000000000001",
        "object": "batch",
        "input_files": ["file-1"],
        "endpoint": "/v1/chat/completions",
        "model": "mistral-small-latest",
        "metadata": {"run": "x"},
        "errors": [],
        "status": "RUNNING",
        "created_at": T0,
        "started_at": T0 + 5,
        "completed_at": None,
        "output_file": None,
        "error_file": None,
        "total_requests": 10,
        "completed_requests": 4,
        "succeeded_requests": 3,
        "failed_requests": 1,
    }
    return {**base, **fields}


def test_running_job() -> None:
    snap = mistral_job(job(), profile="p")
    assert snap.provider == "mistral" and snap.profile == "p" and snap.raw_status == "RUNNING"
    assert snap.counts.as_dict() == {
        "total": 10,
        "processing": 6,
        "succeeded": 3,
        "errored": 1,
        "canceled": 0,
        "expired": 0,
    }
    assert snap.times.created_at == datetime.fromtimestamp(T0, UTC)
    assert snap.times.in_progress_at == datetime.fromtimestamp(T0 + 5, UTC)
    assert snap.times.ended_at is None and not snap.results_available
    assert snap.input_file_id == "file-1" and snap.metadata == {"run": "x"}
    assert snap.model == "mistral-small-latest" and snap.endpoint == "/v1/chat/completions"


@pytest.mark.parametrize(
    ("raw", "field", "rest"),
    [
        ("CANCELLED", "cancelled_at", "canceled"),
        ("TIMEOUT_EXCEEDED", "expired_at", "expired"),
        ("FAILED", "failed_at", "errored"),
        ("SUCCESS", "completed_at", "errored"),
    ],
)
def test_ended_jobs(raw: str, field: str, rest: str) -> None:
    snap = mistral_job(job(status=raw, completed_at=T0 + 60, output_file="out-1"))
    ended = datetime.fromtimestamp(T0 + 60, UTC)
    assert snap.times.ended_at == ended and getattr(snap.times, field) == ended
    others = {"cancelled_at", "expired_at", "failed_at", "completed_at"} - {field}
    assert all(getattr(snap.times, name) is None for name in others)
    assert snap.counts.processing == 0 and snap.results_available
    expected = 6 + (1 if rest == "errored" else 0)
    assert getattr(snap.counts, rest) == expected


def test_failed_job_errors_and_malformed_fields() -> None:
    snap = mistral_job(
        job(
            status="FAILED",
            errors=[{"message": "bad line", "count": 3}, {"message": "other"}, "junk"],
            total_requests="many",
            metadata=None,
            input_files=None,
        )
    )
    assert [e.message for e in snap.errors] == ["bad line (3 times)", "other"]
    assert snap.counts.total == 0 and snap.metadata == {} and snap.input_file_id is None
    assert not snap.results_available


def line(obj: Any, source: str = "output") -> ResultLine:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return ResultLine(source, data)


def chat_body(text: Any = "Bonjour", finish: str = "stop", **usage: int) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion",
        "model": "mistral-small-latest",
        "created": T0,
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15, **usage},
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
        ],
    }


SUCCESS = {
    "id": "b1",
    "custom_id": "a",
    "response": {"status_code": 200, "body": chat_body()},
    "error": None,
}

CASES: list[tuple[str, Any, str, Outcome, ResultFlag | None, str | None]] = [
    ("success", SUCCESS, "output", Outcome.SUCCEEDED, None, None),
    (
        "length",
        {"custom_id": "a", "response": {"status_code": 200, "body": chat_body(finish="length")}},
        "output",
        Outcome.SUCCEEDED,
        ResultFlag.TRUNCATED,
        None,
    ),
    (
        "model_length",
        {
            "custom_id": "a",
            "response": {"status_code": 200, "body": chat_body(finish="model_length")},
        },
        "output",
        Outcome.SUCCEEDED,
        ResultFlag.TRUNCATED,
        None,
    ),
    (
        "http error in output",
        {
            "custom_id": "a",
            "response": {
                "status_code": 400,
                "body": {
                    "object": "error",
                    "message": "bad",
                    "type": "invalid_request_error",
                    "code": None,
                },
            },
        },
        "output",
        Outcome.ERRORED,
        ResultFlag.HTTP_ERROR,
        "invalid_request_error",
    ),
    (
        "http error in error file, nested",
        {
            "custom_id": "a",
            "response": {
                "status_code": 500,
                "body": {"error": {"message": "boom", "type": "server_error"}},
            },
        },
        "error",
        Outcome.ERRORED,
        None,
        "server_error",
    ),
    (
        "top-level error object",
        {"custom_id": "a", "response": None, "error": {"message": "Internal", "code": "3000"}},
        "error",
        Outcome.ERRORED,
        None,
        "3000",
    ),
    (
        "top-level error string",
        {"custom_id": "a", "error": "timed out"},
        "error",
        Outcome.ERRORED,
        None,
        None,
    ),
    (
        "no status code, answer body",
        {"custom_id": "a", "response": {"body": chat_body()}},
        "output",
        Outcome.SUCCEEDED,
        None,
        None,
    ),
    (
        "no status code, error beside",
        {"custom_id": "a", "response": {"body": chat_body()}, "error": {"message": "x", "code": 7}},
        "output",
        Outcome.ERRORED,
        ResultFlag.HTTP_ERROR,
        "7",
    ),
    (
        "status 200 wins over a stray error",
        {
            "custom_id": "a",
            "response": {"status_code": 200, "body": chat_body()},
            "error": {"message": "x"},
        },
        "output",
        Outcome.SUCCEEDED,
        None,
        None,
    ),
    ("neither", {"custom_id": "a"}, "output", Outcome.ERRORED, None, None),
    (
        "custom_id not a string",
        {"custom_id": 5, "response": {"status_code": 200, "body": chat_body()}},
        "output",
        Outcome.SUCCEEDED,
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "obj", "source", "outcome", "flag", "etype"), CASES, ids=[c[0] for c in CASES]
)
def test_parser_and_classifier_agree(
    name: str, obj: Any, source: str, outcome: Outcome, flag: ResultFlag | None, etype: str | None
) -> None:
    result = parse_mistral_line(line(obj, source))
    assert (result.outcome, result.flag) == (outcome, flag)
    assert (result.error.type if result.error else None) == etype
    cid, c_outcome, c_flag, c_type = classify_mistral(source, obj)
    expected_id = obj["custom_id"] if isinstance(obj.get("custom_id"), str) else ""
    assert (cid, c_outcome, c_flag, c_type) == (expected_id, outcome, flag, etype)
    assert result.custom_id == expected_id


def test_success_details() -> None:
    result = parse_mistral_line(line(SUCCESS))
    assert result.text == "Bonjour" and result.finish_reason == "stop"
    assert result.model == "mistral-small-latest" and result.raw == SUCCESS
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (12, 3)


def test_text_of_chunks_cached_tokens_and_other_endpoints() -> None:
    chunks = [
        {"type": "thinking", "thinking": []},
        {"type": "text", "text": "A"},
        {"type": "text", "text": "B"},
    ]
    body = chat_body(chunks)
    body["usage"]["prompt_tokens_details"] = {"cached_tokens": 5}
    result = parse_mistral_line(
        line({"custom_id": "a", "response": {"status_code": 200, "body": body}})
    )
    assert (
        result.text == "AB" and result.usage is not None and result.usage.cached_input_tokens == 5
    )
    emb = {
        "object": "list",
        "model": "mistral-embed",
        "usage": {"prompt_tokens": 4},
        "data": [{"embedding": [0.1, 0.2]}] * 2,
    }
    result = parse_mistral_line(
        line({"custom_id": "e", "response": {"status_code": 200, "body": emb}})
    )
    assert result.text == "2 embeddings of 2 dimensions" and result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (4, 0)
    mod = {
        "results": [
            {"categories": {"violence": True, "pii": False}},
            {"categories": {"pii": False}},
        ]
    }
    result = parse_mistral_line(
        line({"custom_id": "m", "response": {"status_code": 200, "body": mod}})
    )
    assert result.text == "1 of 2 inputs flagged"
    ocr = {"pages": [{"markdown": "# one"}, {"markdown": "two"}]}
    result = parse_mistral_line(
        line({"custom_id": "o", "response": {"status_code": 200, "body": ocr}})
    )
    assert result.text == "# one\n\ntwo"


def test_error_messages() -> None:
    http = {"custom_id": "a", "response": {"status_code": 422, "body": {"detail": "model missing"}}}
    result = parse_mistral_line(line(http, "error"))
    assert result.error is not None and result.error.message == "request failed with HTTP 422"
    flat = {
        "custom_id": "a",
        "response": {
            "status_code": 400,
            "body": {"object": "error", "message": "Bad model", "code": 1500},
        },
    }
    result = parse_mistral_line(line(flat, "error"))
    assert result.error is not None and (result.error.message, result.error.code) == (
        "Bad model",
        "1500",
    )
    result = parse_mistral_line(line({"custom_id": "a"}, "error"))
    assert result.error is not None and result.error.message == "request has no response"


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'{"custom_id": "a"} trailing'])
def test_unparseable_lines(data: bytes) -> None:
    result = parse_mistral_line(ResultLine("output", data))
    assert result.outcome is Outcome.ERRORED and result.error is not None
    assert result.error.type == UNPARSEABLE_LINE and result.custom_id == ""


def test_registry_finds_the_classifier() -> None:
    assert classifier_for("mistral") is classify_mistral
