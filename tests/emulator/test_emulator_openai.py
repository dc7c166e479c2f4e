"""OpenAI Files + Batches behaviour of the emulator, over loopback HTTP with a FixedClock."""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import CHAT, create_batch, jsonl, openai_line, read_jsonl, upload

from batchtui.emulator import EmulatorServer

N = 20


def _lines(n: int = N) -> list[dict]:
    return [openai_line(f"req-{i}") for i in range(n)]


def _get(oa: httpx.Client, batch_id: str) -> dict:
    resp = oa.get(f"/batches/{batch_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def _content(oa: httpx.Client, file_id: str) -> list[dict]:
    resp = oa.get(f"/files/{file_id}/content")
    assert resp.status_code == 200
    return read_jsonl(resp.content)


TS_FIELDS = ("in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at")


def test_lifecycle_timestamps_counts_and_output(emulator: EmulatorServer, oa: httpx.Client) -> None:
    t0 = int(emulator.clock.time())
    batch = create_batch(oa, _lines(), metadata={"run": "one"})
    assert batch["status"] == "validating"
    assert batch["created_at"] == t0 and batch["expires_at"] == t0 + 86400
    assert batch["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert batch["metadata"] == {"run": "one"} and batch["model"] == "gpt-4o-mini"
    for key in (*TS_FIELDS, "cancelling_at", "cancelled_at", "output_file_id", "error_file_id"):
        assert key in batch and batch[key] is None, key

    emulator.clock.advance(1)  # validation takes 10% of job_seconds=10
    batch = _get(oa, batch["id"])
    assert batch["status"] == "in_progress" and batch["in_progress_at"] == t0 + 1
    assert batch["request_counts"]["total"] == N

    seen = []
    for _ in range(8):
        emulator.clock.advance(1)
        batch = _get(oa, batch["id"])
        seen.append(batch["request_counts"]["completed"])
        assert batch["output_file_id"] is None  # ids only at terminal state
    assert seen == sorted(seen) and 0 < seen[3] < N  # counts move while running
    assert batch["status"] == "finalizing" and batch["finalizing_at"] == t0 + 9
    assert batch["request_counts"] == {"total": N, "completed": N, "failed": 0}

    emulator.clock.advance(1)
    batch = _get(oa, batch["id"])
    assert batch["status"] == "completed" and batch["completed_at"] == t0 + 10
    assert batch["failed_at"] is None and batch["error_file_id"] is None
    lines = _content(oa, batch["output_file_id"])
    ids = [line["custom_id"] for line in lines]
    assert sorted(ids) == sorted(f"req-{i}" for i in range(N))
    assert ids != [f"req-{i}" for i in range(N)]  # shuffled, join on custom_id
    usage_in = 0
    for line in lines:
        assert line["error"] is None and line["id"].startswith("batch_req_")
        body = line["response"]["body"]
        assert line["response"]["status_code"] == 200 and body["object"] == "chat.completion"
        assert body["choices"][0]["finish_reason"] == "stop"
        usage = body["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        usage_in += usage["prompt_tokens"]
    assert batch["usage"]["input_tokens"] == usage_in
    out_file = oa.get(f"/files/{batch['output_file_id']}").json()
    assert out_file["purpose"] == "batch_output" and out_file["created_at"] == t0 + 10


def test_results_are_deterministic_per_seed(make_emulator) -> None:
    texts = []
    for seed in (7, 7, 8):
        server = make_emulator(seed=seed)
        with httpx.Client(base_url=server.openai_base_url) as oa:
            batch = create_batch(oa, _lines(5))
            server.clock.advance(10)
            batch = _get(oa, batch["id"])
            lines = {line["custom_id"]: line for line in _content(oa, batch["output_file_id"])}
            texts.append(
                {
                    cid: line["response"]["body"]["choices"][0]["message"]
                    for cid, line in lines.items()
                }
            )
    assert texts[0] == texts[1]
    assert texts[0] != texts[2]


def test_fail_rate_and_markers(make_emulator) -> None:
    server = make_emulator(fail_rate=0.5)
    lines = _lines(30)
    lines += [
        openai_line("http-err", "please [[http_error]] now"),
        openai_line("refused", "[[refuse]] this"),
        openai_line("short", max_tokens=3),
    ]
    with httpx.Client(base_url=server.openai_base_url) as oa:
        batch = create_batch(oa, lines)
        server.override(batch["id"], fail_rate=0.5)
        server.clock.advance(10)
        batch = _get(oa, batch["id"])
        out = {line["custom_id"]: line for line in _content(oa, batch["output_file_id"])}
        err = {line["custom_id"]: line for line in _content(oa, batch["error_file_id"])}
    assert set(out) | set(err) == {line["custom_id"] for line in lines}
    assert not set(out) & set(err)
    for line in err.values():
        assert line["error"] is None and line["response"]["status_code"] >= 400
        assert set(line["response"]["body"]["error"]) == {"message", "type", "param", "code"}
    http_err = out["http-err"]["response"]
    assert http_err["status_code"] == 400 and http_err["body"]["error"]["type"]
    failed = len(err) + 1  # the [[http_error]] line sits in the output file but failed
    counts = batch["request_counts"]
    assert counts == {"total": len(lines), "completed": len(lines) - failed, "failed": failed}
    assert 5 < len(err) < 25  # about half of the 30 plain requests
    for cid, reason in (("refused", "content_filter"), ("short", "length")):
        if cid in out:  # the fail rate may have hit it instead
            choice = out[cid]["response"]["body"]["choices"][0]
            assert choice["finish_reason"] == reason
    short = out.get("short")
    if short is not None:
        assert short["response"]["body"]["usage"]["completion_tokens"] == 3


def test_markers_without_fail_rate(emulator: EmulatorServer, oa: httpx.Client) -> None:
    batch = create_batch(
        oa,
        [
            openai_line("refused", "[[refuse]] this"),
            openai_line("short", max_tokens=3),
            openai_line("http-err", "[[http_error]]"),
        ],
    )
    emulator.clock.advance(10)
    batch = _get(oa, batch["id"])
    assert batch["error_file_id"] is None
    out = {line["custom_id"]: line["response"] for line in _content(oa, batch["output_file_id"])}
    refused = out["refused"]["body"]["choices"][0]
    assert refused["finish_reason"] == "content_filter" and refused["message"]["refusal"]
    assert out["short"]["body"]["choices"][0]["finish_reason"] == "length"
    assert out["http-err"]["status_code"] == 400
    assert batch["request_counts"] == {"total": 3, "completed": 2, "failed": 1}


def test_cancel_keeps_finished_requests(emulator: EmulatorServer, oa: httpx.Client) -> None:
    t0 = int(emulator.clock.time())
    batch = create_batch(oa, _lines())
    emulator.clock.advance(5)
    done = _get(oa, batch["id"])["request_counts"]["completed"]
    assert 0 < done < N
    resp = oa.post(f"/batches/{batch['id']}/cancel")
    assert resp.status_code == 200
    batch = resp.json()
    assert batch["status"] == "cancelling" and batch["cancelling_at"] == t0 + 5
    assert batch["output_file_id"] is None and batch["cancelled_at"] is None
    emulator.clock.advance(0.5)
    batch = _get(oa, batch["id"])
    assert batch["status"] == "cancelling" and batch["request_counts"]["completed"] == done
    emulator.clock.advance(0.5)  # cancel delay: 10% of job_seconds
    batch = _get(oa, batch["id"])
    assert batch["status"] == "cancelled" and batch["cancelled_at"] == t0 + 6
    assert batch["request_counts"] == {"total": N, "completed": done, "failed": 0}
    assert batch["finalizing_at"] is None and batch["completed_at"] is None
    out = _content(oa, batch["output_file_id"])
    err = _content(oa, batch["error_file_id"])
    assert len(out) == done and len(err) == N - done
    for line in err:
        assert line["response"] is None and line["error"]["code"] == "batch_cancelled"
    again = oa.post(f"/batches/{batch['id']}/cancel")
    assert again.status_code == 200 and again.json() == batch  # terminal: unchanged


def test_cancel_terminal_can_be_an_error(make_emulator) -> None:
    server = make_emulator(cancel_terminal_error=True)
    with httpx.Client(base_url=server.openai_base_url) as oa:
        batch = create_batch(oa, _lines(2))
        server.clock.advance(10)
        resp = oa.post(f"/batches/{batch['id']}/cancel")
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "invalid_request_error"


def test_cancel_while_validating(emulator: EmulatorServer, oa: httpx.Client) -> None:
    batch = create_batch(oa, _lines(3))
    oa.post(f"/batches/{batch['id']}/cancel")
    emulator.clock.advance(5)
    batch = _get(oa, batch["id"])
    assert batch["status"] == "cancelled" and batch["in_progress_at"] is None
    assert batch["request_counts"]["total"] == 0


@pytest.mark.parametrize("via_override", [False, True])
def test_expiry_keeps_finished_requests(make_emulator, via_override: bool) -> None:
    server = make_emulator() if via_override else make_emulator(expire_seconds=5)
    t0 = int(server.clock.time())
    with httpx.Client(base_url=server.openai_base_url) as oa:
        batch = create_batch(oa, _lines())
        if via_override:
            server.override(batch["id"], expire_seconds=5)
        server.clock.advance(4.9)
        done = _get(oa, batch["id"])["request_counts"]["completed"]
        server.clock.advance(0.1)
        batch = _get(oa, batch["id"])
        assert batch["status"] == "expired" and batch["expired_at"] == t0 + 5
        assert batch["expires_at"] == t0 + 5
        assert batch["request_counts"] == {"total": N, "completed": done, "failed": 0}
        out = _content(oa, batch["output_file_id"])
        err = _content(oa, batch["error_file_id"])
    assert 0 < done < N and len(out) == done and len(err) == N - done
    for line in err:
        assert line["response"] is None and line["error"]["code"] == "batch_expired"
        assert "completion window expired" in line["error"]["message"]


def test_validation_failure_names_lines(emulator: EmulatorServer, oa: httpx.Client) -> None:
    lines = [
        openai_line("ok-1"),
        "{not json",
        {"method": "POST", "url": CHAT, "body": {"model": "gpt-4o-mini"}},
        openai_line("ok-1"),
        openai_line("wrong-url", url="/v1/embeddings"),
        openai_line("other-model", model="gpt-4o"),
    ]
    batch = create_batch(oa, lines)
    assert batch["status"] == "validating" and batch["errors"] is None
    emulator.clock.advance(1)
    batch = _get(oa, batch["id"])
    assert batch["status"] == "failed" and batch["failed_at"] == batch["created_at"] + 1
    assert batch["in_progress_at"] is None and batch["request_counts"]["total"] == 0
    errors = batch["errors"]
    assert errors["object"] == "list"
    got = [(e["code"], e["line"], e["param"]) for e in errors["data"]]
    assert got == [
        ("invalid_json_line", 2, None),
        ("missing_required_parameter", 3, "custom_id"),
        ("duplicate_custom_id", 4, "custom_id"),
        ("url_mismatch", 5, "url"),
        ("model_mismatch", 6, "body.model"),
    ]
    assert all(e["message"] for e in errors["data"])
    emulator.clock.advance(20)
    batch = _get(oa, batch["id"])
    assert batch["output_file_id"] is None and batch["error_file_id"] is None


def test_empty_file_and_too_many_tasks(make_emulator) -> None:
    server = make_emulator(openai_max_tasks=3)
    with httpx.Client(base_url=server.openai_base_url) as oa:
        empty = create_batch(oa, [])
        many = create_batch(oa, _lines(4))
        server.clock.advance(1)
        empty = _get(oa, empty["id"])
        many = _get(oa, many["id"])
    assert empty["status"] == "failed"
    assert [(e["code"], e["line"]) for e in empty["errors"]["data"]] == [("empty_file", None)]
    assert many["status"] == "failed"
    assert many["errors"]["data"][0]["code"] == "too_many_tasks"


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"input_file_id": None}, "input_file_id"),
        ({"endpoint": "/v1/nope"}, "endpoint"),
        ({"completion_window": "48h"}, "completion_window"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"metadata": {"k" * 65: "v"}}, "metadata"),
        ({"metadata": {"k": "v" * 513}}, "metadata.k"),
        ({"output_expires_after": {"anchor": "created_at", "seconds": 10}}, None),
    ],
)
def test_create_rejects_bad_requests(oa: httpx.Client, change: dict, param: str | None) -> None:
    file = upload(oa, jsonl(_lines(1)))
    body = {"input_file_id": file["id"], "endpoint": CHAT, "completion_window": "24h"}
    body.update(change)
    resp = oa.post("/batches", json=body)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param
    assert oa.get("/batches").json()["data"] == []


