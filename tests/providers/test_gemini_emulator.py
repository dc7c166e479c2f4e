"""The Gemini adapter against the emulator's Gemini half over real loopback HTTP: the whole
lifecycle (upload, create, poll, results), cancel with partial results, expiry without results,
list paging, find_uploads, faults, auth and not-found errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import batchtui.emulator.app
from batchtui.core.models import BatchJob, BatchStatus, Outcome, ResultLine
from batchtui.core.provider import (
    AuthError,
    BatchtuiError,
    NotFoundError,
    Provider,
    QuotaError,
    RateLimitedError,
    ServerError,
    SubmitOptions,
)
from batchtui.emulator import EmulatorServer
from batchtui.emulator.gemini import HALF
from batchtui.providers.gemini.adapter import GeminiProvider
from batchtui.providers.gemini.classify import classify_gemini

KEY = "AIzaEmulatorKey0123456789"
MODEL = "gemini-2.5-flash"
MakeEmulator = Callable[..., EmulatorServer]


@pytest.fixture(autouse=True)
def gemini_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Gemini half until the lead adds it to HALVES (a no-op afterwards)."""
    halves = batchtui.emulator.app.HALVES
    if HALF not in halves:
        monkeypatch.setattr(batchtui.emulator.app, "HALVES", (*halves, HALF))


