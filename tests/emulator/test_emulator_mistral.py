"""The emulator's Mistral half over loopback with a FixedClock, through plain httpx."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import batchtui.emulator.app
from batchtui.emulator import EmulatorServer
from batchtui.emulator.mistral import HALF

KEY = "mistral-key"
MODEL = "mistral-small-latest"
CHAT = "/v1/chat/completions"
MakeEmulator = Callable[..., EmulatorServer]


@pytest.fixture(autouse=True)
def mistral_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Mistral half until the lead adds it to HALVES (a no-op afterwards)."""
    halves = batchtui.emulator.app.HALVES
    if HALF not in halves:
        monkeypatch.setattr(batchtui.emulator.app, "HALVES", (*halves, HALF))


@pytest.fixture
def client_for() -> Iterator[Callable[..., httpx.Client]]:
    made: list[httpx.Client] = []

    def factory(server: EmulatorServer, key: str | None = KEY) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(
            base_url=server.provider_base_url("mistral"), headers=headers, timeout=10
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def chat_lines(n: int, **body: Any) -> list[dict[str, Any]]:
    return [
        {"custom_id": f"r{i}", "body": {"messages": [{"role": "user", "content": f"q{i}"}], **body}}
        for i in range(n)
    ]


def upload(client: httpx.Client, lines: list[Any], purpose: str = "batch") -> dict[str, Any]:
    data = b"".join(
        (line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n" for line in lines
    )
    r = client.post("/v1/files", files={"file": ("in.jsonl", data)}, data={"purpose": purpose})
    assert r.status_code == 200, r.text
    return dict(r.json())


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("endpoint", CHAT)
    r = client.post("/v1/batch/jobs", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def lines_of(client: httpx.Client, file_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/v1/files/{file_id}/content")
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    return [json.loads(line) for line in r.content.splitlines() if line.strip()]


def test_mount_point(make_emulator: MakeEmulator) -> None:
    server = make_emulator()
    assert server.provider_base_url("mistral") == server.url + "/mistral"
    assert server.app.half_for("/mistral/v1/batch/jobs").name == "mistral"
    assert server.app.half_for("/v1/batches").name == "openai"


def test_error_shapes(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY)
    r = client_for(server, key="wrong").get("/v1/batch/jobs")
    assert r.status_code == 401 and r.json() == {
        "message": "Unauthorized",
        "request_id": r.headers["x-request-id"],
    }
    assert client_for(server, key=None).get("/v1/files").status_code == 401
    client = client_for(server)
    r = client.get("/v1/batch/jobs/nope")
    assert r.status_code == 404
    assert r.json() == {
        "object": "error",
        "message": "Batch job nope not found.",
        "type": "not_found",
        "param": None,
        "code": None,
    }
    r = client.post("/v1/batch/jobs", json={"input_files": ["x"]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "endpoint"]
    assert r.json()["detail"][0]["type"] == "missing"
    r = client.post("/v1/batch/jobs", json={"endpoint": CHAT})
    assert r.status_code == 422
    r = client.post(
        "/v1/batch/jobs", json={"endpoint": CHAT, "input_files": ["x"], "metadata": {"a": 1}}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "metadata"]
    r = client.post("/v1/batch/jobs", json={"endpoint": CHAT, "input_files": ["missing"]})
    assert r.status_code == 404 and "missing" in r.json()["message"]
    r = client.post("/v1/files", files={"file": ("a.jsonl", b"{}\n")}, data={"purpose": "nope"})
    assert r.status_code == 422
    assert client.get("/v1/nothing/here").status_code == 404


def test_faults_answer_in_mistrals_shape(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY, faults="429@list=1:7,529@list=1,quota@list=1")
    client = client_for(server)
    limited = client.get("/v1/batch/jobs")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    assert limited.json()["message"] == "Requests rate limit exceeded"
    overloaded = client.get("/v1/batch/jobs")
    assert overloaded.status_code == 503 and overloaded.json()["object"] == "error"
    quota = client.get("/v1/batch/jobs")
    assert quota.status_code == 402 and quota.json()["type"] == "insufficient_quota"
    assert client.get("/v1/batch/jobs").status_code == 200
    assert server.app.route_faults()["list"] == 3


def test_job_timeline_and_counts(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY, fail_rate=0.3)
    client = client_for(server)
    file = upload(client, chat_lines(20))
    assert file["num_lines"] == 20 and file["sample_type"] == "batch_request"
    job = create(client, input_files=[file["id"]], model=MODEL, metadata={"k": "v"})
    assert job["status"] == "QUEUED" and job["started_at"] is None and job["total_requests"] == 20
    assert "outputs" not in job
    statuses = []
    counts = []
    for _ in range(10):
        server.clock.advance(1)
        snap = client.get(f"/v1/batch/jobs/{job['id']}").json()
        statuses.append(snap["status"])
        counts.append(snap["completed_requests"])
        assert snap["completed_requests"] == snap["succeeded_requests"] + snap["failed_requests"]
    assert statuses[0] == "RUNNING" and statuses[-1] == "SUCCESS"
    assert counts == sorted(counts) and counts[-1] == 20
    assert snap["completed_at"] == job["created_at"] + 10 and snap["metadata"] == {"k": "v"}
    out = lines_of(client, snap["output_file"])
    err = lines_of(client, snap["error_file"])
    assert len(out) == snap["succeeded_requests"] and len(err) == snap["failed_requests"]
    assert all(line["error"] is None and line["response"]["status_code"] == 200 for line in out)
    assert all(line["response"] is None and line["error"]["message"] for line in err)
    listed = client.get("/v1/files", params={"page_size": 1, "page": 0}).json()
    assert listed["total"] == 3 and len(listed["data"]) == 1


def test_markers_and_lines_without_a_model(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY)
    client = client_for(server)
    lines = [
        {
            "custom_id": "named",
            "body": {"model": MODEL, "messages": [{"role": "user", "content": "a"}]},
        },
        {"custom_id": "anon", "body": {"messages": [{"role": "user", "content": "b"}]}},
        {
            "custom_id": "bad",
            "body": {"model": MODEL, "messages": [{"role": "user", "content": "[[http_error]]"}]},
        },
        {
            "custom_id": "cut",
            "body": {
                "model": MODEL,
                "max_tokens": 1,
                "messages": [{"role": "user", "content": "c"}],
            },
        },
    ]
    job = create(client, input_files=[upload(client, lines)["id"]])
    assert job["model"] is None
    server.clock.advance(10)
    done = client.get(f"/v1/batch/jobs/{job['id']}").json()
    assert (done["succeeded_requests"], done["failed_requests"]) == (2, 2)
    out = {line["custom_id"]: line for line in lines_of(client, done["output_file"])}
    err = {line["custom_id"]: line for line in lines_of(client, done["error_file"])}
    assert set(out) == {"named", "cut"} and set(err) == {"anon", "bad"}
    assert out["cut"]["response"]["body"]["choices"][0]["finish_reason"] == "length"
    assert err["anon"]["response"]["status_code"] == 400
    assert "model" in err["anon"]["response"]["body"]["message"]


def test_bad_input_fails_the_job(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY)
    client = client_for(server)
    file = upload(client, [b"not json", b"not json either", {"custom_id": "a"}, *chat_lines(1)])
    job = create(client, input_files=[file["id"]], model=MODEL)
    server.clock.advance(1)
    failed = client.get(f"/v1/batch/jobs/{job['id']}").json()
    assert failed["status"] == "FAILED" and failed["output_file"] is None
    assert {(e["message"], e["count"]) for e in failed["errors"]} == {
        ("a line is not valid JSON", 2),
        ("a request must have a 'body' object", 1),
    }
    other = upload(client, chat_lines(1), purpose="fine-tune")
    r = client.post("/v1/batch/jobs", json={"endpoint": CHAT, "input_files": [other["id"]]})
    assert r.status_code == 400


def test_cancel_timeout_delete(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY, cancel_seconds=1, expire_seconds=12)
    client = client_for(server)
    file = upload(client, chat_lines(30))
    job = create(client, input_files=[file["id"]], model=MODEL)
    slow = create(client, input_files=[file["id"]], model=MODEL, timeout_hours=12)  # 6 s
    r = client.delete(f"/v1/batch/jobs/{job['id']}")
    assert r.status_code == 400 and "QUEUED" in r.json()["message"]
    server.clock.advance(5)
    cancelling = client.post(f"/v1/batch/jobs/{job['id']}/cancel").json()
    assert cancelling["status"] == "CANCELLATION_REQUESTED"
    server.clock.advance(2)
    cancelled = client.post(f"/v1/batch/jobs/{job['id']}/cancel").json()
    assert cancelled["status"] == "CANCELLED" and 0 < cancelled["completed_requests"] < 30
    partial = lines_of(client, cancelled["output_file"])
    assert len(partial) == cancelled["succeeded_requests"]
    timed_out = client.get(f"/v1/batch/jobs/{slow['id']}").json()
    assert timed_out["status"] == "TIMEOUT_EXCEEDED"
    assert 0 < timed_out["completed_requests"] < 30 and timed_out["output_file"]
    assert timed_out["completed_at"] == slow["created_at"] + 6
    r = client.delete(f"/v1/batch/jobs/{job['id']}")
    assert r.json() == {"id": job["id"], "object": "batch", "deleted": True}
    assert client.get(f"/v1/batch/jobs/{job['id']}").status_code == 404


def test_inline_requests_outputs(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY)
    client = client_for(server)
    job = create(
        client,
        requests=[{"body": {"messages": [{"role": "user", "content": "x"}]}}] * 3,
        model=MODEL,
    )
    assert job["input_files"] == [] and job["total_requests"] == 3
    server.clock.advance(10)
    plain = client.get(f"/v1/batch/jobs/{job['id']}").json()
    assert "outputs" not in plain
    inline = client.get(f"/v1/batch/jobs/{job['id']}", params={"inline": "true"}).json()
    assert sorted(o["custom_id"] for o in inline["outputs"]) == ["0", "1", "2"]


def test_list_paging_and_order(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY)
    client = client_for(server)
    file = upload(client, chat_lines(1))
    ids = []
    for _ in range(5):
        ids.append(create(client, input_files=[file["id"]], model=MODEL)["id"])
        server.clock.advance(1)
    pages = [
        client.get("/v1/batch/jobs", params={"page": p, "page_size": 2}).json() for p in range(3)
    ]
    assert [p["total"] for p in pages] == [5, 5, 5] and all(p["object"] == "list" for p in pages)
    assert [j["id"] for p in pages for j in p["data"]] == ids[::-1]
    asc = client.get("/v1/batch/jobs", params={"order_by": "created"}).json()
    assert [j["id"] for j in asc["data"]] == ids
    queued = create(client, input_files=[file["id"]], model=MODEL)["id"]
    running = client.get("/v1/batch/jobs", params={"status": "RUNNING"}).json()
    assert running["total"] == 5 and [j["id"] for j in running["data"]] == ids[::-1]
    waiting = client.get("/v1/batch/jobs", params={"status": "QUEUED"}).json()
    assert [j["id"] for j in waiting["data"]] == [queued] and waiting["total"] == 1
    assert client.get("/v1/batch/jobs", params={"page_size": 0}).status_code == 400


def test_download_honours_ranges(make_emulator: MakeEmulator, client_for: Any) -> None:
    server = make_emulator(api_key=KEY)
    client = client_for(server)
    job = create(client, input_files=[upload(client, chat_lines(4))["id"]], model=MODEL)
    server.clock.advance(10)
    output = client.get(f"/v1/batch/jobs/{job['id']}").json()["output_file"]
    whole = client.get(f"/v1/files/{output}/content").content
    tail = client.get(f"/v1/files/{output}/content", headers={"Range": "bytes=10-"})
    assert tail.status_code == 206 and tail.content == whole[10:]


def test_same_seed_same_results(make_emulator: MakeEmulator, client_for: Any) -> None:
    texts = []
    for _ in range(2):
        server = make_emulator(api_key=KEY, seed=3, fail_rate=0.5)
        client = client_for(server)
        job = create(client, input_files=[upload(client, chat_lines(6))["id"]], model=MODEL)
        server.clock.advance(10)
        done = client.get(f"/v1/batch/jobs/{job['id']}", params={"inline": "true"}).json()
        texts.append(sorted(json.dumps(o["response"], sort_keys=True) for o in done["outputs"]))
    assert texts[0] == texts[1]
