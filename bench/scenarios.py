"""Setup work done in the parent (never measured): finished batches and homes of live jobs."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench.emulator import API_KEY, EmulatorProcess

KEY_ENVS = {"openai": "BENCH_OPENAI_KEY", "anthropic": "BENCH_ANTHROPIC_KEY"}


def key_env() -> dict[str, str]:
    """The environment that gives the home's profiles their (emulator) keys."""
    return dict.fromkeys(KEY_ENVS.values(), API_KEY)


async def _wait_terminal(provider, batch_id: str, timeout: float = 600.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        job = await provider.get(batch_id)
        if job.is_terminal:
            return job
        if loop.time() > deadline:
            raise TimeoutError(f"{batch_id} did not finish")
        await asyncio.sleep(0.25)


def finished_openai_batch(emu: EmulatorProcess, path: Path) -> tuple[str, int]:
    """Upload ``path``, create a batch and wait until it ends; (batch id, completed count)."""
    from batchtui.core.provider import SubmitOptions
    from batchtui.providers.openai import OpenAIProvider

    async def go() -> tuple[str, int]:
        provider = OpenAIProvider(API_KEY, emu.openai_base_url)
        try:
            file_id = await provider.upload_input(path)
            job = await provider.create(path, input_file_id=file_id, options=SubmitOptions())
            job = await _wait_terminal(provider, job.id)
            return job.id, job.counts.succeeded + job.counts.errored
        finally:
            await provider.aclose()

    return asyncio.run(go())


def write_config(emu: EmulatorProcess, home: Path, names: tuple[str, ...] = ()) -> None:
    """``home/config.toml``: the profiles ``openai`` and ``anthropic`` (or those of ``names``)
    on the emulator, their keys in the environment of `key_env`."""
    from batchtui.core.config import Config, Profile, dumps_config

    home.mkdir(parents=True, exist_ok=True)
    profiles = {
        "openai": Profile(
            name="openai",
            provider="openai",
            base_url=emu.openai_base_url,
            api_key_env=KEY_ENVS["openai"],
            default_model="gpt-4o-mini",
        ),
        "anthropic": Profile(
            name="anthropic",
            provider="anthropic",
            base_url=emu.anthropic_base_url,
            api_key_env=KEY_ENVS["anthropic"],
            default_model="claude-haiku-4-5",
        ),
    }
    if names:
        profiles = {name: profiles[name] for name in names}
    (home / "config.toml").write_text(
        dumps_config(Config(profiles=profiles, default_profile=next(iter(profiles))))
    )


def live_jobs_home(emu: EmulatorProcess, home: Path, jobs: int, seed: int) -> dict[str, int]:
    """A BATCHTUI_HOME with a config of two profiles on the emulator and ``jobs`` live jobs
    (half OpenAI, half Anthropic) in its store, their ages spread over 1 min..12 h."""
    from batchtui.core.provider import SubmitOptions
    from batchtui.core.store import JobStore
    from batchtui.providers.anthropic import AnthropicProvider
    from batchtui.providers.openai import OpenAIProvider

    write_config(emu, home)
    openai_input = home / "tiny-openai.jsonl"
    openai_input.write_text(
        '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":'
        '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":20}}\n'
    )
    anthropic_input = home / "tiny-anthropic.jsonl"
    anthropic_input.write_text(
        '{"custom_id":"a","params":{"model":"claude-haiku-4-5","max_tokens":20,'
        '"messages":[{"role":"user","content":"hi"}]}}\n'
    )

    async def go() -> list[tuple[str, object]]:
        oa = OpenAIProvider(API_KEY, emu.openai_base_url, profile="openai")
        an = AnthropicProvider(API_KEY, emu.anthropic_base_url, profile="anthropic")
        gate = asyncio.Semaphore(8)
        try:
            file_id = await oa.upload_input(openai_input)

            async def one(i: int) -> tuple[str, object]:
                async with gate:
                    if i % 2 == 0:
                        job = await oa.create(
                            openai_input, input_file_id=file_id, options=SubmitOptions()
                        )
                        return "openai", job
                    job = await an.create(
                        anthropic_input, input_file_id=None, options=SubmitOptions()
                    )
                    return "anthropic", job

            return await asyncio.gather(*(one(i) for i in range(jobs)))
        finally:
            await oa.aclose()
            await an.aclose()

    created = asyncio.run(go())
    rng = random.Random(f"{seed}:ages")
    ages: list[float] = []
    store = JobStore(home / "batchtui.db")
    try:
        for profile, job in created:
            age = rng.uniform(60.0, 12 * 3600.0)
            ages.append(age)
            times = job.times  # type: ignore[attr-defined]
            if times.created_at is not None:
                times = dataclasses.replace(
                    times, created_at=times.created_at - timedelta(seconds=age)
                )
            store.upsert_snapshot(dataclasses.replace(job, times=times), profile)  # type: ignore[type-var]
    finally:
        store.close()
    counts: dict[str, int] = {}
    for profile, _ in created:
        counts[profile] = counts.get(profile, 0) + 1
    counts["ages"] = ages  # type: ignore[assignment]
    return counts


def cadence_budget(ages: list[float], elapsed: float) -> float:
    """Requests per minute the profiles' poll settings allow for jobs of these ages (plus two
    list calls per profile per list interval): the budget the poller is configured to keep."""
    from batchtui.core.config import Profile
    from batchtui.core.workspace import poll_settings

    settings = poll_settings(Profile(name="x", provider="openai"))
    per_min = sum(60.0 / settings.interval_for_age(age + elapsed) for age in ages)
    if settings.list_interval_s:
        per_min += 2 * 60.0 / settings.list_interval_s
    return per_min


@dataclasses.dataclass
class LiveHome:
    """A built home of live jobs (never used directly: pieces run on copies of it) and the
    emulator that holds its jobs."""

    jobs: int
    template: Path
    emulator: EmulatorProcess
    ages: list[float]
    counts: dict[str, int]
    build_s: float


class LiveHomes:
    """Homes of live jobs built once per size and per run, shared by B5, B6 and B7.

    Each piece gets its own copy of the home (``copy``), so a dashboard's polls, which
    replace the backdated snapshots with the emulator's real times, never reach another
    piece's store. Each size has its own emulator: a provider list call must not show one
    home the other home's jobs. ``close`` stops the emulators and removes every directory.
    """

    def __init__(self, seed: int, log: Callable[[str], None]) -> None:
        self.seed = seed
        self.log = log
        self._homes: dict[int, LiveHome] = {}
        self._dirs: list[Path] = []
        self._lock = threading.Lock()

    def get(self, jobs: int) -> LiveHome:
        with self._lock:
            home = self._homes.get(jobs)
            if home is None:
                home = self._homes[jobs] = self._build(jobs)
            return home

    def _build(self, jobs: int) -> LiveHome:
        import time

        emulator = EmulatorProcess(seed=self.seed, job_seconds=7 * 86400.0).start()
        template = Path(tempfile.mkdtemp(prefix=f"bench-home-{jobs}-"))
        self._dirs.append(template)
        start = time.perf_counter()
        try:
            made = live_jobs_home(emulator, template, jobs, self.seed)
        except BaseException:
            emulator.stop()
            raise
        ages: list[float] = made.pop("ages")  # type: ignore[assignment]
        seconds = time.perf_counter() - start
        self.log(f"home of {jobs:,} live jobs built in {seconds:.1f} s: {made}")
        return LiveHome(jobs, template, emulator, ages, made, seconds)

    def copy(self, home: LiveHome) -> Path:
        """A fresh copy of the home's directory (config, store, inputs)."""
        target = Path(tempfile.mkdtemp(prefix=f"bench-home-{home.jobs}-copy-"))
        self._dirs.append(target)
        shutil.copytree(home.template, target, dirs_exist_ok=True)
        return target

    def close(self) -> None:
        with self._lock:
            for home in self._homes.values():
                home.emulator.stop()
            self._homes.clear()
            for path in self._dirs:
                shutil.rmtree(path, ignore_errors=True)
            self._dirs.clear()
