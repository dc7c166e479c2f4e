"""The sync wrapper (scripts, and notebooks where a loop already runs) and what importing the
API loads: `import batchtui` is cheap, and neither the API nor its use loads Textual."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from api_helpers import JOB_SECONDS, KEY_ENV, Setup, request

import batchtui
import batchtui.api
from batchtui.api import InvalidRequests, NoResults, SyncBatchtui
from batchtui.core.models import BatchResult, BatchStatus, Outcome

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, *args: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    run = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_sync_calls_from_a_script(setup: Setup) -> None:
    with batchtui.open_sync(setup.home, config=setup.config()) as bt:
        assert isinstance(bt, SyncBatchtui)
        [job] = bt.submit([request("openai", f"s{i}", i) for i in range(3)], label="sync")
        assert job.request_count == 3 and job.label == "sync"
        assert bt.results_available(job.local_id) is False
        with pytest.raises(NoResults):
            list(bt.results(job.local_id))
        setup.advance(JOB_SECONDS * 2)
        done = bt.wait(job.local_id, poll_s=0.01, timeout=10)
        assert done.status is BatchStatus.COMPLETED
        assert bt.get(job.id).status is BatchStatus.COMPLETED
        assert [j.local_id for j in bt.jobs()] == [job.local_id]
        results = list(bt.results(job.local_id))
        assert all(isinstance(r, BatchResult) for r in results)
        assert sorted(r.custom_id for r in results) == ["s0", "s1", "s2"]
        first = next(iter(bt.results(job.local_id)))  # stopping early closes the stream
        assert first.outcome is Outcome.SUCCEEDED
        with pytest.raises(InvalidRequests, match=r"<requests>:1: messages"):
            bt.submit([{"custom_id": "x", "model": "gpt-4o-mini", "messages": []}])
        thread = bt._loop.thread
    assert not thread.is_alive()
    bt.close()  # a second close does nothing


async def test_sync_calls_inside_a_running_loop_like_a_notebook(setup: Setup) -> None:
    asyncio.get_running_loop()  # a loop runs here, as in Jupyter
    bt = batchtui.open_sync(setup.home, config=setup.config())
    try:
        [job] = bt.submit([request("anthropic", "n1")], "anthropic")
        setup.advance(JOB_SECONDS * 2)
        assert bt.wait(job.local_id, poll_s=0.01, timeout=10).is_terminal
        assert [r.custom_id for r in bt.results(job.local_id)] == ["n1"]
        cancelled_or_done = bt.submit([request("anthropic", "n2")], "anthropic")[0]
        assert bt.cancel(cancelled_or_done.local_id).status is BatchStatus.CANCELLING
    finally:
        bt.close()


def test_sync_retry_and_recover(make_setup) -> None:
    setup: Setup = make_setup(fail_rate=0.5, seed=3)
    with batchtui.open_sync(setup.home, config=setup.config()) as bt:
        [job] = bt.submit([request("openai", f"r{i}", i) for i in range(12)])
        setup.advance(JOB_SECONDS * 2)
        done = bt.wait(job.local_id, poll_s=0.01, timeout=10)
        child = bt.retry(job.local_id)
        assert child.request_count == done.counts.errored > 0
        [other] = bt.submit([request("openai", f"c{i}", i) for i in range(12)])
        setup.advance(JOB_SECONDS / 2)
        bt.cancel(other.local_id)
        setup.advance(JOB_SECONDS)
        stopped = bt.wait(other.local_id, poll_s=0.01, timeout=10)
        assert stopped.status is BatchStatus.CANCELLED
        assert bt.results_available(other.local_id)
        recovery = bt.recover(other.local_id)
        assert recovery.request_count == 12 - stopped.counts.succeeded


def test_a_forgotten_sync_object_stops_its_thread(setup: Setup) -> None:
    bt = batchtui.open_sync(setup.home, config=setup.config())
    assert bt.jobs() == []
    assert bt.run(bt.workspace.reconcile()) == []  # any coroutine, on the object's loop
    thread = bt._loop.thread
    del bt
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()


def test_a_bad_config_leaves_no_thread_behind(tmp_path: Path) -> None:
    before = threading.active_count()
    with pytest.raises(batchtui.api.BatchtuiError):
        batchtui.open_sync(tmp_path / "home", config=tmp_path / "missing.toml")
    assert threading.active_count() == before


def test_the_package_exposes_the_api_lazily() -> None:
    assert batchtui.open is batchtui.api.open
    assert batchtui.open_sync is batchtui.api.open_sync
    assert batchtui.Batchtui is batchtui.api.Batchtui
    assert "open" in dir(batchtui)
    with pytest.raises(AttributeError):
        _ = batchtui.no_such_name  # type: ignore[attr-defined]
    out = run_python(
        "import sys, batchtui; print(sorted(m for m in sys.modules if m.startswith('batchtui')))"
    )
    assert out.strip() == "['batchtui']"


def test_importing_the_api_loads_no_textual() -> None:
    code = "import batchtui, batchtui.api, sys; assert 'textual' not in sys.modules; print('ok')"
    assert run_python(code).strip() == "ok"


USE_WITHOUT_TEXTUAL = """\
import asyncio, os, sys, tempfile, time
import batchtui
from batchtui.core.clock import FixedClock
from batchtui.core.config import Config, Profile
from batchtui.emulator import EmulatorConfig, EmulatorServer

server = EmulatorServer(EmulatorConfig(seed=7, job_seconds=10, clock=FixedClock(time.time())))
server.start()
os.environ["{key}"] = "dummy"
profile = Profile(
    name="a", provider="anthropic", base_url=server.anthropic_base_url, api_key_env="{key}"
)
config = Config(profiles={{"a": profile}}, default_profile="a")
request = {{
    "custom_id": "one",
    "model": "claude-haiku-4-5",
    "messages": [{{"role": "user", "content": "Hi."}}],
    "max_tokens": 20,
}}

async def main():
    async with batchtui.open(tempfile.mkdtemp(), config=config) as bt:
        [job] = await bt.submit([request])
        server.clock.advance(30)
        await bt.wait(job.local_id, poll_s=0.01, timeout=10)
        assert [r.custom_id async for r in bt.results(job.local_id)] == ["one"]

asyncio.run(main())
with batchtui.open_sync(tempfile.mkdtemp(), config=config) as bt:
    bt.submit([request])
server.close()
print(sorted(m for m in sys.modules if m == "textual" or m.startswith("textual.")))
"""


def test_using_the_api_loads_no_textual() -> None:
    out = run_python(USE_WITHOUT_TEXTUAL.format(key=KEY_ENV["anthropic"]))
    assert out.strip() == "[]"
