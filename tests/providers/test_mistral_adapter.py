"""The Mistral adapter against the emulator's Mistral half over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import batchtui.emulator.app
from batchtui.core.models import BatchStatus, Outcome, ResultFlag, ResultLine
from batchtui.core.provider import (
    AuthError,
    InvalidRequestError,
    NotFoundError,
    Provider,
    QuotaError,
    RateLimitedError,
    SubmitOptions,
)
from batchtui.emulator import EmulatorServer
from batchtui.emulator.mistral import HALF
from batchtui.providers import make_provider
from batchtui.providers.mistral import MistralProvider
from batchtui.providers.mistral.classify import classify_mistral

KEY = "mistral-test-key"
MODEL = "mistral-small-latest"
CHAT = SubmitOptions(model=MODEL, metadata={"run": "t1"})
MakeEmulator = Callable[..., EmulatorServer]


@pytest.fixture(autouse=True)
def mistral_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Mistral half until the lead adds it to HALVES (a no-op afterwards)."""
    halves = batchtui.emulator.app.HALVES
    if HALF not in halves:
        monkeypatch.setattr(batchtui.emulator.app, "HALVES", (*halves, HALF))


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., MistralProvider]]:
    made: list[MistralProvider] = []

    def factory(server: EmulatorServer, key: str = KEY, **kw: Any) -> MistralProvider:
        provider = MistralProvider(key, base_url=server.provider_base_url("mistral"), **kw)
        made.append(provider)
        return provider

    yield factory
    for provider in made:
        await provider.aclose()


def write_input(path: Path, n: int, *, extra: list[dict[str, Any]] | None = None) -> Path:
    lines = [
        {
            "custom_id": f"r{i}",
            "body": {"model": MODEL, "messages": [{"role": "user", "content": f"q{i}"}]},
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in [*lines, *(extra or [])]))
    return path


async def submit(provider: MistralProvider, path: Path, options: SubmitOptions = CHAT) -> Any:
    file_id = await provider.upload_input(path, name="run-1.jsonl")
    return await provider.create(path, input_file_id=file_id, options=options)


async def lines_of(provider: MistralProvider, job: Any, **kw: Any) -> list[ResultLine]:
    return [line async for line in provider.result_lines(job, **kw)]


def test_provider_protocol_and_registry() -> None:
    provider = make_provider("mistral", api_key="k")
    assert isinstance(provider, MistralProvider) and isinstance(provider, Provider)
    assert provider.base_url == "https://api.mistral.ai"


async def test_full_lifecycle(make_emulator: MakeEmulator, connect: Any, tmp_path: Path) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.25)
    provider = connect(server)
    path = write_input(
        tmp_path / "in.jsonl",
        12,
        extra=[
            {
                "custom_id": "bad",
                "body": {
                    "model": MODEL,
                    "messages": [{"role": "user", "content": "[[http_error]]"}],
                },
            },
            {
                "custom_id": "cut",
                "body": {
                    "model": MODEL,
                    "max_tokens": 1,
                    "messages": [{"role": "user", "content": "long"}],
                },
            },
        ],
    )
    seen: list[tuple[int, int]] = []
    attempts: list[int] = []
    file_id = await provider.upload_input(
        path,
        name="run-1.jsonl",
        progress=lambda d, t: seen.append((d, t)),
        on_attempt=attempts.append,
    )
    assert file_id and attempts == [0] and seen[-1] == (path.stat().st_size,) * 2
    assert await provider.find_uploads("run-1.jsonl") == [file_id]
    assert await provider.find_uploads("other.jsonl") == []
    job = await provider.create(path, input_file_id=file_id, options=CHAT)
    assert job.status is BatchStatus.VALIDATING and job.raw_status == "QUEUED"
    assert job.model == MODEL and job.metadata == {"run": "t1"} and job.input_file_id == file_id
    assert job.endpoint == "/v1/chat/completions" and job.times.created_at is not None
    assert job.counts.total == 14 and job.counts.processing == 14
    server.clock.advance(5)
    running = await provider.get(job.id)
    assert running.status is BatchStatus.IN_PROGRESS and running.times.in_progress_at
    assert 0 < running.counts.done < 14 and running.counts.processing == 14 - running.counts.done
    assert not running.results_available
    server.clock.advance(6)
    done = await provider.get(job.id)
    assert done.status is BatchStatus.COMPLETED and done.results_available
    assert done.times.completed_at == done.times.ended_at is not None
    assert done.counts.succeeded + done.counts.errored == 14 and done.counts.processing == 0
    lines = await lines_of(provider, done)
    results = [provider.parse_result(line) for line in lines]
    by_id = {r.custom_id: r for r in results}
    assert len(by_id) == 14
    assert sum(r.outcome is Outcome.SUCCEEDED for r in results) == done.counts.succeeded
    assert by_id["bad"].outcome is Outcome.ERRORED and by_id["bad"].error is not None
    assert by_id["bad"].error.message and {line.source for line in lines} == {"output", "error"}
    if by_id["cut"].outcome is Outcome.SUCCEEDED:
        assert by_id["cut"].flag is ResultFlag.TRUNCATED
    ok = [r for r in results if r.outcome is Outcome.SUCCEEDED]
    assert all(r.text and r.usage and r.usage.input_tokens > 0 and r.model == MODEL for r in ok)
    # resumable: from the end of the first output line on, the rest comes again
    first = next(line for line in lines if line.source == "output")
    assert first.end is not None
    again = await lines_of(provider, done, start={"output": first.end, "error": 10**9})
    assert [line.data for line in again] == [
        line.data for line in lines if line.source == "output"
    ][1:]
    await provider.delete_job(job.id)
    with pytest.raises(NotFoundError):
        await provider.get(job.id)
    await provider.delete_file(file_id)
    assert await provider.find_uploads("run-1.jsonl") == []


