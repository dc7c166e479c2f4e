"""Fault injection: spec grammar, status faults and their headers, slow answers, cut downloads,
and counted route faults (KIND@ROUTE=N) with the route counters."""

from __future__ import annotations

import time

import httpx
import pytest
from emulator_helpers import anthropic_request, create_batch, jsonl, openai_line, upload

from batchtui.emulator import EmulatorServer
from batchtui.emulator.faults import CountedFault, FaultSpecError, parse_faults, parse_spec

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


# ------------------------------------------------------------ counted route faults


def _post_file(oa: httpx.Client, name: str = "input.jsonl") -> httpx.Response:
    data = jsonl([openai_line("a")])
    return oa.post("/files", files={"file": (name, data)}, data={"purpose": "batch"})


def _openai_create(oa: httpx.Client, file_id: str) -> httpx.Response:
    body = {
        "input_file_id": file_id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    return oa.post("/batches", json=body)


def _counts(upload: int = 0, create: int = 0, list: int = 0) -> dict[str, int]:
    return {"upload": upload, "create": create, "list": list}


def test_counted_spec_grammar() -> None:
    spec = parse_spec("500@upload=2, 429@Create=3:0.1,529after@create=1,500@list=*,500=0.1")
    assert spec.counted == (
        CountedFault("500", "upload", 2),
        CountedFault("429", "create", 3, 0.1),
        CountedFault("529after", "create", 1),
        CountedFault("500", "list", None),
    )
    assert parse_spec("429@list=1").counted[0].arg == 1.0  # default retry-after
    assert set(spec.shares) == {"500"}
    assert parse_faults("500@upload=2,slow=1") == {"slow": parse_faults("slow=1")["slow"]}
    assert parse_spec("500after@upload=0").counted == (CountedFault("500after", "upload", 0),)
    bad = {
        "500@nowhere=1": "unknown route 'nowhere'",
        "500@=1": "unknown route ''",
        "500@upload=1.5": "non-negative integer",
        "500@upload=-1": "non-negative integer",
        "500@upload=x": "non-negative integer",
        "500@upload=": "non-negative integer",
        "500@upload": "expected KIND=SHARE or KIND@ROUTE=N",
        "429@create=1:x": "bad number",
        "429@create=1:-2": ">= 0",
        "slow@upload=1": "cannot be counted",
        "cut@list=1": "cannot be counted",
        "404@list=1": "cannot be counted",
        "529after=0.5": "only a counted fault",
    }
    for text, message in bad.items():
        with pytest.raises(FaultSpecError, match=message):
            parse_spec(text)
        with pytest.raises(FaultSpecError):
            parse_faults(text)


def test_bad_counted_spec_is_refused_by_set_faults(emulator: EmulatorServer) -> None:
    with pytest.raises(FaultSpecError, match="unknown route"):
        emulator.set_faults("500@download=1")


def test_first_uploads_fail_then_one_file(emulator: EmulatorServer, oa: httpx.Client) -> None:
    emulator.set_faults("500@upload=2")
    statuses = [_post_file(oa).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    files = oa.get("/files").json()["data"]
    assert len(files) == 1
    assert emulator.route_calls() == _counts(upload=3, list=1)
    assert emulator.route_faults() == _counts(upload=2)


def test_500after_upload_stores_the_file(emulator: EmulatorServer, oa: httpx.Client) -> None:
    emulator.set_faults("500after@upload=1")
    first = _post_file(oa, "first.jsonl")
    assert first.status_code == 500 and first.json()["error"]["type"] == "server_error"
    names = [f["filename"] for f in oa.get("/files").json()["data"]]
    assert names == ["first.jsonl"]  # the upload took effect although it answered 500
    assert _post_file(oa, "second.jsonl").status_code == 200
    assert len(oa.get("/files").json()["data"]) == 2
    assert emulator.route_faults() == _counts(upload=1)


def test_529after_create_anthropic_commits(emulator: EmulatorServer, an: httpx.Client) -> None:
    emulator.set_faults("529after@create=1")
    resp = an.post(BASE, json={"requests": [anthropic_request("a")]})
    assert resp.status_code == 529 and resp.json()["error"]["type"] == "overloaded_error"
    listed = an.get(BASE).json()["data"]
    assert len(listed) == 1 and listed[0]["processing_status"] == "in_progress"
    assert an.post(BASE, json={"requests": [anthropic_request("b")]}).status_code == 200
    assert len(an.get(BASE).json()["data"]) == 2
    assert emulator.route_calls() == _counts(create=2, list=2)
    assert emulator.route_faults() == _counts(create=1)


def test_529after_create_openai_is_503(emulator: EmulatorServer, oa: httpx.Client) -> None:
    file = upload(oa, jsonl([openai_line("a")]))
    emulator.set_faults("529after@create=*")
    resp = _openai_create(oa, file["id"])
    assert resp.status_code == 503 and resp.json()["error"]["type"] == "server_error"
    assert len(oa.get("/batches").json()["data"]) == 1
    assert _openai_create(oa, "file-nope").status_code == 404  # a refused create keeps its answer
    assert emulator.route_faults() == _counts(create=1)


def test_500_create_creates_nothing(
    emulator: EmulatorServer, oa: httpx.Client, an: httpx.Client
) -> None:
    file = upload(oa, jsonl([openai_line("a")]))
    emulator.set_faults("500@create=1")
    resp = an.post(BASE, json={"requests": [anthropic_request("a")]})
    assert resp.status_code == 500 and resp.json()["error"]["type"] == "api_error"
    assert an.get(BASE).json()["data"] == []
    assert oa.get("/batches").json()["data"] == []
    # the count is shared by both providers' creates: the next create (OpenAI) goes through
    assert _openai_create(oa, file["id"]).status_code == 200
    assert len(oa.get("/batches").json()["data"]) == 1


def test_500_list_star_fails_every_list(
    emulator: EmulatorServer, oa: httpx.Client, an: httpx.Client
) -> None:
    emulator.set_faults("500@list=*")
    for _ in range(3):
        assert oa.get("/batches").status_code == 500
        assert oa.get("/files").status_code == 500
        assert an.get(BASE).status_code == 500
    file = _post_file(oa)  # other routes are untouched
    assert file.status_code == 200
    assert oa.get(f"/files/{file.json()['id']}").status_code == 200
    assert emulator.route_calls() == _counts(upload=1, list=9)
    assert emulator.route_faults() == _counts(list=9)


def test_counted_429_retry_after_and_kinds(emulator: EmulatorServer, an: httpx.Client) -> None:
    emulator.set_faults("429@create=2:0.1")
    for _ in range(2):
        resp = an.post(BASE, json={"requests": [anthropic_request("a")]})
        assert resp.status_code == 429
        assert resp.headers["retry-after"] == "0.1" and resp.headers["retry-after-ms"] == "100"
    assert an.post(BASE, json={"requests": [anthropic_request("a")]}).status_code == 200
    assert len(an.get(BASE).json()["data"]) == 1
    emulator.set_faults("529@list=1,quota@list=1")
    assert an.get(BASE).status_code == 529
    quota = an.get(BASE)
    assert quota.status_code == 429 and "retry-after" not in quota.headers
    assert an.get(BASE).status_code == 200


def test_counted_faults_on_one_route_take_turns(emulator: EmulatorServer, oa: httpx.Client) -> None:
    emulator.set_faults("429@list=1,503@list=2,500@upload=0")
    assert [oa.get("/batches").status_code for _ in range(5)] == [429, 503, 503, 200, 200]
    assert _post_file(oa).status_code == 200  # N=0: never
    emulator.set_faults("500@list=1,429@list=*")
    assert [oa.get("/files").status_code for _ in range(3)] == [500, 429, 429]


def test_set_faults_restarts_the_counts(emulator: EmulatorServer, oa: httpx.Client) -> None:
    assert emulator.route_calls() == _counts()
    emulator.set_faults("500@list=1")
    assert oa.get("/batches").status_code == 500
    assert oa.get("/batches").status_code == 200
    emulator.set_faults("500@list=1")
    assert emulator.route_calls() == _counts() and emulator.route_faults() == _counts()
    assert oa.get("/batches").status_code == 500
    emulator.set_faults("")
    assert oa.get("/batches").status_code == 200
    assert emulator.route_calls() == _counts(list=1) and emulator.route_faults() == _counts()


def test_counted_faults_keep_the_seeded_sequence(make_emulator) -> None:
    """A counted fault replaces its call's outcome but the other calls' draws stay the same."""
    runs = []
    for spec in ("429=0.4,500=0.2", "429=0.4,500=0.2,503@upload=2"):
        server = make_emulator(faults=spec)
        with httpx.Client(base_url=server.openai_base_url) as oa:
            run = []
            for i in range(24):
                if i % 4 == 0:
                    run.append(("upload", _post_file(oa).status_code))
                else:
                    run.append(("list", oa.get("/batches").status_code))
            runs.append(run)
        assert server.route_calls() == _counts(upload=6, list=18)
    plain, counted = runs
    assert counted[0] == counted[4] == ("upload", 503)
    assert plain[1:4] == counted[1:4] and plain[5:] == counted[5:]
    assert {200, 429, 500} <= {status for _, status in plain}
