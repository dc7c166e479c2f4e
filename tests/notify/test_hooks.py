"""The profile's on_end command and notify_urls: once per job end, the job's JSON on stdin,
bounded time, failures reported once."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from notify_helpers import hook_command, runs
from ui_fakes import record

from batchtui.core.config import Profile
from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.core.notify import EndNotifier, hook_payload, run_hook
from batchtui.core.notify import hooks as hooks_module
from batchtui.core.store import JobRecord


def ended(local_id: str = "j1", status: BatchStatus = BatchStatus.COMPLETED) -> JobRecord:
    job = BatchJob(
        id=f"batch_{local_id}",
        provider="openai",
        status=status,
        raw_status=status.value,
        counts=RequestCounts(total=10, succeeded=9, errored=1),
        times=Timestamps(),
    )
    return record(local_id, "nightly; evals", "main", "openai", status, job)


def notifier(tmp_path: Path, on_end: list[str], reports: list[str]) -> EndNotifier:
    profile = Profile("main", "openai", on_end=tuple(on_end))
    return EndNotifier({"main": profile}, reports.append, env={"PATH": "/usr/bin:/bin"})


async def test_on_end_gets_the_job_json_on_stdin_and_its_variables(tmp_path: Path) -> None:
    argv, out = hook_command(tmp_path)
    reports: list[str] = []
    ends = notifier(tmp_path, argv, reports)
    job = ended()
    await ends.job_ended(job)
    ((stdin, env),) = runs(out)
    assert stdin == job.to_json()
    assert stdin["id"] == "batch_j1" and stdin["status"] == "completed"
    assert env == {
        "BATCHTUI_JOB_ID": "batch_j1",
        "BATCHTUI_LOCAL_ID": "j1",
        "BATCHTUI_JOB_STATUS": "completed",
        "BATCHTUI_PROFILE": "main",
    }
    assert reports == []


async def test_each_end_runs_once(tmp_path: Path) -> None:
    argv, out = hook_command(tmp_path)
    reports: list[str] = []
    ends = notifier(tmp_path, argv, reports)
    await ends.job_ended(ended("j1"))
    await ends.job_ended(ended("j1"))  # the same end seen again (another snapshot)
    await ends.job_ended(ended("j2", BatchStatus.EXPIRED))
    assert [stdin["local_id"] for stdin, _ in runs(out)] == ["j1", "j2"]
    assert not ends.wants(ended("j1"))


async def test_a_live_status_runs_nothing(tmp_path: Path) -> None:
    argv, out = hook_command(tmp_path)
    ends = notifier(tmp_path, argv, [])
    await ends.job_ended(ended("j1", BatchStatus.IN_PROGRESS))
    assert runs(out) == []


async def test_claim_files_keep_two_processes_from_running_one_end(tmp_path: Path) -> None:
    argv, out = hook_command(tmp_path)
    profiles = {"main": Profile("main", "openai", on_end=tuple(argv))}
    claims = tmp_path / "claims"
    first = EndNotifier(profiles, print, claim_dir=claims)
    second = EndNotifier(profiles, print, claim_dir=claims)  # say `batchtui watch` beside
    await first.job_ended(ended())
    await second.job_ended(ended())
    assert len(runs(out)) == 1
    assert (claims / "j1.completed").exists()


async def test_non_zero_exit_is_reported_once_and_not_retried(tmp_path: Path) -> None:
    argv, out = hook_command(tmp_path, "fail")
    reports: list[str] = []
    ends = notifier(tmp_path, argv, reports)
    await ends.job_ended(ended())
    await ends.job_ended(ended())
    assert len(runs(out)) == 1
    (report,) = reports
    assert "profile main" in report and "hook.py" in report
    assert "exited with status 3: something broke" in report


async def test_a_command_that_cannot_start_is_reported_once(tmp_path: Path) -> None:
    reports: list[str] = []
    ends = notifier(tmp_path, [str(tmp_path / "no-such-hook"), "x"], reports)
    await ends.job_ended(ended("j1"))
    await ends.job_ended(ended("j2"))
    (report,) = reports
    assert "profile main" in report and "no-such-hook" in report and "could not start" in report


async def test_a_slow_hook_is_killed_at_its_timeout(tmp_path: Path) -> None:
    argv, out = hook_command(tmp_path, "sleep")
    reports: list[str] = []
    profile = Profile("main", "openai", on_end=tuple(argv))
    ends = EndNotifier({"main": profile}, reports.append, timeout=0.5)
    started = time.monotonic()
    await ends.job_ended(ended())
    assert time.monotonic() - started < 10
    assert len(runs(out)) == 1
    (report,) = reports
    assert "timed out and was killed" in report


@pytest.mark.skipif(sys.platform == "win32", reason="process groups")
async def test_the_kill_takes_the_commands_children_too(tmp_path: Path) -> None:
    """A shell hook whose child sleeps: killing only the shell would leave the child holding
    the pipes open, and the wait would hang."""
    result = await asyncio.wait_for(run_hook(["sh", "-c", "sleep 60; true"], b"", {}, 0.3), 10)
    assert result.timed_out and result.returncode is None


async def test_the_hook_runs_beside_the_event_loop(tmp_path: Path) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    await run_hook(["sh", "-c", "sleep 0.3"], b"", {"PATH": "/usr/bin:/bin"}, 5)
    task.cancel()
    assert ticks >= 10


async def test_cancelling_kills_the_command(tmp_path: Path) -> None:
    marker = tmp_path / "still-running"
    script = f"sleep 1; touch {marker}"
    task = asyncio.create_task(run_hook(["sh", "-c", script], b"", {"PATH": "/usr/bin:/bin"}))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(1.2)
    assert not marker.exists()


def test_payload_is_the_json_contract_and_holds_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-secretsecretsecret")
    payload = hook_payload(ended()).decode()
    assert payload.endswith("\n") and payload.count("\n") == 1
    assert "sk-proj" not in payload


async def test_notify_urls_go_through_the_sender(tmp_path: Path) -> None:
    sent: list[tuple[tuple[str, ...], str, str]] = []

    async def sender(urls: Sequence[str], title: str, body: str) -> list[str]:
        sent.append((tuple(urls), title, body))
        return ["notify_urls[1] (mailto://…): refused"]

    reports: list[str] = []
    profile = Profile("main", "openai", notify_urls=("ntfy://topic", "mailto://a:b@x"))
    ends = EndNotifier({"main": profile}, reports.append, sender=sender)
    await ends.job_ended(ended())
    await ends.job_ended(ended())
    ((urls, title, body),) = sent
    assert urls == ("ntfy://topic", "mailto://a:b@x")
    assert title == "batchtui: nightly; evals completed"
    assert body == "9 succeeded, 1 errored of 10"
    assert reports == ["profile main: notify_urls[1] (mailto://…): refused"]


async def test_urls_without_apprise_warn_once_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks_module, "apprise_installed", lambda: False)
    reports: list[str] = []
    profile = Profile("main", "openai", notify_urls=("ntfy://topic",))
    ends = EndNotifier({"main": profile}, reports.append)
    await ends.job_ended(ended("j1"))
    await ends.job_ended(ended("j2"))
    (warning,) = reports
    assert "batchtui[notify]" in warning and "apprise" in warning and "main" in warning
    assert "ntfy://topic" not in warning
