"""Budgets: a submission over --max-cost, a profile's max_cost_usd or its daily budget is
refused before anything is kept, recorded or uploaded; bad budget values are one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_helpers import JOB_SECONDS, KINDS, Env, neutral_line, read_db, write_jsonl

from batchtui.core.budget import BudgetExceeded
from batchtui.core.config import load_config
from batchtui.core.costs import Estimate
from batchtui.core.workspace import Workspace


def write_config(env: Env, **limits: object) -> None:
    """A config with an openai and an anthropic profile, both given ``limits``."""
    body = "".join(f"{key} = {value!r}\n" for key, value in limits.items())
    (env.home / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(
        f'[profiles.openai]\nprovider = "openai"\n{body}\n'
        f'[profiles.anthropic]\nprovider = "anthropic"\n{body}',
        encoding="utf-8",
    )


def inputs(env: Env, kind: str, name: str, count: int, max_tokens: int = 1000) -> Path:
    records = [neutral_line(kind, f"{name}{i}", i, max_tokens=max_tokens) for i in range(count)]
    return write_jsonl(env.work / f"{name}.jsonl", records)


def nothing_sent(env: Env, kind: str) -> None:
    assert env.batch_ids(kind) == []
    if kind == "openai":
        assert env.file_ids() == []
    assert read_db(env.home, "SELECT * FROM jobs") == []
    kept = env.home / "inputs"
    assert not kept.exists() or not any(kept.glob("**/*.jsonl"))  # staging included


@pytest.mark.parametrize("kind", KINDS)
def test_the_profiles_max_cost_refuses_before_any_upload(env: Env, kind: str) -> None:
    write_config(env, max_cost_usd=0.0005)
    source = inputs(env, kind, "big", 20)
    run = env("submit", source, "--profile", kind)
    assert run.rc == 1
    (line,) = run.err.strip().splitlines()
    assert "max_cost_usd" in line and "high estimate" in line and "$0.000500" in line
    nothing_sent(env, kind)
    small = inputs(env, kind, "small", 1, max_tokens=10)
    job = env.ok("submit", small, "--profile", kind)
    assert env.batch_ids(kind) == [job["id"]]


@pytest.mark.parametrize("kind", KINDS)
def test_the_daily_budget_counts_todays_jobs(env: Env, kind: str) -> None:
    first = inputs(env, kind, "first", 3, max_tokens=100)
    second = inputs(env, kind, "second", 3, max_tokens=100)
    high = env.ok("submit", first, "--profile", kind, "--dry-run")["estimate"]["cost_usd_high"]
    write_config(env, max_cost_usd_per_day=round(high * 1.5, 8))
    job = env.ok("submit", first, "--profile", kind)
    run = env("submit", second, "--profile", kind)
    assert run.rc == 1
    (line,) = run.err.strip().splitlines()
    assert "max_cost_usd_per_day" in line and "today's spend would reach" in line
    assert env.batch_ids(kind) == [job["id"]]
    if kind == "openai":
        assert len(env.file_ids()) == 1  # the first job's input only
    # Once the first job's actual cost (below its high estimate) is known, room opens up.
    env.advance(JOB_SECONDS * 2)
    assert env("results", job["id"], "-o", env.work / "out.jsonl").rc == 0
    assert env.ok("show", job["id"], "--cached")["cost"]["cost_usd"] < high * 0.5
    second_job = env.ok("submit", second, "--profile", kind)
    assert sorted(env.batch_ids(kind)) == sorted([job["id"], second_job["id"]])


def test_max_cost_applies_to_the_whole_split_run(env: Env) -> None:
    """An input split into parts is judged on the sum of its parts' estimates."""
    source = inputs(env, "openai", "many", 4, max_tokens=500)
    one = env.ok("submit", source, "--profile", "openai", "--dry-run")["estimate"]
    run = env("submit", source, "--profile", "openai", "--max-cost", one["cost_usd_high"] * 0.9)
    assert run.rc == 1 and "--max-cost" in run.err
    nothing_sent(env, "openai")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-cost", "0"], "positive"),
        (["--max-cost", "-3"], "positive"),
        (["--max-cost", "nan"], "positive"),
        (["--max-cost", "inf"], "positive"),
        (["--max-cost", "five"], "not a number"),
        (["--max-tokens", "0"], "at least 1"),
    ],
)
def test_bad_budget_values_on_the_command_line(env: Env, args: list[str], message: str) -> None:
    source = inputs(env, "openai", "x", 1)
    run = env("submit", source, "--profile", "openai", *args)
    assert run.rc == 1
    (line,) = run.err.strip().splitlines()
    assert message in line
    nothing_sent(env, "openai")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("max_cost_usd = 0", "positive"),
        ("max_cost_usd = -1.5", "positive"),
        ("max_cost_usd = 'ten'", "expected a number"),
        ("max_cost_usd = nan", "finite"),
        ("max_cost_usd_per_day = inf", "finite"),
        ("max_in_flight = 0", "at least 1"),
        ("max_enqueued_tokens = -5", "at least 1"),
        ("max_requests_per_minute = 0", "at least 1"),
        ("stale_after_s = 0", "positive"),
    ],
)
def test_bad_budget_and_limit_values_in_the_config(env: Env, setting: str, message: str) -> None:
    (env.home / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(
        f'[profiles.openai]\nprovider = "openai"\n{setting}\n', encoding="utf-8"
    )
    source = inputs(env, "openai", "x", 1)
    run = env("submit", source, "--profile", "openai")
    assert run.rc == 1
    (line,) = run.err.strip().splitlines()
    key = setting.split(" ")[0]
    assert key in line and message in line
    assert env.file_ids() == []


async def test_the_ui_can_check_a_budget_before_submitting(env: Env) -> None:
    """`Workspace.check_budget` takes a path or an estimate and names estimate and budget."""
    source = inputs(env, "openai", "ui", 10)
    write_config(env, max_cost_usd=100.0)
    ws = Workspace.open(env.home, config=load_config(env.home / "config.toml"))
    try:
        guess = ws.check_budget(source, "openai")
        assert guess.run.requests == 10 and guess.run.cost_usd_high is not None
        with pytest.raises(BudgetExceeded, match=r"--max-cost: the high estimate is \$"):
            ws.check_budget(guess, "openai", max_cost_usd=guess.run.cost_usd_high / 2)
        with pytest.raises(BudgetExceeded, match="no price"):
            ws.check_budget(Estimate(1, 10, 10, None, None, ("mystery",)), "openai")
        with pytest.raises(Exception, match="positive"):
            ws.check_budget(guess, "openai", max_cost_usd=-1)
        with pytest.raises(BudgetExceeded, match="--max-cost"):
            await ws.submit_file(source, "openai", max_cost_usd=0.000001)
    finally:
        await ws.aclose()
    nothing_sent(env, "openai")
