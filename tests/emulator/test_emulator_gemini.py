"""The emulator's Gemini half over loopback with a FixedClock, at the wire level: the resumable
upload protocol, Google's error bodies, paging, live batchStats, failed and expired batches,
ranged downloads, faults and seeded determinism."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import batchtui.emulator.app
from batchtui.emulator import EmulatorServer
from batchtui.emulator.gemini import HALF

KEY = "AIzaEmulatorKey0123456789"
MODEL = "models/gemini-2.5-flash"
MakeEmulator = Callable[..., EmulatorServer]


@pytest.fixture(autouse=True)
def gemini_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Gemini half until the lead adds it to HALVES (a no-op afterwards)."""
    halves = batchtui.emulator.app.HALVES
    if HALF not in halves:
        monkeypatch.setattr(batchtui.emulator.app, "HALVES", (*halves, HALF))


@pytest.fixture
def client_for() -> Iterator[Callable[..., httpx.Client]]:
    made: list[httpx.Client] = []

    def factory(server: EmulatorServer, key: str | None = KEY) -> httpx.Client:
        headers = {"x-goog-api-key": key} if key else {}
        client = httpx.Client(base_url=server.provider_base_url("gemini"), headers=headers)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def request(text: str = "Say hello") -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


def jsonl(lines: list[Any]) -> bytes:
    return b"".join(
        (line if isinstance(line, str) else json.dumps(line)).encode() + b"\n" for line in lines
    )


def start(client: httpx.Client, size: int, name: str = "in.jsonl") -> str:
    resp = client.post(
        "/upload/v1beta/files",
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(size),
            "X-Goog-Upload-Header-Content-Type": "application/jsonl",
        },
        json={"file": {"displayName": name}},
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-goog-upload-status"] == "active"
    return resp.headers["x-goog-upload-url"]


