"""The provider's queue: submissions over a profile's max_in_flight or max_enqueued_tokens
wait as QUEUED and go out by themselves, oldest first, as earlier jobs end, never twice; the
provider's own enqueued-limit and quota refusals are shown and never retried blindly."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from workflow_helpers import JOB_SECONDS, KINDS, Env, intents, neutral_line, write_jsonl

from batchtui.core.clock import SystemClock
from batchtui.core.config import load_config
from batchtui.core.provider import Provider, QuotaError
from batchtui.core.workspace import Workspace, _default_factory


def write_config(env: Env, **limits: object) -> None:
    body = "".join(f"{key} = {value!r}\n" for key, value in limits.items())
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(
        f'[profiles.openai]\nprovider = "openai"\n{body}\n'
        f'[profiles.anthropic]\nprovider = "anthropic"\n{body}',
        encoding="utf-8",
    )


def source(env: Env, kind: str, name: str, count: int = 3, words: int = 20) -> Path:
    text = " ".join(["queue"] * words)
    records = [neutral_line(kind, f"{name}{i}", text=f"{name} {i} {text}") for i in range(count)]
    return write_jsonl(env.work / f"{name}.jsonl", records)


def created_order(env: Env, kind: str) -> list[str]:
    """Batch ids at the emulator, oldest first."""
    return list(reversed(env.batch_ids(kind)))


@pytest.mark.parametrize("kind", KINDS)
def test_queued_jobs_go_out_in_order_as_earlier_jobs_end(env: Env, kind: str) -> None:
    write_config(env, max_in_flight=1)
    first = env.ok("submit", source(env, kind, "a"), "--profile", kind)
    assert first["id"] and first["status"] != "queued"
    run = env("submit", source(env, kind, "b"), "--profile", kind, "--json")
    assert run.rc == 0 and "queued" in run.err and "1/1 jobs in flight" in run.err
    second = run.json()
    third = env.ok("submit", source(env, kind, "c"), "--profile", kind)
    for job in (second, third):
        assert job["status"] == "queued" and job["id"] is None and job["local_id"]
    assert created_order(env, kind) == [first["id"]]
    listed = {j["local_id"]: j for j in env.ok("list")}
    assert listed[second["local_id"]]["status"] == "queued"
    assert "queued" in env("list").out
    # Nothing ended yet: a refresh sends nothing.
    assert env("list", "--refresh").rc == 0
    assert created_order(env, kind) == [first["id"]]
    env.advance(JOB_SECONDS * 2)
    env.ok("list", "--refresh")
    after = {j["local_id"]: j for j in env.ok("list")}
    assert after[second["local_id"]]["id"] is not None
    assert after[third["local_id"]]["status"] == "queued"
    assert created_order(env, kind) == [first["id"], after[second["local_id"]]["id"]]
    env.advance(JOB_SECONDS * 2)
    env.ok("list", "--refresh")
    env.advance(JOB_SECONDS * 2)
    env.ok("list", "--refresh")  # nothing left to send: no third create of anything
    final = {j["local_id"]: j for j in env.ok("list")}
    ids = [final[j["local_id"]]["id"] for j in (first, second, third)]
    assert created_order(env, kind) == ids  # in order, each exactly once
    assert all(row["state"] == "created" for row in intents(env.home))


@pytest.mark.parametrize("kind", KINDS)
def test_the_enqueued_token_limit_holds_big_jobs_back(env: Env, kind: str) -> None:
    one = source(env, kind, "t", count=4, words=200)
    tokens = env.ok("submit", one, "--profile", kind, "--dry-run")["estimate"]["input_tokens"]
    write_config(env, max_enqueued_tokens=int(tokens * 1.5))
    first = env.ok("submit", one, "--profile", kind)
    second = env.ok("submit", source(env, kind, "u", count=4, words=200), "--profile", kind)
    assert first["id"] and second["status"] == "queued"
    small = env.ok("submit", source(env, kind, "v", count=1, words=5), "--profile", kind)
    assert small["status"] == "queued", "a later small job does not jump the queue"
    too_big = source(env, kind, "w", count=8, words=200)
    run = env("submit", too_big, "--profile", kind)
    assert run.rc == 1 and "max_enqueued_tokens" in run.err and "could never be sent" in run.err
    env.advance(JOB_SECONDS * 2)
    env.ok("list", "--refresh")
    jobs = {j["local_id"]: j for j in env.ok("list")}
    assert jobs[second["local_id"]]["id"] is not None
    assert jobs[small["local_id"]]["id"] is not None  # both fit once the first ended
    assert len(env.batch_ids(kind)) == 3


def test_watch_sends_queued_jobs_and_follows_them_to_the_end(make_env: Any) -> None:
    env: Env = make_env(clock=SystemClock(), job_seconds=1.0)
    write_config(env, max_in_flight=1)
    first = env.ok("submit", source(env, "openai", "a"), "--profile", "openai")
    queued = env.ok("submit", source(env, "openai", "b"), "--profile", "openai")
    assert queued["status"] == "queued"
    run = env("watch", "--interval", "0.2")
    assert run.rc == 0, run.err
    final = {j["local_id"]: j for j in env.ok("list")}
    assert final[queued["local_id"]]["status"] == "completed"
    assert created_order(env, "openai") == [first["id"], final[queued["local_id"]]["id"]]
    assert any("queued" in line for line in run.out.splitlines())
    assert "completed" in run.out.splitlines()[-1]


def test_two_dispatchers_never_send_a_queued_job_twice(env: Env) -> None:
    write_config(env, max_in_flight=1)
    for name in "abcde":
        env.ok("submit", source(env, "openai", name, count=2), "--profile", "openai")
    queued = [row["local_id"] for row in intents(env.home) if row["state"] == "queued"]
    assert len(queued) == 4
    write_config(env, max_in_flight=10)
    config = load_config(env.home / "config.toml")

    async def race() -> tuple[list[Any], list[Any]]:
        # Two workspaces, two store connections: the same as two processes on one store.
        one = Workspace.open(env.home, config=config)
        two = Workspace.open(env.home, config=config)
        try:
            return await asyncio.gather(one.dispatch_queued(), two.dispatch_queued())
        finally:
            await one.aclose()
            await two.aclose()

    sent_one, sent_two = asyncio.run(race())
    assert sent_one and sent_two, "both dispatchers took part"
    sent = [r.local_id for r in sent_one] + [r.local_id for r in sent_two]
    assert sorted(sent) == sorted(queued), "each queued job sent by exactly one dispatcher"
    assert len(env.batch_ids("openai")) == 5
    rows = intents(env.home)
    assert all(row["state"] == "created" for row in rows)
    assert len({row["batch_id"] for row in rows}) == 5


def test_the_providers_enqueued_token_limit_is_shown_and_not_retried(make_env: Any) -> None:
    env: Env = make_env(enqueued_token_limit=400)
    a = env.ok("submit", source(env, "openai", "a", count=3, words=60), "--profile", "openai")
    b = env.ok("submit", source(env, "openai", "b", count=3, words=60), "--profile", "openai")
    env.advance(JOB_SECONDS)
    failed = env.ok("show", b["id"])
    assert failed["status"] == "failed"
    assert failed["limit_error"]["code"] == "token_limit_exceeded"
    assert "Enqueued token limit reached for gpt-4o-mini" in failed["limit_error"]["message"]
    text = env("show", b["id"])
    assert "limit:       token_limit_exceeded: Enqueued token limit reached" in text.out
    assert "line" not in text.out.split("provider errors:")[1].splitlines()[1]  # line is null
    assert "[token_limit_exceeded]" in env("list").out
    env.advance(JOB_SECONDS * 2)
    env.ok("list", "--refresh")
    assert env.ok("show", a["id"])["status"] == "completed"
    assert len(env.batch_ids("openai")) == 2, "the refused batch is never resubmitted"


def test_a_local_token_limit_keeps_the_provider_from_refusing(make_env: Any) -> None:
    env: Env = make_env(enqueued_token_limit=400)
    one = source(env, "openai", "a", count=3, words=60)
    tokens = env.ok("submit", one, "--profile", "openai", "--dry-run")["estimate"]["input_tokens"]
    assert tokens < 400 < 2 * tokens
    write_config(env, max_enqueued_tokens=360)
    a = env.ok("submit", one, "--profile", "openai")
    b = env.ok("submit", source(env, "openai", "b", count=3, words=60), "--profile", "openai")
    assert b["status"] == "queued"
    env.advance(JOB_SECONDS * 2)
    env.ok("list", "--refresh")
    env.advance(JOB_SECONDS * 2)
    jobs = {j["local_id"]: j for j in env.ok("list", "--refresh")}
    assert jobs[a["local_id"]]["status"] == "completed"
    assert jobs[b["local_id"]]["status"] == "completed"


class QuotaOnCreate:
    """A real adapter whose create meets the provider's quota refusal (429, not retryable)."""

    def __init__(self, inner: Provider, env: Env) -> None:
        self._inner = inner
        self._env = env

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        self._env.emulator.set_faults("quota=1")
        try:
            return await self._inner.create(*args, **kwargs)
        finally:
            self._env.emulator.set_faults("")


