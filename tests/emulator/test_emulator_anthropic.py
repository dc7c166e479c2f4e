"""Anthropic Message Batches behaviour of the emulator, over loopback HTTP with a FixedClock."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx
import pytest
from emulator_helpers import anthropic_request, read_jsonl

from batchtui.emulator import EmulatorServer

BASE = "/v1/messages/batches"
N = 12
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")


def _create(an: httpx.Client, requests: list[dict]) -> dict:
    resp = an.post(BASE, json={"requests": requests})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _get(an: httpx.Client, batch_id: str) -> dict:
    resp = an.get(f"{BASE}/{batch_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def _ts(text: str) -> float:
    assert RFC3339.match(text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def _requests(n: int = N) -> list[dict]:
    return [anthropic_request(f"req_{i}") for i in range(n)]


def _results(an: httpx.Client, batch: dict) -> list[dict]:
    resp = an.get(batch["results_url"])
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/x-jsonl"
    return read_jsonl(resp.content)


def test_lifecycle(emulator: EmulatorServer, an: httpx.Client) -> None:
    t0 = emulator.clock.time()
    batch = _create(an, _requests())
    assert batch["type"] == "message_batch" and batch["id"].startswith("msgbatch_")
    assert batch["processing_status"] == "in_progress"
    assert _ts(batch["created_at"]) == t0 and _ts(batch["expires_at"]) == t0 + 86400
    for key in ("ended_at", "cancel_initiated_at", "archived_at", "results_url"):
        assert key in batch and batch[key] is None
    zero = {"succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    assert batch["request_counts"] == {"processing": N, **zero}

    early = an.get(f"{BASE}/{batch['id']}/results")
    assert early.status_code == 400 and early.json()["error"]["type"] == "invalid_request_error"
    assert an.delete(f"{BASE}/{batch['id']}").status_code == 400

    emulator.clock.advance(9.9)
    assert _get(an, batch["id"])["request_counts"] == {"processing": N, **zero}
    emulator.clock.advance(0.1)
    batch = _get(an, batch["id"])
    assert batch["processing_status"] == "ended" and _ts(batch["ended_at"]) == t0 + 10
    assert batch["request_counts"] == {**zero, "processing": 0, "succeeded": N}
    assert batch["results_url"] == f"{emulator.url}{BASE}/{batch['id']}/results"
    results = _results(an, batch)
    ids = [r["custom_id"] for r in results]
    assert sorted(ids) == sorted(f"req_{i}" for i in range(N)) and ids != [
        f"req_{i}" for i in range(N)
    ]
    for line in results:
        message = line["result"]["message"]
        assert line["result"]["type"] == "succeeded" and message["type"] == "message"
        assert message["stop_reason"] == "end_turn" and message["content"][0]["text"]
        assert message["usage"]["input_tokens"] > 0 and message["usage"]["output_tokens"] > 0

    deleted = an.delete(f"{BASE}/{batch['id']}")
    assert deleted.json() == {"id": batch["id"], "type": "message_batch_deleted"}
    assert an.get(f"{BASE}/{batch['id']}").status_code == 404
    assert an.get(f"{BASE}").json()["data"] == []


def test_cancel_keeps_finished_requests(emulator: EmulatorServer, an: httpx.Client) -> None:
    t0 = emulator.clock.time()
    batch = _create(an, _requests())
    emulator.clock.advance(5)
    resp = an.post(f"{BASE}/{batch['id']}/cancel")
    assert resp.status_code == 200
    batch = resp.json()
    assert batch["processing_status"] == "canceling"
    assert (
        _ts(batch["cancel_initiated_at"]) == t0 + 5 and batch["request_counts"]["processing"] == N
    )
    emulator.clock.advance(1)
    batch = _get(an, batch["id"])
    assert batch["processing_status"] == "ended" and _ts(batch["ended_at"]) == t0 + 6
    counts = batch["request_counts"]
    assert counts["processing"] == 0 and counts["expired"] == 0
    assert 0 < counts["canceled"] < N and counts["succeeded"] + counts["canceled"] == N
    results = _results(an, batch)
    kinds = [r["result"]["type"] for r in results]
    assert kinds.count("canceled") == counts["canceled"]
    assert kinds.count("succeeded") == counts["succeeded"]
    again = an.post(f"{BASE}/{batch['id']}/cancel")
    assert again.status_code == 200 and again.json() == batch


def test_expiry_ends_with_expired_results(make_emulator) -> None:
    server = make_emulator(expire_seconds=5)
    t0 = server.clock.time()
    with httpx.Client(base_url=server.anthropic_base_url) as an:
        batch = _create(an, _requests())
        assert _ts(batch["expires_at"]) == t0 + 5
        server.clock.advance(5)
        batch = _get(an, batch["id"])
        results = _results(an, batch)
    assert batch["processing_status"] == "ended" and _ts(batch["ended_at"]) == t0 + 5
    assert batch["cancel_initiated_at"] is None
    counts = batch["request_counts"]
    assert 0 < counts["expired"] < N and counts["succeeded"] + counts["expired"] == N
    assert sum(r["result"]["type"] == "expired" for r in results) == counts["expired"]


def test_fail_rate_and_markers(make_emulator) -> None:
    server = make_emulator(fail_rate=0.5)
    requests = [
        *_requests(30),
        anthropic_request("http_err", "[[http_error]] please"),
        anthropic_request("refused", "[[refuse]] please"),
        anthropic_request("short", max_tokens=2),
    ]
    with httpx.Client(base_url=server.anthropic_base_url) as an:
        batch = _create(an, requests)
        server.clock.advance(10)
        batch = _get(an, batch["id"])
        results = {r["custom_id"]: r["result"] for r in _results(an, batch)}
    errored = {cid: r for cid, r in results.items() if r["type"] == "errored"}
    assert batch["request_counts"]["errored"] == len(errored) and 5 < len(errored) < 25
    for result in errored.values():
        assert result["error"]["type"] == "error"
        assert result["error"]["error"]["type"] and result["error"]["error"]["message"]
        assert result["error"]["request_id"].startswith("req_")
    assert errored["http_err"]["error"]["error"]["type"] == "invalid_request_error"
    for cid, stop in (("refused", "refusal"), ("short", "max_tokens")):
        if results[cid]["type"] == "succeeded":
            assert results[cid]["message"]["stop_reason"] == stop


def test_markers_without_fail_rate(emulator: EmulatorServer, an: httpx.Client) -> None:
    batch = _create(
        an,
        [
            anthropic_request("refused", "[[refuse]]"),
            anthropic_request("short", max_tokens=3),
            anthropic_request("bad", "[[http_error]]"),
        ],
    )
    emulator.clock.advance(10)
    results = {r["custom_id"]: r["result"] for r in _results(an, _get(an, batch["id"]))}
    assert results["refused"]["message"]["stop_reason"] == "refusal"
    assert results["short"]["message"]["stop_reason"] == "max_tokens"
    assert results["short"]["message"]["usage"]["output_tokens"] == 3
    assert results["bad"]["type"] == "errored"


def _bad(i: int, **params) -> dict:
    req = anthropic_request(f"r{i}")
    req["params"].update(params)
    req["params"] = {k: v for k, v in req["params"].items() if v is not None}
    return req


@pytest.mark.parametrize(
    ("requests", "needle"),
    [
        ([], "at least 1"),
        ([anthropic_request("dup"), anthropic_request("dup")], "requests.1.custom_id: Duplicate"),
        ([anthropic_request("bad id!")], "requests.0.custom_id"),
        ([anthropic_request("x" * 65)], "requests.0.custom_id"),
        ([anthropic_request("ok"), _bad(1, max_tokens=0)], "requests.1.params.max_tokens"),
        ([_bad(0, model=None)], "requests.0.params.model"),
        ([_bad(0, messages=None)], "requests.0.params.messages"),
        ([{"custom_id": "x"}], "requests.0.params"),
    ],
)
def test_create_validation(an: httpx.Client, requests: list, needle: str) -> None:
    resp = an.post(BASE, json={"requests": requests})
    assert resp.status_code == 400
    body = resp.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert needle in body["error"]["message"]
    assert body["request_id"] == resp.headers["request-id"]
    assert an.get(BASE).json()["data"] == []


def test_create_limits(make_emulator) -> None:
    server = make_emulator(anthropic_max_requests=3, anthropic_max_body_bytes=2000)
    with httpx.Client(base_url=server.anthropic_base_url) as an:
        many = an.post(BASE, json={"requests": _requests(4)})
        assert many.status_code == 400 and "at most 3" in many.json()["error"]["message"]
        big = an.post(BASE, json={"requests": [anthropic_request("x", "y" * 3000)]})
        assert big.status_code == 413
        assert big.json()["error"]["type"] == "request_too_large"
        ok = an.post(BASE, json={"requests": _requests(3)})
        assert ok.status_code == 200  # the connection survived the oversize body


def test_chunked_create_beta_and_bearer(make_emulator) -> None:
    server = make_emulator(api_key="sk-ant-emulator")
    body = json.dumps({"requests": _requests(200)}).encode()

    def chunks():
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    headers = {
        "x-api-key": "sk-ant-emulator",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "message-batches-2024-09-24",
        "content-type": "application/json",
    }
    with httpx.Client(base_url=server.anthropic_base_url) as an:
        resp = an.post(f"{BASE}?beta=true", content=chunks(), headers=headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["request_counts"]["processing"] == 200
        bearer = an.get(BASE, headers={"Authorization": "Bearer sk-ant-emulator"})
        assert bearer.status_code == 200 and len(bearer.json()["data"]) == 1
        wrong = an.get(BASE, headers={"x-api-key": "nope"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["type"] == "authentication_error"
        assert wrong.headers["request-id"] == wrong.json()["request_id"]


def test_list_pagination(emulator: EmulatorServer, an: httpx.Client) -> None:
    created = []
    for i in range(5):
        created.append(_create(an, [anthropic_request(f"r{i}")])["id"])
        emulator.clock.advance(1)
    newest = created[::-1]
    page = an.get(BASE, params={"limit": 2}).json()
    assert set(page) == {"data", "has_more", "first_id", "last_id"}
    assert [b["id"] for b in page["data"]] == newest[:2] and page["has_more"] is True
    got = [b["id"] for b in page["data"]]
    while page["has_more"]:
        page = an.get(BASE, params={"limit": 2, "after_id": page["last_id"]}).json()
        got += [b["id"] for b in page["data"]]
    assert got == newest
    back = an.get(BASE, params={"limit": 2, "before_id": newest[-1]}).json()
    assert [b["id"] for b in back["data"]] == newest[2:4] and back["has_more"] is True
    back = an.get(BASE, params={"limit": 2, "before_id": back["first_id"]}).json()
    assert [b["id"] for b in back["data"]] == newest[:2] and back["has_more"] is False
    for bad in ("0", "1001"):
        assert an.get(BASE, params={"limit": bad}).status_code == 400
    assert len(an.get(BASE, params={"limit": 1000}).json()["data"]) == 5


def test_not_found_and_archive(emulator: EmulatorServer, an: httpx.Client) -> None:
    for resp in (
        an.get(f"{BASE}/msgbatch_nope"),
        an.post(f"{BASE}/msgbatch_nope/cancel"),
        an.delete(f"{BASE}/msgbatch_nope"),
        an.get(f"{BASE}/msgbatch_nope/results"),
    ):
        assert resp.status_code == 404
        assert resp.json()["error"]["type"] == "not_found_error"
        assert resp.headers["request-id"].startswith("req_")
    batch = _create(an, _requests(2))
    emulator.clock.advance(29 * 86400)
    batch = _get(an, batch["id"])
    assert batch["archived_at"] is not None
    assert an.get(batch["results_url"]).status_code == 404
