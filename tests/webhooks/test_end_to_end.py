"""End to end over loopback: a job ends in the emulator -> the emulator POSTs a signed event ->
the receiver verifies it -> the poller fetches the job at once -> the store shows the end,
well before the next scheduled poll. The latency of both paths is measured and printed
(`pytest -s`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from webhook_helpers import Hooks

from batchtui.core.models import BatchStatus

JOB_SECONDS = 1.0


async def ended_in_store(h: Hooks, batch_id: str, timeout: float) -> float:
    """Wall time at which the store first shows the job terminal."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        record = h.ws.store.get(batch_id, "openai")
        if record is not None and record.is_terminal:
            return time.time()
        await asyncio.sleep(0.01)
    raise AssertionError(f"{batch_id} not terminal in the store after {timeout} s")


def end_time(h: Hooks, batch_id: str) -> float:
    job = h.server.app.openai.jobs[batch_id]
    return float(job.terminal()[1])


async def run_one(h: Hooks, *, webhooks: bool) -> tuple[float, str]:
    """Submit one job with polling running; seconds from its end to the store's terminal row."""
    if webhooks:
        service = await h.start_receiver()
        h.server.set_webhook(service.receiver.url_for("{provider}"), h.secret)
    polling = h.ws.start_polling_task()
    if webhooks:
        assert h.service is not None
        await h.service.cover_when_polling()
    batch_id = await h.submit()
    await h.ws.adopt(batch_id, "openai")  # tracked by the running poller from now on
    seen = await ended_in_store(h, batch_id, timeout=JOB_SECONDS + 30)
    assert not polling.done()
    return seen - end_time(h, batch_id), batch_id


async def test_a_webhook_ends_the_job_in_the_store_long_before_the_next_poll(
    make_hooks: Callable[..., Hooks],
) -> None:
    # Polling is slow (every 30 s at least); a webhook-covered profile polls every 600 s.
    h = make_hooks("poll_min_s = 30\npoll_max_s = 60\n", job_seconds=JOB_SECONDS)
    try:
        latency, batch_id = await run_one(h, webhooks=True)
        poller = h.ws.ctx.poller
        assert poller is not None and poller.covered("openai") == 600.0
        record = h.ws.store.get(batch_id, "openai")
        assert record is not None and record.status is BatchStatus.COMPLETED
        assert [(e.batch_id, e.type) for e in h.events] == [(batch_id, "batch.completed")]
        sender = h.server.webhooks
        assert sender is not None
        # The sender counts a delivery once the receiver has answered, which comes after the
        # receiver acted on the event: give its thread a moment to count.
        deadline = time.time() + 2.0
        while sender.stats.sent < 1 and time.time() < deadline:
            await asyncio.sleep(0.01)
        assert sender.stats.sent == 1
        assert sender.stats.failed == 0
        assert latency < 2.0, f"webhook path took {latency:.2f} s"
        print(f"\nwebhook latency: job end -> store terminal {latency * 1000:.0f} ms")
    finally:
        await h.close()


async def test_polling_only_latency_for_comparison(make_hooks: Callable[..., Hooks]) -> None:
    # The profile defaults (poll_min_s 5): what a user sees without webhooks.
    h = make_hooks(job_seconds=JOB_SECONDS)
    try:
        latency, _ = await run_one(h, webhooks=False)
        print(f"\npolling-only latency: job end -> store terminal {latency * 1000:.0f} ms")
        assert latency >= 0
    finally:
        await h.close()


async def test_every_openai_ending_is_announced_and_accepted(
    make_hooks: Callable[..., Hooks],
) -> None:
    h = make_hooks("poll_min_s = 30\npoll_max_s = 60\n", job_seconds=3.0, expire_seconds=60.0)
    try:
        service = await h.start_receiver()
        h.server.set_webhook(service.receiver.url_for("{provider}"), h.secret)
        h.ws.start_polling_task()
        await service.cover_when_polling()
        ids = [await h.submit(f"in{n}.jsonl") for n in range(3)]
        ids.append(await h.submit("bad.jsonl", raw="this line is not JSON\n"))
        for batch_id in ids:
            await h.ws.adopt(batch_id, "openai")
        await h.ws.cancel(ids[0])
        h.server.override(ids[1], expire_seconds=0.5)
        for batch_id in ids:
            await ended_in_store(h, batch_id, timeout=15)
        kinds = sorted((e.batch_id, e.type) for e in h.events)
        assert kinds == sorted(
            [
                (ids[0], "batch.cancelled"),
                (ids[1], "batch.expired"),
                (ids[2], "batch.completed"),
                (ids[3], "batch.failed"),
            ]
        )
        statuses = [h.ws.store.get(i, "openai").status for i in ids]  # type: ignore[union-attr]
        assert statuses == [
            BatchStatus.CANCELLED,
            BatchStatus.EXPIRED,
            BatchStatus.COMPLETED,
            BatchStatus.FAILED,
        ]
    finally:
        await h.close()


async def test_a_gemini_batch_ends_through_its_webhook(make_hooks: Callable[..., Hooks]) -> None:
    """The Gemini half's event reaches a Gemini profile (its secret variable named in the
    profile, the SDK having none) and the store shows the end at once."""
    import json

    from batchtui.core.provider import SubmitOptions

    gemini = (
        "poll_min_s = 30\npoll_max_s = 60\n"
        "[profiles.gemini]\nprovider = 'gemini'\nbase_url = '{url}'\n"
        "webhook_secret_env = 'OPENAI_WEBHOOK_SECRET'\n"
        "poll_min_s = 30\npoll_max_s = 60\nlist_interval_s = 3600\n"
    )
    h = make_hooks(gemini, job_seconds=JOB_SECONDS, base_url_for_gemini=True)
    try:
        service = await h.start_receiver()
        assert set(service.receiver.routes) == {"openai", "gemini"}
        h.server.set_webhook(service.receiver.url_for("{provider}"), h.secret)
        h.ws.start_polling_task()
        await service.cover_when_polling()
        provider = h.ws.provider("gemini")
        path = h.work / "g.jsonl"
        request = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
        path.write_text(json.dumps({"key": "r0", "request": request}) + "\n")
        file_id = await provider.upload_input(path, name="g-1")
        options = SubmitOptions(model="gemini-2.5-flash")
        job = await provider.create(path, input_file_id=file_id, options=options)
        await h.ws.adopt(job.id, "gemini")
        deadline = time.time() + 15
        while time.time() < deadline:
            record = h.ws.store.get(job.id, "gemini")
            if record is not None and record.is_terminal:
                break
            await asyncio.sleep(0.01)
        end = h.server.app.gemini.jobs[job.id].ending()[1]
        latency = time.time() - end
        assert record is not None and record.status is BatchStatus.COMPLETED
        assert [(e.profile, e.batch_id, e.type) for e in h.events] == [
            ("gemini", job.id, "batch.succeeded")
        ]
        assert latency < 2.0, f"gemini webhook path took {latency:.2f} s"
    finally:
        await h.close()
