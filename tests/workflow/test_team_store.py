"""Two machines on one team store, as real processes: `batchtui` subprocesses of two homes
(their own data dir and config.toml, ``submitted_by`` alice and bob, BATCHTUI_MACHINE
machine-a and machine-b) on one PostgreSQL store (BATCHTUI_STORE_URL) and one emulator.

Racing submitters of one input make one batch; racing dispatchers keep a profile's
max_in_flight across machines; a submission killed on one machine is settled by the other
without sending anything twice, and without cutting off what may still run over there.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from team_helpers import (
    BARRIER_ENV,
    EACH,
    THEN,
    Home,
    finish,
    json_objects,
    max_overlap,
    pg_rows,
    write_home_config,
)
from workflow_helpers import JOB_SECONDS, Env, use_env, write_input

from batchtui.core.clock import FixedClock, SystemClock
from batchtui.core.config import load_config
from batchtui.core.submit import FOREIGN_IDLE_S, reconcile_profile
from batchtui.core.workspace import Workspace
from batchtui.emulator import EmulatorServer

MIN_IDLE_S = max(
    inspect.signature(reconcile_profile).parameters["min_idle_s"].default, FOREIGN_IDLE_S
)


class Team:
    """alice on machine-a and bob on machine-b, one store, one emulator."""

    def __init__(self, emulator: EmulatorServer, url: str, root: Path, **limits: object) -> None:
        self.emulator = emulator
        self.url = url
        self.work = root / "work"
        self.work.mkdir()
        self.a = Home("alice", "machine-a", root / "alice", url)
        self.b = Home("bob", "machine-b", root / "bob", url)
        for home in (self.a, self.b):
            write_home_config(home.path, home.who, **limits)
        # Env only for its emulator look-ups (batch_ids through the list API, file_ids).
        self.look = Env(emulator, self.a.path, self.work, None)  # type: ignore[arg-type]

    def batch_ids(self, kind: str = "openai") -> list[str]:
        return self.look.batch_ids(kind)

    def intents(self) -> list[dict[str, Any]]:
        return pg_rows(
            self.url,
            "SELECT i.*, j.submitted_by, j.status, j.label FROM intents i "
            "JOIN jobs j USING (local_id) ORDER BY i.created_at",
        )

    def intent(self, local_id: str) -> dict[str, Any]:
        (row,) = [r for r in self.intents() if r["local_id"] == local_id]
        return row


@pytest.fixture
def make_team(
    make_emulator: Callable[..., EmulatorServer],
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Team]:
    """Factory: make_team(emulator=None, **profile limits) -> Team (default emulator: a
    FixedClock at the real time, jobs of JOB_SECONDS)."""

    def factory(emulator: EmulatorServer | None = None, **limits: object) -> Team:
        if emulator is None:
            emulator = make_emulator(clock=FixedClock(time.time()), job_seconds=JOB_SECONDS)
        use_env(monkeypatch, emulator, tmp_path / "unused-home")  # base URLs and keys
        monkeypatch.setenv("BATCHTUI_STORE_URL", pg_url)
        return Team(emulator, pg_url, tmp_path, **limits)

    return factory


# --- 1. racing submitters of one input -----------------------------------------------------


def test_racing_submits_of_one_input_make_one_batch(make_team: Callable[..., Team]) -> None:
    team = make_team()
    took: list[float] = []
    won: list[tuple[dict[str, Any], str, str]] = []
    for n in range(5):
        source = write_input(team.work / f"same{n}.jsonl", "openai", 3, prefix=f"round{n}")
        barrier = team.work / f"barrier{n}"
        barrier.mkdir()
        began = time.monotonic()
        procs = {
            home.who: home.spawn(
                "submit",
                source,
                "--profile",
                "openai",
                "--label",
                f"round {n}",
                "--json",
                extra={BARRIER_ENV: f"{barrier}:{home.who}:2"},
            )
            for home in (team.a, team.b)
        }
        runs = {who: finish(proc) for who, proc in procs.items()}
        took.append(time.monotonic() - began)
        assert len(list(barrier.iterdir())) == 2, "both reached record_intent"
        winners = [who for who, run in runs.items() if run.rc == 0]
        assert len(winners) == 1, {who: (r.rc, r.err) for who, r in runs.items()}
        (winner,) = winners
        (loser,) = {"alice", "bob"} - {winner}
        (job,) = json_objects(runs[winner].out)
        lost = runs[loser]
        assert lost.rc == 1, lost
        assert "already submitted" in lost.err and "use --again" in lost.err, lost.err
        assert job["local_id"] in lost.err and f"by {winner}" in lost.err, lost.err
        assert "Traceback" not in lost.err

        # Exactly one batch for the input at the emulator, and one job that was not dropped.
        assert len(team.batch_ids()) == n + 1
        assert job["id"] in team.batch_ids()
        rows = pg_rows(
            team.url,
            "SELECT j.local_id, i.state FROM jobs j JOIN intents i USING (local_id) "
            "WHERE j.input_sha256 = %s",
            (job["input_sha256"],),
        )
        assert rows == [{"local_id": job["local_id"], "state": "created"}]

        won.append((job, winner, loser))
    print(f"raced submit rounds took {', '.join(f'{t:.2f}' for t in took)} s")

    # Each loser's home shows the winner's job as the winner recorded it.
    listed = {home.who: {j["local_id"]: j for j in home.ok("list")} for home in (team.a, team.b)}
    for n, (job, winner, loser) in enumerate(won):
        seen = listed[loser][job["local_id"]]
        assert seen["submitted_by"] == winner
        assert seen["label"] == f"round {n}"
        assert seen["id"] == job["id"]
        assert seen["run_id"] == job["run_id"]
        assert seen["estimate"] is not None and seen["estimate"] == job["estimate"]
    assert len(listed["alice"]) == len(listed["bob"]) == 5


# --- 2. racing dispatchers and max_in_flight -----------------------------------------------


def test_racing_dispatchers_on_two_machines_keep_max_in_flight(
    make_team: Callable[..., Team], make_emulator: Callable[..., EmulatorServer]
) -> None:
    emulator = make_emulator(clock=SystemClock(), job_seconds=1.0)
    team = make_team(emulator, max_in_flight=2)
    began = time.monotonic()
    # One process a machine submits its three inputs, each queued locally and dispatched.
    submits = []
    for home in (team.a, team.b):
        args: list[object] = [EACH]
        for n in range(3):
            name = f"{home.who}{n}"
            source = write_input(team.work / f"{name}.jsonl", "openai", 2, prefix=name)
            args += ["submit", source, "--profile", "openai", "--json", THEN]
        submits.append(home.spawn(*args[:-1]))
    runs = [finish(proc) for proc in submits]
    assert all(run.rc == 0 for run in runs), [run.err for run in runs if run.rc]
    statuses = [job["status"] for run in runs for job in json_objects(run.out)]
    assert len(statuses) == 6 and statuses.count("queued") >= 4, statuses

    # Both machines watch the profile's jobs; each dispatches the queue as jobs end.
    watches = [home.spawn("watch", "--interval", "0.2") for home in (team.a, team.b)]
    for run in [finish(proc) for proc in watches]:
        assert run.rc == 0, run.err
        assert "Traceback" not in run.err
    took = time.monotonic() - began

    rows = team.intents()
    assert len(rows) == 6
    assert all(r["state"] == "created" and r["status"] == "completed" for r in rows), rows
    batch_ids = sorted(r["batch_id"] for r in rows)
    assert len(set(batch_ids)) == 6 and sorted(team.batch_ids()) == batch_ids, "each sent once"
    assert len({r["input_file_id"] for r in rows}) == 6
    assert all(r["creates_sent"] == 1 for r in rows)

    # At the emulator a batch holds a slot from its creation until it is terminal; the store
    # learns of the end later still, so the dispatchers' view is the stricter one.
    jobs = emulator.app.openai.jobs.values()
    spans = [(job.created, job.terminal()[1]) for job in jobs]
    assert max_overlap(spans) <= 2, spans
    senders = {(r["submitted_by"], r["host"]) for r in rows}
    print(f"6 jobs through max_in_flight=2 on two machines in {took:.2f} s; senders {senders}")


def test_a_queued_job_is_not_sent_by_a_machine_without_its_input(
    make_team: Callable[..., Team],
) -> None:
    """Kept inputs stay on the machine that submitted them (open_store: "the home keeps this
    machine's own files"); a dispatcher elsewhere cannot read them. Simulated by hiding bob's
    kept inputs while alice dispatches."""
    team = make_team(max_in_flight=1)
    (first,) = team.a.ok(
        "submit", write_input(team.work / "a.jsonl", "openai", 2), "--profile", "openai"
    )
    assert first["id"] is not None
    (queued,) = team.b.ok(
        "submit", write_input(team.work / "b.jsonl", "openai", 2, prefix="b"), "--profile", "openai"
    )
    assert queued["status"] == "queued"
    team.emulator.clock.advance(JOB_SECONDS * 2)  # type: ignore[attr-defined]

    inputs = team.b.path / "inputs"
    hidden = team.b.path / "inputs.elsewhere"
    inputs.rename(hidden)
    try:
        dispatch = team.a.run("list", "--refresh", "--json")
    finally:
        hidden.rename(inputs)
    assert "Traceback" not in dispatch.err, dispatch.err
    assert dispatch.rc == 0, dispatch.err
    after = team.intent(queued["local_id"])
    assert after["state"] in ("queued", "created"), after

    # bob's machine, which holds the input, sends it.
    (sent,) = [j for j in team.b.ok("list", "--refresh") if j["local_id"] == queued["local_id"]]
    assert sent["id"] is not None and sent["status"] != "failed"
    assert len(team.batch_ids()) == 2


# --- 3. a submission killed on one machine, settled on the other ---------------------------


def killed_submit(team: Team, kind: str, step: str) -> tuple[Path, dict[str, Any]]:
    """alice's `batchtui submit` dies (SIGKILL) at ``step``; returns the file and its intent."""
    source = write_input(team.work / "in.jsonl", kind, 4)
    run = team.a.run("submit", source, "--profile", kind, extra={"BATCHTUI_TEST_CRASH_AT": step})
    assert run.rc == -signal.SIGKILL, run
    (row,) = team.intents()
    assert row["host"] == "machine-a" and row["submitted_by"] == "alice"
    return source, row


@pytest.mark.parametrize(
    ("kind", "step"), [("openai", "created"), ("anthropic", "created"), ("openai", "creating")]
)
def test_a_create_killed_on_one_machine_is_settled_by_the_other(
    make_team: Callable[..., Team], kind: str, step: str
) -> None:
    team = make_team()
    source, crashed = killed_submit(team, kind, step)
    assert crashed["state"] == "creating"
    held = team.batch_ids(kind)
    assert len(held) == (1 if step == "created" else 0)

    (job,) = team.b.ok("list")  # bob's list settles open submissions first
    after = team.intent(crashed["local_id"])
    if step == "created":
        # The batch the create made is found and claimed by alice's intent: nothing adopted,
        # nothing sent again.
        (batch_id,) = held
        assert after["state"] == "created" and after["batch_id"] == batch_id
        assert job["id"] == batch_id and job["local_id"] == crashed["local_id"]
        assert job["adopted"] is False and job["submitted_by"] == "alice"
    else:
        # The create may have been sent: it waits for the provider's list or the grace period,
        # whichever machine looks.
        assert after["state"] == "creating" and job["id"] is None
        assert job["status"] == "submitting"
    again = team.b.run("submit", source, "--profile", kind)
    assert again.rc == 1 and "--again" in again.err, again
    assert (held[0] if held else crashed["local_id"]) in again.err
    assert team.batch_ids(kind) == held
    assert len(team.intents()) == 1


@pytest.mark.parametrize(
    ("kind", "step"), [("openai", "recorded"), ("openai", "uploaded"), ("anthropic", "recorded")]
)
def test_a_submission_killed_before_its_create_is_left_alone_by_another_machine_while_young(
    make_team: Callable[..., Team], monkeypatch: pytest.MonkeyPatch, kind: str, step: str
) -> None:
    """Its process ran on machine-a, so machine-b cannot probe its pid: the submission may
    still be on its way (a large upload), and is only abandoned once idle for FOREIGN_IDLE_S
    (longer than reconcile's min_idle_s for its own machine's live processes). (On its
    own machine a dead pid settles it at once: test_crash_safety.)"""
    team = make_team()
    source, crashed = killed_submit(team, kind, step)
    assert crashed["state"] == step
    assert team.batch_ids(kind) == []

    (job,) = team.b.ok("list")
    assert team.intent(crashed["local_id"])["state"] == step, "left alone while young"
    assert job["status"] == "submitting" and job["id"] is None
    refused = team.b.run("submit", source, "--profile", kind)
    assert refused.rc == 1 and crashed["local_id"] in refused.err, refused
    assert team.batch_ids(kind) == []

    # Past FOREIGN_IDLE_S, machine-b settles it: nothing was created, so it is abandoned.
    monkeypatch.setenv("BATCHTUI_MACHINE", "machine-b")

    async def reconcile(later: FixedClock) -> None:
        ws = Workspace.open(
            team.b.path, clock=later, config=load_config(team.b.path / "config.toml")
        )
        try:
            await ws.reconcile(kind)
        finally:
            await ws.aclose()
            ws.store.close()

    # A minute on, still younger than FOREIGN_IDLE_S: a slow upload is not cut off.
    asyncio.run(reconcile(FixedClock(time.time() + 60)))
    assert team.intent(crashed["local_id"])["state"] == step

    asyncio.run(reconcile(FixedClock(time.time() + MIN_IDLE_S + 5)))
    settled = team.intent(crashed["local_id"])
    assert settled["state"] == "abandoned" and settled["status"] == "failed"

    # Now the input may go out again, exactly once.
    (resent,) = team.b.ok("submit", source, "--profile", kind)
    assert team.batch_ids(kind) == [resent["id"]]
    assert resent["submitted_by"] == "bob"