def test_create_with_unknown_or_wrong_file(oa: httpx.Client) -> None:
    resp = oa.post(
        "/batches",
        json={"input_file_id": "file-missing", "endpoint": CHAT, "completion_window": "24h"},
    )
    assert resp.status_code == 404
    assert set(resp.json()["error"]) == {"message", "type", "param", "code"}
    other = oa.post(
        "/files", files={"file": ("notes.jsonl", b"{}\n")}, data={"purpose": "user_data"}
    ).json()
    resp = oa.post(
        "/batches",
        json={"input_file_id": other["id"], "endpoint": CHAT, "completion_window": "24h"},
    )
    assert resp.status_code == 400


def test_upload_rules(make_emulator) -> None:
    server = make_emulator(openai_max_file_bytes=100)
    with httpx.Client(base_url=server.openai_base_url) as oa:
        txt = oa.post("/files", files={"file": ("in.txt", b"{}\n")}, data={"purpose": "batch"})
        assert txt.status_code == 400
        assert txt.json()["error"]["message"] == "Invalid file format for Batch API. Must be .jsonl"
        big = oa.post("/files", files={"file": ("in.jsonl", b"x" * 101)}, data={"purpose": "batch"})
        assert big.status_code == 400 and big.json()["error"]["message"] == "File is too large."
        edge = oa.post(
            "/files", files={"file": ("in.jsonl", b"x" * 100)}, data={"purpose": "batch"}
        )
        assert edge.status_code == 200 and edge.json()["bytes"] == 100
        nopurpose = oa.post("/files", files={"file": ("in.jsonl", b"{}\n")})
        assert nopurpose.status_code == 400 and nopurpose.json()["error"]["param"] == "purpose"
        bad = oa.post("/files", files={"file": ("in.jsonl", b"{}\n")}, data={"purpose": "x"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "purpose"
        nofile = oa.post("/files", data={"purpose": "batch"}, files={"other": ("a", b"1")})
        assert nofile.status_code == 400 and nofile.json()["error"]["param"] == "file"
        assert [f["id"] for f in oa.get("/files").json()["data"]] == [edge.json()["id"]]


def test_files_api(emulator: EmulatorServer, oa: httpx.Client) -> None:
    data = jsonl(_lines(50))
    first = upload(oa, data, "first.jsonl")
    assert first["bytes"] == len(data) and first["purpose"] == "batch"
    assert first["expires_at"] == first["created_at"] + 30 * 86400
    emulator.clock.advance(1)
    second = oa.post(
        "/files",
        files={"file": ("second.jsonl", b"{}\n")},
        data={
            "purpose": "batch",
            "expires_after[anchor]": "created_at",
            "expires_after[seconds]": "3600",
        },
    ).json()
    assert second["expires_at"] == second["created_at"] + 3600
    assert oa.get(f"/files/{first['id']}").json() == first
    listed = oa.get("/files").json()
    assert [f["id"] for f in listed["data"]] == [second["id"], first["id"]]
    assert listed["first_id"] == second["id"] and listed["has_more"] is False
    asc = oa.get("/files", params={"order": "asc", "limit": 1}).json()
    assert [f["id"] for f in asc["data"]] == [first["id"]] and asc["has_more"] is True
    after = oa.get("/files", params={"order": "asc", "after": first["id"]}).json()
    assert [f["id"] for f in after["data"]] == [second["id"]]
    assert oa.get("/files", params={"purpose": "batch_output"}).json()["data"] == []
    assert oa.get(f"/files/{first['id']}/content").content == data

    whole = oa.get(f"/files/{first['id']}/content")
    assert whole.headers["accept-ranges"] == "bytes"
    part = oa.get(f"/files/{first['id']}/content", headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.content == data[100:]
    assert part.headers["content-range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
    mid = oa.get(f"/files/{first['id']}/content", headers={"Range": "bytes=10-19"})
    assert mid.status_code == 206 and mid.content == data[10:20]
    past = oa.get(f"/files/{first['id']}/content", headers={"Range": f"bytes={len(data)}-"})
    assert past.status_code == 416

    emulator.clock.advance(3600)  # the second file's expiry
    assert oa.get(f"/files/{second['id']}").status_code == 404
    deleted = oa.delete(f"/files/{first['id']}")
    assert deleted.json() == {"id": first["id"], "object": "file", "deleted": True}
    assert oa.get(f"/files/{first['id']}").status_code == 404
    assert oa.get(f"/files/{first['id']}/content").status_code == 404
    assert oa.delete(f"/files/{first['id']}").status_code == 404


def test_list_batches_pagination(emulator: EmulatorServer, oa: httpx.Client) -> None:
    created = []
    for i in range(5):
        created.append(create_batch(oa, [openai_line(f"r{i}")])["id"])
        emulator.clock.advance(1)
    newest_first = created[::-1]
    page = oa.get("/batches", params={"limit": 2}).json()
    assert page["object"] == "list" and page["has_more"] is True
    assert [b["id"] for b in page["data"]] == newest_first[:2]
    assert (page["first_id"], page["last_id"]) == (newest_first[0], newest_first[1])
    got = [b["id"] for b in page["data"]]
    while page["has_more"]:
        page = oa.get("/batches", params={"limit": 2, "after": page["last_id"]}).json()
        got += [b["id"] for b in page["data"]]
    assert got == newest_first
    assert len(oa.get("/batches").json()["data"]) == 5  # default limit 20
    for bad in ("0", "101", "x"):
        resp = oa.get("/batches", params={"limit": bad})
        assert resp.status_code == 400 and resp.json()["error"]["param"] == "limit"


def test_not_found_shapes_and_request_ids(oa: httpx.Client) -> None:
    for resp in (
        oa.get("/batches/batch_nope"),
        oa.post("/batches/batch_nope/cancel"),
        oa.get("/nope"),
    ):
        assert resp.status_code == 404
        assert set(resp.json()["error"]) == {"message", "type", "param", "code"}
        assert resp.headers["x-request-id"].startswith("req_")


def test_auth(make_emulator) -> None:
    server = make_emulator(api_key="sk-emulator")
    url = server.openai_base_url
    missing = httpx.get(url + "/batches")
    wrong = httpx.get(url + "/batches", headers={"Authorization": "Bearer sk-other"})
    right = httpx.get(url + "/batches", headers={"Authorization": "Bearer sk-emulator"})
    assert missing.status_code == 401 and wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert "sk-other" not in wrong.text
    assert missing.headers["x-request-id"] and right.status_code == 200


def test_chunked_multipart_upload_is_streamed(oa: httpx.Client) -> None:
    payload = jsonl(_lines(3)) * 2000  # ~500 KB
    boundary = "emulator-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():
        yield head
        for i in range(0, len(payload), 7777):  # odd chunk sizes split the boundary search
            yield payload[i : i + 7777]
        yield tail

    resp = oa.post(
        "/files",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert resp.status_code == 200, resp.text
    file = resp.json()
    assert file["bytes"] == len(payload) and file["filename"] == "big.jsonl"
    assert oa.get(f"/files/{file['id']}/content").content == payload
    # the connection stays usable after a chunked request (keep-alive)
    assert oa.get(f"/files/{file['id']}").status_code == 200


def test_upload_is_streamed_not_buffered(oa: httpx.Client, tmp_path) -> None:
    import tracemalloc

    path = tmp_path / "big.jsonl"
    line = jsonl([openai_line("x" * 40, "y" * 900)])
    with open(path, "wb") as fh:
        for _ in range(16 * 1024):  # ~16 MB
            fh.write(line)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with open(path, "rb") as fh:
            resp = oa.post("/files", files={"file": ("big.jsonl", fh)}, data={"purpose": "batch"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resp.status_code == 200 and resp.json()["bytes"] == size
    assert peak < size / 4, peak  # client and server together never held the file


def test_override_cannot_undo_a_seen_outcome(emulator: EmulatorServer, oa: httpx.Client) -> None:
    batch = create_batch(oa, _lines(3))
    emulator.override(batch["id"], job_seconds=100)
    emulator.clock.advance(50)
    assert _get(oa, batch["id"])["status"] == "in_progress"  # the override took effect
    emulator.override(batch["id"], job_seconds=2)
    assert _get(oa, batch["id"])["status"] == "completed"
    emulator.override(batch["id"], job_seconds=1000)
    assert _get(oa, batch["id"])["status"] == "completed"
