"""Results cache on an in-memory fake provider: download/resume, index, filters, export, merge."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.models import (
    UNPARSEABLE_LINE,
    BatchJob,
    BatchResult,
    BatchStatus,
    Outcome,
    ResultError,
    ResultFlag,
    ResultLine,
    Usage,
)
from batchtui.core.provider import NetworkError, ServerError
from batchtui.core.results import (
    RESULT_COLUMNS,
    RequestLookup,
    ResultFilter,
    ResultIndex,
    ResultsFile,
    by_custom_ids,
    by_error_type,
    by_flag,
    by_outcome,
    classifier_for,
    download_results,
    export_rows,
    flagged,
    merge_run,
    search_text,
)
from batchtui.providers.anthropic.results import parse_anthropic_line
from batchtui.providers.openai.results import parse_openai_line


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def openai_success(custom_id: str, text: str, finish: str = "stop", refusal: str | None = None):
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {
            "status_code": 200,
            "request_id": f"req_{custom_id}",
            "body": {
                "object": "chat.completion",
                "model": "gpt-4o-mini",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": refusal},
                        "finish_reason": finish,
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            },
        },
        "error": None,
    }


def openai_http_error(custom_id: str, status: int, error_type: str, message: str):
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {
            "status_code": status,
            "request_id": f"req_{custom_id}",
            "body": {
                "error": {"message": message, "type": error_type, "param": None, "code": None}
            },
        },
        "error": None,
    }


def openai_not_run(custom_id: str, code: str = "batch_expired"):
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": "This request could not be executed."},
    }


def anthropic_success(custom_id: str, text: str, stop: str = "end_turn"):
    return {
        "custom_id": custom_id,
        "result": {
            "type": "succeeded",
            "message": {
                "id": f"msg_{custom_id}",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": text}],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": 5, "output_tokens": 9},
            },
        },
    }


def anthropic_errored(custom_id: str, error_type: str, message: str):
    return {
        "custom_id": custom_id,
        "result": {
            "type": "errored",
            "error": {
                "type": "error",
                "error": {"type": error_type, "message": message},
                "request_id": "req_x",
            },
        },
    }


def anthropic_ended(custom_id: str, kind: str):
    return {"custom_id": custom_id, "result": {"type": kind}}


def jsonl(objs: list[Any]) -> bytes:
    return b"".join(dumps(obj) + b"\n" for obj in objs)


def parse_result(line: ResultLine) -> BatchResult:
    """An independent, plain parser of both providers' lines (what an adapter would return)."""
    obj = json.loads(line.data)
    custom_id = obj["custom_id"]
    if "result" in obj:
        result = obj["result"]
        kind = result["type"]
        if kind == "succeeded":
            message = result["message"]
            text = "".join(p.get("text", "") for p in message["content"])
            stop = message.get("stop_reason")
            flag = {"max_tokens": ResultFlag.TRUNCATED, "refusal": ResultFlag.REFUSED}.get(stop)
            usage = Usage(
                input_tokens=message["usage"]["input_tokens"],
                output_tokens=message["usage"]["output_tokens"],
            )
            return BatchResult(custom_id, Outcome.SUCCEEDED, text, usage, None, flag, stop, raw=obj)
        if kind == "errored":
            inner = result["error"]["error"]
            error = ResultError(inner["type"], None, inner["message"])
            return BatchResult(custom_id, Outcome.ERRORED, error=error, raw=obj)
        return BatchResult(custom_id, Outcome(kind), raw=obj)
    response = obj.get("response")
    if response is not None:
        body = response["body"]
        if not 200 <= response["status_code"] < 300:
            err = body["error"]
            flag = ResultFlag.HTTP_ERROR if line.source == "output" else None
            error = ResultError(err.get("type"), err.get("code"), err.get("message", ""))
            return BatchResult(custom_id, Outcome.ERRORED, error=error, flag=flag, raw=obj)
        choice = body["choices"][0]
        reason = choice.get("finish_reason")
        flag = {"length": ResultFlag.TRUNCATED, "content_filter": ResultFlag.FILTERED}.get(reason)
        if choice["message"].get("refusal"):
            flag = ResultFlag.REFUSED
        usage = Usage(
            input_tokens=body["usage"]["prompt_tokens"],
            output_tokens=body["usage"]["completion_tokens"],
        )
        text = choice["message"].get("content")
        return BatchResult(custom_id, Outcome.SUCCEEDED, text, usage, None, flag, reason, raw=obj)
    error = obj["error"]
    outcome = {"batch_expired": Outcome.EXPIRED, "batch_cancelled": Outcome.CANCELED}.get(
        error["code"], Outcome.ERRORED
    )
    return BatchResult(
        custom_id,
        outcome,
        error=ResultError(error["code"], error["code"], error["message"]),
        raw=obj,
    )


def make_job(job_id: str, provider: str = "openai", status=BatchStatus.COMPLETED) -> BatchJob:
    return BatchJob(provider=provider, id=job_id, status=status, raw_status=str(status))


@dataclass(frozen=True)
class EndLine:
    """A result line that also says where it ends in the provider's stream."""

    source: str
    data: bytes
    end: int


