"""Narrow adapter checks over httpx.MockTransport: request shapes, streaming bodies, ranges."""

from __future__ import annotations

import email.parser
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from batchtui.core.models import BatchJob, BatchStatus, ResultLine
from batchtui.core.provider import AuthError, BatchtuiError, NetworkError, SubmitOptions
from batchtui.providers import make_provider
from batchtui.providers.anthropic import AnthropicProvider, requests_body
from batchtui.providers.openai import OpenAIProvider

Handler = Callable[[httpx.Request], httpx.Response]

BATCH = {
    "id": "batch_1",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "file-1",
    "completion_window": "24h",
    "status": "validating",
    "created_at": 1767268800,
}


def openai_with(handler: Handler, **kw: object) -> OpenAIProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OpenAIProvider("sk-test", "http://oa.test/v1", client=client, **kw)  # type: ignore[arg-type]


def anthropic_with(handler: Handler) -> AnthropicProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AnthropicProvider("sk-ant", "http://an.test", client=client)


async def test_openai_upload_is_a_streamed_multipart_with_length(tmp_path: Path) -> None:
    path = tmp_path / "my input (v2).txt"
    content = b'{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\n' * 50
    path.write_bytes(content)
    seen: dict = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["headers"] = request.headers
        seen["body"] = request.read()
        seen["url"] = str(request.url)
        return httpx.Response(200, json={"id": "file-abc", "object": "file"})

    progress: list[tuple[int, int | None]] = []
    provider = openai_with(handler, organization="org-1", project="proj-1")
    file_id = await provider.upload_input(path, progress=lambda d, t: progress.append((d, t)))
    assert file_id == "file-abc"
    assert seen["url"] == "http://oa.test/v1/files"
    headers = seen["headers"]
    assert headers["authorization"] == "Bearer sk-test"
    assert headers["openai-organization"] == "org-1"
    assert headers["openai-project"] == "proj-1"
    assert "transfer-encoding" not in headers
    assert int(headers["content-length"]) == len(seen["body"])
    message = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + headers["content-type"].encode() + b"\r\n\r\n" + seen["body"]
    )
    parts = {part.get_param("name", header="content-disposition"): part for part in message.walk()}
    assert parts["purpose"].get_payload(decode=True) == b"batch"
    assert parts["file"].get_filename() == "my_input_v2.jsonl"
    assert parts["file"].get_payload(decode=True) == content
    assert progress[-1] == (len(content), len(content))


