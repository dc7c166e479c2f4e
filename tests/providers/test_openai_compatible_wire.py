"""OpenAI-compatible presets over httpx.MockTransport: each preset's request shapes (auth
header, api-version, purpose, model header, lines, windows) and how answers are read
(Together's job wrapper, UPPERCASE statuses, percent progress, ISO times, unpaged lists)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from batchtui.core.models import BatchStatus, RequestCounts
from batchtui.core.provider import BatchtuiError, InvalidRequestError, SubmitOptions
from batchtui.providers.openai_compatible.adapter import (
    AzureProvider,
    CompatibleProvider,
    GenericProvider,
    GroqProvider,
    LiteLLMProvider,
    TogetherProvider,
)
from batchtui.providers.openai_compatible.status import progress_percent

Handler = Callable[[httpx.Request], httpx.Response]

OPENAI_BATCH = {
    "id": "batch_1",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "file-1",
    "completion_window": "24h",
    "status": "in_progress",
    "created_at": 1767268800,
    "request_counts": {"total": 4, "completed": 1, "failed": 1},
}

TOGETHER_JOB = {
    "id": "3f0c5b0e-0000-4000-8000-000000000001",
    "user_id": "u1",
    "input_file_id": "file-t1",
    "file_size_bytes": 120,
    "status": "IN_PROGRESS",
    "job_deadline": "2026-01-02T12:00:00Z",
    "created_at": "2026-01-01T12:00:00.123456789Z",
    "endpoint": "/v1/chat/completions",
    "progress": 42.5,
    "model_id": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
}


class Recorder:
    """A MockTransport handler that records every request and answers from a table."""

    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.read())
        answer = self.answers.get((request.method, request.url.path))
        if answer is None:
            return httpx.Response(404, json={"error": {"message": "no such route"}})
        return httpx.Response(200, json=answer)

    def only(self, method: str, path: str) -> tuple[httpx.Request, bytes]:
        found = [
            (r, b)
            for r, b in zip(self.requests, self.bodies, strict=True)
            if (r.method, r.url.path) == (method, path)
        ]
        assert len(found) == 1, [(r.method, r.url.path) for r in self.requests]
        return found[0]


@pytest.fixture
async def build() -> AsyncIterator[Callable[..., Any]]:
    """build(cls, recorder, base_url, api_key=..., **options) -> adapter over MockTransport."""
    made: list[CompatibleProvider] = []
    clients: list[httpx.AsyncClient] = []

    def factory(
        cls: type[CompatibleProvider],
        recorder: Recorder,
        base_url: str | None,
        *,
        api_key: str = "key-123",
        **options: Any,
    ) -> Any:
        client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
        clients.append(client)
        adapter = cls(api_key, base_url, client=client, max_retries=0, **options)
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        await adapter.aclose()
    for client in clients:
        await client.aclose()


def openai_lines(path: Path, model: str = "llama-3.1-8b-instant", n: int = 2) -> Path:
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": f"hi {i}"}]},
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def multipart_field(body: bytes, name: str) -> bytes:
    """The value of one multipart form field of a recorded upload body."""
    marker = f'name="{name}"'.encode()
    start = body.index(marker)
    value_start = body.index(b"\r\n\r\n", start) + 4
    value_end = body.index(b"\r\n--", value_start)
    return body[value_start:value_end]


# -- Groq ------------------------------------------------------------------------------------


async def test_groq_default_base_bearer_auth_and_paths(build: Any, tmp_path: Path) -> None:
    rec = Recorder(
        {
            ("POST", "/openai/v1/files"): {"id": "file-1", "object": "file"},
            ("POST", "/openai/v1/batches"): OPENAI_BATCH,
        }
    )
    groq = build(GroqProvider, rec, None)
    file_id = await groq.upload_input(openai_lines(tmp_path / "in.jsonl"))
    job = await groq.create(tmp_path / "in.jsonl", input_file_id=file_id, options=SubmitOptions())
    upload, body = rec.only("POST", "/openai/v1/files")
    assert upload.url.host == "api.groq.com"
    assert upload.headers["authorization"] == "Bearer key-123"
    assert multipart_field(body, "purpose") == b"batch"
    assert b'"method": "POST"' in body  # Groq lines keep method and url
    create_body = rec.only("POST", "/openai/v1/batches")[1]
    payload = json.loads(create_body)
    assert payload == {
        "input_file_id": "file-1",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    assert job.provider == "groq"
    assert job.status is BatchStatus.IN_PROGRESS
    assert job.counts.succeeded == 1 and job.counts.processing == 2


async def test_groq_full_base_url_is_not_prefixed_twice(build: Any) -> None:
    rec = Recorder({("GET", "/openai/v1/batches/batch_1"): OPENAI_BATCH})
    groq = build(GroqProvider, rec, "https://api.groq.com/openai/v1/")
    await groq.get("batch_1")
    assert str(rec.requests[0].url) == "https://api.groq.com/openai/v1/batches/batch_1"


@pytest.mark.parametrize("window", ["24h", "36h", "7d"])
async def test_groq_takes_windows_from_24h_to_7d(build: Any, window: str) -> None:
    rec = Recorder({("POST", "/openai/v1/batches"): OPENAI_BATCH})
    groq = build(GroqProvider, rec, None)
    await groq.create(Path("x"), input_file_id="f", options=SubmitOptions(completion_window=window))
    assert json.loads(rec.bodies[0])["completion_window"] == window


@pytest.mark.parametrize("window", ["12h", "8d", "soon"])
async def test_groq_refuses_windows_outside_its_range_before_sending(
    build: Any, window: str
) -> None:
    rec = Recorder({})
    groq = build(GroqProvider, rec, None)
    with pytest.raises(InvalidRequestError, match="24h to 168h"):
        await groq.create(
            Path("x"), input_file_id="f", options=SubmitOptions(completion_window=window)
        )
    assert rec.requests == []


async def test_groq_list_is_one_unpaged_call_sorted_newest_first(build: Any) -> None:
    older = {**OPENAI_BATCH, "id": "batch_old", "created_at": 1767268000}
    newer = {**OPENAI_BATCH, "id": "batch_new", "created_at": 1767269000}
    rec = Recorder({("GET", "/openai/v1/batches"): {"object": "list", "data": [older, newer]}})
    groq = build(GroqProvider, rec, None)
    ids = [job.id async for job in groq.list(page_size=5)]
    assert ids == ["batch_new", "batch_old"]
    assert len(rec.requests) == 1
    assert rec.requests[0].url.query == b""


# -- Together --------------------------------------------------------------------------------


async def test_together_purpose_wrapped_create_uppercase_status_and_percent(
    build: Any, tmp_path: Path
) -> None:
    rec = Recorder(
        {
            ("POST", "/v1/files/upload"): {"id": "file-t1", "object": "file"},
            ("POST", "/v1/batches"): {"job": TOGETHER_JOB, "warning": "slow model"},
            ("GET", f"/v1/batches/{TOGETHER_JOB['id']}"): {
                **TOGETHER_JOB,
                "status": "COMPLETED",
                "progress": 100,
                "completed_at": "2026-01-01T13:00:00Z",
                "output_file_id": "file-out",
            },
        }
    )
    together = build(TogetherProvider, rec, None)
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"custom_id": "a", "body": {"model": "m", "messages": []}}) + "\n")
    file_id = await together.upload_input(path)
    upload, body = rec.only("POST", "/v1/files/upload")
    assert upload.url.host == "api.together.xyz"
    assert upload.headers["authorization"] == "Bearer key-123"
    assert multipart_field(body, "purpose") == b"batch-api"
    assert multipart_field(body, "file_name") == b"t.jsonl"
    assert multipart_field(body, "file_type") == b"jsonl"

    job = await together.create(path, input_file_id=file_id, options=SubmitOptions())
    assert job.id == TOGETHER_JOB["id"]
    assert job.provider == "together"
    assert job.status is BatchStatus.IN_PROGRESS
    assert job.raw_status == "IN_PROGRESS"
    assert job.counts == RequestCounts()  # a percent gives no request numbers
    assert progress_percent(job) == 42.5
    assert job.model == "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    assert job.times.created_at == datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert job.times.expires_at == datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    assert "metadata" not in json.loads(rec.only("POST", "/v1/batches")[1])

    done = await together.get(job.id)
    assert done.status is BatchStatus.COMPLETED
    assert done.results_available
    assert done.times.ended_at == datetime(2026, 1, 1, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("VALIDATING", BatchStatus.VALIDATING),
        ("IN_PROGRESS", BatchStatus.IN_PROGRESS),
        ("COMPLETED", BatchStatus.COMPLETED),
        ("FAILED", BatchStatus.FAILED),
        ("EXPIRED", BatchStatus.EXPIRED),
        ("CANCELING", BatchStatus.CANCELLING),
        ("CANCELLED", BatchStatus.CANCELLED),
        ("SOMETHING_NEW", BatchStatus.IN_PROGRESS),
    ],
)
async def test_together_status_spellings(build: Any, raw: str, status: BatchStatus) -> None:
    rec = Recorder({("POST", "/v1/batches/j1/cancel"): {**TOGETHER_JOB, "id": "j1", "status": raw}})
    together = build(TogetherProvider, rec, None)
    job = await together.cancel("j1")
    assert job.status is status
    assert job.raw_status == raw


async def test_together_failed_job_keeps_its_error_text(build: Any) -> None:
    failed = {**TOGETHER_JOB, "status": "FAILED", "error": "input file has invalid lines"}
    rec = Recorder({("GET", "/v1/batches/j1"): failed})
    job = await build(TogetherProvider, rec, None).get("j1")
    assert job.status is BatchStatus.FAILED
    assert [e.message for e in job.errors] == ["input file has invalid lines"]


async def test_together_list_reads_a_bare_array(build: Any) -> None:
    first = {**TOGETHER_JOB, "id": "a", "created_at": "2026-01-01T10:00:00Z"}
    second = {**TOGETHER_JOB, "id": "b", "created_at": "2026-01-01T11:00:00Z"}
    rec = Recorder({("GET", "/v1/batches"): [first, second]})
    ids = [job.id async for job in build(TogetherProvider, rec, None).list()]
    assert ids == ["b", "a"]


async def test_together_strips_method_and_url_from_openai_lines(build: Any, tmp_path: Path) -> None:
    rec = Recorder({("POST", "/v1/files/upload"): {"id": "file-t2"}})
    together = build(TogetherProvider, rec, None)
    await together.upload_input(openai_lines(tmp_path / "o.jsonl"), name="o.jsonl")
    body = rec.only("POST", "/v1/files/upload")[1]
    content = multipart_field(body, "file")
    lines = [json.loads(line) for line in content.splitlines()]
    assert [sorted(line) for line in lines] == [["body", "custom_id"]] * 2
    assert b'filename="o.jsonl"' in body


async def test_together_refuses_windows_other_than_24h(build: Any) -> None:
    together = build(TogetherProvider, Recorder({}), None)
    with pytest.raises(InvalidRequestError, match="24h"):
        await together.create(
            Path("x"), input_file_id="f", options=SubmitOptions(completion_window="48h")
        )


# -- Azure -----------------------------------------------------------------------------------


async def test_azure_api_key_header_api_version_and_openai_prefix(
    build: Any, tmp_path: Path
) -> None:
    rec = Recorder(
        {
            ("POST", "/openai/files"): {"id": "file-az"},
            ("POST", "/openai/batches"): OPENAI_BATCH,
            ("GET", "/openai/files"): {"data": [], "has_more": False},
        }
    )
    azure = build(AzureProvider, rec, "https://res.openai.azure.com/", api_key="az-key")
    await azure.upload_input(openai_lines(tmp_path / "a.jsonl", model="my-gpt4o-deployment"))
    await azure.create(Path("x"), input_file_id="file-az", options=SubmitOptions())
    assert await azure.find_uploads("a.jsonl") == []
    for request in rec.requests:
        assert request.headers["api-key"] == "az-key"
        assert "authorization" not in request.headers
        assert request.url.params["api-version"] == "2024-10-21"
    listing = rec.only("GET", "/openai/files")[0]
    assert listing.url.params["purpose"] == "batch"  # merged with api-version
    assert json.loads(rec.only("POST", "/openai/batches")[1])["endpoint"] == "/chat/completions"


async def test_azure_api_version_option_wins(build: Any) -> None:
    rec = Recorder({("GET", "/openai/batches/b"): OPENAI_BATCH})
    azure = build(AzureProvider, rec, "https://res.openai.azure.com", api_version="2025-04-01")
    await azure.get("b")
    assert rec.requests[0].url.params["api-version"] == "2025-04-01"


# -- LiteLLM ---------------------------------------------------------------------------------


async def test_litellm_names_the_target_model_on_upload(build: Any, tmp_path: Path) -> None:
    rec = Recorder({("POST", "/v1/files"): {"id": "file-l"}})
    lite = build(LiteLLMProvider, rec, "http://proxy.test:4000", target_model="gpt-4o-mini")
    await lite.upload_input(openai_lines(tmp_path / "l.jsonl", model="ignored-here"))
    upload = rec.only("POST", "/v1/files")[0]
    assert upload.headers["x-litellm-model"] == "gpt-4o-mini"
    assert upload.url.host == "proxy.test"


async def test_litellm_reads_the_model_from_the_first_line(build: Any, tmp_path: Path) -> None:
    rec = Recorder({("POST", "/v1/files"): {"id": "file-l"}})
    lite = build(LiteLLMProvider, rec, "http://proxy.test:4000")
    await lite.upload_input(openai_lines(tmp_path / "l.jsonl", model="claude-via-proxy"))
    assert rec.requests[0].headers["x-litellm-model"] == "claude-via-proxy"


async def test_litellm_without_any_model_says_what_to_set(build: Any, tmp_path: Path) -> None:
    rec = Recorder({})
    lite = build(LiteLLMProvider, rec, "http://proxy.test:4000", profile="lite")
    path = tmp_path / "nomodel.jsonl"
    path.write_text(json.dumps({"custom_id": "a", "body": {"messages": []}}) + "\n")
    with pytest.raises(BatchtuiError, match="set target_model on profile 'lite'"):
        await lite.upload_input(path)
    assert rec.requests == []


async def test_other_presets_send_no_model_header(build: Any, tmp_path: Path) -> None:
    rec = Recorder({("POST", "/openai/v1/files"): {"id": "f"}})
    await build(GroqProvider, rec, None).upload_input(openai_lines(tmp_path / "g.jsonl"))
    assert "x-litellm-model" not in rec.requests[0].headers


# -- generic ---------------------------------------------------------------------------------


async def test_generic_takes_every_preset_field_from_options(build: Any, tmp_path: Path) -> None:
    rec = Recorder(
        {
            ("POST", "/api/batch/files"): {"id": "file-g"},
            ("POST", "/api/batch/batches"): {"job": {**OPENAI_BATCH, "status": "COMPLETED"}},
        }
    )
    generic = build(
        GenericProvider,
        rec,
        "http://vllm.test:8000",
        path_prefix="/api/batch",
        auth_header="X-Api-Token",
        auth_scheme="",
        upload_purpose="batch-input",
        lines_carry_method_url="false",
        completion_window="48h",
        uppercase_status="yes",
        create_wrapper="job",
        model_header="x-target-model",
        target_model="local-llama",
        api_version_param="v",
        api_version="3",
    )
    await generic.upload_input(openai_lines(tmp_path / "g.jsonl"))
    job = await generic.create(Path("x"), input_file_id="file-g", options=SubmitOptions())
    upload, body = rec.only("POST", "/api/batch/files")
    assert upload.headers["x-api-token"] == "key-123"
    assert upload.headers["x-target-model"] == "local-llama"
    assert upload.url.params["v"] == "3"
    assert multipart_field(body, "purpose") == b"batch-input"
    assert b'"url"' not in multipart_field(body, "file")
    assert json.loads(rec.only("POST", "/api/batch/batches")[1])["completion_window"] == "48h"
    assert job.status is BatchStatus.COMPLETED
    assert job.provider == "openai-compatible"


async def test_generic_bad_boolean_option_is_a_config_error(build: Any) -> None:
    with pytest.raises(BatchtuiError, match="uppercase_status must be true or false"):
        build(GenericProvider, Recorder({}), "http://x.test", uppercase_status="perhaps")


def test_a_percent_reporting_job_carries_its_fraction_through_the_store() -> None:
    from batchtui.core.store.serialize import job_from_dict, job_to_dict
    from batchtui.providers.openai_compatible.preset import GROQ, TOGETHER
    from batchtui.providers.openai_compatible.status import compatible_job

    data = {
        "id": "b1",
        "status": "IN_PROGRESS",
        "progress": 40,
        "created_at": "2026-01-01T00:00:00Z",
    }
    job = compatible_job(data, TOGETHER, profile="together")
    assert job.progress == 0.4 and job.counts.total == 0
    assert job_from_dict(job_to_dict(job)).progress == 0.4
    assert compatible_job({**data, "status": "in_progress"}, GROQ, profile="groq").progress is None