class FakeTime:
    """The transport's sleep and monotonic clock, so retries take no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
async def make_adapter() -> AsyncIterator[Callable[..., GeminiProvider]]:
    made: list[GeminiProvider] = []

    def factory(server: EmulatorServer, key: str = KEY, **options: Any) -> GeminiProvider:
        fake = FakeTime()
        options.setdefault("sleep", fake.sleep)
        options.setdefault("monotonic", fake.monotonic)
        adapter = GeminiProvider(key, base_url=server.provider_base_url("gemini"), **options)
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        await adapter.aclose()


def write_input(path: Path, n: int, extra: list[dict[str, Any]] | None = None) -> Path:
    lines = [
        {"key": f"r{i}", "request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}}
        for i in range(n)
    ]
    lines += extra or []
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


async def submit(adapter: GeminiProvider, path: Path, name: str = "part-1") -> BatchJob:
    file_id = await adapter.upload_input(path, name=name)
    return await adapter.create(path, input_file_id=file_id, options=SubmitOptions(model=MODEL))


async def wait(adapter: GeminiProvider, server: EmulatorServer, job: BatchJob) -> BatchJob:
    for _ in range(100):
        job = await adapter.get(job.id)
        if job.is_terminal:
            return job
        server.clock.advance(1.0)  # type: ignore[attr-defined]
    raise AssertionError(f"{job.id} never ended")


async def lines_of(adapter: GeminiProvider, job: BatchJob, **kw: Any) -> list[ResultLine]:
    return [line async for line in adapter.result_lines(job, **kw)]


async def test_full_lifecycle(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.25)
    adapter = make_adapter(server)
    assert isinstance(adapter, Provider)
    bad = {
        "key": "bad",
        "request": {"contents": [{"role": "user", "parts": [{"text": "[[http_error]]"}]}]},
    }
    path = write_input(tmp_path / "in.jsonl", 20, [bad])
    seen: list[tuple[int, int | None]] = []
    attempts: list[int] = []
    file_id = await adapter.upload_input(
        path, name="part-1", progress=lambda d, t: seen.append((d, t)), on_attempt=attempts.append
    )
    assert file_id and file_id.startswith("files/")
    assert attempts == [0] and seen[-1] == (path.stat().st_size, path.stat().st_size)
    job = await adapter.create(path, input_file_id=file_id, options=SubmitOptions(model=MODEL))
    assert job.id.startswith("batches/") and job.status is BatchStatus.VALIDATING
    assert job.model == MODEL and job.input_file_id == file_id
    assert job.times.created_at is not None and job.times.expires_at is not None
    assert not job.results_available

    done = await wait(adapter, server, job)
    assert done.status is BatchStatus.COMPLETED and done.raw_status == "BATCH_STATE_SUCCEEDED"
    assert done.results_available and done.output_file_id
    assert done.counts.total == 21 and done.counts.processing == 0
    assert done.counts.succeeded + done.counts.errored == 21 and done.counts.errored >= 1
    assert done.times.completed_at is not None

    lines = await lines_of(adapter, done)
    results = [adapter.parse_result(line) for line in lines]
    assert sorted(r.custom_id for r in results) == sorted([f"r{i}" for i in range(20)] + ["bad"])
    by_id = {r.custom_id: r for r in results}
    assert by_id["bad"].outcome is Outcome.ERRORED
    assert by_id["bad"].error is not None and by_id["bad"].error.type == "INVALID_ARGUMENT"
    ok = [r for r in results if r.outcome is Outcome.SUCCEEDED]
    assert len(ok) == done.counts.succeeded
    assert all(r.text and r.usage and r.usage.input_tokens > 0 and r.model == MODEL for r in ok)
    for line in lines:  # the cheap classifier agrees with the parser on every line
        parsed = adapter.parse_result(line)
        cid, outcome, flag, error_type = classify_gemini(line.source, json.loads(line.data))
        assert (cid, outcome, flag) == (parsed.custom_id, parsed.outcome, parsed.flag)
        assert error_type == (parsed.error.type if parsed.error else None)

    # resumable: from the end of the third line on, the same tail
    third = lines[2].end
    assert third is not None
    tail = await lines_of(adapter, done, start={"output": third})
    assert [t.data for t in tail] == [line.data for line in lines[3:]]
    assert tail[-1].end == lines[-1].end


async def test_create_needs_one_model(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY)
    adapter = make_adapter(server)
    path = write_input(tmp_path / "in.jsonl", 1)
    file_id = await adapter.upload_input(path)
    with pytest.raises(BatchtuiError, match="one model"):
        await adapter.create(path, input_file_id=file_id, options=SubmitOptions())
    with pytest.raises(BatchtuiError, match="not a Gemini model name"):
        await adapter.create(path, input_file_id=file_id, options=SubmitOptions(model="(none)"))
    assert HALF.name in server.app.halves
    assert not server.app.halves["gemini"].jobs  # nothing was sent


async def test_cancel_keeps_partial_results(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, job_seconds=100.0)
    adapter = make_adapter(server)
    job = await submit(adapter, write_input(tmp_path / "in.jsonl", 40))
    server.clock.advance(55.0)  # type: ignore[attr-defined]
    cancelled = await adapter.cancel(job.id)
    assert cancelled.status is BatchStatus.CANCELLED and cancelled.results_available
    counts = cancelled.counts
    assert counts.total == 40 and 0 < counts.canceled < 40 and counts.processing == 0
    assert counts.succeeded + counts.errored + counts.canceled == 40
    results = [adapter.parse_result(line) for line in await lines_of(adapter, cancelled)]
    assert len(results) == counts.succeeded + counts.errored
    assert (await adapter.cancel(job.id)).status is BatchStatus.CANCELLED  # repeatable


async def test_expired_has_no_results(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, job_seconds=100.0, expire_seconds=20.0)
    adapter = make_adapter(server)
    job = await wait(adapter, server, await submit(adapter, write_input(tmp_path / "a", 10)))
    assert job.status is BatchStatus.EXPIRED and job.times.expired_at is not None
    assert not job.results_available and job.output_file_id is None
    assert job.counts.expired == 10 - job.counts.succeeded - job.counts.errored
    assert await lines_of(adapter, job) == []


async def test_list_pages_newest_first_and_uploads_by_name(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY)
    adapter = make_adapter(server)
    path = write_input(tmp_path / "in.jsonl", 2)
    made = []
    for i in range(5):
        made.append((await submit(adapter, path, name=f"part-{i % 2}")).id)
        server.clock.advance(0.5)  # type: ignore[attr-defined]
    listed = [job async for job in adapter.list(page_size=2)]
    assert [job.id for job in listed] == list(reversed(made))
    assert all(job.times.created_at is not None for job in listed)
    assert server.app.route_calls()["list"] == 3
    assert len(await adapter.find_uploads("part-0")) == 3
    assert len(await adapter.find_uploads("part-1")) == 2
    assert await adapter.find_uploads("nothing") == []


async def test_delete_job_and_file(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY)
    adapter = make_adapter(server)
    job = await submit(adapter, write_input(tmp_path / "in.jsonl", 2))
    assert job.input_file_id
    await adapter.delete_job(job.id)
    with pytest.raises(NotFoundError):
        await adapter.get(job.id)
    await adapter.delete_file(job.input_file_id)
    assert await adapter.find_uploads("part-1") == []


async def test_wrong_key_is_auth_error(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider]
) -> None:
    server = make_emulator(api_key=KEY)
    adapter = make_adapter(server, key="AIzaWrongKey")
    with pytest.raises(AuthError) as caught:
        await adapter.get("batches/anything")
    err = caught.value
    assert err.status_code == 400 and err.code == "API_KEY_INVALID"
    assert err.error_type == "INVALID_ARGUMENT" and "API key not valid" in err.message
    with pytest.raises(AuthError):
        await make_adapter(server, key="").get("batches/x")


async def test_missing_batch_is_not_found(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider]
) -> None:
    adapter = make_adapter(make_emulator(api_key=KEY))
    with pytest.raises(NotFoundError) as caught:
        await adapter.get("batches/nosuchbatch")
    assert caught.value.error_type == "NOT_FOUND"


async def test_upload_sent_again_after_server_errors(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, faults="500@upload=3")
    adapter = make_adapter(server)
    attempts: list[int] = []
    path = write_input(tmp_path / "in.jsonl", 3)
    file_id = await adapter.upload_input(path, name="again", on_attempt=attempts.append)
    assert file_id
    assert attempts == sorted(attempts) and attempts[0] == 0
    assert await adapter.find_uploads("again") == [file_id]
    job = await adapter.create(path, input_file_id=file_id, options=SubmitOptions(model=MODEL))
    assert job.input_file_id == file_id


async def test_create_not_sent_again_after_ambiguous_failure(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    server = make_emulator(api_key=KEY, faults="500after@create=1")
    adapter = make_adapter(server)
    path = write_input(tmp_path / "in.jsonl", 2)
    file_id = await adapter.upload_input(path)
    with pytest.raises(ServerError):
        await adapter.create(path, input_file_id=file_id, options=SubmitOptions(model=MODEL))
    assert server.app.route_calls()["create"] == 1
    assert len([job async for job in adapter.list()]) == 1  # it was made; reconcile finds it


async def test_rate_limit_and_quota(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider]
) -> None:
    server = make_emulator(api_key=KEY, faults="429@list=*")
    adapter = make_adapter(server, max_retries=0)
    with pytest.raises(RateLimitedError) as caught:
        [job async for job in adapter.list()]
    assert caught.value.error_type == "RESOURCE_EXHAUSTED"
    server.app.set_faults("quota@list=*")
    with pytest.raises((RateLimitedError, QuotaError)) as quota:
        [job async for job in adapter.list()]
    assert quota.value.code == "RESOURCE_EXHAUSTED"


async def test_failed_finalize_goes_through_a_new_session(
    make_emulator: MakeEmulator, make_adapter: Callable[..., GeminiProvider], tmp_path: Path
) -> None:
    """A send whose file was made but whose answer was a 500 is sent again through a fresh
    session (never twice to one session); both copies are found by name."""
    server = make_emulator(api_key=KEY)
    armed: list[str] = []

    async def arm(request: httpx.Request) -> None:
        if "upload_id" in request.url.params and not armed:
            armed.append(request.url.params["upload_id"])
            server.app.set_faults("500after@upload=1")  # this send commits, then answers 500

    client = httpx.AsyncClient(event_hooks={"request": [arm]})
    try:
        adapter = make_adapter(server, client=client)
        attempts: list[int] = []
        path = write_input(tmp_path / "in.jsonl", 3)
        file_id = await adapter.upload_input(path, name="twice", on_attempt=attempts.append)
        assert attempts == [0, 1]
        copies = await adapter.find_uploads("twice")
        assert len(copies) == 2 and file_id in copies
    finally:
        await client.aclose()
