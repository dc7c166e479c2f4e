"""Fidelity contract: the official openai and anthropic SDKs work unchanged against the emulator.

The SDKs are test-only dependencies. Their clients run with strict response validation, and their
own pydantic models validate the emulator's raw JSON with `model_validate`.
"""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest
from anthropic.pagination import SyncPage
from anthropic.types import Message
from anthropic.types.beta.messages import BetaMessageBatch
from anthropic.types.messages import (
    DeletedMessageBatch,
    MessageBatch,
    MessageBatchIndividualResponse,
)
from emulator_helpers import anthropic_request, jsonl, openai_line, read_jsonl
from openai.pagination import SyncCursorPage
from openai.types import Batch, Completion, CreateEmbeddingResponse, FileDeleted, FileObject
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from batchtui.emulator import EmulatorServer

KEY = "sk-emulator-test"


def _openai(server: EmulatorServer, key: str = KEY, retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=key,
        base_url=server.openai_base_url,
        max_retries=retries,
        _strict_response_validation=True,
    )


def _anthropic(server: EmulatorServer, key: str = KEY, retries: int = 0) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=key,
        base_url=server.anthropic_base_url,
        max_retries=retries,
        _strict_response_validation=True,
    )


# ---------------------------------------------------------------- OpenAI


def test_openai_sdk_round_trip(make_emulator) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.3)
    client = _openai(server)
    lines = [openai_line(f"r{i}") for i in range(12)]
    file = client.files.create(file=("input.jsonl", jsonl(lines)), purpose="batch")
    assert isinstance(file, FileObject) and file.purpose == "batch" and file.bytes > 0
    assert client.files.retrieve(file.id) == file
    batch = client.batches.create(
        input_file_id=file.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"suite": "fidelity"},
    )
    assert batch.status == "validating" and batch.metadata == {"suite": "fidelity"}
    server.clock.advance(5)
    running = client.batches.retrieve(batch.id)
    assert running.status == "in_progress" and running.request_counts.total == 12
    server.clock.advance(5)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.completed_at is not None
    assert done.output_file_id and done.error_file_id  # fail_rate 0.3 gives both files
    out = read_jsonl(client.files.content(done.output_file_id).content)
    err = read_jsonl(client.files.content(done.error_file_id).read())
    assert len(out) + len(err) == 12
    assert len(out) == done.request_counts.completed and len(err) == done.request_counts.failed
    for line in out:
        ChatCompletion.model_validate(line["response"]["body"])
    with client.files.with_streaming_response.content(done.output_file_id) as resp:
        streamed = b"".join(resp.iter_bytes())
    assert read_jsonl(streamed) == out
    files = client.files.list(purpose="batch_output")
    assert {f.id for f in files} == {done.output_file_id, done.error_file_id}
    deleted = client.files.delete(file.id)
    assert isinstance(deleted, FileDeleted) and deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(file.id)


def test_openai_sdk_list_autopaginates_and_cancels(emulator: EmulatorServer) -> None:
    client = _openai(emulator)
    file = client.files.create(file=("in.jsonl", jsonl([openai_line("a")])), purpose="batch")
    ids = []
    for _ in range(25):
        ids.append(
            client.batches.create(
                input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h"
            ).id
        )
        emulator.clock.advance(0.01)
    listed = [b.id for b in client.batches.list(limit=10)]
    assert listed == ids[::-1]
    cancelled = client.batches.cancel(ids[0])
    assert cancelled.status == "cancelling" and cancelled.cancelling_at is not None
    emulator.clock.advance(5)
    assert client.batches.retrieve(ids[0]).status == "cancelled"


