"""Results cache against the real emulator over loopback, through both real adapters."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus, Outcome
from batchtui.core.provider import Provider, SubmitOptions
from batchtui.core.results import (
    RequestLookup,
    ResultIndex,
    ResultsFile,
    by_outcome,
    download_results,
    export_rows,
    merge_run,
)
from batchtui.emulator import EmulatorServer
from batchtui.providers.anthropic import AnthropicProvider
from batchtui.providers.openai import OpenAIProvider

KINDS = ["openai", "anthropic"]


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[str, EmulatorServer], Provider]]:
    made: list[Provider] = []

    def factory(kind: str, server: EmulatorServer) -> Provider:
        if kind == "openai":
            provider: Provider = OpenAIProvider("test-key", server.openai_base_url)
        else:
            provider = AnthropicProvider("test-key", server.anthropic_base_url)
        made.append(provider)
        return provider

    yield factory
    for provider in made:
        await provider.aclose()


def write_input(kind: str, path: Path, ids: list[str]) -> Path:
    lines = []
    for n, custom_id in enumerate(ids):
        messages = [{"role": "user", "content": f"Tell me about the number {n}."}]
        if kind == "openai":
            body = {"model": "gpt-4o-mini", "messages": messages, "max_tokens": 100}
            line = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions"}
            line["body"] = body
        else:
            params = {"model": "claude-haiku-4-5", "max_tokens": 100, "messages": messages}
            line = {"custom_id": custom_id, "params": params}
        lines.append(json.dumps(line))
    path.write_text("\n".join(lines) + "\n")
    return path


async def submit(provider: Provider, path: Path) -> BatchJob:
    file_id = await provider.upload_input(path)
    return await provider.create(path, input_file_id=file_id, options=SubmitOptions())


async def finish(provider: Provider, clock: FixedClock, job: BatchJob) -> BatchJob:
    for _ in range(200):
        if job.is_terminal:
            return job
        clock.advance(1.0)
        job = await provider.get(job.id)
    raise AssertionError(f"job {job.id} never ended")


@pytest.mark.parametrize("kind", KINDS)
async def test_cut_download_resumes_and_the_index_agrees_with_the_adapter(
    kind: str, make_emulator: Callable[..., EmulatorServer], connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(fail_rate=0.3)
    provider = connect(kind, server)
    wanted = [f"req-{i}" for i in range(60)]
    source = write_input(kind, tmp_path / "in.jsonl", wanted)
    job = await finish(provider, server.clock, await submit(provider, source))

    server.set_faults("cut=1:0.5")
    retries = 0

    async def sleep(_delay: float) -> None:
        nonlocal retries
        retries += 1
        if retries == 2:
            server.set_faults("")

    cache = tmp_path / "cache"
    index = ResultIndex(ResultsFile.open(cache, job.id, provider=kind))
    seen: list[bytes] = []
    results = await download_results(
        provider,
        job,
        cache,
        sleep=sleep,
        index=index,
        on_lines=lambda lines: seen.extend(line.data for line in lines),
        flush_lines=5,
    )
    assert retries == 2 and results.complete
    assert sorted(index.custom_ids) == sorted(wanted)  # every line once, none torn
    assert len(seen) == len(wanted)

    # The index's cheap classifier agrees with the adapter's parser on every line.
    for i in range(len(index)):
        parsed = provider.parse_result(index.result_line(i))
        assert parsed.custom_id == index.custom_id(i)
        assert parsed.outcome is index.outcome(i)
        assert parsed.flag == index.flag(i)
        assert (parsed.error.type if parsed.error else None) == index.error_type(i)
    counts = index.counts_by_outcome()
    assert counts[Outcome.SUCCEEDED] == job.counts.succeeded > 0
    assert counts[Outcome.ERRORED] == job.counts.errored > 0

    # Reopened from disk, then exported joined to the requests they answer.
    reopened = ResultIndex.open(ResultsFile.open(cache, job.id, provider=kind))
    assert reopened.custom_ids == index.custom_ids
    out = tmp_path / "errors.jsonl"
    errored = by_outcome(reopened, ["errored"])
    written = export_rows(
        reopened, errored, out, parse=provider.parse_result, join=RequestLookup(source)
    )
    pairs = [json.loads(line) for line in out.read_text().splitlines()]
    assert written == len(pairs) == job.counts.errored
    for pair in pairs:
        assert pair["request"]["custom_id"] == pair["result"]["custom_id"]
        assert pair["result"]["outcome"] == "errored" and pair["result"]["error"]["type"]
        assert pair["result"]["job_id"] == job.id


@pytest.mark.parametrize("kind", KINDS)
async def test_cancelled_parent_and_two_retries_merge_to_a_complete_run(
    kind: str, make_emulator: Callable[..., EmulatorServer], connect: Any, tmp_path: Path
) -> None:
    server = make_emulator(fail_rate=0.25)
    provider = connect(kind, server)
    wanted = [f"req-{i}" for i in range(30)]
    kept = write_input(kind, tmp_path / "parent.jsonl", wanted)
    requests = RequestLookup(kept)
    cache = tmp_path / "cache"

    parent = await submit(provider, kept)
    server.clock.advance(4)
    await provider.cancel(parent.id)
    parent = await finish(provider, server.clock, parent)
    assert parent.status is BatchStatus.CANCELLED

    run: list[tuple[str, ResultIndex]] = []

    async def add(job: BatchJob) -> None:
        await download_results(provider, job, cache)
        run.append((job.id, ResultIndex.build(ResultsFile.open(cache, job.id, provider=kind))))

    await add(parent)
    merged = merge_run(run, wanted)
    assert merged.missing and not merged.complete
    assert Counter(merged.outcome(c) for c in merged.missing)[Outcome.CANCELED] > 0

    for attempt, fail_rate in enumerate((0.5, 0.0)):
        retry_input = tmp_path / f"retry{attempt}.jsonl"
        retry_input.write_bytes(b"".join(requests.raw(c) + b"\n" for c in merged.missing))
        child = await submit(provider, retry_input)
        server.override(child.id, fail_rate=fail_rate)
        await add(await finish(provider, server.clock, child))
        merged = merge_run(run, wanted)

    assert merged.complete and merged.never_run == []
    assert {merged.outcome(c) for c in wanted} == {Outcome.SUCCEEDED}
    out = tmp_path / "merged.csv"
    assert merged.export(out, parse=provider.parse_result, format="csv") == len(wanted)
    text = out.read_text()
    assert text.count("\nreq-") == len(wanted)
    used = {job_id for job_id, _row in (merged.pick(c) for c in wanted)}  # type: ignore[misc]
    assert parent.id in used and len(used) >= 2
    requests.close()


def _openai(custom_id: str, response: Any = None, error: Any = None) -> bytes:
    return json.dumps({"custom_id": custom_id, "response": response, "error": error}).encode()


def _chat(finish: Any, refusal: Any = None, status: Any = 200) -> dict[str, Any]:
    message = {"role": "assistant", "content": "x", "refusal": refusal}
    choice = {"index": 0, "message": message, "finish_reason": finish}
    return {"status_code": status, "body": {"object": "chat.completion", "choices": [choice]}}


OPENAI_CORPUS = [
    _openai("ok", _chat("stop")),
    _openai("len", _chat("length")),
    _openai("filt", _chat("content_filter")),
    _openai("ref", _chat("stop", refusal="no")),
    _openai("tool", _chat("tool_calls")),
    _openai("201", _chat("stop", status=201)),
    _openai("http", {"status_code": 500, "body": {"error": {"type": "server_error"}}}),
    _openai("codeonly", {"status_code": 400, "body": {"error": {"code": "bad", "type": None}}}),
    _openai("nobody", {"status_code": 404, "body": None}),
    _openai("nostatus", {"body": {"choices": []}}),
    _openai("strstatus", {"status_code": "200", "body": {}}),
    _openai("nochoices", {"status_code": 200, "body": {"choices": []}}),
    _openai("embed", {"status_code": 200, "body": {"data": [{"embedding": [0.1]}]}}),
    _openai(
        "resp-inc",
        {
            "status_code": 200,
            "body": {
                "object": "response",
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
                "output": [],
            },
        },
    ),
    _openai(
        "resp-filter",
        {
            "status_code": 200,
            "body": {
                "status": "incomplete",
                "incomplete_details": {"reason": "content_filter"},
                "output": [],
            },
        },
    ),
    _openai(
        "resp-ref",
        {
            "status_code": 200,
            "body": {
                "object": "response",
                "output": [{"type": "message", "content": [{"type": "refusal", "refusal": "no"}]}],
            },
        },
    ),
    _openai("exp", None, {"code": "batch_expired", "message": "m"}),
    _openai("can", None, {"code": "batch_cancelled", "message": "m"}),
    _openai("other", None, {"code": "weird", "message": "m"}),
    _openai("nothing"),
    b'{"response": {"status_code": 200, "body": {"choices": [{"finish_reason": "stop"}]}}}',
    b"[1, 2]",
    b"not json",
]


def _anthropic(custom_id: str, result: Any) -> bytes:
    return json.dumps({"custom_id": custom_id, "result": result}).encode()


def _message(stop: Any) -> dict[str, Any]:
    return {"type": "succeeded", "message": {"content": [], "stop_reason": stop, "usage": {}}}


ANTHROPIC_CORPUS = [
    _anthropic("ok", _message("end_turn")),
    _anthropic("max", _message("max_tokens")),
    _anthropic("ctx", _message("model_context_window_exceeded")),
    _anthropic("ref", _message("refusal")),
    _anthropic("tool", _message("tool_use")),
    _anthropic(
        "err",
        {"type": "errored", "error": {"type": "error", "error": {"type": "api_error"}}},
    ),
    _anthropic("flat", {"type": "errored", "error": {"type": "overloaded_error"}}),
    _anthropic("bare", {"type": "errored", "error": {"type": "error"}}),
    _anthropic("none", {"type": "errored"}),
    _anthropic("can", {"type": "canceled"}),
    _anthropic("exp", {"type": "expired"}),
    _anthropic("odd", {"type": "exploded"}),
    _anthropic("notdict", "succeeded"),
    b'{"custom_id": "nomsg", "result": {"type": "succeeded"}}',
    b"not json",
]


@pytest.mark.parametrize(
    ("kind", "source", "corpus"),
    [
        ("openai", "output", OPENAI_CORPUS),
        ("openai", "error", OPENAI_CORPUS),
        ("anthropic", "results", ANTHROPIC_CORPUS),
    ],
)
def test_the_index_classifies_odd_lines_as_the_adapter_parses_them(
    kind: str, source: str, corpus: list[bytes], tmp_path: Path
) -> None:
    results = ResultsFile(directory=tmp_path, job_id="b", provider=kind)
    results.path(source).write_bytes(b"\n".join(corpus) + b"\n")
    index = ResultIndex.build(ResultsFile.open(tmp_path, "b", provider=kind))
    provider = OpenAIProvider("k") if kind == "openai" else AnthropicProvider("k")
    assert len(index) == len(corpus)
    for i in range(len(index)):
        parsed = provider.parse_result(index.result_line(i))
        row = (index.custom_id(i), index.outcome(i), index.flag(i), index.error_type(i))
        expected = (
            parsed.custom_id,
            parsed.outcome,
            parsed.flag,
            parsed.error.type if parsed.error else None,
        )
        assert row == expected, corpus[i]


@pytest.mark.parametrize(
    ("kind", "corpus"), [("openai", OPENAI_CORPUS), ("anthropic", ANTHROPIC_CORPUS)]
)
def test_odd_lines_export_as_valid_jsonl_and_csv(
    kind: str, corpus: list[bytes], tmp_path: Path
) -> None:
    source = "results" if kind == "anthropic" else "error"
    results = ResultsFile(directory=tmp_path, job_id="b", provider=kind)
    results.path(source).write_bytes(b"\n".join(corpus) + b"\n")
    index = ResultIndex.build(ResultsFile.open(tmp_path, "b", provider=kind))
    provider = OpenAIProvider("k") if kind == "openai" else AnthropicProvider("k")
    out = tmp_path / "odd.jsonl"
    export_rows(index, range(len(index)), out, parse=provider.parse_result)
    for original, line in zip(corpus, out.read_text().splitlines(), strict=True):
        record = json.loads(line)
        try:
            expected = json.loads(original)
        except ValueError:
            expected = original.decode()
        assert record["raw"] == expected
        assert record["outcome"] in {o.value for o in Outcome}
    csv_out = tmp_path / "odd.csv"
    assert export_rows(
        index, range(len(index)), csv_out, parse=provider.parse_result, format="csv"
    ) == len(corpus)
