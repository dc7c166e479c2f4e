"""Crash safety: `batchtui submit` killed at each step, then a restart reconciles.

Every case ends with exactly one provider batch per submission intent that reached the
provider, no job forgotten by the store, and a second `submit` of the same file refused while a
batch (or a possible batch) exists. Kills are real SIGKILLs: at exact steps through the
test-only BATCHTUI_TEST_CRASH_AT hook of core/submit.py, and in the middle of a slowed upload
or create from outside.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from workflow_helpers import (
    Env,
    intents,
    kill,
    spawn,
    wait_until,
    write_input,
)

from batchtui.core.clock import FixedClock
from batchtui.core.store import DEFAULT_GRACE_S
from batchtui.core.workspace import Workspace

# (provider, step, batches the provider holds after the crash, intent state left behind)
HOOK_CASES = [
    ("openai", "recorded", 0, "recorded"),
    ("openai", "uploaded", 0, "uploaded"),
    ("openai", "creating", 0, "creating"),
    ("openai", "created", 1, "creating"),
    ("anthropic", "recorded", 0, "recorded"),
    ("anthropic", "creating", 0, "creating"),
    ("anthropic", "created", 1, "creating"),
]


def submit_killed_at(env: Env, kind: str, step: str, count: int = 5) -> Any:
    """Run `batchtui submit` in a subprocess that kills itself at ``step``; return the file."""
    source = write_input(env.work / "in.jsonl", kind, count)
    proc = spawn(["submit", str(source), "--profile", kind], {"BATCHTUI_TEST_CRASH_AT": step})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, out, err)
    assert "Traceback" not in err
    return source


def only_intent(env: Env) -> Any:
    (row,) = intents(env.home)
    return row


@pytest.mark.parametrize(("kind", "step", "batches", "left"), HOOK_CASES)
def test_kill_at_each_step_then_restart(
    env: Env, kind: str, step: str, batches: int, left: str
) -> None:
    source = submit_killed_at(env, kind, step)
    assert len(env.batch_ids(kind)) == batches
    crashed = only_intent(env)
    assert crashed["state"] == left
    if kind == "openai" and step != "recorded":
        assert crashed["input_file_id"] in env.file_ids()

    # Restart: `list --refresh` reconciles with the provider's list.
    listed = env.ok("list", "--refresh")
    assert len(listed) == 1, "the crashed submission must stay in the store"
    (job,) = listed
    after = only_intent(env)

    if batches:
        # The batch made before the crash is found and given to its intent, not adopted twice.
        (batch_id,) = env.batch_ids(kind)
        assert after["state"] == "created" and after["batch_id"] == batch_id
        assert job["id"] == batch_id and job["adopted"] is False
        assert job["local_id"] == crashed["local_id"]
        again = env("submit", source, "--profile", kind)
        assert again.rc == 1
        assert batch_id in again.err and "--again" in again.err
        assert env.batch_ids(kind) == [batch_id]
        forced = env.ok("submit", source, "--profile", kind, "--again")
        assert sorted(env.batch_ids(kind)) == sorted([batch_id, forced["id"]])
    elif step == "creating":
        # The create may have been sent: the intent stays open until the list settles it or
        # the grace period passes; meanwhile the same input is refused, naming the job.
        assert after["state"] in ("creating", "unknown")
        assert job["id"] is None and job["status"] == "submitting"
        again = env("submit", source, "--profile", kind)
        assert again.rc == 1 and crashed["local_id"] in again.err
        assert env.batch_ids(kind) == []
        forced = env.ok("submit", source, "--profile", kind, "--again")
        assert env.batch_ids(kind) == [forced["id"]]
        settle_after_grace(env, crashed["local_id"], forced["id"])
    else:
        # Nothing was created and the process is gone: settled at once as abandoned, so the
        # same input may go out again, exactly once.
        assert after["state"] == "abandoned"
        assert job["id"] is None and job["status"] == "failed"
        assert "nothing was created" in (job["notes"] or "")
        resent = env.ok("submit", source, "--profile", kind)
        assert env.batch_ids(kind) == [resent["id"]]
        assert len(env.ok("list")) == 2


@pytest.mark.parametrize(("kind", "step", "batches", "left"), HOOK_CASES)
def test_plain_list_after_a_kill_names_every_batch_the_provider_holds(
    env: Env, kind: str, step: str, batches: int, left: str
) -> None:
    submit_killed_at(env, kind, step)
    held = env.batch_ids(kind)
    assert len(held) == batches
    (job,) = env.ok("list")  # settles first: no --refresh needed
    assert [job["id"]] == held if batches else job["id"] is None
    assert [j["id"] for j in env.ok("list", "--cached")] == [job["id"]]


def settle_after_grace(env: Env, crashed_local_id: str, other_batch: str) -> None:
    """Past the grace period, a create that never showed up is settled as abandoned."""

    async def go() -> None:
        later = FixedClock(time.time() + DEFAULT_GRACE_S + 600)
        ws = Workspace.open(env.home, clock=later)
        try:
            await ws.reconcile()
            crashed = ws.job(crashed_local_id)
            assert crashed.intent_state is not None
            assert crashed.intent_state.value == "abandoned"
            assert crashed.id is None
            assert ws.job(other_batch).intent_state.value == "created"  # type: ignore[union-attr]
        finally:
            await ws.aclose()

    import asyncio

    asyncio.run(go())


def test_kill_during_a_slow_upload(env: Env) -> None:
    """The provider stored the file but the client never learned its id: nothing to create."""
    source = write_input(env.work / "in.jsonl", "openai", 4)
    env.emulator.set_faults("slow=1:2")
    proc = spawn(["submit", str(source), "--profile", "openai"])
    files = env.emulator.app.openai.files
    wait_until(lambda: [r for r in intents(env.home) if r["state"] == "uploading"], what="upload")
    wait_until(lambda: files.all(env.clock.time()), what="the file at the emulator")
    rc, _, err = kill(proc)
    assert rc == -signal.SIGKILL, err
    env.emulator.set_faults("")
    assert only_intent(env)["state"] == "uploading"

    (job,) = env.ok("list", "--refresh")
    assert job["status"] == "failed" and only_intent(env)["state"] == "abandoned"
    assert env.batch_ids("openai") == []
    resent = env.ok("submit", source, "--profile", "openai")
    assert env.batch_ids("openai") == [resent["id"]]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_kill_while_the_create_answer_is_on_its_way(env: Env, kind: str) -> None:
    """The provider committed the batch; the client died before it wrote the id down."""
    source = write_input(env.work / "in.jsonl", kind, 6)
    # Every answer is slow (the OpenAI upload too): waiting for the upload to be seen before
    # slowing the create raced with a fast upload that went straight on to the create.
    env.emulator.set_faults("slow=1:2")
    proc = spawn(["submit", str(source), "--profile", kind])
    jobs = getattr(env.emulator.app, kind).jobs
    wait_until(lambda: [r for r in intents(env.home) if r["state"] == "creating"], what="create")
    wait_until(lambda: len(jobs) == 1, what="the batch at the emulator")
    rc, _, err = kill(proc)
    env.emulator.set_faults("")
    assert rc == -signal.SIGKILL, err
    assert only_intent(env)["state"] == "creating"
    (batch_id,) = env.batch_ids(kind)

    # Restart straight into a second submit of the same file: it reconciles first, finds the
    # batch, and refuses naming it.
    again = env("submit", source, "--profile", kind)
    assert again.rc == 1 and batch_id in again.err
    assert only_intent(env)["state"] == "created"
    (job,) = env.ok("list")
    assert job["id"] == batch_id and not job["adopted"]
    assert env.batch_ids(kind) == [batch_id]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_create_committed_then_500_is_settled_by_listing(make_env, kind: str) -> None:
    """`500after`: the batch exists although the create answered 500; it is not sent twice."""
    env: Env = make_env(faults="500after=1.0")
    source = write_input(env.work / "in.jsonl", kind, 3)
    job = env.ok("submit", source, "--profile", kind)
    (batch_id,) = env.batch_ids(kind)
    assert job["id"] == batch_id
    assert job["intent_state"] == "created"
    env.emulator.set_faults("")
    assert [j["id"] for j in env.ok("list", "--refresh")] == [batch_id]
    again = env("submit", source, "--profile", kind)
    assert again.rc == 1 and batch_id in again.err


def test_the_poller_list_does_not_adopt_a_crashed_submissions_batch_twice(env: Env) -> None:
    """A batch seen by a list before its intent is settled joins that intent's row."""
    submit_killed_at(env, "anthropic", "created")
    (batch_id,) = env.batch_ids("anthropic")
    shown = env.ok("show", batch_id)  # adopts by id, or attaches to the open intent
    assert shown["id"] == batch_id
    (job,) = env.ok("list", "--refresh")
    assert job["id"] == batch_id
    assert only_intent(env)["state"] == "created"
    assert only_intent(env)["batch_id"] == batch_id