def test_openai_sdk_exceptions(make_emulator) -> None:
    server = make_emulator(api_key=KEY)
    client = _openai(server)
    with pytest.raises(openai.NotFoundError) as not_found:
        client.batches.retrieve("batch_missing")
    assert not_found.value.request_id
    with pytest.raises(openai.BadRequestError) as bad:
        client.batches.create(
            input_file_id="file-x",
            endpoint="/v1/nope",  # type: ignore[arg-type]
            completion_window="24h",
        )
    assert bad.value.param == "endpoint"
    with pytest.raises(openai.AuthenticationError):
        _openai(server, key="sk-wrong").batches.list()
    server.set_faults("429=1:0.01")
    with pytest.raises(openai.RateLimitError) as limited:
        client.batches.list()
    assert limited.value.response.headers["retry-after-ms"] == "10"
    server.set_faults("500=1")
    with pytest.raises(openai.InternalServerError):
        client.batches.list()


def test_openai_models_validate_raw_json(emulator: EmulatorServer) -> None:
    """Every raw object the emulator serves validates against the SDK's own models."""
    oa = httpx.Client(base_url=emulator.openai_base_url)
    shapes = {
        "/v1/chat/completions": ChatCompletion,
        "/v1/responses": Response,
        "/v1/completions": Completion,
        "/v1/embeddings": CreateEmbeddingResponse,
    }
    for endpoint, model in shapes.items():
        if endpoint == "/v1/chat/completions":
            lines = [openai_line("plain"), openai_line("short", max_tokens=2)]
            lines.append(openai_line("refused", "[[refuse]]"))
        elif endpoint == "/v1/responses":
            lines = [
                {"custom_id": cid, "method": "POST", "url": endpoint, "body": body}
                for cid, body in (
                    ("plain", {"model": "gpt-4.1", "input": "hi"}),
                    ("short", {"model": "gpt-4.1", "input": "hi", "max_output_tokens": 2}),
                    (
                        "refused",
                        {"model": "gpt-4.1", "input": [{"role": "user", "content": "[[refuse]]"}]},
                    ),
                )
            ]
        elif endpoint == "/v1/completions":
            body = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "max_tokens": 50}
            lines = [{"custom_id": "c", "method": "POST", "url": endpoint, "body": body}]
        else:
            body = {"model": "text-embedding-3-small", "input": ["a", "b"]}
            lines = [{"custom_id": "e", "method": "POST", "url": endpoint, "body": body}]
        upload = oa.post(
            "/files", files={"file": ("in.jsonl", jsonl(lines))}, data={"purpose": "batch"}
        ).json()
        FileObject.model_validate(upload)
        created = oa.post(
            "/batches",
            json={"input_file_id": upload["id"], "endpoint": endpoint, "completion_window": "24h"},
        ).json()
        Batch.model_validate(created)
        emulator.clock.advance(10)
        batch = oa.get(f"/batches/{created['id']}").json()
        assert Batch.model_validate(batch).status == "completed"
        content = oa.get(f"/files/{batch['output_file_id']}/content").content
        for line in read_jsonl(content):
            parsed = model.model_validate(line["response"]["body"])
            if endpoint == "/v1/embeddings":
                assert len(parsed.data) == 2
    # a failed batch with errors, and list pages
    upload = oa.post(
        "/files", files={"file": ("in.jsonl", b"{bad\n")}, data={"purpose": "batch"}
    ).json()
    failed = oa.post(
        "/batches",
        json={
            "input_file_id": upload["id"],
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        },
    ).json()
    emulator.clock.advance(1)
    failed_batch = Batch.model_validate(oa.get(f"/batches/{failed['id']}").json())
    assert failed_batch.errors and failed_batch.errors.data[0].line == 1
    SyncCursorPage[Batch].model_validate(oa.get("/batches").json())
    SyncCursorPage[FileObject].model_validate(oa.get("/files").json())
    FileDeleted.model_validate(oa.delete(f"/files/{upload['id']}").json())
    oa.close()


# ---------------------------------------------------------------- Anthropic


