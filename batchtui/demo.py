"""`batchtui demo`: the whole app on the embedded emulator, in a throwaway home, with sample jobs.

The emulator runs in-process on a free loopback port; one profile per provider it emulates points
at it. Seeded jobs cover every interesting state within seconds: running, completed with failures,
cancelled with partial results, expired with partial results, failed validation (a batch
"created in the web console" and adopted), and a long job still in progress.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from batchtui.core.config import Config, Profile
from batchtui.core.provider import SubmitOptions
from batchtui.core.registry import provider_specs
from batchtui.core.store import JobRecord
from batchtui.core.workspace import Workspace
from batchtui.emulator import EmulatorConfig, EmulatorServer

DEMO_MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
    "mistral": "mistral-small-latest",
    "groq": "llama-3.1-8b-instant",
    "together": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
}
"""Each demo profile's provider and model; a provider the emulator has no half for is left out."""

MORE_JOBS = {
    "gemini": ("product descriptions", 90, 70.0),
    "mistral": ("ticket triage", 60, 55.0),
    "groq": ("faq answers", 40, 35.0),
    "together": ("review summaries", 70, 80.0),
}
"""A running job on each provider beyond the first two: label, requests, seconds to finish."""

DEMO_KEY_ENV = "BATCHTUI_DEMO_KEY"
DEMO_KEY = "demo-key-not-secret"

TOPICS = (
    "a refund for a damaged parcel",
    "resetting a forgotten password",
    "an invoice with the wrong VAT number",
    "a delivery that never arrived",
    "upgrading to the team plan",
    "exporting data before closing an account",
    "a double charge on a credit card",
    "changing the billing address",
)


@dataclass
class DemoEnv:
    """A running demo: the emulator, the workspace on a throwaway home, and the sample files."""

    server: EmulatorServer
    workspace: Workspace
    home: Path
    samples: Path
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    joined: bool = False
    """The emulator is another demo's (``--emulator-port`` already taken): this one seeds
    nothing and shows what the shared team store holds."""

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception:  # closing a demo must never raise
                pass


def _write_sample(
    path: Path, count: int, model: str, *, prefix: str, max_tokens: int = 200
) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(1, count + 1):
            topic = TOPICS[i % len(TOPICS)]
            record = {
                "custom_id": f"{prefix}-{i:04d}",
                "model": model,
                "system": "You are a concise, friendly support agent.",
                "messages": [{"role": "user", "content": f"Draft a reply about {topic} (#{i})."}],
                "max_tokens": max_tokens if i % 17 else 4,  # a few truncated answers
            }
            out.write(json.dumps(record) + "\n")
    return path


def demo_config(server: EmulatorServer, **settings: Any) -> Config:
    """A profile per provider of `DEMO_MODELS` pointed at the emulator, polled briskly;
    ``settings`` (profile fields) override the demo's for all."""
    common: dict[str, Any] = {
        "api_key_env": DEMO_KEY_ENV,
        "poll_min_s": 1.0,
        "poll_max_s": 3.0,
        "list_interval_s": 15.0,
        **settings,
    }
    profiles = {
        name: Profile(
            name=name,
            provider=name,
            base_url=server.provider_base_url(name),
            default_model=model,
            **common,
        )
        for name, model in DEMO_MODELS.items()
        if name in server.app.halves and name in provider_specs()
    }
    return Config(profiles=profiles, default_profile="openai")


def start_demo(
    seed: int = 7, home: Path | None = None, emulator_port: int | None = None
) -> DemoEnv:
    """Start the emulator and open a workspace on a throwaway home (nothing seeded yet).

    With ``emulator_port``, the emulator listens there; when another demo's emulator already
    does, this demo joins it instead (two homes on one team store try it this way)."""
    os.environ[DEMO_KEY_ENV] = DEMO_KEY
    cleanups: list[Callable[[], None]] = []
    if home is None:
        home = Path(tempfile.mkdtemp(prefix="batchtui-demo-"))
        cleanups.append(lambda: shutil.rmtree(home, ignore_errors=True))
    server = EmulatorServer(
        EmulatorConfig(seed=seed, job_seconds=40.0, fail_rate=0.06, api_key=DEMO_KEY),
        host="127.0.0.1",
        port=emulator_port or 0,
    )
    joined = False
    try:
        server.start()
    except OSError as exc:
        if not emulator_port or exc.errno != errno.EADDRINUSE:
            raise
        joined = True  # the same code serves the same paths: its URLs are ours to use
    cleanups.append(server.close)
    workspace = Workspace.open(home, config=demo_config(server))
    cleanups.append(workspace.store.close)
    samples = home / "samples"
    samples.mkdir(exist_ok=True)
    return DemoEnv(server, workspace, home, samples, cleanups, joined=joined)


def _batch_id(record: JobRecord) -> str:
    """The provider id of a job the demo just submitted (always accepted by the emulator)."""
    assert record.id is not None, f"demo job {record.local_id} was not accepted"
    return record.id


