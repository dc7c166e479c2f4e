"""Fault injection: spec grammar, status faults and their headers, slow answers, cut downloads."""

from __future__ import annotations

import time

import httpx
import pytest
from emulator_helpers import anthropic_request, create_batch, jsonl, openai_line, upload

from batchtui.emulator import EmulatorServer
from batchtui.emulator.faults import FaultSpecError, parse_faults

BASE = "/v1/messages/batches"


def test_spec_grammar() -> None:
    faults = parse_faults("429=0.3:2, 500=0.1,529=0.1,slow=0.2:1.5,cut=1.0,500after=0.5")
    assert faults["429"].share == 0.3 and faults["429"].arg == 2
    assert faults["slow"].arg == 1.5 and faults["cut"].arg == 0.5  # default cut share
    assert faults["500after"].share == 0.5
    assert parse_faults("") == {}
    for bad in ("404=0.1", "429", "429=x", "429=1.5", "429=0.6,500=0.6", "cut=1:2", "slow=0.1:-1"):
        with pytest.raises(FaultSpecError):
            parse_faults(bad)


def test_bad_spec_is_refused_by_set_faults(emulator: EmulatorServer) -> None:
    with pytest.raises(FaultSpecError):
        emulator.set_faults("nope=1")


def test_429_headers_and_bodies(make_emulator) -> None:
    server = make_emulator(faults="429=1:2")
    oa = httpx.get(server.openai_base_url + "/batches")
    assert oa.status_code == 429
    assert oa.headers["retry-after"] == "2" and oa.headers["retry-after-ms"] == "2000"
    assert oa.json()["error"]["code"] == "rate_limit_exceeded"
    assert oa.headers["x-request-id"]
    an = httpx.get(server.url + BASE)
    assert an.status_code == 429 and an.headers["retry-after"] == "2"
    assert an.json()["error"]["type"] == "rate_limit_error"


@pytest.mark.parametrize(
    ("spec", "openai_status", "anthropic_status", "anthropic_type"),
    [
        ("500=1", 500, 500, "api_error"),
        ("529=1", 503, 529, "overloaded_error"),
        ("503=1", 503, 503, "api_error"),
    ],
)
def test_server_faults(
    make_emulator, spec, openai_status, anthropic_status, anthropic_type
) -> None:
    server = make_emulator(faults=spec)
    oa = httpx.get(server.openai_base_url + "/batches")
    assert oa.status_code == openai_status
    assert oa.json()["error"]["type"] == "server_error"
    an = httpx.get(server.url + BASE)
    assert an.status_code == anthropic_status
    assert an.json()["error"]["type"] == anthropic_type


def test_faults_are_seeded(make_emulator) -> None:
    runs = []
    for _ in range(2):
        server = make_emulator(faults="429=0.4,500=0.2")
        with httpx.Client(base_url=server.openai_base_url) as oa:
            runs.append([oa.get("/batches").status_code for _ in range(30)])
    assert runs[0] == runs[1]
    assert {200, 429, 500} == set(runs[0])
    other = make_emulator(seed=8, faults="429=0.4,500=0.2")
    with httpx.Client(base_url=other.openai_base_url) as oa:
        assert [oa.get("/batches").status_code for _ in range(30)] != runs[0]


def test_status_fault_never_commits_a_create(emulator: EmulatorServer, oa: httpx.Client) -> None:
    file = upload(oa, jsonl([openai_line("a")]))
    emulator.set_faults("429=1")
    body = {
        "input_file_id": file["id"],
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    assert oa.post("/batches", json=body).status_code == 429
    anth = oa.post(emulator.url + BASE, json={"requests": [anthropic_request("a")]})
    assert anth.status_code == 429
    emulator.set_faults("")
    assert oa.get("/batches").json()["data"] == []
    assert oa.get(emulator.url + BASE).json()["data"] == []


def test_500after_commits_then_fails(emulator: EmulatorServer, oa: httpx.Client) -> None:
    file = upload(oa, jsonl([openai_line("a")]))
    emulator.set_faults("500after=1")
    body = {
        "input_file_id": file["id"],
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    assert oa.post("/batches", json=body).status_code == 500
    anth = oa.post(emulator.url + BASE, json={"requests": [anthropic_request("a")]})
    assert anth.status_code == 500 and anth.json()["error"]["type"] == "api_error"
    assert oa.get("/batches").status_code == 200  # not a create: no fault
    emulator.set_faults("")
    assert len(oa.get("/batches").json()["data"]) == 1
    assert len(oa.get(emulator.url + BASE).json()["data"]) == 1


def test_slow_answers(emulator: EmulatorServer, oa: httpx.Client) -> None:
    emulator.set_faults("slow=1:0.3")
    start = time.monotonic()
    assert oa.get("/batches").status_code == 200
    assert time.monotonic() - start >= 0.3


def _partial_download(client: httpx.Client, url: str, headers: dict | None = None) -> bytes:
    got = bytearray()
    with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", url, headers=headers) as r:
        assert r.status_code in (200, 206)
        for chunk in r.iter_raw():
            got += chunk
    return bytes(got)


def test_cut_openai_download_then_resume(emulator: EmulatorServer, oa: httpx.Client) -> None:
    batch = create_batch(oa, [openai_line(f"r{i}") for i in range(30)])
    emulator.clock.advance(10)
    batch = oa.get(f"/batches/{batch['id']}").json()
    url = f"/files/{batch['output_file_id']}/content"
    full = oa.get(url).content
    emulator.set_faults("cut=1:0.4")
    assert oa.get(f"/batches/{batch['id']}").status_code == 200  # only downloads are cut
    part = _partial_download(oa, url)
    assert 0 < len(part) < len(full) and full.startswith(part)
    emulator.set_faults("")
    rest = oa.get(url, headers={"Range": f"bytes={len(part)}-"})
    assert rest.status_code == 206 and part + rest.content == full


def test_cut_anthropic_results(emulator: EmulatorServer, an: httpx.Client) -> None:
    batch = an.post(BASE, json={"requests": [anthropic_request(f"r{i}") for i in range(20)]}).json()
    emulator.clock.advance(10)
    url = an.get(f"{BASE}/{batch['id']}").json()["results_url"]
    full = an.get(url).content
    emulator.set_faults("cut=1")
    part = _partial_download(an, url)
    assert 0 < len(part) < len(full) and full.startswith(part)
    resumed = _partial_download(an, url, headers={"Range": f"bytes={len(part)}-"})
    assert full[len(part) :].startswith(resumed)  # cut again, still consistent
    emulator.set_faults("")
    assert an.get(url).content == full


def test_quota_fault_is_a_429_without_retry_after(make_emulator) -> None:
    server = make_emulator(faults="quota=1")
    oa = httpx.get(server.openai_base_url + "/batches")
    assert oa.status_code == 429 and "retry-after" not in oa.headers
    assert oa.json()["error"]["code"] == "insufficient_quota"
    an = httpx.get(server.url + BASE)
    assert an.status_code == 429 and "retry-after" not in an.headers
    error = an.json()["error"]
    assert error["type"] == "rate_limit_error"
    assert error["details"] == {"error_code": "enforced_spend_limit_reached"}