async def test_model_from_lines_when_the_job_names_none(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY)
    provider = connect(server)
    path = write_input(tmp_path / "in.jsonl", 3)
    job = await submit(provider, path, SubmitOptions())
    assert job.model is None
    server.clock.advance(11)
    results = [
        provider.parse_result(line) for line in await lines_of(provider, await provider.get(job.id))
    ]
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 3
    assert {r.model for r in results} == {MODEL}


async def test_cancel_keeps_partial_results(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, cancel_seconds=1)
    provider = connect(server)
    job = await submit(provider, write_input(tmp_path / "in.jsonl", 30))
    server.clock.advance(5)
    cancelling = await provider.cancel(job.id)
    assert cancelling.status is BatchStatus.CANCELLING
    assert cancelling.raw_status == "CANCELLATION_REQUESTED"
    again = await provider.cancel(job.id)  # repeated: unchanged
    assert again.status is BatchStatus.CANCELLING
    server.clock.advance(1)
    ended = await provider.get(job.id)
    assert ended.status is BatchStatus.CANCELLED and ended.times.cancelled_at is not None
    assert ended.results_available and 0 < ended.counts.succeeded < 30
    assert ended.counts.canceled == 30 - ended.counts.succeeded - ended.counts.errored
    results = [provider.parse_result(line) for line in await lines_of(provider, ended)]
    assert len(results) == ended.counts.succeeded + ended.counts.errored


async def test_timeout_exceeded_is_expired_with_partial_results(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, expire_seconds=6)  # 24 h -> 6 s; 12 h -> 3 s
    provider = connect(server)
    job = await submit(
        provider,
        write_input(tmp_path / "in.jsonl", 30),
        SubmitOptions(model=MODEL, completion_window="12h"),
    )
    server.clock.advance(4)
    ended = await provider.get(job.id)
    assert ended.raw_status == "TIMEOUT_EXCEEDED" and ended.status is BatchStatus.EXPIRED
    assert ended.times.expired_at is not None and ended.results_available
    assert ended.counts.expired == 30 - ended.counts.succeeded - ended.counts.errored > 0
    results = [provider.parse_result(line) for line in await lines_of(provider, ended)]
    assert len(results) == ended.counts.succeeded + ended.counts.errored > 0


async def test_list_pages_newest_first(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY)
    provider = connect(server)
    path = write_input(tmp_path / "in.jsonl", 1)
    made = []
    for _ in range(7):
        made.append((await submit(provider, path)).id)
        server.clock.advance(1)
    listed = [job async for job in provider.list(page_size=3)]
    assert [job.id for job in listed] == list(reversed(made))
    assert all(job.times.created_at is not None for job in listed)
    assert len(await provider.find_uploads("run-1.jsonl")) == 7


