"""The async Python API against the emulator over real loopback: submit (iterable and file),
get, wait, results (also of cancelled and expired jobs), results_available, retry, recover."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from api_helpers import JOB_SECONDS, KINDS, MODELS, Setup, request

import batchtui
from batchtui.api import (
    Batchtui,
    BatchtuiError,
    DuplicateInput,
    InputError,
    InputValidationError,
    InvalidRequests,
    NoResults,
)
from batchtui.core.models import BatchRequest, BatchResult, BatchStatus, Outcome, ResultFlag
from batchtui.core.store import JobRecord

POLL = 0.01


def open_api(setup: Setup, **profile_options: Any) -> Batchtui:
    return batchtui.open(setup.home, config=setup.config(**profile_options))


def staging_leftovers(bt: Batchtui) -> list[str]:
    return sorted(p.name for p in bt.workspace.staging_dir.iterdir())


async def collect(results: AsyncIterator[BatchResult]) -> list[BatchResult]:
    return [r async for r in results]


@pytest.mark.parametrize("kind", KINDS)
async def test_submit_from_an_iterable_wait_and_stream_results(setup: Setup, kind: str) -> None:
    consumed: list[str] = []

    def requests() -> Iterator[dict[str, Any] | BatchRequest]:
        for i in range(4):
            consumed.append(f"q{i}")
            yield request(kind, f"q{i}", i)
        body = {"model": MODELS[kind], "messages": [{"role": "user", "content": "Hi."}]}
        yield BatchRequest("typed", {**body, "max_tokens": 3})  # truncated by the emulator

    async with open_api(setup) as bt:
        [job] = await bt.submit(requests(), kind, label="from python")
        assert isinstance(job, JobRecord)
        assert consumed == ["q0", "q1", "q2", "q3"]
        assert job.id is not None and job.provider == kind and job.profile == kind
        assert job.request_count == 5 and job.label == "from python"
        assert job.status in (BatchStatus.VALIDATING, BatchStatus.IN_PROGRESS)
        assert staging_leftovers(bt) == []  # the temporary file is gone
        assert [j.local_id for j in await bt.jobs()] == [job.local_id]

        assert await bt.results_available(job.local_id) is False
        with pytest.raises(NoResults):
            await collect(bt.results(job.local_id))

        setup.advance(JOB_SECONDS * 2)
        done = await bt.wait(job.id, poll_s=POLL, timeout=10)
        assert done.status is BatchStatus.COMPLETED and done.local_id == job.local_id
        assert await bt.results_available(job.local_id) is True

        results = await collect(bt.results(job.local_id))
        assert all(isinstance(r, BatchResult) for r in results)
        assert sorted(r.custom_id for r in results) == ["q0", "q1", "q2", "q3", "typed"]
        assert all(r.outcome is Outcome.SUCCEEDED for r in results)
        assert all(r.text and r.usage and r.usage.output_tokens > 0 for r in results)
        flags = {r.custom_id: r.flag for r in results}
        assert flags["typed"] is ResultFlag.TRUNCATED
        truncated = await collect(bt.results(job.local_id, flag="truncated"))
        assert [r.custom_id for r in truncated] == ["typed"]
        assert await collect(bt.results(job.local_id, outcome=Outcome.ERRORED)) == []


async def test_an_async_iterable_and_the_model_default(setup: Setup) -> None:
    async def requests() -> AsyncIterator[dict[str, Any]]:
        for i in range(3):
            record = request("anthropic", f"a{i}", i)
            del record["model"]  # filled from model=
            yield record

    async with open_api(setup) as bt:
        [job] = await bt.submit(requests(), "anthropic", model=MODELS["anthropic"])
        assert job.request_count == 3 and job.model == MODELS["anthropic"]


async def test_get_is_fresh_from_the_provider_and_adopts_unknown_ids(setup: Setup) -> None:
    async with open_api(setup) as bt:
        [job] = await bt.submit([request("openai", "x")])
        setup.advance(JOB_SECONDS * 2)
        assert (await bt.get(job.local_id)).status is BatchStatus.COMPLETED
    # Another store knows nothing of it: get() finds it at the provider and keeps it.
    setup.home = setup.home.with_name("other-home")
    async with open_api(setup) as bt:
        assert await bt.jobs() == []
        adopted = await bt.get(job.id)
        assert adopted.id == job.id and adopted.adopted
        assert [j.id for j in await bt.jobs()] == [job.id]


async def test_wait_times_out_naming_the_job(setup: Setup) -> None:
    async with open_api(setup) as bt:
        [job] = await bt.submit([request("openai", "x")])
        with pytest.raises(TimeoutError, match=job.id):
            await bt.wait(job.local_id, poll_s=POLL, timeout=0.05)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_cancelled_job_hands_back_its_partial_results_and_recovers(
    setup: Setup, kind: str
) -> None:
    async with open_api(setup) as bt:
        [job] = await bt.submit([request(kind, f"r{i:02d}", i) for i in range(20)], kind)
        setup.advance(JOB_SECONDS / 2)  # about half of the requests are done
        cancelling = await bt.cancel(job.local_id)
        assert cancelling.status is BatchStatus.CANCELLING
        assert await bt.results_available(job.local_id) is False  # not ended yet
        setup.advance(JOB_SECONDS / 5)
        stopped = await bt.wait(job.local_id, poll_s=POLL, timeout=10)
        assert stopped.status is BatchStatus.CANCELLED
        assert 0 < stopped.counts.succeeded < 20

        assert await bt.results_available(job.local_id) is True
        results = await collect(bt.results(job.local_id))
        outcomes = Counter(r.outcome for r in results)
        assert outcomes == {
            Outcome.SUCCEEDED: stopped.counts.succeeded,
            Outcome.CANCELED: 20 - stopped.counts.succeeded,
        }
        done = {r.custom_id for r in results if r.outcome is Outcome.SUCCEEDED}

        child = await bt.recover(job.local_id)
        assert child.parent_local_id == job.local_id
        assert child.request_count == 20 - len(done)
        setup.advance(JOB_SECONDS * 2)
        child = await bt.wait(child.local_id, poll_s=POLL, timeout=10)
        assert child.status is BatchStatus.COMPLETED
        again = {r.custom_id for r in await collect(bt.results(child.local_id))}
        assert again == {f"r{i:02d}" for i in range(20)} - done
        with pytest.raises(BatchtuiError, match="already has a success"):
            await bt.recover(job.local_id)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_expired_job_hands_back_what_it_finished(
    make_setup: Callable[..., Setup], kind: str
) -> None:
    setup = make_setup(expire_seconds=JOB_SECONDS / 2)
    async with open_api(setup) as bt:
        [job] = await bt.submit([request(kind, f"e{i}", i) for i in range(12)], kind)
        setup.advance(JOB_SECONDS)
        ended = await bt.wait(job.local_id, poll_s=POLL, timeout=10)
        assert ended.status is BatchStatus.EXPIRED
        assert await bt.results_available(job.id) is True
        outcomes = Counter(r.outcome for r in await collect(bt.results(job.id)))
        assert outcomes[Outcome.SUCCEEDED] == ended.counts.succeeded > 0
        assert outcomes[Outcome.EXPIRED] == 12 - ended.counts.succeeded > 0
        expired = await collect(bt.results(job.id, outcome="expired"))
        assert len(expired) == outcomes[Outcome.EXPIRED]
        assert all(r.outcome is Outcome.EXPIRED and r.custom_id for r in expired)


async def test_results_available_is_false_for_a_job_the_provider_refused(
    make_setup: Callable[..., Setup],
) -> None:
    setup = make_setup(enqueued_token_limit=5)  # every OpenAI batch fails validation
    async with open_api(setup) as bt:
        big = request("openai", "big")
        big["messages"][0]["content"] = "Tell me about tokens. " * 50
        [job] = await bt.submit([big])
        setup.advance(JOB_SECONDS)
        failed = await bt.wait(job.local_id, poll_s=POLL, timeout=10)
        assert failed.status is BatchStatus.FAILED
        assert await bt.results_available(job.local_id) is False
        with pytest.raises(NoResults):
            await collect(bt.results(job.local_id))


@pytest.mark.parametrize("kind", KINDS)
async def test_retry_sends_the_errored_requests_again(
    make_setup: Callable[..., Setup], kind: str
) -> None:
    setup = make_setup(fail_rate=0.5, seed=3)
    async with open_api(setup) as bt:
        [job] = await bt.submit([request(kind, f"t{i}", i) for i in range(12)], kind)
        setup.advance(JOB_SECONDS * 2)
        done = await bt.wait(job.local_id, poll_s=POLL, timeout=10)
        errored = {
            r.custom_id
            for r in await collect(bt.results(job.local_id))
            if r.outcome is Outcome.ERRORED
        }
        assert errored and len(errored) == done.counts.errored
        child = await bt.retry(job.local_id)
        assert child.parent_local_id == job.local_id
        assert child.request_count == len(errored)
        setup.advance(JOB_SECONDS * 2)
        child = await bt.wait(child.local_id, poll_s=POLL, timeout=10)
        assert child.is_terminal
        assert {r.custom_id for r in await collect(bt.results(child.local_id))} == errored
        with pytest.raises(BatchtuiError, match="no errors"):
            await bt.retry(job.local_id, error_types=["no_such_type"])


async def test_a_queued_job_goes_out_while_waiting_for_it(setup: Setup) -> None:
    async with open_api(setup, max_in_flight=1) as bt:
        [first] = await bt.submit([request("anthropic", "a")], "anthropic")
        [second] = await bt.submit([request("anthropic", "b")], "anthropic")
        assert first.id is not None
        assert second.status is BatchStatus.QUEUED and second.id is None
        setup.advance(JOB_SECONDS * 2)  # the first ends; the second is sent, then ends too
        with pytest.raises(TimeoutError):
            await bt.wait(second.local_id, poll_s=POLL, timeout=0.3)
        sent = await bt.get(second.local_id)
        assert sent.id is not None
        setup.advance(JOB_SECONDS * 2)
        assert (await bt.wait(second.local_id, poll_s=POLL, timeout=10)).is_terminal


async def test_submit_file_and_the_duplicate_check(setup: Setup) -> None:
    source = setup.work / "in.jsonl"
    lines = [request("openai", f"f{i}", i) for i in range(3)]
    source.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    async with open_api(setup) as bt:
        [job] = await bt.submit_file(source, "openai", label="file")
        assert job.request_count == 3 and job.label == "file"
        with pytest.raises(DuplicateInput):
            await bt.submit_file(source, "openai")
        with pytest.raises(DuplicateInput):
            await bt.submit(lines, "openai")  # the same requests from Python: the same input
        [again] = await bt.submit(lines, "openai", again=True)
        assert again.id != job.id


async def test_a_bad_request_is_named_by_number_and_field_and_nothing_is_sent(
    setup: Setup,
) -> None:
    bad = request("openai", "second")
    bad["messages"] = [{"role": "robot", "content": "Hi."}]
    async with open_api(setup) as bt:
        with pytest.raises(InvalidRequests) as caught:
            await bt.submit([request("openai", "first"), bad, request("openai", "third")])
        text = str(caught.value)
        assert "<requests>:2: messages[0].role:" in text and "'robot'" in text
        assert isinstance(caught.value, InputValidationError)
        assert [i.line for i in caught.value.report.errors] == [2]
        assert caught.value.report.lines()[0].startswith("<requests>:2: messages[0].role:")

        with pytest.raises(InputError, match=r"<requests>:3: record: expected a dict"):
            await bt.submit([request("openai", "a"), request("openai", "b"), 42])
        with pytest.raises(InputError, match=r"<requests>:1: record: not JSON"):
            await bt.submit([request("openai", "a", temperature=float("nan"))])
        assert await bt.jobs() == []
        assert staging_leftovers(bt) == []
    assert setup.emulator.route_calls().get("upload", 0) == 0


async def test_what_is_not_an_iterable_of_requests_is_refused(setup: Setup) -> None:
    async with open_api(setup) as bt:
        with pytest.raises(TypeError, match="submit_file"):
            await bt.submit(str(setup.work / "in.jsonl"))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="list of one"):
            await bt.submit(request("openai", "x"))  # type: ignore[arg-type]
        [job] = await bt.submit([request("openai", "x")])
        with pytest.raises(ValueError, match="poll_s"):
            await bt.wait(job.local_id, poll_s=0)


async def test_a_bad_line_of_a_file_is_named_by_file_line_and_field(setup: Setup) -> None:
    source = setup.work / "broken.jsonl"
    good = json.dumps(request("openai", "ok"))
    source.write_text(f"{good}\n{good.replace('ok', 'ok2')}\n" + '{"custom_id": "x"}\n')
    async with open_api(setup) as bt:
        with pytest.raises(InputValidationError) as caught:
            await bt.submit_file(source, "openai")
        assert f"{source}:3: " in str(caught.value)
        assert "model" in str(caught.value) or "messages" in str(caught.value)
        assert await bt.jobs() == []