def upload(client: httpx.Client, data: bytes, name: str = "in.jsonl") -> dict[str, Any]:
    url = start(client, len(data), name)
    resp = httpx.post(
        url,
        headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"},
        content=data,
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-goog-upload-status"] == "final"
    file: dict[str, Any] = resp.json()["file"]
    return file


def create(client: httpx.Client, input_config: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(
        f"/v1beta/{MODEL}:batchGenerateContent",
        json={"batch": {"displayName": "t", "inputConfig": input_config}},
    )
    assert resp.status_code == 200, resp.text
    operation: dict[str, Any] = resp.json()
    return operation


def google_error(resp: httpx.Response, code: int, status: str) -> dict[str, Any]:
    assert resp.status_code == code, resp.text
    error: dict[str, Any] = resp.json()["error"]
    assert error["code"] == code and error["status"] == status and error["message"]
    return error


def test_resumable_upload_in_chunks_without_a_key_on_the_bytes(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    server = make_emulator(api_key=KEY)
    client = client_for(server)
    data = jsonl([{"key": f"k{i}", "request": request()} for i in range(30)])
    url = start(client, len(data), "chunks")
    half = len(data) // 2
    first = httpx.post(
        url,
        headers={"X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"},
        content=data[:half],
    )
    assert first.status_code == 200 and first.headers["x-goog-upload-status"] == "active"
    wrong = httpx.post(
        url, headers={"X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"}, content=b"x"
    )
    google_error(wrong, 400, "INVALID_ARGUMENT")
    last = httpx.post(
        url,
        headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": str(half)},
        content=data[half:],
    )
    assert last.status_code == 200 and last.headers["x-goog-upload-status"] == "final"
    file = last.json()["file"]
    assert file["displayName"] == "chunks" and file["sizeBytes"] == str(len(data))
    assert file["source"] == "UPLOADED" and file["state"] == "ACTIVE"
    got = client.get(f"/v1beta/{file['name']}")
    assert got.status_code == 200 and got.json() == file
    # the session URL authorises its bytes, but nothing else goes without a key
    google_error(client_for(server, key=None).get("/v1beta/batches"), 403, "PERMISSION_DENIED")


def test_wrong_key_and_unknown_things(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    server = make_emulator(api_key=KEY)
    error = google_error(
        client_for(server, key="AIzaWrong").get("/v1beta/batches"), 400, "INVALID_ARGUMENT"
    )
    assert error["details"][0]["reason"] == "API_KEY_INVALID"
    client = client_for(server)
    google_error(client.get("/v1beta/batches/nope"), 404, "NOT_FOUND")
    google_error(
        client.get("/v1beta/batches", params={"pageToken": "garbage!"}), 400, "INVALID_ARGUMENT"
    )
    google_error(client.get("/v1beta/files/nope"), 403, "PERMISSION_DENIED")
    bad = client.post(
        f"/v1beta/{MODEL}:batchGenerateContent",
        json={"batch": {"inputConfig": {"fileName": "files/x", "requests": {"requests": []}}}},
    )
    google_error(bad, 400, "INVALID_ARGUMENT")
    out = client.post(
        f"/v1beta/{MODEL}:batchGenerateContent",
        json={"batch": {"inputConfig": {"fileName": "files/x"}, "outputConfig": {}}},
    )
    google_error(out, 400, "INVALID_ARGUMENT")
    google_error(
        client.post(
            f"/v1beta/{MODEL}:batchGenerateContent",
            json={"batch": {"inputConfig": {"fileName": "files/none"}}},
        ),
        404,
        "NOT_FOUND",
    )


def test_inline_requests_over_20_mb_are_refused(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    client = client_for(make_emulator(api_key=KEY))
    big = "x" * (21 * 1024 * 1024)
    resp = client.post(
        f"/v1beta/{MODEL}:batchGenerateContent",
        json={"batch": {"inputConfig": {"requests": {"requests": [{"request": request(big)}]}}}},
    )
    error = google_error(resp, 400, "INVALID_ARGUMENT")
    assert "payload size exceeds" in error["message"]


def test_live_stats_then_ranged_download(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    server = make_emulator(api_key=KEY, job_seconds=100.0)
    client = client_for(server)
    file = upload(client, jsonl([{"key": f"k{i}", "request": request()} for i in range(50)]))
    operation = create(client, {"fileName": file["name"]})
    name = operation["name"]
    assert operation["metadata"]["state"] == "BATCH_STATE_PENDING" and "done" not in operation
    server.clock.advance(50.0)  # type: ignore[attr-defined]
    running = client.get(f"/v1beta/{name}").json()["metadata"]
    stats = running["batchStats"]
    assert running["state"] == "BATCH_STATE_RUNNING" and "output" not in running
    assert stats["requestCount"] == "50" and 0 < int(stats["pendingRequestCount"]) < 50
    server.clock.advance(60.0)  # type: ignore[attr-defined]
    done = client.get(f"/v1beta/{name}").json()
    assert done["done"] is True and done["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
    assert done["metadata"]["batchStats"]["successfulRequestCount"] == "50"
    out = done["metadata"]["output"]["responsesFile"]
    assert done["response"]["responsesFile"] == out
    whole = client.get(f"/download/v1beta/{out}:download", params={"alt": "media"})
    assert whole.status_code == 200
    part = client.get(
        f"/v1beta/{out}:download", params={"alt": "media"}, headers={"Range": "bytes=10-"}
    )
    assert part.status_code == 206 and part.content == whole.content[10:]
    keys = [json.loads(line)["key"] for line in whole.content.splitlines()]
    assert sorted(keys) == sorted(f"k{i}" for i in range(50))


def test_unreadable_input_fails_the_batch(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    server = make_emulator(api_key=KEY)
    client = client_for(server)
    file = upload(client, jsonl([{"key": "a", "request": request()}, "not json"]))
    name = create(client, {"fileName": file["name"]})["name"]
    server.clock.advance(20.0)  # type: ignore[attr-defined]
    done = client.get(f"/v1beta/{name}").json()
    assert done["metadata"]["state"] == "BATCH_STATE_FAILED" and done["done"] is True
    assert "Line 2" in done["error"]["message"] and "output" not in done["metadata"]


def test_expired_batch_has_no_output(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    server = make_emulator(api_key=KEY, job_seconds=100.0, expire_seconds=20.0)
    client = client_for(server)
    file = upload(client, jsonl([{"key": f"k{i}", "request": request()} for i in range(5)]))
    name = create(client, {"fileName": file["name"]})["name"]
    server.clock.advance(39.0)  # type: ignore[attr-defined]
    assert client.get(f"/v1beta/{name}").json()["metadata"]["state"] == "BATCH_STATE_RUNNING"
    server.clock.advance(2.0)  # type: ignore[attr-defined]  # 48 h scaled = 2 x expire_seconds
    done = client.get(f"/v1beta/{name}").json()
    assert done["metadata"]["state"] == "BATCH_STATE_EXPIRED"
    assert "output" not in done["metadata"] and "response" not in done


def test_cancel_of_an_ended_batch(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    server = make_emulator(api_key=KEY, cancel_terminal_error=True)
    client = client_for(server)
    name = create(client, {"requests": {"requests": [{"request": request()}]}})["name"]
    server.clock.advance(20.0)  # type: ignore[attr-defined]
    google_error(client.post(f"/v1beta/{name}:cancel", json={}), 400, "FAILED_PRECONDITION")
    assert client.get(f"/v1beta/{name}").json()["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"


def test_faults_answer_in_googles_shape(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    server = make_emulator(api_key=KEY, faults="529@list=1,429@list=1:7,quota@list=1,500@list=1")
    client = client_for(server)
    google_error(client.get("/v1beta/batches"), 503, "UNAVAILABLE")
    limited = client.get("/v1beta/batches")
    google_error(limited, 429, "RESOURCE_EXHAUSTED")
    assert limited.headers["retry-after"] == "7"
    quota = google_error(client.get("/v1beta/batches"), 429, "RESOURCE_EXHAUSTED")
    assert quota["details"][0]["@type"].endswith("QuotaFailure")
    google_error(client.get("/v1beta/batches"), 500, "INTERNAL")
    assert client.get("/v1beta/batches").status_code == 200
    assert server.app.route_faults()["list"] == 4


def test_results_are_seeded(
    make_emulator: MakeEmulator, client_for: Callable[..., httpx.Client]
) -> None:
    contents = []
    for _ in range(2):
        server = make_emulator(api_key=KEY, seed=11, fail_rate=0.3)
        client = client_for(server)
        file = upload(client, jsonl([{"key": f"k{i}", "request": request()} for i in range(10)]))
        name = create(client, {"fileName": file["name"]})["name"]
        server.clock.advance(20.0)  # type: ignore[attr-defined]
        out = client.get(f"/v1beta/{name}").json()["metadata"]["output"]["responsesFile"]
        contents.append(client.get(f"/v1beta/{out}:download", params={"alt": "media"}).content)
    assert contents[0] == contents[1] and b'"error"' in contents[0]
