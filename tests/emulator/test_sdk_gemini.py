"""Fidelity contract: the official google-genai SDK, unchanged, against the emulator's Gemini
half (base URL = the server, api_version v1beta).

The SDK's pydantic models (extra="forbid") parse every answer; every result line's response is
also validated as the SDK's own GenerateContentResponse.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from google import genai
from google.genai import errors, types

import batchtui.emulator.app
from batchtui.emulator import EmulatorServer
from batchtui.emulator.gemini import HALF

KEY = "AIza-emulator-key-0123456789"
MODEL = "gemini-2.5-flash"
TERMINAL = {
    types.JobState.JOB_STATE_SUCCEEDED,
    types.JobState.JOB_STATE_FAILED,
    types.JobState.JOB_STATE_CANCELLED,
    types.JobState.JOB_STATE_EXPIRED,
}


@pytest.fixture(autouse=True)
def gemini_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Gemini half until the lead adds it to HALVES (a no-op afterwards)."""
    halves = batchtui.emulator.app.HALVES
    if HALF not in halves:
        monkeypatch.setattr(batchtui.emulator.app, "HALVES", (*halves, HALF))


def _client(server: EmulatorServer, key: str = KEY) -> genai.Client:
    return genai.Client(
        api_key=key,
        http_options=types.HttpOptions(
            base_url=server.provider_base_url("gemini"),
            api_version="v1beta",
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )


def _request(text: str = "Say hello", **config: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if config:
        request["generationConfig"] = config
    return request


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _upload(client: genai.Client, lines: list[dict[str, Any]], name: str = "in.jsonl") -> Any:
    return client.files.upload(
        file=io.BytesIO(_jsonl(lines)),
        config={"mime_type": "application/jsonl", "display_name": name},
    )


def _wait(client: genai.Client, server: EmulatorServer, name: str) -> types.BatchJob:
    for _ in range(50):
        job = client.batches.get(name=name)
        assert isinstance(job, types.BatchJob)
        if job.state in TERMINAL:
            return job
        server.clock.advance(1.0)  # type: ignore[attr-defined]
    raise AssertionError(f"{name} never ended")


def test_file_batch_round_trip(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.3)
    client = _client(server)
    lines = [{"key": f"r{i}", "request": _request()} for i in range(12)]
    lines.append({"key": "cut", "request": _request(maxOutputTokens=2)})
    lines.append({"key": "bad", "request": _request("[[http_error]] please")})
    file = _upload(client, lines)
    assert isinstance(file, types.File)
    assert file.name and file.name.startswith("files/")
    assert file.display_name == "in.jsonl" and file.size_bytes == len(_jsonl(lines))
    assert file.state == types.FileState.ACTIVE
    assert client.files.get(name=file.name).name == file.name

    job = client.batches.create(model=MODEL, src=file.name, config={"display_name": "fidelity"})
    assert job.name and job.name.startswith("batches/")
    assert job.state == types.JobState.JOB_STATE_PENDING
    assert job.model == f"models/{MODEL}" and job.display_name == "fidelity"
    assert job.dest is None and job.create_time is not None

    done = _wait(client, server, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    assert done.end_time is not None and done.dest is not None and done.dest.file_name
    data = client.files.download(file=done.dest.file_name)
    results = [json.loads(line) for line in data.splitlines() if line.strip()]
    assert sorted(r["key"] for r in results) == sorted(line["key"] for line in lines)
    by_key = {r["key"]: r for r in results}
    assert by_key["bad"]["error"]["status"] == "INVALID_ARGUMENT"
    assert "error" in by_key["bad"] and "response" not in by_key["bad"]
    for result in results:
        if "response" in result:
            parsed = types.GenerateContentResponse.model_validate(result["response"])
            assert parsed.usage_metadata is not None
            assert parsed.usage_metadata.prompt_token_count
    cut = types.GenerateContentResponse.model_validate(by_key["cut"]["response"])
    assert cut.candidates and cut.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert any("error" in r for r in results if r["key"] != "bad")  # fail_rate 0.3


def test_inline_batch(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server)
    inlined = [
        types.InlinedRequest(
            contents=[types.Content(role="user", parts=[types.Part(text=f"hi {i}")])],
            metadata={"key": f"k{i}"},
        )
        for i in range(4)
    ]
    job = client.batches.create(model=MODEL, src=inlined)
    assert job.name
    done = _wait(client, server, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    assert done.dest is not None and done.dest.inlined_responses is not None
    responses = done.dest.inlined_responses
    assert [r.metadata for r in responses] == [{"key": f"k{i}"} for i in range(4)]
    assert all(r.response is not None and r.response.text for r in responses)


def test_list_pages_newest_first(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server)
    file = _upload(client, [{"key": "a", "request": _request()}])
    made = []
    for _ in range(5):
        made.append(client.batches.create(model=MODEL, src=file.name).name)
        server.clock.advance(0.01)  # type: ignore[attr-defined]
    pager = client.batches.list(config={"page_size": 2})
    assert len(pager.page) == 2
    names = [job.name for job in pager]
    assert names == list(reversed(made))
    files = list(client.files.list(config={"page_size": 1}))
    assert [f.name for f in files] == [file.name]


def test_cancel_keeps_finished(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY, job_seconds=100.0)
    client = _client(server)
    lines = [{"key": f"r{i}", "request": _request()} for i in range(40)]
    job = client.batches.create(model=MODEL, src=_upload(client, lines).name)
    assert job.name
    server.clock.advance(55.0)  # type: ignore[attr-defined]
    client.batches.cancel(name=job.name)
    done = client.batches.get(name=job.name)
    assert done.state == types.JobState.JOB_STATE_CANCELLED
    assert done.dest is not None and done.dest.file_name
    data = client.files.download(file=done.dest.file_name)
    kept = [json.loads(line)["key"] for line in data.splitlines() if line.strip()]
    assert 0 < len(kept) < 40


def test_expired_has_no_results(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY, job_seconds=100.0, expire_seconds=20.0)
    client = _client(server)
    job = client.batches.create(
        model=MODEL, src=_upload(client, [{"key": "a", "request": _request()}]).name
    )
    assert job.name
    done = _wait(client, server, job.name)
    assert done.state == types.JobState.JOB_STATE_EXPIRED
    assert done.dest is None


def test_delete(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server)
    job = client.batches.create(
        model=MODEL, src=_upload(client, [{"key": "a", "request": _request()}]).name
    )
    assert job.name
    deleted = client.batches.delete(name=job.name)
    assert isinstance(deleted, types.DeleteResourceJob)
    with pytest.raises(errors.ClientError) as caught:
        client.batches.get(name=job.name)
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"


def test_wrong_key(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server, key="AIza-wrong")
    with pytest.raises(errors.ClientError) as caught:
        list(client.batches.list())
    err = caught.value
    assert err.code == 400 and err.status == "INVALID_ARGUMENT"
    assert err.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_missing_batch(make_emulator: Callable[..., EmulatorServer]) -> None:
    server = make_emulator(api_key=KEY)
    client = _client(server)
    with pytest.raises(errors.ClientError) as caught:
        client.batches.get(name="batches/doesnotexist")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"
    assert "batches/doesnotexist" in (caught.value.message or "")
