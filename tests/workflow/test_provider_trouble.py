"""Commands under 429s and 5xx: retried within the profile's budget, then exit 2 in one line;
an ambiguous create stays open (never sent twice) until the provider's list settles it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from workflow_helpers import KINDS, Env, intents, write_input

from batchtui.core.provider import Provider
from batchtui.core.submit import SubmissionUnsettled
from batchtui.core.workspace import Workspace, _default_factory


def budget_config(env: Env, seconds: float) -> None:
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(
        f"[profiles.openai]\nretry_budget_s = {seconds}\n\n"
        f"[profiles.anthropic]\nretry_budget_s = {seconds}\n"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_429_storm_is_ridden_out(make_env, kind: str) -> None:
    env: Env = make_env(faults="429=0.6:0.02", seed=2)
    source = write_input(env.work / "in.jsonl", kind, 4)
    job = env.ok("submit", source, "--profile", kind)
    env.emulator.set_faults("")
    assert env.batch_ids(kind) == [job["id"]], "a 429 on create is retried, never doubled"
    env.emulator.set_faults("429=0.5:0.02")
    env.advance(60)
    assert env.ok("show", job["id"])["status"] == "completed"
    assert len(env("results", job["id"]).out.splitlines()) == 4


@pytest.mark.parametrize("kind", KINDS)
def test_a_provider_that_keeps_failing_exits_2_after_the_budget(make_env, kind: str) -> None:
    env: Env = make_env()
    source = write_input(env.work / "in.jsonl", kind, 2)
    job = env.ok("submit", source, "--profile", kind)
    budget_config(env, 1.0)
    env.emulator.set_faults("429=1:0.3")
    run = env("show", job["id"])
    assert run.rc == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.err
    assert "429" in lines[0] and "request id req_" in lines[0]
    env.emulator.set_faults("503=1")
    run = env("show", job["id"])
    assert run.rc == 2 and "503" in run.err and len(run.err.strip().splitlines()) == 1


class FailingCreate:
    """A real adapter whose create meets a 500 before the provider commits anything."""

    def __init__(self, inner: Provider, env: Env) -> None:
        self._inner = inner
        self._env = env

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        self._env.emulator.set_faults("500=1")
        try:
            return await self._inner.create(*args, **kwargs)
        finally:
            self._env.emulator.set_faults("")


@pytest.mark.parametrize("kind", KINDS)
def test_an_ambiguous_create_that_made_nothing_stays_open(env: Env, kind: str) -> None:
    source = write_input(env.work / "in.jsonl", kind, 3)

    async def go() -> None:
        ws = Workspace.open(
            env.home, provider_factory=lambda p: FailingCreate(_default_factory(p), env)
        )
        try:
            with pytest.raises(SubmissionUnsettled) as caught:
                await ws.submit_file(source, kind)
            assert "never sent twice" in str(caught.value)
        finally:
            await ws.aclose()

    asyncio.run(go())
    (row,) = intents(env.home)
    assert row["state"] == "unknown"
    assert env.batch_ids(kind) == []
    # The CLI reconciles, finds nothing yet, and refuses to send the same input again.
    run = env("submit", source, "--profile", kind)
    assert run.rc == 1 and row["local_id"] in run.err
    assert env.batch_ids(kind) == []
    (job,) = env.ok("list", "--refresh")
    assert job["id"] is None and job["status"] == "submitting"