class FakeProvider:
    """Serves fixed result files line by line, resumable by byte offset, with injectable cuts.

    ``cuts`` is a list of byte budgets, one per call: a call sends complete lines until the next
    line would pass its budget, then raises ``error`` (a cut connection). Calls after the list
    runs out stream to the end.
    """

    def __init__(
        self,
        files: dict[str, bytes],
        *,
        name: str = "openai",
        cuts: list[int] | None = None,
        error: Exception | None = None,
        report_end: bool = False,
    ) -> None:
        self.report_end = report_end
        self.name = name
        self.files = files
        self.cuts = list(cuts or [])
        self.error = error or NetworkError("connection cut", provider=name)
        self.starts: list[dict[str, int]] = []
        self.served = 0

    async def result_lines(
        self, job: BatchJob, *, start: dict[str, int] | None = None, progress=None
    ) -> AsyncIterator[ResultLine]:
        start = dict(start or {})
        self.starts.append(start)
        budget = self.cuts.pop(0) if self.cuts else None
        sent = 0
        for source, data in self.files.items():
            position = start.get(source, 0)
            while position < len(data):
                end = data.find(b"\n", position)
                end = len(data) if end < 0 else end
                if budget is not None and sent + end + 1 - position > budget:
                    raise self.error
                sent += end + 1 - position
                line = data[position:end]
                position = end + 1
                if self.report_end:  # like an adapter: strip CR, skip blanks, say where it ends
                    line = line.removesuffix(b"\r")
                    if not line.strip():
                        continue
                    self.served += 1
                    yield EndLine(source=source, data=line, end=position)
                    continue
                self.served += 1
                yield ResultLine(source=source, data=line)

    def parse_result(self, line: ResultLine) -> BatchResult:
        return parse_result(line)


def server_error(retry_after: float | None = None) -> ServerError:
    return ServerError("overloaded", provider="fake", status_code=529, retry_after=retry_after)


OPENAI_OUTPUT = [
    openai_success("a0", "hello there"),
    openai_success("a1", "cut off mid", finish="length"),
    openai_success("a2", "", finish="content_filter"),
    openai_success("a3", None, refusal="I can't help with that"),
    openai_http_error("a4", 500, "server_error", "The server had an error"),
    openai_success("a5", "Un café ☕, s'il vous plaît"),
]
OPENAI_ERROR = [
    openai_http_error("b0", 400, "invalid_request_error", "Bad max_tokens"),
    openai_http_error("b1", 429, "rate_limit_error", "Rate limit reached"),
    openai_not_run("b2", "batch_expired"),
    openai_not_run("b3", "batch_cancelled"),
]
ANTHROPIC_RESULTS = [
    anthropic_success("c0", "Bonjour"),
    anthropic_success("c1", "and then", stop="max_tokens"),
    anthropic_success("c2", "", stop="refusal"),
    anthropic_errored("c3", "overloaded_error", "Overloaded"),
    anthropic_errored("c4", "invalid_request_error", "max_tokens: must be >= 1"),
    anthropic_ended("c5", "canceled"),
    anthropic_ended("c6", "expired"),
]


def many_openai(n: int, *, errors_every: int = 7, prefix: str = "r") -> tuple[bytes, bytes]:
    """``n`` requests split into an output file and an error file, with varied outcomes."""
    output, error = [], []
    for i in range(n):
        custom_id = f"{prefix}{i}"
        if i % errors_every == 3:
            error.append(openai_http_error(custom_id, 400, "invalid_request_error", f"bad {i}"))
        elif i % errors_every == 5:
            error.append(openai_not_run(custom_id))
        else:
            finish = "length" if i % 11 == 0 else "stop"
            output.append(openai_success(custom_id, f"answer number {i} " + "x" * (i % 40), finish))
    return jsonl(output), jsonl(error)


async def no_sleep(_delay: float) -> None:
    await asyncio.sleep(0)


async def fetch(provider: FakeProvider, job, tmp: Path, **kwargs) -> ResultsFile:
    kwargs.setdefault("sleep", no_sleep)
    return await download_results(provider, job, tmp, **kwargs)


def opened(tmp: Path, job_id: str, provider: str = "openai") -> ResultIndex:
    return ResultIndex.build(ResultsFile.open(tmp, job_id, provider=provider))


# -- download --------------------------------------------------------------------------------


async def test_download_writes_one_file_per_source_and_marks_complete(tmp_path: Path) -> None:
    files = {"output": jsonl(OPENAI_OUTPUT), "error": jsonl(OPENAI_ERROR)}
    provider = FakeProvider(files)
    seen: list[bytes] = []
    done: list[int] = []
    results = await fetch(
        provider,
        make_job("batch_1"),
        tmp_path,
        on_lines=lambda lines: seen.extend(line.data for line in lines),
        progress=lambda got, total: done.append(got),
    )
    assert results.complete
    assert results.path("output").read_bytes() == files["output"]
    assert results.path("error").read_bytes() == files["error"]
    assert results.path("output").name == "batch_1.output.jsonl"
    assert results.offsets == {"output": len(files["output"]), "error": len(files["error"])}
    assert seen == (files["output"] + files["error"]).splitlines()
    assert done[-1] == len(files["output"]) + len(files["error"])
    # The combined view reads output then error, line by line.
    combined = [(line.source, line.data) for line in results.iter_lines()]
    assert combined == [("output", d) for d in files["output"].splitlines()] + [
        ("error", d) for d in files["error"].splitlines()
    ]
    state = json.loads(results.state_path.read_text())
    assert state["complete"] is True
    assert state["offsets"] == results.offsets
    # A second call finds the download complete and does not ask the provider again.
    again = await fetch(provider, make_job("batch_1"), tmp_path)
    assert again.complete and len(provider.starts) == 1


async def test_cut_mid_download_resumes_from_offsets_without_duplicates(tmp_path: Path) -> None:
    output, error = many_openai(400)
    files = {"output": output, "error": error}
    total = len(output) + len(error)
    cuts = [total // 5, total // 4, len(output) // 3 + 1000]
    provider = FakeProvider(files, cuts=list(cuts))
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)

    seen: list[bytes] = []
    results = await download_results(
        provider,
        make_job("batch_cut"),
        tmp_path,
        sleep=record,
        on_lines=lambda lines: seen.extend(line.data for line in lines),
        flush_lines=17,
    )
    assert results.complete
    assert results.path("output").read_bytes() == output
    assert results.path("error").read_bytes() == error
    assert len(provider.starts) == len(cuts) + 1
    assert provider.starts[0] == {}
    # Each resume starts exactly where the complete lines on disk end.
    assert provider.starts[1]["output"] > 0
    assert all(
        sum(later.values()) > sum(earlier.values())
        for earlier, later in zip(provider.starts, provider.starts[1:], strict=False)
    )
    assert len(seen) == len(set(seen)) == output.count(b"\n") + error.count(b"\n")
    assert provider.served == len(seen)
    assert len(delays) == len(cuts)


