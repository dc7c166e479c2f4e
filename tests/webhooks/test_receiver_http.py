"""The receiver's HTTP edges, spoken over a raw socket: framing refused with one clear 4xx."""

from __future__ import annotations

import asyncio
import logging

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.webhooks import Route, Verifier, WebhookReceiver, sign
from batchtui.core.webhooks.receiver import MAX_BODY_BYTES, Event

SECRET = "whsec_c2VjcmV0IGJ5dGVzIGZvciB0aGUgdGVzdCE="
NOW = 1_800_000_000
TOO_LONG = f"POST /webhooks/acct HTTP/1.1\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()


async def exchange(receiver: WebhookReceiver, raw: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    writer.write(raw)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest


@pytest.fixture
async def receiver() -> object:
    events: list[Event] = []

    async def on_event(event: Event) -> None:
        events.append(event)

    route = Route(Verifier(SECRET, clock=FixedClock(NOW)), lambda e: e.get("batch"))
    rx = await WebhookReceiver({"acct": route}, on_event).start()
    rx.events = events  # type: ignore[attr-defined]
    yield rx
    await rx.close()


def signed_request(body: bytes, *, expect: bool = False) -> bytes:
    from batchtui.core.webhooks import decode_secret

    sig = sign(decode_secret(SECRET), "msg_1", str(NOW), body)
    head = (
        "POST /webhooks/acct HTTP/1.1\r\nHost: x\r\n"
        f"webhook-id: msg_1\r\nwebhook-timestamp: {NOW}\r\nwebhook-signature: v1,{sig}\r\n"
        f"Content-Length: {len(body)}\r\n" + ("Expect: 100-continue\r\n" if expect else "") + "\r\n"
    )
    return head.encode() + body


async def test_a_good_event_with_expect_continue(receiver: WebhookReceiver) -> None:
    status, rest = await exchange(receiver, signed_request(b'{"batch": "b1"}', expect=True))
    assert status == 100 and b"200 OK" in rest
    assert [e.batch_id for e in receiver.events] == ["b1"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"POST /webhooks/acct HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411),
        (b"POST /webhooks/acct HTTP/1.1\r\nHost: x\r\n\r\n", 411),
        (TOO_LONG, 413),
        (b"GET /webhooks/acct HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"GET /webhooks/other HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"HELLO\r\n\r\n", 400),
        (b"POST /webhooks/acct HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"POST /webhooks/acct HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n", 400),
    ],
    ids=["chunked", "no-length", "too-long", "get", "other-path", "garbage", "no-colon", "huge"],
)
async def test_bad_framing_is_refused(
    receiver: WebhookReceiver, raw: bytes, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="batchtui.webhooks")
    assert (await exchange(receiver, raw))[0] == status
    assert len([r for r in caplog.records if r.name == "batchtui.webhooks"]) == 1
    assert receiver.events == []  # type: ignore[attr-defined]


async def test_a_body_that_is_not_json_is_refused(receiver: WebhookReceiver) -> None:
    assert (await exchange(receiver, signed_request(b"not json")))[0] == 400
    assert (await exchange(receiver, signed_request(b"[1, 2]")))[0] == 400
