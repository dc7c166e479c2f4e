"""Together's half of the emulator over loopback HTTP with a FixedClock: the three-step and the
one-step upload, refusals and limits, the job's states, progress and times, result order, and
what cancel and expiry keep."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from emulator_helpers import jsonl, read_jsonl

import batchtui.emulator.app as emulator_app
from batchtui.emulator import EmulatorServer
from batchtui.emulator.together import HALF, TogetherApi
from batchtui.emulator.together.files import TogetherFiles

KEY = "tg-emulator-test"
MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
CHAT = "/v1/chat/completions"
JOB_KEYS = {
    "id", "user_id", "input_file_id", "file_size_bytes", "status", "job_deadline", "created_at",
    "completed_at", "endpoint", "progress", "model_id", "output_file_id", "error_file_id", "error",
}  # fmt: skip


@pytest.fixture(autouse=True)
def together_half(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the Together half until the lead adds it to HALVES (a no-op afterwards)."""
    if HALF not in emulator_app.HALVES:
        monkeypatch.setattr(emulator_app, "HALVES", (*emulator_app.HALVES, HALF))


def _tg(server: EmulatorServer, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.provider_base_url("together") + "/v1", headers=headers)


@pytest.fixture
def tg(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """httpx client on the together SDK's base URL plus the /v1 it appends."""
    with _tg(emulator) as client:
        yield client


def line(cid: str, text: str = "Say hello", model: str = MODEL, **body: Any) -> dict[str, Any]:
    """One Together input line: {custom_id, body}."""
    return {
        "custom_id": cid,
        "body": {"model": model, "messages": [{"role": "user", "content": text}], **body},
    }


def _lines(n: int) -> list[dict[str, Any]]:
    return [line(f"req-{i}", max_tokens=100) for i in range(n)]


def _form(purpose: str = "batch-api", name: str = "in.jsonl", **more: str) -> dict[str, str]:
    return {"purpose": purpose, "file_name": name, "file_type": "jsonl", **more}


def _upload(tg: httpx.Client, data: bytes, **form: str) -> httpx.Response:
    """The documented one-step upload."""
    return tg.post("/files/upload", data=_form(**form), files={"file": ("in.jsonl", data)})


def _create(tg: httpx.Client, lines: list[Any], **extra: Any) -> dict[str, Any]:
    file = _upload(tg, jsonl(lines))
    assert file.status_code == 200, file.text
    resp = tg.post("/batches", json={"input_file_id": file.json()["id"], "endpoint": CHAT, **extra})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"job", "warning"} and set(body["job"]) == JOB_KEYS
    return body["job"]


