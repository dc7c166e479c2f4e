"""Gemini's pure parts: status and count mapping, result-line parsing (every kind) and the
classifier's agreement, the {key, request} format and its round trips, Google's error shape,
the key variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from batchtui.core.inputs.convert import from_native, to_native
from batchtui.core.inputs.native import NativeFormatError, Shape, native_format
from batchtui.core.inputs.validate import validate_file
from batchtui.core.models import (
    UNPARSEABLE_LINE,
    BatchRequest,
    BatchStatus,
    Outcome,
    ResultFlag,
    ResultLine,
)
from batchtui.core.provider import AuthError, InvalidRequestError, NotFoundError, RateLimitedError
from batchtui.core.registry import provider_spec
from batchtui.providers.gemini import SPEC
from batchtui.providers.gemini.adapter import GeminiProvider, inline_lines, model_path
from batchtui.providers.gemini.classify import classify_gemini
from batchtui.providers.gemini.inputs import NATIVE
from batchtui.providers.gemini.results import parse_gemini_line
from batchtui.providers.gemini.status import gemini_counts, gemini_job, gemini_status


def operation(state: str, stats: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    return {
        "name": "batches/abc",
        "metadata": {
            "model": "models/gemini-2.5-flash",
            "state": state,
            "createTime": "2026-01-01T12:00:00.123456789Z",
            "batchStats": stats or {},
            **meta,
        },
    }


# -- spec ------------------------------------------------------------------------------------


def test_spec_is_registered_under_its_name() -> None:
    assert provider_spec("gemini") is SPEC
    assert SPEC.price_key == "google" and SPEC.id_prefix == "batches/"
    assert SPEC.base_url_env == "GOOGLE_GEMINI_BASE_URL"
    assert native_format("gemini") is NATIVE


def test_from_env_falls_back_to_google_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_GEMINI_BASE_URL", raising=False)
    with pytest.raises(AuthError, match="GEMINI_API_KEY \\(or GOOGLE_API_KEY\\)"):
        GeminiProvider.from_env()
    monkeypatch.setenv("GOOGLE_API_KEY", "AIzaGoogle")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "http://example.test")
    adapter = GeminiProvider.from_env()
    assert adapter._headers["x-goog-api-key"] == "AIzaGoogle"
    assert adapter.base_url == "http://example.test"
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaGemini")
    assert GeminiProvider.from_env()._headers["x-goog-api-key"] == "AIzaGemini"


def test_model_path() -> None:
    assert model_path("gemini-2.5-flash") == "models/gemini-2.5-flash"
    assert model_path("models/gemini-2.5-pro") == "models/gemini-2.5-pro"
    for bad in (None, "(none)", "a b", "models/../x"):
        with pytest.raises(Exception):  # noqa: B017 - BatchtuiError, message per case
            model_path(bad)


# -- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("BATCH_STATE_PENDING", BatchStatus.VALIDATING),
        ("BATCH_STATE_RUNNING", BatchStatus.IN_PROGRESS),
        ("BATCH_STATE_SUCCEEDED", BatchStatus.COMPLETED),
        ("BATCH_STATE_FAILED", BatchStatus.FAILED),
        ("BATCH_STATE_CANCELLED", BatchStatus.CANCELLED),
        ("BATCH_STATE_EXPIRED", BatchStatus.EXPIRED),
        ("JOB_STATE_SUCCEEDED", BatchStatus.COMPLETED),
        ("JOB_STATE_CANCELLING", BatchStatus.CANCELLING),
        ("JOB_STATE_PARTIALLY_SUCCEEDED", BatchStatus.COMPLETED),
        ("BATCH_STATE_UNSPECIFIED", BatchStatus.IN_PROGRESS),
        ("SOMETHING_NEW", BatchStatus.IN_PROGRESS),
    ],
)
def test_status_map(raw: str, status: BatchStatus) -> None:
    assert gemini_status(raw) is status


def test_counts_running_and_ended() -> None:
    stats = {
        "requestCount": "10",
        "successfulRequestCount": "4",
        "failedRequestCount": 1,
        "pendingRequestCount": "5",
    }
    running = gemini_counts(stats, BatchStatus.IN_PROGRESS)
    assert (running.total, running.processing, running.succeeded, running.errored) == (10, 5, 4, 1)
    assert gemini_counts(stats, BatchStatus.CANCELLED).canceled == 5
    assert gemini_counts(stats, BatchStatus.EXPIRED).expired == 5
    assert gemini_counts({"requestCount": "x"}, BatchStatus.IN_PROGRESS).total == 0


def test_job_snapshot() -> None:
    job = gemini_job(
        operation(
            "BATCH_STATE_SUCCEEDED",
            {"requestCount": "2", "successfulRequestCount": "2"},
            endTime="2026-01-01T13:00:00Z",
            inputConfig={"fileName": "files/in"},
            output={"responsesFile": "files/out"},
        ),
        profile="p",
    )
    assert job.id == "batches/abc" and job.model == "gemini-2.5-flash" and job.profile == "p"
    assert job.status is BatchStatus.COMPLETED and job.results_available
    assert job.input_file_id == "files/in" and job.output_file_id == "files/out"
    assert job.times.completed_at == job.times.ended_at and job.times.ended_at is not None
    assert job.times.created_at is not None and job.times.expires_at is not None
    assert (job.times.expires_at - job.times.created_at).total_seconds() == 48 * 3600
    inline = gemini_job(
        operation("BATCH_STATE_CANCELLED", output={"inlinedResponses": {"inlinedResponses": [{}]}})
    )
    assert inline.results_available and inline.status is BatchStatus.CANCELLED
    expired = gemini_job(operation("BATCH_STATE_EXPIRED", output={"responsesFile": "files/x"}))
    assert not expired.results_available
    assert not gemini_job(operation("BATCH_STATE_RUNNING")).results_available


# -- result lines ----------------------------------------------------------------------------


def line(obj: Any, source: str = "output") -> ResultLine:
    return ResultLine(source, json.dumps(obj).encode() if not isinstance(obj, bytes) else obj)


SUCCESS = {
    "key": "a",
    "response": {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "thinking", "thought": True},
                        {"text": "Hel"},
                        {"text": "lo"},
                    ],
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 100,
            "cachedContentTokenCount": 40,
            "candidatesTokenCount": 7,
            "thoughtsTokenCount": 5,
            "toolUsePromptTokenCount": 3,
            "totalTokenCount": 115,
        },
        "modelVersion": "gemini-2.5-flash",
    },
}

LINES: list[tuple[Any, str, Outcome, ResultFlag | None, str | None]] = [
    (SUCCESS, "a", Outcome.SUCCEEDED, None, None),
    (
        {"key": "t", "response": {"candidates": [{"finishReason": "MAX_TOKENS"}]}},
        "t",
        Outcome.SUCCEEDED,
        ResultFlag.TRUNCATED,
        None,
    ),
    (
        {"key": "f", "response": {"candidates": [{"finishReason": "SAFETY"}]}},
        "f",
        Outcome.SUCCEEDED,
        ResultFlag.FILTERED,
        None,
    ),
    (
        {"key": "b", "response": {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}},
        "b",
        Outcome.SUCCEEDED,
        ResultFlag.FILTERED,
        None,
    ),
    (
        {"key": "e", "error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}},
        "e",
        Outcome.ERRORED,
        None,
        "INVALID_ARGUMENT",
    ),
    ({"key": "x"}, "x", Outcome.ERRORED, None, "invalid_result_line"),
    ({"response": {"candidates": []}}, "", Outcome.SUCCEEDED, None, None),
]


@pytest.mark.parametrize(("obj", "cid", "outcome", "flag", "error_type"), LINES)
def test_parse_and_classify_agree(
    obj: Any, cid: str, outcome: Outcome, flag: ResultFlag | None, error_type: str | None
) -> None:
    parsed = parse_gemini_line(line(obj))
    assert (parsed.custom_id, parsed.outcome, parsed.flag) == (cid, outcome, flag)
    assert (parsed.error.type if parsed.error else None) == error_type
    assert classify_gemini("output", obj) == (cid, outcome, flag, error_type)


def test_success_text_and_usage() -> None:
    parsed = parse_gemini_line(line(SUCCESS))
    assert parsed.text == "Hello" and parsed.finish_reason == "STOP"
    assert parsed.model == "gemini-2.5-flash"
    usage = parsed.usage
    assert usage is not None
    assert (usage.input_tokens, usage.cached_input_tokens) == (103, 40)
    assert (usage.output_tokens, usage.reasoning_tokens) == (12, 5)
    assert usage.uncached_input_tokens == 63


def test_error_code_is_the_reason() -> None:
    obj = {
        "key": "q",
        "error": {
            "code": 429,
            "message": "slow down",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "x", "reason": "RATE_LIMIT_EXCEEDED"}],
        },
    }
    err = parse_gemini_line(line(obj)).error
    assert err is not None and (err.type, err.code, err.message) == (
        "RESOURCE_EXHAUSTED",
        "RATE_LIMIT_EXCEEDED",
        "slow down",
    )
    plain = parse_gemini_line(line({"key": "p", "error": {"code": 500, "message": "m"}})).error
    assert plain is not None and (plain.type, plain.code) == (None, "500")


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"key": "a"} trailing', b'"str"'])
def test_unparseable_lines(raw: bytes) -> None:
    parsed = parse_gemini_line(line(raw))
    assert parsed.outcome is Outcome.ERRORED and parsed.custom_id == ""
    assert parsed.error is not None and parsed.error.type == UNPARSEABLE_LINE


def test_inline_lines_resume_by_offset() -> None:
    responses = [
        {"response": {"candidates": []}, "metadata": {"key": "m0"}},
        {"error": {"code": 400, "message": "x", "status": "INVALID_ARGUMENT"}},
        {"response": {"candidates": []}},
    ]
    seen: list[tuple[int, int | None]] = []
    lines = inline_lines(responses, 0, lambda d, t: seen.append((d, t)))
    keys = [json.loads(item.data)["key"] for item in lines]
    assert keys == ["m0", "1", "2"] and all(item.source == "inline" for item in lines)
    assert lines[-1].end == seen[-1][0]
    assert [r.custom_id for r in map(parse_gemini_line, lines)] == ["m0", "1", "2"]
    first_end = lines[0].end
    assert first_end is not None
    assert [item.data for item in inline_lines(responses, first_end, None)] == [
        item.data for item in lines[1:]
    ]


# -- input format ----------------------------------------------------------------------------

NEUTRAL = {
    "model": "gemini-2.5-flash",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": "!"}],
        },
        {"role": "user", "content": "Bye"},
    ],
    "max_tokens": 50,
    "temperature": 0.5,
    "top_p": 0.9,
    "stop": ["END"],
}


def test_neutral_to_native() -> None:
    native = to_native(BatchRequest("c1", NEUTRAL), "gemini")
    assert native == {
        "key": "c1",
        "request": {
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}]},
                {"role": "model", "parts": [{"text": "Hello"}, {"text": "!"}]},
                {"role": "user", "parts": [{"text": "Bye"}]},
            ],
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "generationConfig": {
                "maxOutputTokens": 50,
                "temperature": 0.5,
                "topP": 0.9,
                "stopSequences": ["END"],
            },
        },
    }


def test_neutral_native_neutral_round_trip() -> None:
    back = from_native(to_native(BatchRequest("c1", NEUTRAL), "gemini"), "gemini")
    expected = {k: v for k, v in NEUTRAL.items() if k != "model"}  # the model is on the batch
    assert back == BatchRequest("c1", expected, None)
    system_param = {"system": "Sys", "messages": [{"role": "user", "content": "x"}], "stop": "S"}
    native = to_native(BatchRequest("s", system_param), "gemini")
    assert native["request"]["systemInstruction"] == {"parts": [{"text": "Sys"}]}
    assert native["request"]["generationConfig"] == {"stopSequences": ["S"]}


@pytest.mark.parametrize(
    "request_",
    [
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        {"contents": [{"parts": [{"text": "no role"}]}]},
        {"contents": [{"role": "user", "parts": [{"inlineData": {"mimeType": "image/png"}}]}]},
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}], "tools": [{"googleSearch": {}}]},
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}], "generationConfig": {}},
        {
            "contents": [{"role": "user", "parts": [{"text": "x"}]}],
            "generationConfig": {"topK": 3, "maxOutputTokens": 5},
        },
    ],
)
def test_native_neutral_native_is_identity(request_: dict[str, Any]) -> None:
    line_ = {"key": "k", "request": request_}
    assert to_native(from_native(line_, "gemini"), "gemini") == line_


def test_split_and_errors() -> None:
    assert NATIVE.split({"key": "k", "request": {"contents": []}}, False) == (
        "k",
        {"contents": []},
        None,
        None,
    )
    for bad, code in (
        ([], "not_object"),
        ({"key": "k"}, "missing_request"),
        ({"request": 1}, "bad_request"),
    ):
        with pytest.raises(Shape) as caught:
            NATIVE.split(bad, False)
        assert caught.value.code == code
    for bad_line in ([], {"request": {}}, {"key": "k", "request": "x"}):
        with pytest.raises(NativeFormatError):
            NATIVE.from_native(bad_line)


def test_validation_of_native_and_neutral_files(tmp_path: Path) -> None:
    native = tmp_path / "native.jsonl"
    native.write_text(
        json.dumps(
            {"key": "a", "request": {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}}
        )
        + "\n"
        + json.dumps({"key": "b", "request": {"contents": []}})
        + "\n"
    )
    report = validate_file(native, "gemini")
    codes = [issue.code for issue in report.issues]
    assert codes == ["missing_contents"]
    neutral = tmp_path / "neutral.jsonl"
    rows = [
        {"custom_id": "a", "model": "m1", "messages": [{"role": "user", "content": "x"}]},
        {"custom_id": "b", "model": "m2", "messages": [{"role": "user", "content": "y"}]},
        {
            "custom_id": "c",
            "model": "m1",
            "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
        },
    ]
    neutral.write_text("".join(json.dumps(r) + "\n" for r in rows))
    issues = validate_file(neutral, "gemini", fmt="neutral").issues
    assert [(issue.line, issue.code) for issue in issues] == [
        (2, "model_mismatch"),
        (3, "unsupported_content"),
    ]


# -- Google's error shape --------------------------------------------------------------------


def google_body(code: int, status: str, message: str, reason: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (
            400,
            google_body(400, "INVALID_ARGUMENT", "API key not valid.", "API_KEY_INVALID"),
            AuthError,
            "API_KEY_INVALID",
        ),
        (403, google_body(403, "PERMISSION_DENIED", "no"), AuthError, "PERMISSION_DENIED"),
        (404, google_body(404, "NOT_FOUND", "gone"), NotFoundError, "NOT_FOUND"),
        (
            400,
            google_body(400, "INVALID_ARGUMENT", "bad field"),
            InvalidRequestError,
            "INVALID_ARGUMENT",
        ),
        (
            429,
            google_body(429, "RESOURCE_EXHAUSTED", "slow"),
            RateLimitedError,
            "RESOURCE_EXHAUSTED",
        ),
    ],
)
async def test_google_errors_are_typed(
    status: int, body: dict[str, Any], cls: type[Exception], code: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-goog-api-key"] == "AIzaK"
        return httpx.Response(status, json=body)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    adapter = GeminiProvider("AIzaK", base_url="http://g.test", client=client, max_retries=0)
    try:
        with pytest.raises(cls) as caught:
            await adapter.get("batches/x")
    finally:
        await client.aclose()
    err = caught.value
    assert getattr(err, "code", None) == code
    assert getattr(err, "error_type", None) == body["error"]["status"]
    assert getattr(err, "message", None) == body["error"]["message"]


def test_with_max_tokens_sets_the_generation_config() -> None:
    line_ = {"key": "k", "request": {"contents": [], "generationConfig": {"temperature": 0.1}}}
    changed = NATIVE.with_max_tokens(line_, 77)
    assert changed["request"]["generationConfig"] == {"temperature": 0.1, "maxOutputTokens": 77}
    bare = NATIVE.with_max_tokens({"key": "k", "request": {"contents": []}}, 5)
    assert bare["request"]["generationConfig"] == {"maxOutputTokens": 5}