async def test_openai_create_sends_metadata_only_when_set() -> None:
    bodies: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.read()))
        return httpx.Response(200, json=BATCH)

    provider = openai_with(handler)
    job = await provider.create(Path("x"), input_file_id="file-1", options=SubmitOptions())
    await provider.create(
        Path("x"), input_file_id="file-1", options=SubmitOptions(metadata={"label": "l"})
    )
    assert job.status is BatchStatus.VALIDATING
    assert bodies[0] == {
        "input_file_id": "file-1",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    assert bodies[1]["metadata"] == {"label": "l"}


async def test_openai_delete_job_is_refused() -> None:
    provider = openai_with(lambda r: httpx.Response(500))
    with pytest.raises(BatchtuiError, match="no way to delete a batch"):
        await provider.delete_job("batch_1")


async def test_openai_list_follows_after() -> None:
    calls: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        calls.append(params)
        if "after" not in params:
            data = [dict(BATCH, id="b3"), dict(BATCH, id="b2")]
            return httpx.Response(200, json={"data": data, "has_more": True, "last_id": "b2"})
        return httpx.Response(200, json={"data": [dict(BATCH, id="b1")], "has_more": False})

    ids = [job.id async for job in openai_with(handler).list(page_size=2)]
    assert ids == ["b3", "b2", "b1"]
    assert calls == [{"limit": "2"}, {"limit": "2", "after": "b2"}]


def _job(**kw: object) -> BatchJob:
    fields: dict = {
        "provider": "openai",
        "id": "b",
        "status": BatchStatus.COMPLETED,
        "raw_status": "completed",
    }
    fields.update(kw)
    return BatchJob(**fields)


FILE = b'{"custom_id":"1"}\n{"custom_id":"2"}\r\n\n{"custom_id":"3"}\n'


def ranged_handler(honour_range: bool, seen: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        header = request.headers.get("range")
        if header and honour_range:
            first = int(header.removeprefix("bytes=").removesuffix("-"))
            if first >= len(FILE):
                return httpx.Response(416)
            return httpx.Response(
                206,
                content=FILE[first:],
                headers={"content-range": f"bytes {first}-{len(FILE) - 1}/{len(FILE)}"},
            )
        return httpx.Response(200, content=FILE)

    return handler


@pytest.mark.parametrize("honour_range", [True, False])
async def test_result_lines_resume_from_offset(honour_range: bool) -> None:
    seen: list[httpx.Request] = []
    provider = openai_with(ranged_handler(honour_range, seen))
    job = _job(output_file_id="file-out")
    offset = FILE.index(b'{"custom_id":"2"}')
    lines = [line async for line in provider.result_lines(job, start={"output": offset})]
    # `end` is just past each line's own newline in the stream (CRLF and blank lines count).
    assert lines == [
        ResultLine("output", b'{"custom_id":"2"}', end=FILE.index(b"\r\n") + 2),
        ResultLine("output", b'{"custom_id":"3"}', end=len(FILE)),
    ]
    assert seen[0].headers["range"] == f"bytes={offset}-"
    assert seen[0].headers["accept-encoding"] == "identity"
    assert seen[0].url.path == "/v1/files/file-out/content"


async def test_result_lines_past_the_end_is_empty() -> None:
    provider = openai_with(ranged_handler(True, []))
    job = _job(output_file_id="file-out")
    assert [line async for line in provider.result_lines(job, start={"output": len(FILE)})] == []


async def test_result_lines_read_output_then_error_file() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        name = request.url.path.split("/")[3]
        return httpx.Response(200, content=f'{{"f":"{name}"}}\n'.encode())

    job = _job(output_file_id="file-out", error_file_id="file-err")
    lines = [line async for line in openai_with(handler).result_lines(job)]
    assert lines == [
        ResultLine("output", b'{"f":"file-out"}', end=17),
        ResultLine("error", b'{"f":"file-err"}', end=17),
    ]


class CutStream(httpx.AsyncByteStream):
    """A body that breaks after its first bytes, like a dropped connection."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


async def test_cut_download_raises_network_error_without_the_partial_line() -> None:
    partial = FILE[: FILE.index(b"3") + 1]  # ends inside the third line
    provider = openai_with(lambda r: httpx.Response(200, stream=CutStream(partial)))
    job = _job(output_file_id="file-out")
    got: list[ResultLine] = []
    with pytest.raises(NetworkError):
        async for line in provider.result_lines(job):
            got.append(line)
    assert [line.data for line in got] == [b'{"custom_id":"1"}', b'{"custom_id":"2"}']


async def test_anthropic_body_is_streamed_json_with_length(tmp_path: Path) -> None:
    lines = [
        {"custom_id": f"r{i}", "params": {"model": "m", "max_tokens": 5, "messages": []}}
        for i in range(300)
    ]
    path = tmp_path / "in.jsonl"
    raw = "\ufeff" + "\r\n".join(json.dumps(line) for line in lines) + "\n\n  \n"
    path.write_bytes(raw.encode())
    seen: dict = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["headers"] = request.headers
        seen["body"] = request.read()
        return httpx.Response(
            200,
            json={
                "id": "msgbatch_1",
                "type": "message_batch",
                "processing_status": "in_progress",
                "request_counts": {"processing": 300},
            },
        )

    for size in (7, 100, 1 << 20):  # lines, CRLFs and the BOM cut at every kind of place
        chunks = [chunk async for chunk in requests_body(path, chunk_size=size)]
        assert json.loads(b"".join(chunks)) == {"requests": lines}
        longest = max(len(json.dumps(line)) for line in lines)
        assert max(len(chunk) for chunk in chunks) <= size + longest  # never the whole file
    job = await anthropic_with(handler).create(path, input_file_id=None, options=SubmitOptions())
    assert job.id == "msgbatch_1" and job.status is BatchStatus.IN_PROGRESS
    headers = seen["headers"]
    assert headers["x-api-key"] == "sk-ant"
    assert headers["anthropic-version"] == "2023-06-01"
    assert "transfer-encoding" not in headers
    assert int(headers["content-length"]) == len(seen["body"])
    assert json.loads(seen["body"]) == {"requests": lines}


async def test_anthropic_body_of_blank_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n  \r\n")
    assert b"".join([c async for c in requests_body(path)]) == b'{"requests":[]}'


async def test_anthropic_delete_file_is_refused() -> None:
    with pytest.raises(BatchtuiError, match="no files"):
        await anthropic_with(lambda r: httpx.Response(500)).delete_file("f")


async def test_anthropic_results_url_gets_auth_only_on_same_origin_or_https() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b'{"custom_id":"a","result":{"type":"expired"}}\n')

    provider = anthropic_with(handler)
    for url in (
        "http://an.test/v1/messages/batches/b/results",
        "https://files.example/x",
        "http://elsewhere.test/x",
    ):
        job = BatchJob("anthropic", "b", BatchStatus.EXPIRED, "ended", results_url=url)
        results = [r async for r in provider.results(job)]
        assert [r.custom_id for r in results] == ["a"]
    assert [r.headers.get("x-api-key") for r in seen] == ["sk-ant", "sk-ant", None]


async def test_anthropic_without_results_url_yields_nothing() -> None:
    provider = anthropic_with(lambda r: httpx.Response(500))
    job = BatchJob("anthropic", "b", BatchStatus.IN_PROGRESS, "in_progress")
    assert [line async for line in provider.result_lines(job)] == []


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env.test/v1/")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.delenv("OPENAI_PROJECT_ID", raising=False)
    provider = make_provider("openai")
    assert isinstance(provider, OpenAIProvider)
    assert provider.base_url == "http://env.test/v1"
    assert provider._headers == {"Authorization": "Bearer sk-env", "OpenAI-Organization": "org-env"}
    assert "sk-env" not in repr(provider)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(AuthError, match="ANTHROPIC_API_KEY"):
        make_provider("anthropic")
    with pytest.raises(ValueError, match="unknown provider"):
        make_provider("nosuchai")


async def test_line_ends_are_stream_offsets() -> None:
    """Each ``ResultLine.end`` is a stream offset: resuming from it after CRLFs and blank lines
    is exact."""
    provider = openai_with(ranged_handler(True, []))
    job = _job(output_file_id="file-out")
    first = [line async for line in provider.result_lines(job)]
    assert [line.end for line in first] == [
        FILE.index(b"\n") + 1,
        FILE.index(b"\r\n") + 2,
        len(FILE),
    ]
    rest = [line async for line in provider.result_lines(job, start={"output": first[0].end})]
    assert [line.data for line in rest] == [line.data for line in first[1:]]