async def test_auth_not_found_and_invalid(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY)
    with pytest.raises(AuthError) as wrong:
        await connect(server, key="nope").get("x")
    assert wrong.value.status_code == 401 and wrong.value.message == "Unauthorized"
    assert wrong.value.request_id
    provider = connect(server)
    with pytest.raises(NotFoundError, match="not found"):
        await provider.get("00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidRequestError) as invalid:
        await provider.create(
            tmp_path, input_file_id="f", options=SubmitOptions(endpoint="/v1/nope")
        )
    assert invalid.value.status_code == 422 and "endpoint" in invalid.value.message
    with pytest.raises(ValueError, match="whole hours"):
        await provider.create(
            tmp_path, input_file_id="f", options=SubmitOptions(completion_window="1d")
        )


async def test_faults_map_to_typed_errors(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, faults="429@create=1,quota@list=1")
    provider = connect(server, max_retries=0)
    path = write_input(tmp_path / "in.jsonl", 1)
    file_id = await provider.upload_input(path)
    with pytest.raises(RateLimitedError) as limited:
        await provider.create(path, input_file_id=file_id, options=CHAT)
    assert limited.value.message == "Requests rate limit exceeded"
    with pytest.raises(QuotaError):
        [job async for job in provider.list()]


async def test_upload_sent_again_after_a_server_error(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, faults="500@upload=1")
    attempts: list[int] = []

    async def no_sleep(_: float) -> None:
        return None

    provider = connect(server, sleep=no_sleep)
    path = write_input(tmp_path / "in.jsonl", 2)
    file_id = await provider.upload_input(path, name="again.jsonl", on_attempt=attempts.append)
    assert attempts == [0, 1] and file_id
    assert await provider.find_uploads("again.jsonl") == [file_id]


async def test_create_is_not_retried_after_an_ambiguous_failure(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, faults="500after@create=1")
    provider = connect(server)
    path = write_input(tmp_path / "in.jsonl", 1)
    file_id = await provider.upload_input(path)
    with pytest.raises(Exception) as failed:
        await provider.create(path, input_file_id=file_id, options=CHAT)
    assert getattr(failed.value, "status_code", None) == 500
    assert server.app.route_calls()["create"] == 1
    assert len([job async for job in provider.list()]) == 1  # it was created once


def test_error_bodies_are_read(tmp_path: Path) -> None:
    """Mistral's flat and validation error bodies give the provider's message (MockTransport)."""
    answers = {
        "/v1/batch/jobs/a": (
            404,
            {
                "object": "error",
                "message": "Job a not found",
                "type": "not_found",
                "param": None,
                "code": "1404",
            },
        ),
        "/v1/batch/jobs/b": (
            422,
            {"detail": [{"loc": ["body", "model"], "msg": "Field required", "type": "missing"}]},
        ),
        "/v1/batch/jobs/c": (
            400,
            {
                "object": "error",
                "message": {"detail": [{"loc": ["query", "x"], "msg": "bad"}]},
                "type": "invalid_request_error",
            },
        ),
        "/v1/batch/jobs/d": (
            402,
            {"object": "error", "message": "Spend limit", "type": "insufficient_quota"},
        ),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        status, body = answers[request.url.path]
        return httpx.Response(status, json=body)

    async def run() -> list[Exception]:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        provider = MistralProvider(
            "k", base_url="https://mistral.test", client=client, max_retries=0
        )
        found: list[Exception] = []
        for job_id in "abcd":
            try:
                await provider.get(job_id)
            except Exception as exc:
                found.append(exc)
        await client.aclose()
        return found

    a, b, c, d = asyncio.run(run())
    assert isinstance(a, NotFoundError) and a.message == "Job a not found" and a.code == "1404"
    assert a.error_type == "not_found"
    assert isinstance(b, InvalidRequestError) and b.message == "model: Field required"
    assert isinstance(c, InvalidRequestError) and c.message == "query.x: bad"
    assert isinstance(d, QuotaError) and d.message == "Spend limit"


async def test_classifier_agrees_with_parser_on_emulator_lines(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.4)
    provider = connect(server)
    extra = [
        {
            "custom_id": "bad",
            "body": {"model": MODEL, "messages": [{"role": "user", "content": "[[http_error]]"}]},
        },
        {"custom_id": "anon", "body": {"messages": [{"role": "user", "content": "no model"}]}},
        *(
            {
                "custom_id": f"cut{n}",
                "body": {
                    "model": MODEL,
                    "max_tokens": 1,
                    "messages": [{"role": "user", "content": "x"}],
                },
            }
            for n in range(5)
        ),
    ]
    job = await submit(
        provider, write_input(tmp_path / "in.jsonl", 25, extra=extra), SubmitOptions()
    )
    server.clock.advance(11)
    lines = await lines_of(provider, await provider.get(job.id))
    assert len(lines) == 32
    kinds = set()
    for line in lines:
        parsed = provider.parse_result(line)
        cid, outcome, flag, etype = classify_mistral(line.source, json.loads(line.data))
        assert (cid, outcome, flag) == (parsed.custom_id, parsed.outcome, parsed.flag)
        assert etype == (parsed.error.type if parsed.error else None)
        kinds.add((line.source, outcome, flag, etype))
    assert ("error", Outcome.ERRORED, None, "invalid_request_error") in kinds
    assert ("error", Outcome.ERRORED, None, "3000") in kinds
    assert ("output", Outcome.SUCCEEDED, ResultFlag.TRUNCATED, None) in kinds