@pytest.mark.parametrize(
    ("kind", "code"),
    [("openai", "insufficient_quota"), ("anthropic", "enforced_spend_limit_reached")],
)
def test_a_quota_refusal_is_kept_shown_and_not_retried(env: Env, kind: str, code: str) -> None:
    run = env("submit", source(env, kind, "q"), "--profile", kind)
    assert run.rc == 0
    env.emulator.set_faults("quota=1")
    refused = env("submit", source(env, kind, "r"), "--profile", kind)
    env.emulator.set_faults("")
    assert refused.rc == 2 and len(refused.err.strip().splitlines()) == 1
    assert "429" in refused.err
    (job,) = [j for j in env.ok("list") if j["id"] is None]
    assert job["status"] == "failed" and job["limit_error"]["code"] == code
    assert f"[{code}]" in env("list").out
    assert len(env.batch_ids(kind)) == 1


def test_a_quota_refusal_stops_the_dispatcher(env: Env) -> None:
    write_config(env, max_in_flight=1)
    env.ok("submit", source(env, "anthropic", "a"), "--profile", "anthropic")
    env.ok("submit", source(env, "anthropic", "b"), "--profile", "anthropic")
    env.ok("submit", source(env, "anthropic", "c"), "--profile", "anthropic")
    env.advance(JOB_SECONDS * 2)
    errors: list[Exception] = []

    async def go() -> None:
        ws = Workspace.open(
            env.home,
            config=load_config(env.home / "config.toml"),
            provider_factory=lambda p: QuotaOnCreate(_default_factory(p), env),
        )
        ws.subscribe_errors(lambda profile, batch_id, exc: errors.append(exc))
        try:
            for record in ws.jobs():
                if record.id:
                    await ws.refresh(record.local_id)
            assert await ws.dispatch_queued() == []
        finally:
            await ws.aclose()

    asyncio.run(go())
    assert len(errors) == 1 and isinstance(errors[0], QuotaError)
    states = [row["state"] for row in intents(env.home)]
    assert states == ["created", "failed", "queued"], "the rest wait; nothing retried"
    assert len(env.batch_ids("anthropic")) == 1