def _get(tg: httpx.Client, job_id: str) -> dict[str, Any]:
    resp = tg.get(f"/batches/{job_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def _content(tg: httpx.Client, file_id: str) -> list[dict[str, Any]]:
    resp = tg.get(f"/files/{file_id}/content")
    assert resp.status_code == 200, resp.text
    return read_jsonl(resp.content)


def _error(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    return err


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_mount_points(emulator: EmulatorServer) -> None:
    assert emulator.provider_base_url("together") == emulator.url + "/together"
    for path in ("/together/v1/batches", "/together/uploads/file-x/abc"):
        assert emulator.app.half_for(path).name == "together"


def test_three_step_upload_as_the_sdk_does_it(make_emulator: Any) -> None:
    server = make_emulator(api_key=KEY)
    tg = _tg(server, KEY)
    data = jsonl(_lines(3))
    announce = tg.post("/files", files={k: (None, v) for k, v in _form(checksum="x").items()})
    assert announce.status_code == 302
    file_id = announce.headers["X-Together-File-Id"]
    location = announce.headers["Location"]
    assert location.startswith(server.url + "/together/uploads/" + file_id + "/")
    assert _error(tg.post(f"/files/{file_id}/preprocess"), 404)["param"] == "id"  # no bytes yet
    bare = httpx.Client()  # the storage URL takes no key
    assert bare.put(location + "x", content=data).status_code == 403
    assert bare.put(location, content=data).status_code == 200
    done = tg.post(f"/files/{file_id}/preprocess")
    assert done.status_code == 200, done.text
    record = done.json()
    assert record["id"] == file_id and record["bytes"] == len(data)
    assert record["purpose"] == "batch-api" and record["FileType"] == "jsonl"
    assert record["filename"] == "in.jsonl" and record["object"] == "file"
    assert tg.get(f"/files/{file_id}/content").content == data
    assert bare.put(location, content=data).status_code == 403  # used up


def test_upload_refusals_and_size_limit(
    tg: httpx.Client, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = jsonl(_lines(3))
    for purpose in ("fine-tune", "batch", "eval"):
        assert _error(_upload(tg, data, purpose=purpose), 400)["param"] == "purpose"
    assert _error(_upload(tg, data, file_type="csv"), 400)["param"] == "file_type"
    assert TogetherFiles.max_bytes == 100 * 1024 * 1024
    monkeypatch.setattr(TogetherFiles, "max_bytes", len(data) - 1)
    assert _error(_upload(tg, data), 400)["param"] == "file"
    announce = tg.post("/files", files={k: (None, v) for k, v in _form().items()})
    put = httpx.put(announce.headers["Location"], content=data)
    assert _error(put, 400)["param"] == "file"
    monkeypatch.setattr(TogetherFiles, "max_bytes", len(data))
    assert _upload(tg, data).status_code == 200


def test_lifecycle_states_times_progress_and_order(
    emulator: EmulatorServer, tg: httpx.Client
) -> None:
    t0 = emulator.clock.time()
    job = _create(tg, _lines(20))
    assert job["status"] == "VALIDATING" and job["progress"] == 0
    assert _time(job["created_at"]) == pytest.approx(t0)
    assert _time(job["job_deadline"]) == pytest.approx(t0 + 86400)
    assert job["completed_at"] is None and job["model_id"] == MODEL
    assert job["user_id"] and job["endpoint"] == CHAT and job["file_size_bytes"] > 0
    assert _get(tg, job["id"]) == job  # retrieve answers the job bare
    emulator.clock.advance(1)
    progress = []
    for _ in range(9):
        got = _get(tg, job["id"])
        assert got["status"] == "IN_PROGRESS" and got["output_file_id"] is None
        progress.append(got["progress"])
        emulator.clock.advance(1)
    assert progress == sorted(progress) and 0 < progress[4] < 100
    done = _get(tg, job["id"])
    assert done["status"] == "COMPLETED" and done["progress"] == 100
    assert _time(done["completed_at"]) == pytest.approx(t0 + 10)
    assert done["error_file_id"] is None and done["error"] is None
    lines = _content(tg, done["output_file_id"])
    ids = [item["custom_id"] for item in lines]
    assert sorted(ids) == sorted(f"req-{i}" for i in range(20))
    assert ids != [f"req-{i}" for i in range(20)]  # not input order: join on custom_id
    for item in lines:
        body = item["response"]["body"]
        assert item["response"]["status_code"] == 200 and item["error"] is None
        assert body["object"] == "chat.completion" and body["model"] == MODEL
        assert body["choices"][0]["finish_reason"] == "stop" and body["prompt"] == []


def test_create_refusals(tg: httpx.Client) -> None:
    file = _upload(tg, jsonl(_lines(1))).json()
    ok = {"input_file_id": file["id"], "endpoint": CHAT}
    for window in ("48h", "7d", "1h", 24):
        resp = tg.post("/batches", json={**ok, "completion_window": window})
        assert _error(resp, 400)["param"] == "completion_window"
    assert tg.post("/batches", json={**ok, "completion_window": "24h"}).status_code == 200
    for endpoint in ("/v1/embeddings", "/v1/completions", ""):
        assert _error(tg.post("/batches", json={**ok, "endpoint": endpoint}), 400)["param"] == (
            "endpoint"
        )
    assert _error(tg.post("/batches", json={"endpoint": CHAT}), 400)["param"] == "input_file_id"
    missing = tg.post("/batches", json={**ok, "input_file_id": "file-missing"})
    assert _error(missing, 404)["param"] == "id"
    assert _error(tg.post("/batches", json={**ok, "metadata": [1]}), 400)["param"] == "metadata"


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ([line("x" * 65)], "longer than 64"),
        ([line("a"), line("a")], "duplicate"),
        ([{**line("a"), "method": "POST", "url": CHAT}], "method"),
        ([line("a"), line("b", model="other-model")], "one model"),
        ([line("a"), "{not json"], "invalid JSON"),
        ([{"custom_id": "a"}], "'body'"),
        ([], "empty"),
    ],
)
def test_bad_inputs_fail_the_job(
    emulator: EmulatorServer, tg: httpx.Client, lines: list[Any], words: str
) -> None:
    job = _create(tg, lines)
    assert job["status"] == "VALIDATING" and job["error"] is None
    emulator.clock.advance(1)
    failed = _get(tg, job["id"])
    assert failed["status"] == "FAILED" and words in failed["error"]
    assert failed["output_file_id"] is None and failed["error_file_id"] is None


def test_custom_id_of_64_and_the_request_cap(
    emulator: EmulatorServer, tg: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert TogetherApi.max_requests == 50_000
    monkeypatch.setattr(TogetherApi, "max_requests", 3)
    ok = _create(tg, [line("x" * 64), line("b"), line("c")])
    over = _create(tg, _lines(4))
    emulator.clock.advance(1)
    assert _get(tg, ok["id"])["status"] == "IN_PROGRESS"
    failed = _get(tg, over["id"])
    assert failed["status"] == "FAILED" and "3" in failed["error"]


def test_list_is_a_bare_array_newest_first(emulator: EmulatorServer, tg: httpx.Client) -> None:
    ids = []
    for _ in range(3):
        ids.append(_create(tg, _lines(1))["id"])
        emulator.clock.advance(0.5)
    listed = tg.get("/batches").json()
    assert isinstance(listed, list) and [j["id"] for j in listed] == ids[::-1]
    files = tg.get("/files").json()
    assert set(files) == {"data"} and len(files["data"]) == 3


def test_cancel_keeps_finished_results(emulator: EmulatorServer, tg: httpx.Client) -> None:
    job = _create(tg, _lines(30))
    emulator.clock.advance(5)
    running = _get(tg, job["id"])
    assert 0 < running["progress"] < 100
    cancel = tg.post(f"/batches/{job['id']}/cancel")
    assert cancel.status_code == 200 and cancel.json()["status"] == "CANCELING"
    again = tg.post(f"/batches/{job['id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "CANCELING"
    emulator.clock.advance(1)
    done = _get(tg, job["id"])
    assert done["status"] == "CANCELLED" and done["progress"] == running["progress"]
    assert done["completed_at"] is None
    out = _content(tg, done["output_file_id"])
    assert len(out) == round(30 * running["progress"] / 100)
    assert done["error_file_id"] is None  # never-run requests get no line
    refused = tg.post(f"/batches/{job['id']}/cancel")
    assert "CANCELLED" in _error(refused, 400)["message"]


def test_cancel_while_validating_leaves_no_files(
    emulator: EmulatorServer, tg: httpx.Client
) -> None:
    job = _create(tg, _lines(5))
    assert tg.post(f"/batches/{job['id']}/cancel").json()["status"] == "CANCELING"
    emulator.clock.advance(2)
    done = _get(tg, job["id"])
    assert done["status"] == "CANCELLED" and done["progress"] == 0
    assert done["output_file_id"] is None and done["error_file_id"] is None


def test_cancel_of_a_completed_job_is_refused(emulator: EmulatorServer, tg: httpx.Client) -> None:
    job = _create(tg, _lines(2))
    emulator.clock.advance(10)
    assert _error(tg.post(f"/batches/{job['id']}/cancel"), 400)["param"] == "id"
    assert _get(tg, job["id"])["status"] == "COMPLETED"


def test_expiry_keeps_finished_results(make_emulator: Any) -> None:
    server = make_emulator(expire_seconds=5.0)  # the 24 h window scaled to 5 s
    tg = _tg(server)
    job = _create(tg, _lines(30))
    server.clock.advance(5)
    expired = _get(tg, job["id"])
    assert expired["status"] == "EXPIRED" and expired["completed_at"] is None
    assert 0 < expired["progress"] < 100
    out = _content(tg, expired["output_file_id"])
    assert len(out) == round(30 * expired["progress"] / 100)


def test_failures_go_to_the_error_file(make_emulator: Any) -> None:
    server = make_emulator(fail_rate=0.5)
    tg = _tg(server)
    job = _create(tg, [*_lines(20), line("broken", "[[http_error]]"), line("short", max_tokens=2)])
    server.clock.advance(10)
    done = _get(tg, job["id"])
    out = _content(tg, done["output_file_id"])
    err = _content(tg, done["error_file_id"])
    assert len(out) + len(err) == 22 and 0 < len(err) < 22
    assert "broken" in {item["custom_id"] for item in err}
    for item in err:
        assert item["response"]["status_code"] >= 400 and "error" in item["response"]["body"]
    short = [item for item in out if item["custom_id"] == "short"]
    if short:  # unless fail_rate picked it
        assert short[0]["response"]["body"]["choices"][0]["finish_reason"] == "length"


def test_auth_not_found_and_faults(make_emulator: Any) -> None:
    server = make_emulator(api_key=KEY)
    assert _error(_tg(server).get("/batches"), 401)["code"] == "invalid_api_key"
    assert _error(_tg(server, "wrong").get("/batches"), 401)["code"] == "invalid_api_key"
    tg = _tg(server, KEY)
    assert _error(tg.get("/batches/nope"), 404)["param"] == "id"
    assert _error(tg.get("/files/file-nope/content"), 404)["param"] == "id"
    assert _error(tg.get("/nowhere"), 404)["code"] == "not_found"
    assert tg.get("/batches").headers["x-request-id"]
    server.set_faults("500@upload=1")
    assert _error(_upload(tg, jsonl(_lines(1))), 500)["type"] == "server_error"
    file = _upload(tg, jsonl(_lines(1))).json()
    server.set_faults("529@list=1")
    assert tg.get("/batches").status_code == 503  # overload answers 503 on Together
    server.set_faults("429@create=1:3")
    limited = tg.post("/batches", json={"input_file_id": file["id"], "endpoint": CHAT})
    assert _error(limited, 429)["code"] == "rate_limit_exceeded"
    assert limited.headers["retry-after"] == "3"
    server.set_faults("500after@create=1")
    assert (
        tg.post("/batches", json={"input_file_id": file["id"], "endpoint": CHAT}).status_code == 500
    )
    assert len(tg.get("/batches").json()) == 1  # the create took effect first
    server.set_faults("quota=1")
    assert _error(tg.get("/batches"), 429)["code"] == "credit_limit"
