"""OpenAI-compatible presets against the emulator over real loopback HTTP: the generic,
LiteLLM and Azure presets on the emulator's OpenAI half (options pointing them at its paths),
Groq and Together on their own halves once those exist."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import batchtui.emulator.app
from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchResult, BatchStatus, Outcome
from batchtui.core.provider import AuthError, NotFoundError, ServerError, SubmitOptions
from batchtui.emulator import EmulatorServer
from batchtui.providers.openai.classify import classify_openai
from batchtui.providers.openai_compatible.adapter import (
    AzureProvider,
    CompatibleProvider,
    GenericProvider,
    GroqProvider,
    LiteLLMProvider,
    TogetherProvider,
)

MakeEmulator = Callable[..., EmulatorServer]
KEY = "test-key"


class Seen:
    """Records each request's method, path, query and headers (an httpx event hook)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    """connect(cls, base_url, seen=None, api_key=KEY, **options) -> adapter; closed at end."""
    made: list[CompatibleProvider] = []
    clients: list[httpx.AsyncClient] = []

    def factory(
        cls: type[CompatibleProvider],
        base_url: str,
        *,
        seen: Seen | None = None,
        api_key: str = KEY,
        **options: Any,
    ) -> Any:
        if seen is not None:
            client = httpx.AsyncClient(event_hooks={"request": [seen]}, timeout=10.0)
            clients.append(client)
            options["client"] = client
        options.setdefault("max_retries", 0)
        adapter = cls(api_key, base_url, **options)
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        await adapter.aclose()
    for client in clients:
        await client.aclose()


