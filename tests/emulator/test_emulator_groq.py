"""Groq's half of the emulator over loopback HTTP with a FixedClock: OpenAI's Files + Batches
under /openai/v1 with Groq's window, endpoint, purpose, size and list differences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_helpers import CHAT, jsonl, openai_line, read_jsonl

import batchtui.emulator.app as emulator_app
from batchtui.emulator import EmulatorServer
from batchtui.emulator.groq import HALF, GroqApi

KEY = "gsk-emulator-test"
MODEL = "llama-3.1-8b-instant"


@pytest.fixture(autouse=True)
def groq_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Groq half until the lead adds it to HALVES (a no-op afterwards)."""
    if HALF not in emulator_app.HALVES:
        monkeypatch.setattr(emulator_app, "HALVES", (*emulator_app.HALVES, HALF))


@pytest.fixture
def gq(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """httpx client on the groq SDK's base URL plus the /openai/v1 it appends."""
    base = emulator.provider_base_url("groq") + "/openai/v1"
    with httpx.Client(base_url=base, timeout=10) as client:
        yield client


def _lines(n: int, **kw: Any) -> list[dict[str, Any]]:
    return [openai_line(f"req-{i}", model=MODEL, **kw) for i in range(n)]


def _upload(gq: httpx.Client, data: bytes, name: str = "in.jsonl", purpose: str = "batch"):
    return gq.post("/files", files={"file": (name, data)}, data={"purpose": purpose})


def _create(gq: httpx.Client, lines: list[Any], window: str = "24h", **extra: Any) -> dict:
    file = _upload(gq, jsonl(lines))
    assert file.status_code == 200, file.text
    body = {"input_file_id": file.json()["id"], "endpoint": CHAT, "completion_window": window}
    resp = gq.post("/batches", json={**body, **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _get(gq: httpx.Client, batch_id: str) -> dict:
    resp = gq.get(f"/batches/{batch_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def _content(gq: httpx.Client, file_id: str) -> list[dict]:
    resp = gq.get(f"/files/{file_id}/content")
    assert resp.status_code == 200, resp.text
    return read_jsonl(resp.content)


def _error(resp: httpx.Response, status: int) -> dict:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    return err


def test_mount_point_is_the_server_root(emulator: EmulatorServer) -> None:
    assert emulator.provider_base_url("groq") == emulator.url
    assert emulator.app.half_for("/openai/v1/batches").name == "groq"
    assert emulator.app.half_for("/v1/batches").name == "openai"


def test_lifecycle_output_is_groq_chat_and_shuffled(
    emulator: EmulatorServer, gq: httpx.Client
) -> None:
    t0 = int(emulator.clock.time())
    batch = _create(gq, _lines(20), metadata={"run": "one"})
    assert batch["id"].startswith("batch_") and batch["status"] == "validating"
    assert batch["completion_window"] == "24h" and batch["expires_at"] == t0 + 86400
    assert batch["metadata"] == {"run": "one"}
    assert "model" not in batch and "usage" not in batch  # not in Groq's Batch object
    emulator.clock.advance(1)
    assert _get(gq, batch["id"])["status"] == "in_progress"
    emulator.clock.advance(5)
    running = _get(gq, batch["id"])
    assert 0 < running["request_counts"]["completed"] < 20 and running["output_file_id"] is None
    emulator.clock.advance(4)
    done = _get(gq, batch["id"])
    assert done["status"] == "completed" and done["completed_at"] == t0 + 10
    assert done["request_counts"] == {"total": 20, "completed": 20, "failed": 0}
    lines = _content(gq, done["output_file_id"])
    ids = [line["custom_id"] for line in lines]
    assert sorted(ids) == sorted(f"req-{i}" for i in range(20))
    assert ids != [f"req-{i}" for i in range(20)]  # not input order: join on custom_id
    for line in lines:
        body = line["response"]["body"]
        assert line["response"]["status_code"] == 200 and body["model"] == MODEL
        assert body["choices"][0]["finish_reason"] == "stop"
        assert body["service_tier"] == "on_demand" and body["x_groq"]["id"].startswith("req_")
    out = gq.get(f"/files/{done['output_file_id']}").json()
    assert out["purpose"] == "batch_output" and out["created_at"] == t0 + 10


def test_markers_use_only_groq_finish_reasons(emulator: EmulatorServer, gq: httpx.Client) -> None:
    lines = [
        openai_line("refused", "[[refuse]]", model=MODEL),
        openai_line("filtered", "[[filter]]", model=MODEL),
        openai_line("short", model=MODEL, max_tokens=2),
        openai_line("broken", "[[http_error]]", model=MODEL),
    ]
    batch = _create(gq, lines)
    emulator.clock.advance(10)
    done = _get(gq, batch["id"])
    by_id = {line["custom_id"]: line for line in _content(gq, done["output_file_id"])}
    reasons = {cid: line["response"]["body"] for cid, line in by_id.items()}
    assert reasons["refused"]["choices"][0]["finish_reason"] == "stop"
    assert reasons["filtered"]["choices"][0]["finish_reason"] == "stop"
    assert reasons["short"]["choices"][0]["finish_reason"] == "length"
    assert by_id["broken"]["response"]["status_code"] == 400
    assert done["request_counts"]["failed"] == 1


@pytest.mark.parametrize("window", ["24h", "36h", "2d", "168h", "7d"])
def test_windows_from_24h_to_7d_are_accepted(
    emulator: EmulatorServer, gq: httpx.Client, window: str
) -> None:
    t0 = int(emulator.clock.time())
    batch = _create(gq, _lines(1), window=window)
    hours = int(window[:-1]) * (24 if window.endswith("d") else 1)
    assert batch["completion_window"] == window
    assert batch["expires_at"] == t0 + hours * 3600


@pytest.mark.parametrize("window", ["1h", "23h", "8d", "169h", "1w", "24 h", "", 24, "1440m"])
def test_other_windows_are_refused(gq: httpx.Client, window: Any) -> None:
    file = _upload(gq, jsonl(_lines(1))).json()
    resp = gq.post(
        "/batches",
        json={"input_file_id": file["id"], "endpoint": CHAT, "completion_window": window},
    )
    err = _error(resp, 400)
    assert err["param"] == "completion_window" and err["type"] == "invalid_request_error"


def test_only_chat_completions(gq: httpx.Client) -> None:
    file = _upload(gq, jsonl(_lines(1))).json()
    for endpoint in ("/v1/embeddings", "/v1/responses", "/v1/completions"):
        resp = gq.post(
            "/batches",
            json={"input_file_id": file["id"], "endpoint": endpoint, "completion_window": "24h"},
        )
        assert _error(resp, 400)["param"] == "endpoint"


def test_upload_refusals(gq: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    data = jsonl(_lines(3))
    assert _error(_upload(gq, data, purpose="fine-tune"), 400)["param"] == "purpose"
    assert _error(_upload(gq, data, purpose="batch_output"), 400)["param"] == "purpose"
    assert "jsonl" in _error(_upload(gq, data, name="in.txt"), 400)["message"]
    assert GroqApi.max_file_bytes == 100 * 1024 * 1024
    monkeypatch.setattr(GroqApi, "max_file_bytes", len(data) - 1)
    assert _error(_upload(gq, data), 400)["message"] == "File is too large."
    monkeypatch.setattr(GroqApi, "max_file_bytes", len(data))
    assert _upload(gq, data).status_code == 200


def test_too_many_requests_fail_validation(
    emulator: EmulatorServer, gq: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(GroqApi, "max_tasks", 3)
    ok = _create(gq, _lines(3))
    over = _create(gq, _lines(4))
    emulator.clock.advance(1)
    assert _get(gq, ok["id"])["status"] == "in_progress"
    failed = _get(gq, over["id"])
    assert failed["status"] == "failed" and failed["output_file_id"] is None
    assert failed["errors"]["data"][0]["code"] == "too_many_tasks"


def test_bad_lines_fail_validation_with_line_numbers(
    emulator: EmulatorServer, gq: httpx.Client
) -> None:
    lines: list[Any] = [*_lines(2), "not json", openai_line("req-0", model=MODEL)]
    batch = _create(gq, lines)
    emulator.clock.advance(1)
    failed = _get(gq, batch["id"])
    codes = {(e["code"], e["line"]) for e in failed["errors"]["data"]}
    assert codes == {("invalid_json_line", 3), ("duplicate_custom_id", 4)}


def test_lists_have_no_paging(emulator: EmulatorServer, gq: httpx.Client) -> None:
    ids = []
    for _ in range(3):
        ids.append(_create(gq, _lines(1))["id"])
        emulator.clock.advance(0.5)
    listed = gq.get("/batches", params={"limit": 1, "after": ids[-1]}).json()
    assert set(listed) == {"object", "data"} and listed["object"] == "list"
    assert [b["id"] for b in listed["data"]] == ids[::-1]  # newest first, paging ignored
    files = gq.get("/files").json()
    assert set(files) == {"object", "data"} and len(files["data"]) == 3
    assert all(set(f) == {"id", "object", "bytes", "created_at", "filename", "purpose"}
               for f in files["data"])  # fmt: skip


def test_groq_batches_are_not_openai_batches(emulator: EmulatorServer, gq: httpx.Client) -> None:
    batch = _create(gq, _lines(1))
    with httpx.Client(base_url=emulator.openai_base_url) as oa:
        assert oa.get(f"/batches/{batch['id']}").status_code == 404
        assert oa.get("/batches").json()["data"] == []


def test_cancel_keeps_finished_results(emulator: EmulatorServer, gq: httpx.Client) -> None:
    batch = _create(gq, _lines(30))
    emulator.clock.advance(5)
    finished = _get(gq, batch["id"])["request_counts"]["completed"]
    assert 0 < finished < 30
    resp = gq.post(f"/batches/{batch['id']}/cancel")
    assert resp.status_code == 200 and resp.json()["status"] == "cancelling"
    assert resp.json()["cancelling_at"] == int(emulator.clock.time())
    emulator.clock.advance(1)
    done = _get(gq, batch["id"])
    assert done["status"] == "cancelled" and done["cancelled_at"] is not None
    out = _content(gq, done["output_file_id"])
    err = _content(gq, done["error_file_id"])
    assert len(out) == finished and len(err) == 30 - finished
    assert {line["error"]["code"] for line in err} == {"batch_cancelled"}
    assert all(line["response"] is None for line in err)
    assert {line["custom_id"] for line in out + err} == {f"req-{i}" for i in range(30)}


def test_expiry_keeps_finished_results_and_scales_with_the_window(
    make_emulator: Any,
) -> None:
    server = make_emulator(expire_seconds=5.0)  # the 24 h window scaled to 5 s
    gq = httpx.Client(base_url=server.provider_base_url("groq") + "/openai/v1")
    short = _create(gq, _lines(30), window="24h")
    long = _create(gq, _lines(30), window="48h")  # closes at 10 s: after the 10 s run
    server.clock.advance(10)
    expired = _get(gq, short["id"])
    assert expired["status"] == "expired" and expired["expired_at"] is not None
    out = _content(gq, expired["output_file_id"])
    err = _content(gq, expired["error_file_id"])
    assert 0 < len(out) < 30 and len(out) + len(err) == 30
    assert {line["error"]["code"] for line in err} == {"batch_expired"}
    assert _get(gq, long["id"])["status"] == "completed"


def test_fail_rate_writes_error_lines(make_emulator: Any) -> None:
    server = make_emulator(fail_rate=0.5)
    gq = httpx.Client(base_url=server.provider_base_url("groq") + "/openai/v1")
    batch = _create(gq, _lines(20))
    server.clock.advance(10)
    done = _get(gq, batch["id"])
    counts = done["request_counts"]
    assert 0 < counts["failed"] < 20 and counts["completed"] + counts["failed"] == 20
    err = _content(gq, done["error_file_id"])
    assert len(err) == counts["failed"]
    assert all(line["response"]["status_code"] >= 400 for line in err)
    assert all("error" in line["response"]["body"] for line in err)


def test_auth_not_found_and_faults(make_emulator: Any) -> None:
    server = make_emulator(api_key=KEY)
    base = server.provider_base_url("groq") + "/openai/v1"
    anon = httpx.Client(base_url=base)
    assert _error(anon.get("/batches"), 401)["message"]
    wrong = httpx.Client(base_url=base, headers={"Authorization": "Bearer nope"})
    assert _error(wrong.get("/batches"), 401)["code"] == "invalid_api_key"
    gq = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"})
    assert _error(gq.get("/batches/batch_missing"), 404)["param"] == "batch_id"
    assert _error(gq.get("/files/file_missing"), 404)["message"]
    assert _error(gq.get("/nowhere"), 404)["message"]
    resp = gq.get("/batches")
    assert resp.status_code == 200 and resp.headers["x-request-id"].startswith("req_")
    server.set_faults("429@list=1:2")
    limited = gq.get("/batches")
    assert _error(limited, 429)["code"] == "rate_limit_exceeded"
    assert limited.headers["retry-after"] == "2"
    server.set_faults("529@list=1")
    assert gq.get("/batches").status_code == 503  # overload answers 503 on Groq
    server.set_faults("500after@create=1")
    file = _upload(gq, jsonl(_lines(1))).json()
    body = {"input_file_id": file["id"], "endpoint": CHAT, "completion_window": "24h"}
    assert _error(gq.post("/batches", json=body), 500)["type"] == "server_error"
    assert len(gq.get("/batches").json()["data"]) == 1  # the create took effect first
    assert server.route_faults()["create"] == 1