def test_anthropic_sdk_round_trip(make_emulator) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.3)
    client = _anthropic(server)
    requests = [anthropic_request(f"r{i}") for i in range(12)]
    batch = client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
    assert isinstance(batch, MessageBatch) and batch.processing_status == "in_progress"
    with pytest.raises(anthropic.AnthropicError):
        list(client.messages.batches.results(batch.id))  # no results_url yet
    server.clock.advance(10)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.results_url
    results = list(client.messages.batches.results(batch.id))
    assert all(isinstance(r, MessageBatchIndividualResponse) for r in results)
    assert sorted(r.custom_id for r in results) == sorted(r["custom_id"] for r in requests)
    kinds = [r.result.type for r in results]
    assert kinds.count("succeeded") == ended.request_counts.succeeded
    assert kinds.count("errored") == ended.request_counts.errored > 0
    deleted = client.messages.batches.delete(batch.id)
    assert isinstance(deleted, DeletedMessageBatch) and deleted.id == batch.id
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(batch.id)


def test_anthropic_sdk_list_cancel_and_beta(emulator: EmulatorServer) -> None:
    client = _anthropic(emulator)
    ids = []
    for i in range(25):
        ids.append(client.messages.batches.create(requests=[anthropic_request(f"r{i}")]).id)  # type: ignore[list-item]
        emulator.clock.advance(0.01)
    assert [b.id for b in client.messages.batches.list(limit=10)] == ids[::-1]
    canceled = client.messages.batches.cancel(ids[-1])
    assert canceled.processing_status == "canceling" and canceled.cancel_initiated_at
    emulator.clock.advance(5)
    ended = client.messages.batches.retrieve(ids[-1])
    assert ended.processing_status == "ended"
    beta = client.beta.messages.batches.retrieve(ids[-1])
    assert isinstance(beta, BetaMessageBatch) and beta.id == ids[-1]
    made = client.beta.messages.batches.create(requests=[anthropic_request("b")])  # type: ignore[list-item]
    assert made.processing_status == "in_progress"
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.delete(made.id)  # still in progress


def test_anthropic_sdk_exceptions(make_emulator) -> None:
    server = make_emulator(api_key=KEY)
    client = _anthropic(server)
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve("msgbatch_missing")
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.batches.create(
            requests=[anthropic_request("dup"), anthropic_request("dup")]  # type: ignore[list-item]
        )
    assert "Duplicate" in str(bad.value)
    assert bad.value.request_id
    with pytest.raises(anthropic.AuthenticationError):
        _anthropic(server, key="wrong").messages.batches.list()
    server.set_faults("429=1")
    with pytest.raises(anthropic.RateLimitError):
        client.messages.batches.list()
    server.set_faults("529=1")
    with pytest.raises(anthropic.OverloadedError):
        client.messages.batches.list()


def test_anthropic_models_validate_raw_json(emulator: EmulatorServer) -> None:
    an = httpx.Client(base_url=emulator.anthropic_base_url)
    requests = [
        anthropic_request("plain"),
        anthropic_request("short", max_tokens=1),
        anthropic_request("refused", "[[refuse]]"),
        anthropic_request("bad", "[[http_error]]"),
    ]
    created = an.post("/v1/messages/batches", json={"requests": requests}).json()
    MessageBatch.model_validate(created)
    emulator.clock.advance(10)
    ended = MessageBatch.model_validate(an.get(f"/v1/messages/batches/{created['id']}").json())
    SyncPage[MessageBatch].model_validate(an.get("/v1/messages/batches").json())
    lines = read_jsonl(an.get(ended.results_url or "").content)
    parsed = {r.custom_id: r for r in map(MessageBatchIndividualResponse.model_validate, lines)}
    assert parsed["bad"].result.type == "errored"
    for cid in ("plain", "short", "refused"):
        Message.model_validate(
            lines[[line["custom_id"] for line in lines].index(cid)]["result"]["message"]
        )
    # canceled and expired lines validate too
    second = an.post("/v1/messages/batches", json={"requests": requests}).json()
    an.post(f"/v1/messages/batches/{second['id']}/cancel")
    emulator.clock.advance(10)
    url = an.get(f"/v1/messages/batches/{second['id']}").json()["results_url"]
    for line in read_jsonl(an.get(url).content):
        MessageBatchIndividualResponse.model_validate(line)
    emulator.override(second["id"])  # no change: a no-op override is accepted
    DeletedMessageBatch.model_validate(an.delete(f"/v1/messages/batches/{second['id']}").json())
    an.close()
