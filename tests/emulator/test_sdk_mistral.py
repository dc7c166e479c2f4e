"""Fidelity contract: the official mistralai SDK, unchanged, against the emulator's Mistral half.

The SDK's pydantic models parse every answer; its own download insists on
``application/octet-stream``. Result lines' bodies are checked against the SDK's response models.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from mistralai.client import Mistral
from mistralai.client.errors import HTTPValidationErrorData, SDKError
from mistralai.client.models import (
    BatchJob,
    ChatCompletionResponse,
    CreateFileResponse,
    DeleteBatchJobResponse,
    EmbeddingResponse,
    ListBatchJobsResponse,
    ListFilesResponse,
)

import batchtui.emulator.app
from batchtui.emulator import EmulatorServer
from batchtui.emulator.mistral import HALF

KEY = "mistral-emulator-key"
MODEL = "mistral-small-latest"


@pytest.fixture(autouse=True)
def mistral_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Mistral half until the lead adds it to HALVES (a no-op afterwards)."""
    halves = batchtui.emulator.app.HALVES
    if HALF not in halves:
        monkeypatch.setattr(batchtui.emulator.app, "HALVES", (*halves, HALF))


def _client(server: EmulatorServer, key: str = KEY) -> Mistral:
    return Mistral(api_key=key, server_url=server.provider_base_url("mistral"))


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _chat(custom_id: str, text: str = "Say hello", **body: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "body": {"messages": [{"role": "user", "content": text}], **body},
    }


def _lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def _upload(client: Mistral, lines: list[dict[str, Any]]) -> CreateFileResponse:
    return client.files.upload(
        file={"file_name": "input.jsonl", "content": _jsonl(lines)}, purpose="batch"
    )


def test_sdk_round_trip(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.3)
    client = _client(server)
    lines = [_chat(f"r{i}") for i in range(12)] + [_chat("bad", "[[http_error]] please")]
    file = _upload(client, lines)
    assert isinstance(file, CreateFileResponse)
    assert file.purpose == "batch" and file.size_bytes > 0 and file.num_lines == 13
    job = client.batch.jobs.create(
        input_files=[file.id],
        endpoint="/v1/chat/completions",
        model=MODEL,
        metadata={"suite": "fidelity"},
    )
    assert isinstance(job, BatchJob)
    assert job.status == "QUEUED" and job.metadata == {"suite": "fidelity"}
    assert job.total_requests == 13 and job.output_file is None
    server.clock.advance(5)
    running = client.batch.jobs.get(job_id=job.id)
    assert running.status == "RUNNING" and running.started_at is not None
    assert 0 < running.completed_requests < 13
    server.clock.advance(5)
    done = client.batch.jobs.get(job_id=job.id)
    assert done.status == "SUCCESS" and done.completed_at is not None
    assert done.completed_requests == 13
    assert done.succeeded_requests + done.failed_requests == 13
    assert done.output_file and done.error_file
    out = _lines(client.files.download(file_id=done.output_file).read())
    err = _lines(client.files.download(file_id=done.error_file).read())
    assert len(out) == done.succeeded_requests and len(err) == done.failed_requests
    for line in out:
        assert line["response"]["status_code"] == 200 and line["error"] is None
        reply = ChatCompletionResponse.model_validate(line["response"]["body"])
        assert reply.model == MODEL and reply.choices[0].message is not None
    assert {line["custom_id"] for line in out + err} == {f"r{i}" for i in range(12)} | {"bad"}
    (bad,) = [line for line in err if line["custom_id"] == "bad"]
    assert bad["response"]["status_code"] == 400
    inline = client.batch.jobs.get(job_id=job.id, inline=True)
    assert inline.outputs is not None and len(inline.outputs) == 13


def test_sdk_inline_requests_and_embeddings(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server)
    job = client.batch.jobs.create(
        requests=[
            {"custom_id": "e1", "body": {"input": ["one", "two"]}},
            {"custom_id": "e2", "body": {"input": "three"}},
        ],
        endpoint="/v1/embeddings",
        model="mistral-embed",
    )
    server.clock.advance(11)
    done = client.batch.jobs.get(job_id=job.id, inline=True)
    assert done.status == "SUCCESS" and done.outputs is not None
    bodies = {o["custom_id"]: o["response"]["body"] for o in done.outputs}
    first = EmbeddingResponse.model_validate(bodies["e1"])
    assert len(first.data) == 2
    assert done.output_file is not None  # the SDK's helper reads output_file for inline jobs too