async def seed_demo(env: DemoEnv) -> list[asyncio.Task[None]]:
    """Submit the sample jobs; returns background tasks that move some of them along."""
    ws, server, samples = env.workspace, env.server, env.samples
    running = _write_sample(samples / "support-replies.jsonl", 120, "gpt-4o-mini", prefix="sup")
    done = _write_sample(samples / "eval-set.jsonl", 60, "claude-haiku-4-5", prefix="eval")
    cancel = _write_sample(samples / "summaries.jsonl", 80, "gpt-4o-mini", prefix="sum")
    expire = _write_sample(samples / "translations.jsonl", 50, "claude-haiku-4-5", prefix="tr")
    slow = _write_sample(samples / "long-report.jsonl", 200, "claude-haiku-4-5", prefix="rep")

    (job_done,) = await ws.submit_file(done, "anthropic", label="eval set")
    server.override(_batch_id(job_done), job_seconds=2.0, fail_rate=0.15)
    (job_cancel,) = await ws.submit_file(cancel, "openai", label="summaries")
    server.override(_batch_id(job_cancel), job_seconds=12.0)
    (job_expire,) = await ws.submit_file(expire, "anthropic", label="translations")
    server.override(_batch_id(job_expire), job_seconds=600.0, expire_seconds=6.0)
    (job_running,) = await ws.submit_file(running, "openai", label="support replies")
    server.override(_batch_id(job_running), job_seconds=45.0)
    (job_slow,) = await ws.submit_file(slow, "anthropic", label="long report")
    server.override(_batch_id(job_slow), job_seconds=300.0)
    await _adopt_failed_validation(env)
    profiles = ws.config.profiles
    for name, (label, count, seconds) in MORE_JOBS.items():
        if name not in profiles:
            continue
        sample = _write_sample(
            samples / f"{label.replace(' ', '-')}.jsonl", count, DEMO_MODELS[name], prefix=name[:3]
        )
        (job,) = await ws.submit_file(sample, name, label=label)
        server.override(_batch_id(job), job_seconds=seconds)

    async def cancel_later() -> None:
        await asyncio.sleep(5.0)
        try:
            await ws.cancel(job_cancel.local_id)
        except Exception:  # the demo goes on even if the emulator was stopped meanwhile
            pass

    return [asyncio.create_task(cancel_later(), name="demo-cancel")]


async def _adopt_failed_validation(env: DemoEnv) -> None:
    """A batch "made in the web console" whose input repeats a custom_id: it fails validation."""
    path = env.samples / "console-upload.jsonl"
    lines = []
    for i, custom_id in enumerate(("web-1", "web-2", "web-2", "web-4")):
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"q{i}"}]}
        lines.append(
            {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    provider = env.workspace.provider("openai")
    file_id = await provider.upload_input(path)
    job = await provider.create(path, input_file_id=file_id, options=SubmitOptions())
    await env.workspace.adopt(job.id, "openai")


def run_headless(env: DemoEnv) -> int:
    """A scripted submit -> watch -> results round through the core, printed line by line."""

    async def go() -> int:
        ws = env.workspace
        sample = _write_sample(env.samples / "hello.jsonl", 12, "gpt-4o-mini", prefix="hello")
        for profile in ("openai", "anthropic"):
            (record,) = await ws.submit_file(sample, profile, label=f"hello {profile}")
            env.server.override(_batch_id(record), job_seconds=3.0, fail_rate=0.2)
            print(f"submitted {record.id} on {profile}: {record.request_count} requests")
            while not record.is_terminal:
                await asyncio.sleep(0.5)
                record = await ws.refresh(record.local_id)
                c = record.counts
                print(f"  {record.status.value:<11} {c.succeeded} ok, {c.errored} errored")
            index = await ws.fetch_results(record.local_id)
            print(
                f"  results: {index.count} lines cached; outcomes "
                + ", ".join(f"{k.value}={v}" for k, v in index.counts_by_outcome().items())
            )
        await ws.aclose()
        return 0

    return asyncio.run(go())


DEMO_WEBHOOK_SECRET_ENV = "BATCHTUI_DEMO_WEBHOOK_SECRET"


def enable_demo_webhooks(env: DemoEnv) -> None:
    """Give every demo profile whose provider sends webhooks a (throwaway) signing secret, so
    the dashboard's receiver takes the emulator's signed events."""
    os.environ[DEMO_WEBHOOK_SECRET_ENV] = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    config = env.workspace.config
    for name, profile in list(config.profiles.items()):
        if provider_specs()[profile.provider].webhook_event is not None:
            config.profiles[name] = replace(profile, webhook_secret_env=DEMO_WEBHOOK_SECRET_ENV)


def make_demo_app(env: DemoEnv, webhooks: bool = False):  # Textual is imported lazily
    """The dashboard on the demo workspace; sample jobs are submitted once it is on screen.
    With `webhooks`, the dashboard receives the emulator's signed events on a free port."""
    from batchtui.ui.app import BatchTuiApp

    if webhooks:
        enable_demo_webhooks(env)

    class DemoApp(BatchTuiApp):
        # Textual resolves a relative CSS_PATH beside the subclass's module: pin the app's file.
        CSS_PATH = str(
            Path(sys.modules[BatchTuiApp.__module__].__file__ or "").parent / BatchTuiApp.CSS_PATH
        )
        TITLE = "batchtui demo"
        SUB_TITLE = "embedded emulator: nothing leaves this machine"

        def on_ready(self) -> None:
            if env.joined:  # another demo seeded the shared store: show it as it is
                self.sub_title = f"joined the emulator at {env.server.url}"
                return  # (BatchTuiApp.on_ready, which starts polling, runs all the same)
            self.run_worker(seed_demo(env), group="demo", exit_on_error=False)

        def webhooks_started(self, service: Any) -> None:
            url = service.receiver.url + "/webhooks/{provider}"
            env.server.set_webhook(url, os.environ[DEMO_WEBHOOK_SECRET_ENV])

    return DemoApp(
        env.workspace,
        env.workspace.clock,
        start_dir=env.samples,
        compose_dir=env.samples,
        webhooks=("127.0.0.1", 0) if webhooks else None,
    )


def run_demo(
    seed: int = 7,
    headless: bool = False,
    webhooks: bool = False,
    emulator_port: int | None = None,
) -> int:
    """Entry of `batchtui demo`."""
    env = start_demo(seed, emulator_port=emulator_port)
    try:
        if headless:
            return run_headless(env)
        make_demo_app(env, webhooks=webhooks).run()
        return 0
    finally:
        env.close()