def openai_input(path: Path, ids: list[str], model: str = "gpt-4o-mini") -> Path:
    lines = [
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": model,
                "messages": [{"role": "user", "content": f"Tell me about {n}."}],
                "max_tokens": 100,
            },
        }
        for n, custom_id in enumerate(ids)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def together_input(path: Path, ids: list[str], model: str) -> Path:
    lines = [
        {
            "custom_id": custom_id,
            "body": {
                "model": model,
                "messages": [{"role": "user", "content": f"Tell me about {n}."}],
                "max_tokens": 100,
            },
        }
        for n, custom_id in enumerate(ids)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def names(n: int, prefix: str = "req") -> list[str]:
    return [f"{prefix}-{i}" for i in range(n)]


async def submit(adapter: CompatibleProvider, path: Path, **options: Any) -> BatchJob:
    file_id = await adapter.upload_input(path, name=path.name)
    return await adapter.create(path, input_file_id=file_id, options=SubmitOptions(**options))


async def until_terminal(
    adapter: CompatibleProvider, clock: FixedClock, job: BatchJob, step: float = 1.0
) -> tuple[BatchJob, list[BatchStatus]]:
    seen = [job.status]
    for _ in range(500):
        if job.is_terminal:
            return job, seen
        clock.advance(step)
        job = await adapter.get(job.id)
        if job.status != seen[-1]:
            seen.append(job.status)
    raise AssertionError(f"job never ended; states seen: {seen}")


async def checked_results(adapter: CompatibleProvider, job: BatchJob) -> list[BatchResult]:
    """Every result of a job, after checking the index's classifier agrees with the parser on
    each line and that every unsuccessful result says why."""
    results = []
    async for line in adapter.result_lines(job):
        result = adapter.parse_result(line)
        custom_id, outcome, flag, _ = classify_openai(line.source, json.loads(line.data))
        assert (custom_id, outcome, flag) == (result.custom_id, result.outcome, result.flag)
        if result.outcome is not Outcome.SUCCEEDED:
            assert result.error is not None and result.error.message
        else:
            assert result.text
        results.append(result)
    return results


# -- presets pointed at the emulator's OpenAI half ---------------------------------------------


def on_openai_half(
    name: str, server: EmulatorServer
) -> tuple[type[CompatibleProvider], str, dict[str, Any]]:
    """The adapter class, base URL and options that point preset ``name`` at the OpenAI half."""
    if name == "openai-compatible":
        return GenericProvider, server.url, {"path_prefix": "/v1"}
    if name == "litellm":
        return LiteLLMProvider, server.url, {"target_model": "gpt-4o-mini"}
    # Azure's paths are /openai/... and its default endpoint /chat/completions; the OpenAI half
    # serves /v1/... and takes /v1/chat/completions: only those two options change.
    options = {"path_prefix": "/v1", "default_endpoint": "/v1/chat/completions"}
    return AzureProvider, server.url, {**options, "api_version": "2024-10-21"}


@pytest.mark.parametrize("name", ["openai-compatible", "litellm", "azure"])
async def test_lifecycle_on_the_openai_half(
    name: str, make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    # The OpenAI half authenticates with Bearer only: Azure's api-key header is checked by the
    # MockTransport tests, and here the emulator runs without a key for it.
    server = make_emulator(fail_rate=0.3, api_key=None if name == "azure" else KEY)
    cls, base, options = on_openai_half(name, server)
    seen = Seen()
    adapter = connect(cls, base, seen=seen, **options)
    wanted = names(8)
    path = openai_input(tmp_path / "in.jsonl", wanted)
    job = await submit(adapter, path, endpoint="/v1/chat/completions")
    assert job.provider == name and not job.is_terminal
    assert await adapter.find_uploads(path.name) == [job.input_file_id]

    job, states = await until_terminal(adapter, server.clock, job)
    assert states[-1] is BatchStatus.COMPLETED
    assert job.results_available and job.counts.total == len(wanted)
    results = await checked_results(adapter, job)
    assert sorted(r.custom_id for r in results) == sorted(wanted)
    outcomes = Counter(r.outcome for r in results)
    assert outcomes[Outcome.SUCCEEDED] == job.counts.succeeded > 0
    assert outcomes[Outcome.ERRORED] == job.counts.errored > 0

    upload = next(r for r in seen.requests if r.method == "POST" and r.url.path == "/v1/files")
    if name == "litellm":
        assert upload.headers["x-litellm-model"] == "gpt-4o-mini"
    if name == "azure":
        assert all(r.url.params.get("api-version") == "2024-10-21" for r in seen.requests)
        assert upload.headers["api-key"] == KEY
    else:
        assert upload.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("name", ["openai-compatible", "litellm", "azure"])
async def test_cancel_and_list_on_the_openai_half(
    name: str, make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=None if name == "azure" else KEY)
    cls, base, options = on_openai_half(name, server)
    adapter = connect(cls, base, **options)
    created = []
    for n in range(3):
        job = await submit(adapter, openai_input(tmp_path / f"in{n}.jsonl", names(6, f"j{n}")))
        created.append(job.id)
        server.clock.advance(1)
    listed = [job.id async for job in adapter.list(page_size=2)]
    assert listed == list(reversed(created))

    server.clock.advance(3)
    job = await adapter.cancel(created[-1])
    assert job.status is BatchStatus.CANCELLING
    job, _ = await until_terminal(adapter, server.clock, job)
    assert job.status is BatchStatus.CANCELLED
    results = [r async for r in adapter.results(job)]
    assert Counter(r.outcome for r in results)[Outcome.CANCELED] == job.counts.canceled > 0
    with pytest.raises(NotFoundError):
        await adapter.get("batch_does_not_exist")


async def test_wrong_key_is_an_auth_error(make_emulator: MakeEmulator, connect: Any) -> None:
    server = make_emulator(api_key=KEY)
    adapter = connect(GenericProvider, server.url + "/v1", api_key="wrong")
    with pytest.raises(AuthError):
        await adapter.get("batch_x")


async def no_sleep(seconds: float) -> None:
    """The transport's sleep between retries, skipped."""


async def test_repeated_uploads_are_found_and_an_ambiguous_create_is_listed(
    make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, faults="500after@upload=2,500after@create=1")
    adapter = connect(GenericProvider, server.url, max_retries=5, sleep=no_sleep)
    path = openai_input(tmp_path / "faulty.jsonl", names(4))
    attempts: list[int] = []
    file_id = await adapter.upload_input(path, name=path.name, on_attempt=attempts.append)
    assert attempts == [0, 1, 2]
    found = await adapter.find_uploads(path.name)
    assert len(found) == 3 and file_id in found
    with pytest.raises(ServerError):  # the create took effect, then answered 500: not resent
        await adapter.create(path, input_file_id=file_id, options=SubmitOptions())
    listed = [job async for job in adapter.list()]
    assert [job.input_file_id for job in listed] == [file_id]
    assert server.route_calls()["create"] == 1


# -- Groq and Together on their own halves -----------------------------------------------------


def install_half(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Install the emulator half ``name`` if the emulator does not list it yet (skip when the
    half does not exist in this tree)."""
    module = pytest.importorskip(f"batchtui.emulator.{name}")
    half = module.HALF
    if half not in batchtui.emulator.app.HALVES:
        monkeypatch.setattr(batchtui.emulator.app, "HALVES", (*batchtui.emulator.app.HALVES, half))


GROQ_MODEL = "llama-3.1-8b-instant"
TOGETHER_MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"


async def test_groq_lifecycle(
    monkeypatch: pytest.MonkeyPatch, make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    install_half(monkeypatch, "groq")
    server = make_emulator(fail_rate=0.3, api_key=KEY)
    seen = Seen()
    groq = connect(GroqProvider, server.provider_base_url("groq"), seen=seen)
    wanted = names(8)
    path = openai_input(tmp_path / "g.jsonl", wanted, model=GROQ_MODEL)
    job = await submit(groq, path, completion_window="48h")
    assert job.provider == "groq" and not job.is_terminal
    assert await groq.find_uploads(path.name) == [job.input_file_id]
    assert all(r.url.path.startswith("/openai/v1/") for r in seen.requests)
    job, states = await until_terminal(groq, server.clock, job)
    assert states[-1] is BatchStatus.COMPLETED and job.results_available
    results = await checked_results(groq, job)
    assert sorted(r.custom_id for r in results) == sorted(wanted)
    outcomes = Counter(r.outcome for r in results)
    assert outcomes[Outcome.SUCCEEDED] == job.counts.succeeded > 0
    assert outcomes[Outcome.ERRORED] == job.counts.errored > 0

    other = await submit(groq, openai_input(tmp_path / "g2.jsonl", names(6, "b"), GROQ_MODEL))
    server.clock.advance(3)
    cancelled = await groq.cancel(other.id)
    assert cancelled.status in (BatchStatus.CANCELLING, BatchStatus.CANCELLED)
    cancelled, _ = await until_terminal(groq, server.clock, cancelled)
    assert cancelled.status is BatchStatus.CANCELLED
    listed = [j.id async for j in groq.list()]
    assert listed[:2] == [other.id, job.id]


async def test_together_lifecycle(
    monkeypatch: pytest.MonkeyPatch, make_emulator: MakeEmulator, connect: Any, tmp_path: Path
) -> None:
    install_half(monkeypatch, "together")
    server = make_emulator(fail_rate=0.3, api_key=KEY)
    together = connect(TogetherProvider, server.provider_base_url("together"))
    wanted = names(8)
    path = together_input(tmp_path / "t.jsonl", wanted, TOGETHER_MODEL)
    job = await submit(together, path)
    assert job.provider == "together" and not job.is_terminal
    assert await together.find_uploads(path.name) == [job.input_file_id]
    assert job.raw_status.isupper()
    job, states = await until_terminal(together, server.clock, job)
    assert states[-1] is BatchStatus.COMPLETED and job.results_available
    results = await checked_results(together, job)
    assert sorted(r.custom_id for r in results) == sorted(wanted)
    outcomes = Counter(r.outcome for r in results)
    assert outcomes[Outcome.SUCCEEDED] > 0 and outcomes[Outcome.ERRORED] > 0
    assert job.counts.total == 0  # Together reports a percent, not counts

    other = await submit(
        together, together_input(tmp_path / "t2.jsonl", names(6, "b"), TOGETHER_MODEL)
    )
    server.clock.advance(3)
    cancelled = await together.cancel(other.id)
    cancelled, _ = await until_terminal(together, server.clock, cancelled)
    assert cancelled.status is BatchStatus.CANCELLED
    listed = [j.id async for j in together.list()]
    assert listed[:2] == [other.id, job.id]
