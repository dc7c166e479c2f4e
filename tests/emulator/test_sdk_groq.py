"""Fidelity contract: the official groq SDK works unchanged against the emulator's Groq half.

The client runs with strict response validation and every answer is also checked to hold no key
the SDK's own models do not know (``model_extra`` empty all the way down), so a field the real
API does not send cannot creep into the emulator unnoticed.
"""

from __future__ import annotations

from typing import Any

import groq
import pytest
from emulator_helpers import jsonl, openai_line, read_jsonl
from groq.types import (
    BatchCancelResponse,
    BatchCreateResponse,
    BatchListResponse,
    BatchRetrieveResponse,
    FileCreateResponse,
    FileDeleteResponse,
    FileInfoResponse,
    FileListResponse,
)
from groq.types.chat import ChatCompletion
from pydantic import BaseModel

import batchtui.emulator.app as emulator_app
from batchtui.emulator import EmulatorServer
from batchtui.emulator.groq import HALF

KEY = "gsk-emulator-test"
MODEL = "llama-3.1-8b-instant"
TERMINAL = ("completed", "failed", "expired", "cancelled")


@pytest.fixture(autouse=True)
def groq_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Groq half until the lead adds it to HALVES (a no-op afterwards)."""
    if HALF not in emulator_app.HALVES:
        monkeypatch.setattr(emulator_app, "HALVES", (*emulator_app.HALVES, HALF))


def _client(server: EmulatorServer, key: str = KEY) -> groq.Groq:
    return groq.Groq(
        api_key=key,
        base_url=server.provider_base_url("groq"),
        max_retries=0,
        _strict_response_validation=True,
    )


def _known(value: Any, where: str = "") -> None:
    """Fail on any key the SDK's models do not declare (pydantic keeps them in model_extra)."""
    if isinstance(value, BaseModel):
        assert not value.model_extra, f"{where or type(value).__name__}: {value.model_extra}"
        for name in type(value).model_fields:
            _known(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _known(item, f"{where}[{i}]")


def _lines(n: int) -> list[dict[str, Any]]:
    return [openai_line(f"r{i}", model=MODEL) for i in range(n)]


def test_groq_sdk_round_trip(make_emulator: Any) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.3)
    client = _client(server)
    file = client.files.create(file=("input.jsonl", jsonl(_lines(12))), purpose="batch")
    assert isinstance(file, FileCreateResponse) and file.purpose == "batch" and file.id
    _known(file)
    info = client.files.info(file.id or "")
    assert isinstance(info, FileInfoResponse) and info.bytes == file.bytes
    _known(info)
    batch = client.batches.create(
        input_file_id=file.id or "",
        endpoint="/v1/chat/completions",
        completion_window="7d",
        metadata={"suite": "fidelity"},
    )
    assert isinstance(batch, BatchCreateResponse) and batch.status == "validating"
    assert batch.completion_window == "7d" and batch.metadata == {"suite": "fidelity"}
    _known(batch)
    seen = []
    while True:
        got = client.batches.retrieve(batch.id)
        assert isinstance(got, BatchRetrieveResponse)
        _known(got)
        seen.append(got.status)
        if got.status in TERMINAL:
            break
        server.clock.advance(1)
    assert seen[0] == "validating" and "in_progress" in seen and seen[-1] == "completed"
    assert got.request_counts is not None and got.request_counts.total == 12
    assert got.output_file_id and got.error_file_id  # fail_rate 0.3 gives both files
    out = read_jsonl(client.files.content(got.output_file_id).read())
    err = read_jsonl(client.files.content(got.error_file_id).read())
    assert len(out) == got.request_counts.completed and len(err) == got.request_counts.failed
    assert len(out) + len(err) == 12
    for line in out:
        completion = ChatCompletion.model_validate(line["response"]["body"])
        _known(completion)
        assert completion.choices[0].message.content
    listed = client.files.list()
    assert isinstance(listed, FileListResponse) and len(listed.data) == 3
    _known(listed)
    assert {f.purpose for f in listed.data} == {"batch", "batch_output"}
    batches = client.batches.list()
    assert isinstance(batches, BatchListResponse) and [b.id for b in batches.data] == [batch.id]
    _known(batches)
    deleted = client.files.delete(file.id or "")
    assert isinstance(deleted, FileDeleteResponse) and deleted.deleted is True
    _known(deleted)
    with pytest.raises(groq.NotFoundError):
        client.files.info(file.id or "")


def test_groq_sdk_cancel_keeps_finished_results(emulator: EmulatorServer) -> None:
    client = _client(emulator)
    file = client.files.create(file=("in.jsonl", jsonl(_lines(20))), purpose="batch")
    batch = client.batches.create(
        input_file_id=file.id or "", endpoint="/v1/chat/completions", completion_window="24h"
    )
    emulator.clock.advance(5)
    cancelled = client.batches.cancel(batch.id)
    assert isinstance(cancelled, BatchCancelResponse) and cancelled.status == "cancelling"
    _known(cancelled)
    emulator.clock.advance(2)
    done = client.batches.retrieve(batch.id)
    assert done.status == "cancelled" and done.output_file_id and done.error_file_id
    out = read_jsonl(client.files.content(done.output_file_id).read())
    err = read_jsonl(client.files.content(done.error_file_id).read())
    assert 0 < len(out) < 20 and len(out) + len(err) == 20


def test_groq_sdk_errors(make_emulator: Any) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server)
    with pytest.raises(groq.AuthenticationError) as auth:
        _client(server, key="gsk-wrong").batches.list()
    assert auth.value.status_code == 401
    with pytest.raises(groq.NotFoundError) as missing:
        client.batches.retrieve("batch_missing")
    assert missing.value.response.headers["x-request-id"]
    file = client.files.create(file=("in.jsonl", jsonl(_lines(1))), purpose="batch")
    with pytest.raises(groq.BadRequestError) as bad:
        client.batches.create(
            input_file_id=file.id or "", endpoint="/v1/chat/completions", completion_window="8d"
        )
    assert isinstance(bad.value.body, dict)
    assert bad.value.body["error"]["param"] == "completion_window"
    server.set_faults("429@list=1:0.01")
    with pytest.raises(groq.RateLimitError):
        client.batches.list()
    server.set_faults("500@upload=1")
    with pytest.raises(groq.InternalServerError):
        client.files.create(file=("in.jsonl", jsonl(_lines(1))), purpose="batch")
