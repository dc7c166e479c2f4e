"""Nothing fails that could have succeeded: uploads and creates that made nothing are sent
again inside the same `submit`, and every submission ends with exactly one batch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_provider_trouble import pause_config
from workflow_helpers import KINDS, Env, intents, write_input

from batchtui.core.provider import Provider, ServerError
from batchtui.core.workspace import Workspace, _default_factory


def only_intent(env: Env):
    (row,) = intents(env.home)
    return row


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", ["500", "529"])
def test_creates_that_made_nothing_are_sent_again(make_env, kind: str, fault: str) -> None:
    env: Env = make_env()
    pause_config(env, budget_s=30.0)
    source = write_input(env.work / "in.jsonl", kind, 3)
    env.emulator.set_faults(f"{fault}@create=2")
    job = env.ok("submit", source, "--profile", kind)
    assert env.batch_ids(kind) == [job["id"]]
    row = only_intent(env)
    assert (row["state"], row["creates_sent"]) == ("created", 3)
    assert env.emulator.route_calls()["create"] == 3


@pytest.mark.parametrize("kind", KINDS)
def test_every_create_that_took_effect_is_found_and_never_sent_twice(make_env, kind) -> None:
    env: Env = make_env()
    pause_config(env, budget_s=30.0)
    source = write_input(env.work / "in.jsonl", kind, 3)
    env.emulator.set_faults("500after@create=*")
    job = env.ok("submit", source, "--profile", kind)
    assert env.batch_ids(kind) == [job["id"]]
    assert only_intent(env)["creates_sent"] == 1


def test_uploads_answered_500_are_sent_again(make_env) -> None:
    env: Env = make_env()
    pause_config(env, budget_s=30.0)
    source = write_input(env.work / "in.jsonl", "openai", 3)
    env.emulator.set_faults("500@upload=2")
    job = env.ok("submit", source, "--profile", "openai")
    assert env.batch_ids("openai") == [job["id"]]
    assert env.file_ids() == [job["input_file_id"]]
    assert only_intent(env)["uploads_sent"] == 3


def test_uploads_that_were_stored_are_deleted_once_the_batch_exists(make_env) -> None:
    env: Env = make_env()
    pause_config(env, budget_s=30.0)
    source = write_input(env.work / "in.jsonl", "openai", 3)
    env.emulator.set_faults("500after@upload=2")
    job = env.ok("submit", source, "--profile", "openai")
    assert env.batch_ids("openai") == [job["id"]]
    # Three files were stored; the two the batch does not use are gone.
    assert env.file_ids() == [job["input_file_id"]]
    assert only_intent(env)["uploads_sent"] == 3
    assert job["stray_files"] == []


class NoDeletes:
    """A real adapter whose file deletes fail (as a provider outage would)."""

    def __init__(self, inner: Provider) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def delete_file(self, file_id: str) -> None:
        raise ServerError("deletes are down", provider="openai", status_code=503)


def test_stray_uploads_that_cannot_be_deleted_are_left_for_clean(make_env) -> None:
    env: Env = make_env()
    pause_config(env, budget_s=30.0)
    source = write_input(env.work / "in.jsonl", "openai", 3)
    env.emulator.set_faults("500after@upload=2")

    async def go() -> tuple[str, tuple[str, ...], list[tuple[str, str]]]:
        ws = Workspace.open(env.home, provider_factory=lambda p: NoDeletes(_default_factory(p)))
        try:
            (record,) = await ws.submit_file(source, "openai")
            plan = ws.clean_plan()
            return (
                record.input_file_id,
                record.stray_files,
                [(i.target, i.role) for i in plan.items],
            )
        finally:
            await ws.aclose()

    kept, strays, planned = asyncio.run(go())
    assert sorted(strays) == sorted(set(env.file_ids()) - {kept})
    assert len(strays) == 2
    assert sorted(planned) == sorted((s, "unused upload") for s in strays)
    # `clean` deletes them (deletes work again) and records it, so they are not planned twice.
    env.emulator.set_faults("")
    env.ok("clean", "--yes")
    assert env.file_ids() == [kept]
    (job,) = env.ok("list", "--cached")
    assert job["stray_files"] == []
    assert env.ok("clean", "--dry-run")["items"] == []


def test_an_upload_that_keeps_failing_ends_the_submission_and_cleans_up(make_env) -> None:
    env: Env = make_env()
    pause_config(env, budget_s=4.0)  # room for a few re-sends even on a loaded machine
    source = write_input(env.work / "in.jsonl", "openai", 3)
    env.emulator.set_faults("500after@upload=*")
    run = env("submit", source, "--profile", "openai")
    assert run.rc == 2 and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1
    env.emulator.set_faults("")
    assert env.batch_ids("openai") == []
    assert env.file_ids() == [], "every file a failed upload left was deleted"
    row = only_intent(env)
    assert row["state"] == "failed" and row["uploads_sent"] >= 2


SOAK_FAULTS = "429=0.3:0.01,500=0.025,529=0.025"
"""A provider on a bad day: 30 % of every call answered 429 (Retry-After), 5 % 500/529."""


@pytest.mark.parametrize("kind", KINDS)
def test_twenty_submissions_on_a_bad_day_each_make_exactly_one_batch(make_env, kind) -> None:
    env: Env = make_env(seed=7)
    pause_config(env, budget_s=60.0)
    env.emulator.set_faults(SOAK_FAULTS)
    made = []
    for n in range(20):
        source = write_input(env.work / f"in-{n}.jsonl", kind, 3, prefix=f"s{n}")
        run = env("submit", source, "--profile", kind, "--json")
        assert run.rc == 0, run.err
        made.append(run.json()["id"])
    faulted = env.emulator.route_faults()
    env.emulator.set_faults("")
    assert sorted(env.batch_ids(kind)) == sorted(made), "exactly one batch per submission"
    rows = intents(env.home)
    assert [r["state"] for r in rows] == ["created"] * 20
    again = {
        "uploads": sum(r["uploads_sent"] - 1 for r in rows if r["uploads_sent"]),
        "creates": sum(r["creates_sent"] - 1 for r in rows),
    }
    with env.capsys.disabled():
        print(f"\n{kind}: 20/20 exit 0, one batch each; sent again: {again}; faults: {faulted}")
    if kind == "openai":  # no stray upload is left either
        used = [j["input_file_id"] for j in env.ok("list", "--cached")]
        assert sorted(env.file_ids()) == sorted(used)