def test_sdk_list_paging_and_files(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server)
    file = _upload(client, [_chat("a")])
    made = []
    for _ in range(5):
        made.append(
            client.batch.jobs.create(
                input_files=[file.id], endpoint="/v1/chat/completions", model=MODEL
            ).id
        )
        server.clock.advance(1)
    pages = [client.batch.jobs.list(page=p, page_size=2) for p in range(3)]
    assert all(isinstance(p, ListBatchJobsResponse) and p.total == 5 for p in pages)
    seen = [job.id for page in pages for job in page.data or []]
    assert seen == list(reversed(made))  # newest first, each once
    oldest = client.batch.jobs.list(page=0, page_size=1, order_by="created")
    assert [j.id for j in oldest.data or []] == [made[0]]
    files = client.files.list(page=0, page_size=10, purpose="batch")
    assert isinstance(files, ListFilesResponse) and files.total == 1
    assert [f.id for f in files.data] == [file.id]
    assert client.files.retrieve(file_id=file.id).filename == "input.jsonl"
    assert client.files.get_signed_url(file_id=file.id).url.endswith(f"/files/{file.id}/content")


def test_sdk_cancel_keeps_what_finished(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY, cancel_seconds=1)
    client = _client(server)
    file = _upload(client, [_chat(f"r{i}") for i in range(20)])
    job = client.batch.jobs.create(
        input_files=[file.id], endpoint="/v1/chat/completions", model=MODEL
    )
    server.clock.advance(5)
    cancelling = client.batch.jobs.cancel(job_id=job.id)
    assert cancelling.status == "CANCELLATION_REQUESTED"
    server.clock.advance(1)
    cancelled = client.batch.jobs.get(job_id=job.id)
    assert cancelled.status == "CANCELLED" and cancelled.completed_at is not None
    assert 0 < cancelled.succeeded_requests < 20 and cancelled.output_file
    out = _lines(client.files.download(file_id=cancelled.output_file).read())
    assert len(out) == cancelled.succeeded_requests
    deleted = client.batch.jobs.delete(job_id=job.id)
    assert isinstance(deleted, DeleteBatchJobResponse) and deleted.deleted


def test_sdk_timeout_exceeded(make_emulator: Callable[..., EmulatorServer]) -> None:
    # A 24 h window scaled to 6 s; a 1 h timeout is 0.25 s, a 12 h one 3 s.
    server = make_emulator(api_key=KEY, expire_seconds=6)
    client = _client(server)
    file = _upload(client, [_chat(f"r{i}") for i in range(20)])
    job = client.batch.jobs.create(
        input_files=[file.id], endpoint="/v1/chat/completions", model=MODEL, timeout_hours=12
    )
    server.clock.advance(4)
    ended = client.batch.jobs.get(job_id=job.id)
    assert ended.status == "TIMEOUT_EXCEEDED"
    assert 0 < ended.completed_requests < 20 and ended.output_file


def test_sdk_errors(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY)
    with pytest.raises(SDKError) as wrong:
        _client(server, key="wrong").batch.jobs.list()
    assert wrong.value.status_code == 401
    client = _client(server)
    with pytest.raises(SDKError) as missing:
        client.batch.jobs.get(job_id="00000000-0000-4000-8000-000000000000")
    assert missing.value.status_code == 404 and "not found" in missing.value.body
    with pytest.raises(SDKError) as invalid:
        client.batch.jobs.create(
            input_files=["x"], endpoint="/v1/chat/completions", model=MODEL, timeout_hours=0
        )
    assert invalid.value.status_code == 422
    # FastAPI's validation body, the shape of the SDK's HTTPValidationErrorData.
    data = HTTPValidationErrorData.model_validate_json(invalid.value.body)
    assert data.detail and data.detail[0].loc == ["body", "timeout_hours"]