async def test_crash_with_torn_line_then_resume(tmp_path: Path) -> None:
    output, error = many_openai(200)
    files = {"output": output, "error": error}

    class Crash(Exception):
        pass

    calls = 0

    def crash_on_third_batch(_lines) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Crash

    with pytest.raises(Crash):
        await fetch(
            FakeProvider(files),
            make_job("batch_crash"),
            tmp_path,
            on_lines=crash_on_third_batch,
            flush_lines=25,
        )
    partial = ResultsFile.open(tmp_path, "batch_crash")
    assert not partial.complete
    held = partial.path("output").read_bytes()
    assert held and output.startswith(held) and held.endswith(b"\n")
    # A torn write: half of the next line reached the disk before the process died.
    next_line = output[len(held) : output.index(b"\n", len(held)) + 1]
    with partial.path("output").open("ab") as handle:
        handle.write(next_line[: len(next_line) // 2])

    provider = FakeProvider(files)
    results = await fetch(provider, make_job("batch_crash"), tmp_path)
    assert provider.starts == [{"output": len(held)}]
    assert results.complete
    assert results.path("output").read_bytes() == output
    assert results.path("error").read_bytes() == error


async def test_retries_give_up_after_attempts_without_progress(tmp_path: Path) -> None:
    output, _ = many_openai(50, errors_every=1000)
    provider = FakeProvider({"output": output}, cuts=[1000, 0, 0, 0, 0, 0, 0])
    with pytest.raises(NetworkError):
        await fetch(provider, make_job("batch_dead"), tmp_path, max_attempts=3)
    # One call made progress, then three in a row made none.
    assert len(provider.starts) == 4
    held = ResultsFile.open(tmp_path, "batch_dead")
    assert not held.complete
    data = held.path("output").read_bytes()
    assert output.startswith(data) and data.endswith(b"\n") and len(data) <= 1000


async def test_server_error_retry_after_is_honoured(tmp_path: Path) -> None:
    output, _ = many_openai(30, errors_every=1000)
    provider = FakeProvider({"output": output}, cuts=[500], error=server_error(retry_after=7.5))
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)

    results = await download_results(provider, make_job("batch_5xx"), tmp_path, sleep=record)
    assert results.complete and delays == [7.5]
    assert results.path("output").read_bytes() == output


async def test_live_job_is_not_marked_complete(tmp_path: Path) -> None:
    provider = FakeProvider({"output": jsonl(OPENAI_OUTPUT[:2])})
    job = make_job("batch_live", status=BatchStatus.IN_PROGRESS)
    results = await fetch(provider, job, tmp_path)
    assert not results.complete
    provider.files["output"] += jsonl(OPENAI_OUTPUT[2:])
    results = await fetch(provider, make_job("batch_live"), tmp_path)
    assert results.complete
    assert provider.starts[1] == {"output": len(jsonl(OPENAI_OUTPUT[:2]))}
    assert results.path("output").read_bytes() == jsonl(OPENAI_OUTPUT)


async def test_index_fed_during_download_matches_a_fresh_build(tmp_path: Path) -> None:
    output, error = many_openai(300)
    files = {"output": output, "error": error}
    results = ResultsFile.open(tmp_path, "batch_fed", provider="openai")
    index = ResultIndex(results)
    await fetch(
        FakeProvider(files, cuts=[len(output) // 2]), make_job("batch_fed"), tmp_path, index=index
    )
    assert index.path.exists()
    fresh = ResultIndex(ResultsFile.open(tmp_path, "batch_fed", provider="openai"))
    fresh.update()
    assert len(index) == len(fresh) == output.count(b"\n") + error.count(b"\n")
    assert list(index.offsets) == list(fresh.offsets)
    assert index.custom_ids == fresh.custom_ids
    assert index.outcomes == fresh.outcomes and index.flags == fresh.flags


# -- classification and index ----------------------------------------------------------------


def write_job(
    tmp: Path, job_id: str, files: dict[str, bytes], provider: str = "openai"
) -> ResultsFile:
    results = ResultsFile(directory=tmp, job_id=job_id)
    for source, data in files.items():
        results.path(source).write_bytes(data)
    return ResultsFile.open(tmp, job_id, provider=provider)


def test_openai_rows_follow_the_facts(tmp_path: Path) -> None:
    write_job(tmp_path, "b", {"output": jsonl(OPENAI_OUTPUT), "error": jsonl(OPENAI_ERROR)})
    index = opened(tmp_path, "b")
    rows = {
        index.custom_id(i): (index.source(i), index.outcome(i), index.flag(i), index.error_type(i))
        for i in range(len(index))
    }
    assert rows == {
        "a0": ("output", Outcome.SUCCEEDED, None, None),
        "a1": ("output", Outcome.SUCCEEDED, ResultFlag.TRUNCATED, None),
        "a2": ("output", Outcome.SUCCEEDED, ResultFlag.FILTERED, None),
        "a3": ("output", Outcome.SUCCEEDED, ResultFlag.REFUSED, None),
        "a4": ("output", Outcome.ERRORED, ResultFlag.HTTP_ERROR, "server_error"),
        "a5": ("output", Outcome.SUCCEEDED, None, None),
        "b0": ("error", Outcome.ERRORED, None, "invalid_request_error"),
        "b1": ("error", Outcome.ERRORED, None, "rate_limit_error"),
        "b2": ("error", Outcome.EXPIRED, None, "batch_expired"),
        "b3": ("error", Outcome.CANCELED, None, "batch_cancelled"),
    }
    # The index agrees with the (independent) parser on every line.
    for i in range(len(index)):
        parsed = parse_result(index.result_line(i))
        assert (parsed.outcome, parsed.flag) == (index.outcome(i), index.flag(i))


def test_anthropic_rows_follow_the_facts(tmp_path: Path) -> None:
    write_job(tmp_path, "msgbatch_1", {"results": jsonl(ANTHROPIC_RESULTS)}, "anthropic")
    index = opened(tmp_path, "msgbatch_1", provider="anthropic")
    rows = [(index.outcome(i), index.flag(i), index.error_type(i)) for i in range(len(index))]
    assert rows == [
        (Outcome.SUCCEEDED, None, None),
        (Outcome.SUCCEEDED, ResultFlag.TRUNCATED, None),
        (Outcome.SUCCEEDED, ResultFlag.REFUSED, None),
        (Outcome.ERRORED, None, "overloaded_error"),
        (Outcome.ERRORED, None, "invalid_request_error"),
        (Outcome.CANCELED, None, None),
        (Outcome.EXPIRED, None, None),
    ]
    assert index.counts_by_outcome() == {
        Outcome.SUCCEEDED: 3,
        Outcome.ERRORED: 2,
        Outcome.CANCELED: 1,
        Outcome.EXPIRED: 1,
    }
    assert index.counts_by_error_type() == {"overloaded_error": 1, "invalid_request_error": 1}
    assert index.counts_by_flag()[ResultFlag.TRUNCATED] == 1


def test_responses_api_and_shape_sniffing() -> None:
    classify = classifier_for("openai")
    incomplete = {
        "custom_id": "x",
        "response": {
            "status_code": 200,
            "body": {
                "object": "response",
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
                "output": [],
            },
        },
    }
    assert classify("output", incomplete)[2] is ResultFlag.TRUNCATED
    refusal = {
        "custom_id": "y",
        "response": {
            "status_code": 200,
            "body": {
                "object": "response",
                "status": "completed",
                "output": [{"type": "message", "content": [{"type": "refusal", "refusal": "no"}]}],
            },
        },
    }
    assert classify("output", refusal)[2] is ResultFlag.REFUSED
    sniff = classifier_for(None)
    assert sniff("results", ANTHROPIC_RESULTS[3])[1:] == (Outcome.ERRORED, None, "overloaded_error")
    assert sniff("error", OPENAI_ERROR[2])[1] is Outcome.EXPIRED


def test_random_access_lru_and_unparseable_lines(tmp_path: Path) -> None:
    data = jsonl(OPENAI_OUTPUT[:2]) + b"not json at all\r\n\n" + jsonl(OPENAI_OUTPUT[2:3])
    write_job(tmp_path, "b", {"output": data})
    index = opened(tmp_path, "b")
    assert len(index) == 4  # the blank line is not a row
    assert index.get_line(2) == b"not json at all"
    assert index.error_type(2) == "unparseable_line" and index.outcome(2) is Outcome.ERRORED
    assert index.get_line(-1) == dumps(OPENAI_OUTPUT[2])
    calls = 0

    def counting(line: ResultLine) -> BatchResult:
        nonlocal calls
        calls += 1
        return parse_result(line)

    first = index.get_result(1, counting)
    assert first.custom_id == "a1" and first.flag is ResultFlag.TRUNCATED
    assert index.get_result(1, counting) is first and calls == 1
    for i in (0, 3, 0):
        index.get_result(i, counting)
    assert calls == 3


NOT_RESULT_LINES = [
    b"[1, 2]",
    b'"x"',
    b"42",
    b"null",
    b"not json",
    b"{",
    b"\xff{}",
    dumps(OPENAI_OUTPUT[0]) + b" xyz",  # a whole result followed by garbage
    dumps(OPENAI_OUTPUT[0]) + b"}",
    dumps(OPENAI_OUTPUT[0]) + dumps(OPENAI_OUTPUT[1]),  # two objects on one line
    b"  " + dumps(OPENAI_OUTPUT[0]) + b" xyz",  # (leading blanks take the slow path)
]


@pytest.mark.parametrize("line", NOT_RESULT_LINES)
def test_a_line_that_is_not_one_json_object_is_an_unparseable_row(
    tmp_path: Path, line: bytes
) -> None:
    data = jsonl(OPENAI_OUTPUT[:1]) + line + b"\n" + jsonl(OPENAI_OUTPUT[1:2])
    write_job(tmp_path, "b", {"output": data})
    index = opened(tmp_path, "b")
    assert len(index) == 3
    assert (index.custom_id(1), index.outcome(1), index.flag(1)) == ("", Outcome.ERRORED, None)
    assert index.error_type(1) == UNPARSEABLE_LINE
    assert index.get_line(1) == line  # the raw bytes stay readable
    assert index.counts_by_error_type() == {UNPARSEABLE_LINE: 1}
    assert list(by_error_type(index, [UNPARSEABLE_LINE])) == [1]
    assert [index.custom_id(i) for i in (0, 2)] == ["a0", "a1"]
    # The index and the adapter's parser read the line the same way.
    parsed = parse_openai_line(index.result_line(1))
    assert parsed.error is not None and parsed.error.type == UNPARSEABLE_LINE
    # Fed by a download instead of read from the file: the same row.
    fed = ResultIndex(ResultsFile.open(tmp_path, "b", provider="openai"))
    offsets = [0, len(data.split(b"\n")[0]) + 1]
    offsets.append(offsets[1] + len(line) + 1)
    lines = data.split(b"\n")[:3]
    assert fed.add_batch([("output", o, d) for o, d in zip(offsets, lines, strict=True)]) == 3
    assert fed.error_type(1) == UNPARSEABLE_LINE and fed.custom_ids == index.custom_ids


@pytest.mark.parametrize("blanks", [b" ", b"\t  ", b"\r", b" \r"])
def test_blanks_after_the_object_are_fine(tmp_path: Path, blanks: bytes) -> None:
    data = dumps(OPENAI_OUTPUT[1]) + blanks + b"\n"
    write_job(tmp_path, "b", {"output": data})
    index = opened(tmp_path, "b")
    assert (index.custom_id(0), index.outcome(0), index.flag(0)) == (
        "a1",
        Outcome.SUCCEEDED,
        ResultFlag.TRUNCATED,
    )
    assert index.counts_by_error_type() == {}


def test_classifiers_take_odd_types_without_raising(tmp_path: Path) -> None:
    """Valid JSON objects of odd shapes (lists and objects where strings belong) index as rows;
    the index never fails on a line."""
    odd: list[Any] = [
        {
            "custom_id": "o1",
            "response": {"status_code": 200, "body": {"choices": [{"finish_reason": []}]}},
        },
        {
            "custom_id": "o2",
            "response": {"status_code": 200, "body": {"object": "response", "output": 3}},
        },
        {
            "custom_id": "o3",
            "response": {
                "status_code": 200,
                "body": {
                    "output": [{"type": "message", "content": 5}],
                    "incomplete_details": {"reason": {}},
                },
            },
        },
        {"custom_id": "o4", "response": None, "error": {"code": ["batch_expired"]}},
        {"custom_id": 5, "response": "x"},
    ]
    anthropic_odd: list[Any] = [
        {"custom_id": "p1", "result": {"type": ["succeeded"]}},
        {"custom_id": "p2", "result": {"type": "succeeded", "message": {"stop_reason": {}}}},
        {"custom_id": "p3", "result": []},
    ]
    write_job(tmp_path, "o", {"output": jsonl(odd)})
    write_job(tmp_path, "p", {"results": jsonl(anthropic_odd)}, "anthropic")
    index = opened(tmp_path, "o")
    assert [index.custom_id(i) for i in range(len(index))] == ["o1", "o2", "o3", "o4", ""]
    assert index.outcome(0) is Outcome.SUCCEEDED and index.flag(0) is None
    assert index.outcome(3) is Outcome.ERRORED and index.error_type(3) is None
    anth = opened(tmp_path, "p", provider="anthropic")
    assert [anth.outcome(i) for i in range(3)] == [
        Outcome.ERRORED,
        Outcome.SUCCEEDED,
        Outcome.ERRORED,
    ]
    assert [anth.error_type(i) for i in (0, 2)] == ["invalid_result_line"] * 2
    # The adapters' parsers agree on these lines.
    for idx, parse in ((index, parse_openai_line), (anth, parse_anthropic_line)):
        for i in range(len(idx)):
            parsed = parse(idx.result_line(i))
            assert (parsed.outcome, parsed.flag) == (idx.outcome(i), idx.flag(i))
            assert (parsed.error.type if parsed.error else None) == idx.error_type(i)


def test_an_index_saved_under_the_old_rules_is_rebuilt(tmp_path: Path) -> None:
    """Version 1 classifiers took a line with garbage after its object as that object."""
    data = jsonl(OPENAI_OUTPUT[:1]) + dumps(OPENAI_OUTPUT[1]) + b" xyz\n"
    results = write_job(tmp_path, "b", {"output": data})
    index = ResultIndex.build(results)
    header_start = len(b"BTRIDX1\n") + 8
    saved = results.index_path.read_bytes()
    assert b'"classifier": "openai/2"' in saved[header_start:]
    results.index_path.write_bytes(saved.replace(b'"openai/2"', b'"openai/1"'))
    again = ResultIndex(ResultsFile.open(tmp_path, "b", provider="openai"))
    assert not again.load()
    assert again.update() == 2 and again.error_type(1) == UNPARSEABLE_LINE == index.error_type(1)


def test_index_is_persisted_and_reopened_without_reading_lines(tmp_path: Path) -> None:
    output, error = many_openai(500)
    results = write_job(tmp_path, "batch_p", {"output": output, "error": error})
    built = ResultIndex.build(results)
    assert results.index_path.exists()

    def refuse(_source: str, _obj: dict) -> tuple:
        raise AssertionError("a valid persisted index must not be rebuilt")

    reopened = ResultIndex(ResultsFile.open(tmp_path, "batch_p"), classify=classifier_for("any"))
    # Same classifier rules (openai) are needed to accept the file; a different one rebuilds.
    assert not reopened.load()
    again = ResultIndex.open(ResultsFile.open(tmp_path, "batch_p", provider="openai"))
    assert len(again) == len(built)
    assert again.custom_ids == built.custom_ids
    assert list(again.offsets) == list(built.offsets)
    assert again.counts_by_error_type() == built.counts_by_error_type()
    again.classify = refuse
    assert again.update() == 0
    assert again.get_line(7) == built.get_line(7)


def test_index_is_rebuilt_when_the_file_changed_under_it(tmp_path: Path) -> None:
    results = write_job(tmp_path, "batch_r", {"output": jsonl(OPENAI_OUTPUT)})
    ResultIndex.build(results)
    # Same length, different bytes: the tail checksum notices.
    changed = jsonl(OPENAI_OUTPUT).replace(b'"a5"', b'"z5"')
    results.path("output").write_bytes(changed)
    index = ResultIndex(ResultsFile.open(tmp_path, "batch_r", provider="openai"))
    assert not index.load()
    assert index.update() == len(OPENAI_OUTPUT)
    assert index.custom_id(5) == "z5"
    # A shorter file (download restarted) resets the rows on update.
    results.path("output").write_bytes(jsonl(OPENAI_OUTPUT[:2]))
    assert index.update() == 2 and len(index) == 2


def test_incremental_index_only_reads_new_complete_lines(tmp_path: Path) -> None:
    output, error = many_openai(120)
    results = write_job(tmp_path, "batch_i", {"output": output[: len(output) // 2]})
    index = ResultIndex(ResultsFile.open(tmp_path, "batch_i", provider="openai"))
    first = index.update()
    complete_half = output[: len(output) // 2].rfind(b"\n") + 1
    assert first == output[:complete_half].count(b"\n")
    index.save()

    reopened = ResultIndex.open(ResultsFile.open(tmp_path, "batch_i", provider="openai"))
    parsed: list[str] = []

    def spy(source: str, obj: dict):
        parsed.append(obj["custom_id"])
        return classifier_for("openai")(source, obj)

    reopened.classify = spy
    results.path("output").write_bytes(output)
    results.path("error").write_bytes(error)
    more = reopened.update()
    assert more == output.count(b"\n") + error.count(b"\n") - first
    assert len(parsed) == more  # nothing indexed twice
    assert len(set(reopened.custom_ids)) == len(reopened)
    assert reopened.update() == 0


def test_update_in_bounded_steps(tmp_path: Path) -> None:
    output, error = many_openai(250)
    write_job(tmp_path, "batch_s", {"output": output, "error": error})
    index = ResultIndex(ResultsFile.open(tmp_path, "batch_s", provider="openai"))
    steps = []
    while (n := index.update(max_lines=40)) > 0:
        steps.append(n)
    assert set(steps[:-1]) == {40}
    whole = opened(tmp_path, "batch_s")
    assert index.custom_ids == whole.custom_ids
    assert list(index.offsets) == list(whole.offsets)


# -- filters ---------------------------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> ResultIndex:
    output, error = many_openai(300)
    extra = jsonl(OPENAI_OUTPUT) + jsonl(OPENAI_ERROR)
    write_job(tmp_path, "batch_f", {"output": output + extra, "error": error})
    return opened(tmp_path, "batch_f")


def brute(index: ResultIndex, predicate) -> list[int]:
    return [i for i in range(len(index)) if predicate(parse_result(index.result_line(i)), index, i)]


def test_filters_on_columns_match_a_brute_force_parse(mixed: ResultIndex) -> None:
    assert list(by_outcome(mixed, ["errored"])) == brute(
        mixed, lambda r, *_: r.outcome is Outcome.ERRORED
    )
    assert list(by_outcome(mixed, [Outcome.EXPIRED, "canceled"])) == brute(
        mixed, lambda r, *_: r.outcome in (Outcome.EXPIRED, Outcome.CANCELED)
    )
    assert list(by_flag(mixed, ["truncated"])) == brute(
        mixed, lambda r, *_: r.flag is ResultFlag.TRUNCATED
    )
    assert list(flagged(mixed)) == brute(mixed, lambda r, *_: r.flag is not None)
    assert list(by_error_type(mixed, ["invalid_request_error"])) == brute(
        mixed, lambda r, *_: r.error is not None and r.error.type == "invalid_request_error"
    )
    assert len(by_error_type(mixed, ["no_such_type"])) == 0
    wanted = {"r3", "r10", "a4", "nope"}
    assert sorted(mixed.custom_id(i) for i in by_custom_ids(mixed, wanted)) == ["a4", "r10", "r3"]


def test_text_search_streams_raw_bytes(mixed: ResultIndex) -> None:
    hits = search_text(mixed, "ANSWER NUMBER 16 ")
    assert [mixed.custom_id(i) for i in hits] == ["r16"]
    assert search_text(mixed, "ANSWER NUMBER 16 ", case_sensitive=True).tolist() == []
    # Non-ASCII text is found whether the line holds it as UTF-8 or \\u-escaped.
    assert [mixed.custom_id(i) for i in search_text(mixed, "café ☕")] == ["a5"]
    escaped = ResultIndex.build(
        write_job(
            mixed.results.directory,
            "batch_esc",
            {"output": json.dumps(OPENAI_OUTPUT[5]).encode() + b"\n"},
        )
    )
    assert escaped.get_line(0).isascii()
    assert search_text(escaped, "CAFÉ").tolist() == [0]
    every = brute(mixed, lambda _r, index, i: b"bad 1" in index.get_line(i))
    assert search_text(mixed, "bad 1").tolist() == every and len(every) > 3
    errored = by_outcome(mixed, ["errored"])
    assert search_text(mixed, "answer", within=errored).tolist() == []


def test_combined_filter(mixed: ResultIndex) -> None:
    rows = ResultFilter(
        outcomes=frozenset({Outcome.ERRORED}),
        error_types=frozenset({"invalid_request_error"}),
        text="bad 2",
    ).apply(mixed)
    expected = brute(
        mixed,
        lambda r, index, i: (
            r.outcome is Outcome.ERRORED
            and r.error.type == "invalid_request_error"
            and b"bad 2" in index.get_line(i)
        ),
    )
    assert rows.tolist() == expected and expected
    assert ResultFilter().apply(mixed).tolist() == list(range(len(mixed)))


# -- export ----------------------------------------------------------------------------------


def test_jsonl_export_round_trip(mixed: ResultIndex, tmp_path: Path) -> None:
    rows = by_outcome(mixed, ["errored", "expired"])
    out = tmp_path / "errors.jsonl"
    written = export_rows(mixed, rows, out, parse=parse_result)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written == len(lines) == len(rows)
    for row, line in zip(rows, lines, strict=True):
        expected = parse_result(mixed.result_line(row))
        assert list(line) == list(RESULT_COLUMNS)
        assert line["custom_id"] == expected.custom_id
        assert line["outcome"] == expected.outcome.value
        assert line["flag"] == (expected.flag.value if expected.flag else None)
        assert line["error"] == expected.error.as_dict()
        assert line["job_id"] == "batch_f"
        assert line["raw"] == json.loads(mixed.get_line(row))


def test_csv_export_round_trip(mixed: ResultIndex, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    export_rows(mixed, range(len(mixed)), out, parse=parse_result, format="csv")
    with out.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(mixed)
    assert list(table[0]) == list(RESULT_COLUMNS)
    for i, record in enumerate(table):
        expected = parse_result(mixed.result_line(i))
        assert record["custom_id"] == expected.custom_id
        assert record["outcome"] == expected.outcome.value
        assert record["text"] == (expected.text or "")
        usage = json.loads(record["usage"]) if record["usage"] else None
        assert usage == (expected.usage.as_dict() if expected.usage else None)
        error = json.loads(record["error"]) if record["error"] else None
        assert error == (expected.error.as_dict() if expected.error else None)
        assert json.loads(record["raw"]) == json.loads(mixed.get_line(i))


def test_export_to_a_text_stream_and_bad_format(mixed: ResultIndex) -> None:
    buffer = io.StringIO()
    assert export_rows(mixed, [0, 1], buffer, parse=parse_result) == 2
    assert [json.loads(x)["custom_id"] for x in buffer.getvalue().splitlines()] == [
        mixed.custom_id(0),
        mixed.custom_id(1),
    ]
    with pytest.raises(ValueError, match="unknown export format"):
        export_rows(mixed, [0], io.StringIO(), parse=parse_result, format="xml")  # type: ignore[arg-type]


def native_input(tmp: Path, custom_ids: list[str]) -> Path:
    path = tmp / "kept.jsonl"
    lines = []
    for n, custom_id in enumerate(custom_ids):
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"q{n}"}]}
        line = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions"}
        line["body"] = body
        if n % 2:  # custom_id not first: the lookup must still find it
            line = {"method": "POST", **line}
            line = {k: line[k] for k in ("body", "method", "url", "custom_id")}
        lines.append(line)
    path.write_bytes(jsonl(lines))
    return path


def test_join_writes_each_result_beside_its_own_request(mixed: ResultIndex, tmp_path: Path) -> None:
    custom_ids = [mixed.custom_id(i) for i in range(len(mixed))]
    lookup = RequestLookup(native_input(tmp_path, list(reversed(custom_ids))))
    assert len(lookup) == len(custom_ids)
    out = tmp_path / "joined.jsonl"
    export_rows(mixed, range(len(mixed)), out, parse=parse_result, join=lookup)
    for line in out.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        assert pair["request"]["custom_id"] == pair["result"]["custom_id"]
        n = custom_ids[::-1].index(pair["result"]["custom_id"])
        assert pair["request"]["body"]["messages"][0]["content"] == f"q{n}"

    csv_out = tmp_path / "joined.csv"
    export_rows(
        mixed,
        range(5),
        csv_out,
        parse=parse_result,
        format="csv",
        join=lookup,
        request_columns=["prompt"],
        request_row=lambda request: {"prompt": request["body"]["messages"][0]["content"]},
    )
    with csv_out.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0])[:2] == ["prompt", "custom_id"]
    for record in table:
        n = custom_ids[::-1].index(record["custom_id"])
        assert record["prompt"] == f"q{n}"
    lookup.close()


# -- merge -----------------------------------------------------------------------------------


def test_merge_parent_and_two_retries(tmp_path: Path) -> None:
    submitted = [f"m{i}" for i in range(10)]
    parent = [
        openai_success("m0", "ok"),
        openai_http_error("m1", 500, "server_error", "boom"),
        openai_not_run("m2"),
        openai_not_run("m3", "batch_cancelled"),
        openai_success("m4", "cut", finish="length"),
        openai_http_error("m5", 400, "invalid_request_error", "bad"),
        openai_success("m6", "ok"),
        # m7, m8 and m9 never ran in the parent
    ]
    retry1 = [
        openai_success("m1", "ok after retry"),
        openai_http_error("m2", 500, "server_error", "again"),
        openai_success("m3", "ok after cancel"),
        openai_http_error("m4", 500, "server_error", "retry of truncated failed"),
        openai_http_error("m5", 400, "invalid_request_error", "still bad"),
        openai_success("m7", "late"),
    ]
    retry2 = [
        openai_success("m2", "finally"),
        openai_not_run("m5"),
        openai_success("m6", "a newer answer"),
        openai_not_run("m8"),
    ]
    jobs = []
    for job_id, lines in (("parent", parent), ("retry1", retry1), ("retry2", retry2)):
        write_job(tmp_path, job_id, {"output": jsonl(lines)})
        jobs.append((job_id, opened(tmp_path, job_id)))
    merged = merge_run(jobs, submitted)
    assert merged.pick("m0") == ("parent", 0)
    assert merged.pick("m1") == ("retry1", 0)
    assert merged.pick("m2") == ("retry2", 0)
    assert merged.pick("m3") == ("retry1", 2)
    assert merged.pick("m4") == ("parent", 4) and merged.flag("m4") is ResultFlag.TRUNCATED
    assert merged.pick("m5") == ("retry2", 1) and merged.outcome("m5") is Outcome.EXPIRED
    assert merged.pick("m6") == ("retry2", 2)
    assert merged.pick("m9") is None
    assert merged.missing == ["m5", "m8", "m9"]
    assert merged.never_run == ["m9"]
    assert merged.flagged == ["m4"]
    assert not merged.complete and merged.unexpected == []
    assert merged.counts() == {
        "succeeded": 7,
        "errored": 0,
        "canceled": 0,
        "expired": 2,
        "never_run": 1,
        "flagged": 1,
        "total": 10,
    }
    out = tmp_path / "merged.jsonl"
    assert merged.export(out, parse=parse_result) == 9
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["custom_id"] for e in exported] == submitted[:9]
    assert [e["job_id"] for e in exported] == [
        "parent",
        "retry1",
        "retry2",
        "retry1",
        "parent",
        "retry2",
        "retry2",
        "retry1",
        "retry2",
    ]
    assert exported[6]["text"] == "a newer answer"
    csv_out = tmp_path / "merged.csv"
    assert merged.export(csv_out, parse=parse_result, format="csv") == 9
    # Without the submitted set, the results are the run.
    assert merge_run(jobs).never_run == []
    extra = merge_run(jobs, submitted[:8])
    assert extra.unexpected == ["m8"]


# -- scale -----------------------------------------------------------------------------------


def test_one_hundred_thousand_lines(tmp_path: Path) -> None:
    """A 100k-line file (short lines, to stay quick): index, reopen, filter, search, jump."""
    n = 100_000
    template = (
        '{"custom_id":"q%d","response":{"status_code":%d,"body":{"choices":[{"finish_reason":'
        '"%s","message":{"content":"n%d"}}]%s}},"error":null}\n'
    )
    parts = []
    for i in range(n):
        if i % 10 == 9:
            err = ',"error":{"type":"rate_limit_error","message":"slow"}'
            parts.append(template % (i, 429, "stop", i, err))
        else:
            parts.append(template % (i, 200, "length" if i % 100 == 1 else "stop", i, ""))
    data = "".join(parts).encode()
    results = write_job(tmp_path, "batch_big", {"output": data})
    index = ResultIndex.build(results)
    assert len(index) == n
    reopened = ResultIndex.open(ResultsFile.open(tmp_path, "batch_big", provider="openai"))
    assert len(reopened) == n
    errored = by_outcome(reopened, ["errored"])
    assert len(errored) == n // 10 and errored[0] == 9
    assert len(by_flag(reopened, ["truncated"])) == n // 100
    assert len(by_flag(reopened, ["http_error"])) == n // 10
    assert json.loads(reopened.get_line(-1))["custom_id"] == f"q{n - 1}"
    assert search_text(reopened, '"n99999"').tolist() == [n - 1]


async def test_complete_download_with_a_lost_file_is_fetched_again(tmp_path: Path) -> None:
    files = {"output": jsonl(OPENAI_OUTPUT), "error": jsonl(OPENAI_ERROR)}
    results = await fetch(FakeProvider(files), make_job("batch_lost"), tmp_path)
    results.path("error").unlink()
    assert not ResultsFile.open(tmp_path, "batch_lost").complete
    provider = FakeProvider(files)
    again = await fetch(provider, make_job("batch_lost"), tmp_path)
    assert provider.starts == [{"output": len(files["output"])}]
    assert again.complete and again.path("error").read_bytes() == files["error"]


async def test_resume_uses_the_providers_offsets_when_lines_were_reshaped(tmp_path: Path) -> None:
    output, error = many_openai(150)
    # CRLF line ends and blank lines: local offsets drift from the provider's.
    crlf = b"".join(
        line + b"\r\n" + (b"\n" if n % 9 == 0 else b"")
        for n, line in enumerate(output.splitlines())
    )
    files = {"output": crlf, "error": error}
    provider = FakeProvider(files, cuts=[len(crlf) // 3, len(crlf) // 3], report_end=True)
    results = await fetch(provider, make_job("batch_crlf"), tmp_path, flush_lines=10)
    assert results.path("output").read_bytes() == output
    assert results.path("error").read_bytes() == error
    assert results.remote["output"] == len(crlf) and results.offsets["output"] == len(output)
    resumed_at = provider.starts[1]["output"]
    # The resume point is a line boundary of the provider's stream, past the local length.
    assert crlf[resumed_at - 1 : resumed_at] == b"\n"
    lines_before = crlf[:resumed_at].count(b"\r\n")
    assert resumed_at > len(b"".join(output.splitlines(keepends=True)[:lines_before]))

    # A crash after lines reached the file but before the state recorded them: the state wins.
    state = json.loads(results.state_path.read_text())
    state["complete"] = False
    state["offsets"]["output"] = output.index(b"\n", 5000) + 1
    kept_local = state["offsets"]["output"]
    lines_kept = output[:kept_local].count(b"\n")
    remote_at = 0
    for _ in range(lines_kept):
        remote_at = crlf.index(b"\r\n", remote_at) + 2
        while crlf[remote_at : remote_at + 1] == b"\n":
            remote_at += 1
    state["remote"]["output"] = remote_at
    results.state_path.write_text(json.dumps(state))
    again = FakeProvider(files, report_end=True)
    redone = await fetch(again, make_job("batch_crlf"), tmp_path)
    assert again.starts[0]["output"] == remote_at
    assert redone.path("output").read_bytes() == output


def test_export_survives_a_parser_that_rejects_a_line(tmp_path: Path) -> None:
    data = jsonl(OPENAI_OUTPUT[:1]) + b"not json at all\n"
    write_job(tmp_path, "b", {"output": data})
    index = opened(tmp_path, "b")
    out = tmp_path / "x.jsonl"
    assert export_rows(index, range(len(index)), out, parse=parse_result) == 2
    first, second = (json.loads(line) for line in out.read_text().splitlines())
    assert first["custom_id"] == "a0" and first["raw"] == OPENAI_OUTPUT[0]
    assert second["raw"] == "not json at all"
    assert second["outcome"] == "errored" and second["error"]["type"] == "unparseable_line"
