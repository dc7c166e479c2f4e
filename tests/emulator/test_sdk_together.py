"""Fidelity contract: the official together SDK works unchanged against the emulator's Together
half, including its three-step upload (POST /v1/files -> 302, PUT the bytes, preprocess).

The client runs with strict response validation and every answer is also checked to hold no key
the SDK's own models do not know (``model_extra`` empty all the way down).

One divergence is pinned down here on purpose: the together 3.x SDK's BatchJob status literal
has no ``CANCELING``, while Together's legacy SDK and docs list it (providers.md §5) and the
emulator answers it between a cancel and its end. Strict checks of a cancel therefore run with
``cancel_seconds=0`` (the cancel ends at once); with a delay, the non-strict SDK client still
reads the raw ``CANCELING``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import together
from emulator_helpers import jsonl, read_jsonl
from pydantic import BaseModel
from together.types import BatchCreateResponse, BatchJob, FileDeleteResponse, FileList, FileResponse
from together.types.chat import ChatCompletion

import batchtui.emulator.app as emulator_app
from batchtui.emulator import EmulatorServer
from batchtui.emulator.together import HALF

KEY = "tg-emulator-test"
MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
TERMINAL = ("COMPLETED", "FAILED", "EXPIRED", "CANCELLED")


@pytest.fixture(autouse=True)
def together_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Together half until the lead adds it to HALVES (a no-op afterwards)."""
    if HALF not in emulator_app.HALVES:
        monkeypatch.setattr(emulator_app, "HALVES", (*emulator_app.HALVES, HALF))


def _client(server: EmulatorServer, key: str = KEY, strict: bool = True) -> together.Together:
    return together.Together(
        api_key=key,
        base_url=server.provider_base_url("together"),
        max_retries=0,
        _strict_response_validation=strict,
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


def _input(tmp_path: Path, n: int, name: str = "input.jsonl") -> Path:
    lines = [
        {
            "custom_id": f"r{i}",
            "body": {
                "model": MODEL,
                "messages": [{"role": "user", "content": f"Say hello {i}"}],
                "max_tokens": 100,
            },
        }
        for i in range(n)
    ]
    path = tmp_path / name
    path.write_bytes(jsonl(lines))
    return path


def test_together_sdk_round_trip(make_emulator: Any, tmp_path: Path) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.3)
    client = _client(server)
    path = _input(tmp_path, 12)
    file = client.files.upload(file=path, purpose="batch-api")
    assert isinstance(file, FileResponse) and file.purpose == "batch-api"
    assert file.bytes == path.stat().st_size and file.filename == "input.jsonl"
    assert client.files.retrieve(file.id) == file
    _known(file)
    created = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions")
    assert isinstance(created, BatchCreateResponse) and created.job is not None
    _known(created)
    job = created.job
    assert job.status == "VALIDATING" and job.progress == 0 and job.input_file_id == file.id
    assert job.created_at == datetime.fromtimestamp(server.clock.time(), UTC)
    assert job.job_deadline is not None and job.file_size_bytes == file.bytes
    assert job.x_model_id == MODEL and job.id
    seen = []
    while True:
        got = client.batches.retrieve(job.id)
        assert isinstance(got, BatchJob)
        _known(got)
        seen.append((got.status, got.progress))
        if got.status in TERMINAL:
            break
        server.clock.advance(1)
    statuses = [s for s, _ in seen]
    assert statuses[0] == "VALIDATING" and "IN_PROGRESS" in statuses
    assert statuses[-1] == "COMPLETED" and got.completed_at is not None
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    assert got.output_file_id and got.error_file_id  # fail_rate 0.3 gives both files
    out = read_jsonl(client.files.content(got.output_file_id).read())
    err = read_jsonl(client.files.content(got.error_file_id).read())
    assert len(out) + len(err) == 12
    assert {line["custom_id"] for line in out + err} == {f"r{i}" for i in range(12)}
    for line in out:
        completion = ChatCompletion.model_validate(line["response"]["body"])
        _known(completion)
        assert completion.choices[0].message and completion.choices[0].message.content
    files = client.files.list()
    assert isinstance(files, FileList) and len(files.data) == 3
    _known(files)
    jobs = client.batches.list()
    assert [j.id for j in jobs] == [job.id]
    _known(jobs)
    deleted = client.files.delete(file.id)
    assert isinstance(deleted, FileDeleteResponse) and deleted.deleted is True
    with pytest.raises(together.NotFoundError):
        client.files.retrieve(file.id)


def test_together_sdk_cancel_keeps_finished_results(make_emulator: Any, tmp_path: Path) -> None:
    server = make_emulator(cancel_seconds=0)
    client = _client(server)
    file = client.files.upload(file=_input(tmp_path, 20), purpose="batch-api")
    job = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions").job
    assert job is not None and job.id
    server.clock.advance(5)
    running = client.batches.retrieve(job.id)
    assert running.status == "IN_PROGRESS" and running.progress is not None
    assert 0 < running.progress < 100
    cancelled = client.batches.cancel(job.id)
    assert isinstance(cancelled, BatchJob) and cancelled.status == "CANCELLED"
    _known(cancelled)
    assert cancelled.output_file_id and cancelled.progress == running.progress
    out = read_jsonl(client.files.content(cancelled.output_file_id).read())
    assert len(out) == round(20 * running.progress / 100)
    with pytest.raises(together.BadRequestError):
        client.batches.cancel(job.id)  # finished jobs cannot be cancelled


def test_together_sdk_reads_canceling_without_strict_validation(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    lax = _client(emulator, strict=False)
    file = lax.files.upload(file=_input(tmp_path, 5), purpose="batch-api")
    job = lax.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions").job
    assert job is not None and job.id
    assert lax.batches.cancel(job.id).status == "CANCELING"  # type: ignore[comparison-overlap]
    emulator.clock.advance(1)
    assert lax.batches.retrieve(job.id).status == "CANCELLED"


def test_together_sdk_errors(make_emulator: Any, tmp_path: Path) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server)
    with pytest.raises(together.AuthenticationError) as auth:
        _client(server, key="tg-wrong").batches.list()
    assert auth.value.status_code == 401
    with pytest.raises(together.NotFoundError) as missing:
        client.batches.retrieve("00000000-0000-0000-0000-000000000000")
    assert missing.value.response.headers["x-request-id"]
    file = client.files.upload(file=_input(tmp_path, 1), purpose="batch-api")
    with pytest.raises(together.BadRequestError) as bad:
        client.batches.create(
            input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="48h"
        )
    assert isinstance(bad.value.body, dict)
    assert bad.value.body["error"]["param"] == "completion_window"
    with pytest.raises(together.APIStatusError):
        client.files.upload(file=_input(tmp_path, 1, "other.jsonl"), purpose="fine-tune")
    server.set_faults("429@list=1:0.01")
    with pytest.raises(together.RateLimitError):
        client.batches.list()
    server.set_faults("500@create=1")
    with pytest.raises(together.InternalServerError):
        client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions")
