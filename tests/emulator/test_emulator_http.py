"""HTTP plumbing: chunked bodies, multipart parsing, keep-alive, unknown routes."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import httpx
import pytest

from batchtui.emulator import EmulatorServer
from batchtui.emulator.httpio import BodyError, BodyReader
from batchtui.emulator.multipart import MultipartError, parse_multipart


def test_body_reader_dechunks_and_stops_at_the_end() -> None:
    raw = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT"
    rfile = io.BytesIO(raw)
    reader = BodyReader(rfile, None, chunked=True)
    assert reader.read_all(100) == b"hello, world"
    assert rfile.read() == b"NEXT"  # the next request on the connection is untouched


def test_body_reader_limits_and_errors() -> None:
    reader = BodyReader(io.BytesIO(b"a" * 50), 50, chunked=False)
    assert reader.read_all(10) is None and reader.done
    with pytest.raises(BodyError):
        BodyReader(io.BytesIO(b"zz\r\n"), None, chunked=True).read()
    with pytest.raises(BodyError):
        BodyReader(io.BytesIO(b"abc"), 10, chunked=False).read_all(100)


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "b0und") -> bytes:
    out = b""
    for name, filename, data in parts:
        disp = f'form-data; name="{name}"'
        if filename is not None:
            disp += f"; filename*=utf-8''{filename}"
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_multipart_parts_and_limits(tmp_path: Path) -> None:
    payload = b"line\r\n--b0un not a boundary\r\n" * 100
    body = _multipart([("purpose", None, b"batch"), ("file", "my%20in.jsonl", payload)])
    reader = BodyReader(io.BytesIO(body), len(body), chunked=False)
    parts = parse_multipart(reader, "multipart/form-data; boundary=b0und", tmp_path, 10_000)
    assert parts["purpose"].value == b"batch"
    assert parts["file"].filename == "my in.jsonl"
    assert parts["file"].path is not None and parts["file"].path.read_bytes() == payload
    reader = BodyReader(io.BytesIO(body), len(body), chunked=False)
    small = parse_multipart(reader, "multipart/form-data; boundary=b0und", tmp_path, 100)
    assert small["file"].over_limit and small["file"].size == len(payload)
    with pytest.raises(MultipartError):
        parse_multipart(BodyReader(io.BytesIO(b"x"), 1, False), "application/json", tmp_path, 9)
    truncated = body[: len(body) // 2]
    with pytest.raises(MultipartError):
        parse_multipart(
            BodyReader(io.BytesIO(truncated), len(truncated), chunked=False),
            "multipart/form-data; boundary=b0und",
            tmp_path,
            10_000,
        )


def test_keep_alive_and_broken_chunking(emulator: EmulatorServer) -> None:
    with socket.create_connection((emulator.host, emulator.port), timeout=5) as sock:
        request = (
            b"GET /v1/batches HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /v1/messages/batches HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        sock.sendall(request)
        data = b""
        while data.count(b"HTTP/1.1 200") < 2:
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    with socket.create_connection((emulator.host, emulator.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/messages/batches HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"zz\r\n"
        )
        reply = sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 400")


def test_upload_without_multipart_is_400(emulator: EmulatorServer) -> None:
    resp = httpx.post(emulator.openai_base_url + "/files", json={"purpose": "batch"})
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "invalid_request_error"


def test_bad_json_bodies(emulator: EmulatorServer) -> None:
    oa = httpx.post(emulator.openai_base_url + "/batches", content=b"{nope")
    assert oa.status_code == 400 and set(oa.json()["error"]) == {"message", "type", "param", "code"}
    an = httpx.post(emulator.url + "/v1/messages/batches", content=b"[1,")
    assert an.status_code == 400 and an.json()["type"] == "error"


def test_override_unknown_batch_raises(emulator: EmulatorServer) -> None:
    with pytest.raises(KeyError):
        emulator.override("batch_nope", job_seconds=1)


def test_stop_drops_pooled_connections_and_start_resumes(emulator: EmulatorServer) -> None:
    with httpx.Client(base_url=emulator.url) as client:
        batch = client.post(
            "/v1/messages/batches",
            json={
                "requests": [
                    {
                        "custom_id": "a",
                        "params": {"model": "m", "max_tokens": 5, "messages": []},
                    }
                ]
            },
        ).json()
        emulator.stop()
        with pytest.raises(httpx.TransportError):
            client.get(f"/v1/messages/batches/{batch['id']}")
        emulator.start()  # same port, same state
        assert client.get(f"/v1/messages/batches/{batch['id']}").json()["id"] == batch["id"]