def test_cancel_withdraws_a_queued_job_before_it_is_sent(env: Env) -> None:
    write_config(env, max_in_flight=1)
    first = env.ok("submit", source(env, "openai", "a"), "--profile", "openai")
    queued = env.ok("submit", source(env, "openai", "b"), "--profile", "openai")
    withdrawn = env.ok("cancel", queued["local_id"])
    assert withdrawn["status"] == "cancelled" and withdrawn["id"] is None
    env.advance(JOB_SECONDS * 2)
    env.ok("list", "--refresh")
    assert env.batch_ids("openai") == [first["id"]], "a withdrawn job never goes out"
    assert env.ok("show", queued["local_id"], "--cached")["status"] == "cancelled"


def test_the_emulator_cli_takes_an_enqueued_token_limit(capsys: pytest.CaptureFixture[str]) -> None:
    from batchtui.emulator.cli import build_parser
    from batchtui.emulator.cli import main as emulator_main

    assert build_parser().parse_args(["--enqueued-token-limit", "90000"]).enqueued_token_limit == (
        90000
    )
    assert emulator_main(["--enqueued-token-limit", "0", "--port", "0"]) == 1
    assert "--enqueued-token-limit must be at least 1" in capsys.readouterr().err


def test_a_split_input_estimates_each_part_and_queues_the_parts_in_order(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchtui.core.inputs import limits as limits_module

    small = limits_module.LIMITS["openai"].with_(max_requests=4)
    monkeypatch.setitem(limits_module.LIMITS, "openai", small)
    big = source(env, "openai", "p", count=10)
    dry = env.ok("submit", big, "--profile", "openai", "--dry-run")
    part_highs = [p["estimate"]["cost_usd_high"] for p in dry["parts"]]
    assert len(part_highs) == 3
    assert sum(part_highs) == pytest.approx(dry["estimate"]["cost_usd_high"], rel=1e-3)
    assert [p["estimate"]["requests"] for p in dry["parts"]] == [4, 4, 2]
    write_config(env, max_in_flight=1)
    submitted = env("submit", big, "--profile", "openai", "--label", "big", "--json")
    assert submitted.rc == 0, submitted.err
    parts = [json.loads(line) for line in submitted.out.splitlines()]  # one object a job
    assert [p["status"] == "queued" for p in parts] == [False, True, True]
    assert [p["estimate"]["requests"] for p in parts] == [4, 4, 2]
    for _ in range(3):
        env.advance(JOB_SECONDS * 2)
        env.ok("list", "--refresh")
    done = {j["local_id"]: j for j in env.ok("list")}
    ids = [done[p["local_id"]]["id"] for p in parts]
    assert created_order(env, "openai") == ids  # part 1, 2, 3 in order, once each
    assert len({done[p["local_id"]]["run_id"] for p in parts}) == 1
