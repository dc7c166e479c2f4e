"""The Workspace is a thin facade over parts with explicit dependencies: each part is built
and used alone here, against the emulator over loopback, with no Workspace around it."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.config import Config, Profile
from batchtui.core.store import JobStore
from batchtui.core.workspace import Workspace
from batchtui.core.workspace_base import WorkspaceContext
from batchtui.core.workspace_clean import Hygiene
from batchtui.core.workspace_lookups import Lookups
from batchtui.core.workspace_money import Money
from batchtui.core.workspace_queue import Queue
from batchtui.core.workspace_results import Results
from batchtui.core.workspace_send import Sender
from batchtui.core.workspace_submit import Submissions
from batchtui.emulator import EmulatorServer

KEY = "sk-parts-test-key"


@pytest.fixture
async def ctx(
    make_emulator: Callable[..., EmulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[WorkspaceContext, EmulatorServer]]:
    clock = FixedClock(1_800_000_000.0)
    server = make_emulator(clock=clock, job_seconds=10.0)
    monkeypatch.setenv("PARTS_KEY", KEY)
    profile = Profile(
        name="oa", provider="openai", base_url=server.openai_base_url, api_key_env="PARTS_KEY"
    )
    config = Config(profiles={"oa": profile}, default_profile="oa")
    store = JobStore(tmp_path / "batchtui.db", clock=clock)
    context = WorkspaceContext(config, store, home=tmp_path, clock=clock)
    yield context, server
    await context.aclose()


def neutral_input(path: Path, count: int) -> Path:
    lines = [
        {
            "custom_id": f"r{n}",
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": f"Say {n}."}],
            "max_tokens": 32,
        }
        for n in range(count)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


async def test_each_part_works_alone(
    ctx: tuple[WorkspaceContext, EmulatorServer], tmp_path: Path
) -> None:
    ctx, server = ctx
    money = Money(ctx)
    lookups = Lookups(ctx, money)
    cache = Results(ctx, lookups, money)
    sender = Sender(ctx)
    queue = Queue(ctx, sender)
    submissions = Submissions(
        ctx, lookups=lookups, money=money, cache=cache, sender=sender, queue=queue
    )
    estimate = money.estimate_file(neutral_input(tmp_path / "a.jsonl", 3), "oa")
    assert estimate.run.requests == 3
    (record,) = await submissions.submit_file(tmp_path / "a.jsonl", "oa")
    assert record.id is not None and record.estimate is not None
    server.clock.advance(60)  # type: ignore[attr-defined]  # the FixedClock given above
    fresh = await lookups.refresh(record.local_id)
    assert fresh.is_terminal
    index = await cache.fetch_results(record.local_id)
    assert index.count == 3
    assert ctx.store.require(record.local_id).cost is not None  # results -> money
    assert [item.role for item in Hygiene(ctx).clean_plan().items] == [
        "input",
        "output",
    ]
    assert queue.queued() == []


def test_the_facade_forwards_every_part_with_its_signature() -> None:
    parts = [WorkspaceContext, Money, Lookups, Results, Queue, Submissions, Hygiene]
    for name in vars(Workspace):
        forwarded = getattr(Workspace, name)
        owners = [p for p in parts if getattr(p, name, None) is forwarded]
        if not owners:
            continue
        assert inspect.iscoroutinefunction(forwarded) == inspect.iscoroutinefunction(
            getattr(owners[0], name)
        ), name
    ws_methods = {n for n in dir(Workspace) if not n.startswith("_")}
    for needed in ("submit_file", "retry", "recover", "cancel", "fetch_results", "clean"):
        assert needed in ws_methods
