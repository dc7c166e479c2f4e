"""Commands under 429s and 5xx: retried within the profile's budget, then exit 2 in one line;
an ambiguous create stays open (never sent twice) while the provider's list cannot be read."""

from __future__ import annotations

import pytest
from workflow_helpers import KINDS, Env, intents, write_input


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


def pause_config(env: Env, budget_s: float = 1.0, pause_s: float = 0.05) -> None:
    """Both profiles with a short retry budget and consistency pause."""
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(
        "".join(
            f"[profiles.{kind}]\nretry_budget_s = {budget_s}\nsettle_pause_s = {pause_s}\n\n"
            for kind in KINDS
        )
    )


@pytest.mark.parametrize("kind", KINDS)
def test_an_ambiguous_create_stays_open_while_the_list_fails(make_env, kind: str) -> None:
    """The create took effect but answered 5xx, and the list cannot be read: exit 2 in one
    line naming the submission and the command that settles it; a later `list` does."""
    env: Env = make_env()
    pause_config(env)
    source = write_input(env.work / "in.jsonl", kind, 3)
    env.emulator.set_faults("529after@create=1,500@list=*")
    run = env("submit", source, "--profile", kind)
    assert run.rc == 2 and "Traceback" not in run.err
    (line,) = run.err.strip().splitlines()
    (row,) = intents(env.home)
    assert row["local_id"] in line and "batchtui list" in line
    assert row["state"] == "unknown"
    env.emulator.set_faults("")
    (batch_id,) = env.batch_ids(kind)
    # The same input is not sent again while its create is unsettled: `submit` settles first.
    again = env("submit", source, "--profile", kind)
    assert again.rc == 1 and batch_id in again.err
    assert env.batch_ids(kind) == [batch_id]
    (job,) = env.ok("list")
    assert job["id"] == batch_id and intents(env.home)[0]["state"] == "created"
