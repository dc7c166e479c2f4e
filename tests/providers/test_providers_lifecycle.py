"""Both adapters against the emulator over real loopback HTTP: the whole lifecycle and faults."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus, Outcome, ResultLine
from batchtui.core.provider import (
    AuthError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    Provider,
    RateLimitedError,
    ServerError,
    SubmitOptions,
)
from batchtui.emulator import EmulatorServer
from batchtui.providers.anthropic import AnthropicProvider
from batchtui.providers.openai import OpenAIProvider

KINDS = ["openai", "anthropic"]
MakeEmulator = Callable[..., EmulatorServer]


class FakeTime:
    """Stands in for the transport's sleep and monotonic clock; runs hooks on each sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[int], None] | None = None

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(len(self.sleeps))


class Calls:
    """Counts the HTTP requests a provider sends, by method and path."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.seen.append((request.method, request.url.path))

    def count(self, method: str, path: str) -> int:
        return self.seen.count((method, path))


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    """connect(kind, server_or_url, api_key=..., **kw) -> provider; all closed at teardown."""
    made: list[Provider] = []
    clients: list[httpx.AsyncClient] = []

    def factory(
        kind: str,
        server: EmulatorServer | str,
        *,
        api_key: str = "test-key",
        time: FakeTime | None = None,
        calls: Calls | None = None,
        **kw: Any,
    ) -> Provider:
        if time is not None:
            kw.update(sleep=time.sleep, monotonic=time.monotonic)
        if calls is not None:
            client = httpx.AsyncClient(event_hooks={"request": [calls]}, timeout=10.0)
            clients.append(client)
            kw["client"] = client
        if isinstance(server, str):
            base = server + ("/v1" if kind == "openai" else "")
        else:
            base = server.openai_base_url if kind == "openai" else server.anthropic_base_url
        cls = OpenAIProvider if kind == "openai" else AnthropicProvider
        provider = cls(api_key, base, **kw)
        made.append(provider)
        return provider

    yield factory
    for provider in made:
        await provider.aclose()
    for client in clients:
        await client.aclose()


def write_input(kind: str, path: Path, ids: list[str]) -> Path:
    """A small native JSONL input for ``kind``."""
    lines = []
    for n, custom_id in enumerate(ids):
        messages = [{"role": "user", "content": f"Say something about the number {n}."}]
        if kind == "openai":
            body = {"model": "gpt-4o-mini", "messages": messages, "max_tokens": 200}
            line = {
                "custom_id": custom_id,
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": body,
            }
        else:
            params = {"model": "claude-haiku-4-5", "max_tokens": 200, "messages": messages}
            line = {"custom_id": custom_id, "params": params}
        lines.append(json.dumps(line))
    path.write_text("\n".join(lines) + "\n")
    return path


def ids(n: int, prefix: str = "req") -> list[str]:
    return [f"{prefix}-{i}" for i in range(n)]


async def submit(provider: Provider, path: Path) -> BatchJob:
    file_id = await provider.upload_input(path)
    return await provider.create(path, input_file_id=file_id, options=SubmitOptions())


async def run_until_terminal(
    provider: Provider, clock: FixedClock, job: BatchJob, *, step: float = 1.0
) -> tuple[BatchJob, list[BatchStatus]]:
    """Advance the emulator clock and poll until the job ends; return it and the states seen."""
    seen = [job.status]
    for _ in range(500):
        if job.is_terminal:
            return job, seen
        clock.advance(step)
        job = await provider.get(job.id)
        if job.status != seen[-1]:
            seen.append(job.status)
    raise AssertionError(f"job never ended; states seen: {seen}")


async def all_results(provider: Provider, job: BatchJob) -> list:
    return [result async for result in provider.results(job)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the lifecycle ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_submit_poll_results(
    kind: str, make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(fail_rate=0.3)
    provider = connect(kind, server)
    wanted = ids(12)
    job = await submit(provider, write_input(kind, tmp_path / "in.jsonl", wanted))
    assert job.id and not job.is_terminal and not job.results_available

    job, seen = await run_until_terminal(provider, server.clock, job)
    expected_states = {
        "openai": [
            BatchStatus.VALIDATING,
            BatchStatus.IN_PROGRESS,
            BatchStatus.FINALIZING,
            BatchStatus.COMPLETED,
        ],
        "anthropic": [BatchStatus.IN_PROGRESS, BatchStatus.COMPLETED],
    }[kind]
    assert seen == expected_states
    assert job.results_available
    assert job.times.created_at is not None and job.times.created_at.tzinfo is not None
    assert job.times.ended_at is not None

    lines = [line async for line in provider.result_lines(job)]
    results = [provider.parse_result(line) for line in lines]
    assert sorted(r.custom_id for r in results) == sorted(wanted)
    outcomes = Counter(r.outcome for r in results)
    assert outcomes[Outcome.SUCCEEDED] == job.counts.succeeded > 0
    assert outcomes[Outcome.ERRORED] == job.counts.errored > 0
    assert job.counts.total == len(wanted)
    for result in results:
        if result.outcome is Outcome.SUCCEEDED:
            assert result.text and result.usage and result.usage.output_tokens > 0
        else:
            assert result.error is not None and result.error.type and result.error.message
    if kind == "openai":
        assert {line.source for line in lines} == {"output", "error"}
        assert job.output_file_id and job.error_file_id
    else:
        assert {line.source for line in lines} == {"results"}


@pytest.mark.parametrize("kind", KINDS)
async def test_list_follows_pagination(
    kind: str, emulator: EmulatorServer, connect: Any, tmp_path: Path
) -> None:
    calls = Calls()
    provider = connect(kind, emulator, calls=calls)
    created = []
    for n in range(5):
        path = write_input(kind, tmp_path / f"in{n}.jsonl", ids(2, f"j{n}"))
        created.append((await submit(provider, path)).id)
        emulator.clock.advance(1)
    listed = [job.id async for job in provider.list(page_size=2)]
    assert sorted(listed) == sorted(created)
    assert len(listed) == len(set(listed))
    assert listed == list(reversed(created))  # newest first
    list_path = "/v1/batches" if kind == "openai" else "/v1/messages/batches"
    assert calls.count("GET", list_path) == 3


@pytest.mark.parametrize("kind", KINDS)
async def test_cancel_keeps_partial_results(
    kind: str, emulator: EmulatorServer, connect: Any, tmp_path: Path
) -> None:
    provider = connect(kind, emulator)
    wanted = ids(10)
    job = await submit(provider, write_input(kind, tmp_path / "in.jsonl", wanted))
    emulator.clock.advance(4)
    job = await provider.get(job.id)
    assert job.status is BatchStatus.IN_PROGRESS
    job = await provider.cancel(job.id)
    assert job.status is BatchStatus.CANCELLING
    job, _ = await run_until_terminal(provider, emulator.clock, job)
    assert job.status is BatchStatus.CANCELLED
    assert job.results_available
    assert 0 < job.counts.succeeded < len(wanted)
    assert job.counts.canceled > 0
    assert job.counts.done == job.counts.total == len(wanted)

    results = await all_results(provider, job)
    outcomes = Counter(r.outcome for r in results)
    assert outcomes[Outcome.SUCCEEDED] == job.counts.succeeded
    assert outcomes[Outcome.CANCELED] == job.counts.canceled
    assert sorted(r.custom_id for r in results) == sorted(wanted)


@pytest.mark.parametrize("kind", KINDS)
async def test_expiry_keeps_partial_results(
    kind: str, make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(job_seconds=100.0, expire_seconds=40.0)
    provider = connect(kind, server)
    wanted = ids(10)
    job = await submit(provider, write_input(kind, tmp_path / "in.jsonl", wanted))
    job, _ = await run_until_terminal(provider, server.clock, job, step=5.0)
    assert job.status is BatchStatus.EXPIRED
    assert job.results_available
    assert 0 < job.counts.succeeded < len(wanted)
    assert job.counts.expired == len(wanted) - job.counts.succeeded - job.counts.errored

    results = await all_results(provider, job)
    outcomes = Counter(r.outcome for r in results)
    assert outcomes[Outcome.SUCCEEDED] == job.counts.succeeded
    assert outcomes[Outcome.EXPIRED] == job.counts.expired
    assert all(
        r.error is None or r.error.code == "batch_expired"
        for r in results
        if r.outcome is Outcome.EXPIRED
    )


async def test_openai_failed_validation_names_lines(
    emulator: EmulatorServer, connect: Any, tmp_path: Path
) -> None:
    provider = connect("openai", emulator)
    path = write_input("openai", tmp_path / "in.jsonl", ["a", "b", "c", "a"])
    lines = path.read_text().splitlines()
    lines.insert(1, "{this is not json")  # becomes line 2
    path.write_text("\n".join(lines) + "\n")
    job = await submit(provider, path)
    assert job.status is BatchStatus.VALIDATING
    job, seen = await run_until_terminal(provider, emulator.clock, job)
    assert seen == [BatchStatus.VALIDATING, BatchStatus.FAILED]
    assert not job.results_available
    assert job.errors
    by_line = {error.line: error for error in job.errors}
    assert 2 in by_line and by_line[2].message
    assert all(error.code for error in job.errors)


async def test_anthropic_duplicate_custom_id_is_a_400(
    emulator: EmulatorServer, connect: Any, tmp_path: Path
) -> None:
    provider = connect("anthropic", emulator)
    path = write_input("anthropic", tmp_path / "in.jsonl", ["x", "y", "x"])
    with pytest.raises(InvalidRequestError) as info:
        await submit(provider, path)
    error = info.value
    assert error.status_code == 400
    assert error.error_type == "invalid_request_error"
    assert error.message and error.request_id
    assert [job async for job in provider.list()] == []


# --- bad input and faults --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_wrong_key_is_auth_error(
    kind: str, make_emulator: MakeEmulator, connect: Any
) -> None:
    server = make_emulator(api_key="the-right-key")
    provider = connect(kind, server, api_key="a-wrong-key")
    with pytest.raises(AuthError) as info:
        await provider.get("batch_whatever")
    assert info.value.status_code == 401
    assert info.value.message and info.value.request_id
    assert "a-wrong-key" not in str(info.value)
    good = connect(kind, server, api_key="the-right-key")
    assert [job async for job in good.list()] == []


@pytest.mark.parametrize("kind", KINDS)
async def test_unknown_batch_is_not_found(
    kind: str, emulator: EmulatorServer, connect: Any
) -> None:
    provider = connect(kind, emulator)
    with pytest.raises(NotFoundError) as info:
        await provider.get("batch_doesnotexist")
    assert info.value.status_code == 404
    assert info.value.message and info.value.request_id


@pytest.mark.parametrize("kind", KINDS)
async def test_429_storm_honours_retry_after_then_succeeds(
    kind: str, emulator: EmulatorServer, connect: Any, tmp_path: Path
) -> None:
    time = FakeTime()
    provider = connect(kind, emulator, time=time)
    job = await submit(provider, write_input(kind, tmp_path / "in.jsonl", ids(3)))
    emulator.set_faults("429=1:2.5")
    # The storm passes after the third wait.
    time.on_sleep = lambda n: emulator.set_faults("") if n == 3 else None
    fresh = await provider.get(job.id)
    assert fresh.id == job.id
    assert time.sleeps == [2.5, 2.5, 2.5]


@pytest.mark.parametrize("kind", KINDS)
async def test_429_storm_exhausts_the_budget(
    kind: str, emulator: EmulatorServer, connect: Any
) -> None:
    time = FakeTime()
    provider = connect(kind, emulator, time=time, retry_budget=12.0)
    emulator.set_faults("429=1:5")
    with pytest.raises(RateLimitedError) as info:
        await provider.get("batch_x")
    assert time.sleeps == [5.0, 5.0]
    assert info.value.retry_after == 5.0
    assert info.value.request_id


@pytest.mark.parametrize("kind", KINDS)
async def test_create_answered_500_is_not_retried(
    kind: str, emulator: EmulatorServer, connect: Any, tmp_path: Path
) -> None:
    time = FakeTime()
    calls = Calls()
    provider = connect(kind, emulator, time=time, calls=calls)
    path = write_input(kind, tmp_path / "in.jsonl", ids(3))
    file_id = await provider.upload_input(path)
    create_path = "/v1/batches" if kind == "openai" else "/v1/messages/batches"

    emulator.set_faults("500=1")  # refused before anything is created
    with pytest.raises(ServerError):
        await provider.create(path, input_file_id=file_id, options=SubmitOptions())
    emulator.set_faults("500after=1")  # created, then answered 500 anyway
    with pytest.raises(ServerError) as info:
        await provider.create(path, input_file_id=file_id, options=SubmitOptions())
    assert info.value.status_code == 500 and info.value.request_id
    emulator.set_faults("")

    assert calls.count("POST", create_path) == 2
    assert time.sleeps == []
    assert len([job async for job in provider.list()]) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_cut_download_resumes_every_line_exactly_once(
    kind: str, make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(fail_rate=0.3)
    provider = connect(kind, server)
    wanted = ids(40)
    job = await submit(provider, write_input(kind, tmp_path / "in.jsonl", wanted))
    job, _ = await run_until_terminal(provider, server.clock, job)

    received: list[ResultLine] = []
    offsets: dict[str, int] = {}
    cuts = 0
    server.set_faults("cut=1:0.5")
    while True:
        try:
            async for line in provider.result_lines(job, start=dict(offsets)):
                received.append(line)
                offsets[line.source] = offsets.get(line.source, 0) + len(line.data) + 1
            break
        except NetworkError:
            cuts += 1
            if cuts == 2:
                server.set_faults("")
    assert cuts == 2
    custom_ids = [json.loads(line.data)["custom_id"] for line in received]
    assert sorted(custom_ids) == sorted(wanted)  # every line, none twice, none torn


@pytest.mark.parametrize("kind", KINDS)
async def test_dead_server_is_network_error(kind: str, connect: Any, tmp_path: Path) -> None:
    time = FakeTime()
    url = f"http://127.0.0.1:{free_port()}"
    provider = connect(kind, url, time=time, max_retries=2)
    with pytest.raises(NetworkError) as info:
        await provider.get("batch_x")
    assert "127.0.0.1" in str(info.value)
    assert len(time.sleeps) == 2
    # A create that could not even connect was provably not sent, so it is retried too.
    path = write_input(kind, tmp_path / "in.jsonl", ids(2))
    with pytest.raises(NetworkError):
        await provider.create(path, input_file_id="file-x", options=SubmitOptions())
    assert len(time.sleeps) == 4


async def test_anthropic_delete_only_after_end(
    emulator: EmulatorServer, connect: Any, tmp_path: Path
) -> None:
    calls = Calls()
    provider = connect("anthropic", emulator, calls=calls)
    job = await submit(provider, write_input("anthropic", tmp_path / "in.jsonl", ids(3)))
    path = f"/v1/messages/batches/{job.id}"
    with pytest.raises(InvalidRequestError) as info:
        await provider.delete_job(job.id)  # still processing: refused, and not retried
    assert info.value.message and info.value.request_id
    assert calls.count("DELETE", path) == 1
    job, _ = await run_until_terminal(provider, emulator.clock, job)
    await provider.delete_job(job.id)
    with pytest.raises(NotFoundError):
        await provider.get(job.id)


async def test_openai_delete_file(emulator: EmulatorServer, connect: Any, tmp_path: Path) -> None:
    provider = connect("openai", emulator)
    file_id = await provider.upload_input(write_input("openai", tmp_path / "in.jsonl", ids(2)))
    assert file_id
    await provider.delete_file(file_id)
    with pytest.raises(NotFoundError):
        await provider.delete_file(file_id)
