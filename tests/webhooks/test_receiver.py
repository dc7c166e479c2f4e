"""The receiver over real HTTP on loopback: every refusal is a 4xx, logged once without the
secret, and changes nothing; a good event for a known batch is accepted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from webhook_helpers import Hooks

from batchtui.core.models import BatchStatus


def batch_event(batch_id: str, kind: str = "batch.completed") -> dict[str, Any]:
    return {
        "id": "evt_test",
        "object": "event",
        "created_at": 1,
        "type": kind,
        "data": {"id": batch_id},
    }


async def known_batch(h: Hooks) -> str:
    batch_id = await h.submit()
    await h.ws.adopt(batch_id, "openai")
    return batch_id


async def post(h: Hooks, body: bytes, headers: dict[str, str], path: str | None = None) -> int:
    return await asyncio.to_thread(h.post, body, headers, path)


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "batchtui.webhooks"]


@pytest.fixture
async def h(make_hooks: Callable[..., Hooks]) -> Any:
    hooks = make_hooks(job_seconds=120.0)
    await hooks.start_receiver()
    yield hooks
    await hooks.close()


def unchanged(h: Hooks, batch_id: str, before: Any) -> None:
    record = h.ws.store.get(batch_id, "openai")
    assert record is not None and record.snapshot == before
    assert h.events == []


@pytest.mark.parametrize(
    ("tamper", "status", "reason"),
    [
        ("missing", 400, "missing_headers"),
        ("bad_signature", 401, "bad_signature"),
        ("other_secret", 401, "bad_signature"),
        ("stale", 401, "stale"),
        ("future", 401, "future"),
    ],
)
async def test_bad_events_are_refused_logged_once_and_change_nothing(
    h: Hooks, caplog: pytest.LogCaptureFixture, tamper: str, status: int, reason: str
) -> None:
    batch_id = await known_batch(h)
    before = h.ws.store.get(batch_id, "openai").snapshot  # type: ignore[union-attr]
    now = int(h.ws.clock.time())
    ts = {"stale": now - 301, "future": now + 301}.get(tamper)
    body, headers = h.signed(batch_event(batch_id), webhook_id=f"msg_{tamper}", ts=ts)
    if tamper == "missing":
        del headers["webhook-signature"]
    elif tamper == "bad_signature":
        headers["webhook-signature"] = "v1," + "A" * 44
    elif tamper == "other_secret":
        from batchtui.emulator.webhooks import secret_key, signed_headers

        other = secret_key("whsec_" + "b3RoZXIgc2VjcmV0IG9mIDI0IGJ5dGVz")
        headers = signed_headers(other, "msg_other", now, body)
    caplog.set_level(logging.INFO, logger="batchtui.webhooks")
    assert await post(h, body, headers) == status
    lines = refusals(caplog)
    assert len(lines) == 1 and reason in lines[0]
    assert h.secret not in lines[0] and h.secret[6:] not in lines[0]
    unchanged(h, batch_id, before)
    assert h.service is not None and h.service.receiver.refused == {reason: 1}


async def test_a_replayed_event_is_refused(h: Hooks, caplog: pytest.LogCaptureFixture) -> None:
    batch_id = await known_batch(h)
    body, headers = h.signed(batch_event(batch_id), webhook_id="msg_once")
    assert await post(h, body, headers) == 200
    assert [e.batch_id for e in h.events] == [batch_id]
    caplog.set_level(logging.INFO, logger="batchtui.webhooks")
    assert await post(h, body, headers) == 409
    assert len(h.events) == 1
    lines = refusals(caplog)
    assert len(lines) == 1 and "replayed" in lines[0]


async def test_unknown_profile_and_unknown_batch_are_refused(
    h: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    batch_id = await known_batch(h)
    before = h.ws.store.get(batch_id, "openai").snapshot  # type: ignore[union-attr]
    caplog.set_level(logging.INFO, logger="batchtui.webhooks")
    body, headers = h.signed(batch_event(batch_id), webhook_id="msg_p")
    assert await post(h, body, headers, "/webhooks/nobody") == 404
    assert await post(h, body, headers, "/elsewhere") == 404
    body, headers = h.signed(batch_event("batch_not_in_the_store"), webhook_id="msg_b")
    assert await post(h, body, headers) == 404
    lines = refusals(caplog)
    assert len(lines) == 3
    assert "unknown_profile" in lines[0] and "unknown_profile" in lines[1]
    assert "unknown_batch" in lines[2] and "batch_not_in_the_store" in lines[2]
    unchanged(h, batch_id, before)
    assert h.ws.store.get("batch_not_in_the_store") is None
    # the id of a refused event is not remembered: once the batch is known it is accepted
    await h.ws.adopt(batch_id, "openai")
    body, headers = h.signed(batch_event(batch_id), webhook_id="msg_p")
    assert await post(h, body, headers) == 200


async def test_malformed_and_ignored_events(h: Hooks) -> None:
    batch_id = await known_batch(h)
    body, headers = h.signed({"hello": "world"}, webhook_id="msg_x")
    assert await post(h, body, headers) == 400  # signed, but no OpenAI event
    other = batch_event(batch_id, "response.completed")
    body, headers = h.signed(other, webhook_id="msg_y")
    assert await post(h, body, headers) == 200  # an event batchtui does not act on
    assert h.events == []
    assert h.service is not None and h.service.receiver.ignored == 1


async def test_a_good_event_is_accepted_with_its_type(h: Hooks) -> None:
    batch_id = await known_batch(h)
    body, headers = h.signed(batch_event(batch_id, "batch.cancelled"), webhook_id="msg_ok")
    assert await post(h, body, headers) == 200
    [event] = h.events
    assert (event.profile, event.batch_id, event.type) == ("openai", batch_id, "batch.cancelled")
    assert h.ws.store.get(batch_id, "openai").status is not BatchStatus.QUEUED  # type: ignore[union-attr]


async def test_without_a_poller_the_event_fetches_the_job_itself(
    make_hooks: Callable[..., Hooks],
) -> None:
    hooks = make_hooks(job_seconds=0.3)
    try:
        await hooks.start_receiver()
        batch_id = await known_batch(hooks)
        await asyncio.sleep(0.5)  # ended in the emulator; nothing polls in this process
        assert not hooks.ws.store.get(batch_id, "openai").is_terminal  # type: ignore[union-attr]
        body, headers = hooks.signed(batch_event(batch_id), webhook_id="msg_nopoller")
        assert await post(hooks, body, headers) == 200
        record = hooks.ws.store.get(batch_id, "openai")
        assert record is not None and record.status is BatchStatus.COMPLETED
    finally:
        await hooks.close()
