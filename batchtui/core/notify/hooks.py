"""What happens outside batchtui when a job ends: the profile's `on_end` command and its
`notify_urls` (through apprise, when installed).

`on_end` runs like a git hook: argv without a shell, the job's JSON (`JobRecord.to_json()`,
the headless JSON contract) on stdin, BATCHTUI_JOB_ID / BATCHTUI_LOCAL_ID /
BATCHTUI_JOB_STATUS / BATCHTUI_PROFILE added to the inherited environment (nothing else: a key
read from a key file is never passed), stdout discarded, at most `HOOK_TIMEOUT_S` seconds
before its whole process group is killed. A failure is reported once through the caller's
`report` and never retried. Every end runs at most once per (local id, status): in this
process (a set), and across processes sharing the data dir (a claim file), so the dashboard
and `batchtui watch` running side by side do not both run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from batchtui.core.config import Profile
from batchtui.core.notify.terminal import ENDED, end_text
from batchtui.core.store import JobRecord

__all__ = [
    "CLAIMS",
    "EXTRA",
    "HOOK_TIMEOUT_S",
    "EndNotifier",
    "HookResult",
    "Sender",
    "apprise_installed",
    "claim_dir",
    "hook_env",
    "hook_payload",
    "run_hook",
    "send_apprise",
]

HOOK_TIMEOUT_S = 30.0
"""Seconds an `on_end` command may run before it is killed."""
KILL_WAIT_S = 5.0
"""Seconds to wait for a killed command to be gone."""
STDERR_TAIL = 300
"""Characters of a failed command's stderr quoted in its report."""
EXTRA = "notify"
"""The optional extra that brings apprise: ``pip install 'batchtui[notify]'``."""

Sender = Callable[[Sequence[str], str, str], Awaitable[list[str]]]
"""Sends (urls, title, body); returns one problem text per URL that failed."""


@dataclass(frozen=True, slots=True)
class HookResult:
    """How one `on_end` run went."""

    argv: tuple[str, ...]
    returncode: int | None = None
    """The exit status; None when it did not start or was killed."""
    timed_out: bool = False
    error: str | None = None
    """Why it could not start."""
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def problem(self) -> str | None:
        """What went wrong, in a few words (None when it exited 0)."""
        if self.error is not None:
            return f"could not start: {self.error}"
        if self.timed_out:
            return "timed out and was killed"
        if self.returncode != 0:
            tail = f": {self.stderr_tail}" if self.stderr_tail else ""
            return f"exited with status {self.returncode}{tail}"
        return None


def hook_payload(record: JobRecord) -> bytes:
    """The job's JSON (the headless contract's object), one line, as the hook's stdin."""
    return (json.dumps(record.to_json(), ensure_ascii=False) + "\n").encode("utf-8")


def hook_env(record: JobRecord, base: Mapping[str, str]) -> dict[str, str]:
    """The inherited environment plus the job's id, local id, status and profile."""
    env = dict(base)
    env["BATCHTUI_JOB_ID"] = record.id or record.local_id
    env["BATCHTUI_LOCAL_ID"] = record.local_id
    env["BATCHTUI_JOB_STATUS"] = record.status.value
    env["BATCHTUI_PROFILE"] = record.profile
    return env


def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the command and everything it started (its own process group on POSIX)."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()


def _tail(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    last = text.splitlines()[-1] if text else ""
    return last[-STDERR_TAIL:]


async def run_hook(
    argv: Sequence[str], payload: bytes, env: Mapping[str, str], timeout: float = HOOK_TIMEOUT_S
) -> HookResult:
    """Run one command with `payload` on stdin; killed after `timeout` seconds (and when the
    awaiting task is cancelled). Never raises for the command's own failures."""
    args = (os.path.expanduser(argv[0]), *argv[1:])
    try:
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            start_new_session=sys.platform != "win32",
        )
    except OSError as exc:
        return HookResult(tuple(argv), error=exc.strerror or str(exc))
    try:
        _, stderr = await asyncio.wait_for(process.communicate(payload), timeout)
    except TimeoutError:
        _kill(process)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), KILL_WAIT_S)
        return HookResult(tuple(argv), timed_out=True)
    except BaseException:  # cancelled (the app quits): the command does not outlive us
        _kill(process)
        raise
    return HookResult(tuple(argv), returncode=process.returncode, stderr_tail=_tail(stderr))


def apprise_installed() -> bool:
    """Whether the optional apprise package can be imported."""
    return importlib.util.find_spec("apprise") is not None


def _url_name(url: str) -> str:
    """A URL as reports may show it: its scheme only (URLs carry tokens and passwords)."""
    scheme, sep, _ = url.partition("://")
    return f"{scheme}://…" if sep else "(not a URL)"


async def send_apprise(urls: Sequence[str], title: str, body: str) -> list[str]:
    """Send through apprise in a thread (its senders block); one problem text per failure."""

    def send() -> list[str]:
        import apprise  # type: ignore[import-not-found,unused-ignore]  # optional extra

        sender = apprise.Apprise()
        problems = [
            f"notify_urls[{i}] ({_url_name(url)}): not a URL apprise knows"
            for i, url in enumerate(urls)
            if not sender.add(url)
        ]
        if len(sender) and not sender.notify(title=title, body=body):
            problems.append("apprise could not deliver to every URL (see its log)")
        return problems

    return await asyncio.to_thread(send)


_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
CLAIMS = "notified"
"""Folder beside the job store holding one empty claim file per job end already acted on."""


def claim_dir(store: object) -> Path | None:
    """Where ends are claimed across processes: beside a job store that lives in a folder
    (its ``root``); None for one that does not (the UI tests' fake)."""
    root = getattr(store, "root", None)
    return root / CLAIMS if isinstance(root, Path) else None


class EndNotifier:
    """Runs each profile's `on_end` and `notify_urls` once per job end; failures go to
    `report` (one line naming the profile and what failed)."""

    def __init__(
        self,
        profiles: Mapping[str, Profile],
        report: Callable[[str], None],
        *,
        timeout: float = HOOK_TIMEOUT_S,
        env: Mapping[str, str] | None = None,
        claim_dir: Path | None = None,
        sender: Sender | None = None,
    ) -> None:
        self.profiles = profiles
        self.report = report
        self.timeout = timeout
        self.env = env
        self.claim_dir = claim_dir
        self.sender = sender
        self.seen: set[tuple[str, str]] = set()
        self._warned_extra = False
        self._start_failures: set[tuple[str, tuple[str, ...]]] = set()

    @property
    def active(self) -> bool:
        """Whether any profile has something to run or send."""
        return any(p.on_end or p.notify_urls for p in self.profiles.values())

    def missing_extra(self) -> str | None:
        """The warning for URLs configured without apprise (once per notifier), else None."""
        if self._warned_extra or self.sender is not None or apprise_installed():
            return None
        names = [p.name for p in self.profiles.values() if p.notify_urls]
        if not names:
            return None
        self._warned_extra = True
        return (
            f"notify_urls of profile(s) {', '.join(names)} are not sent: apprise is not "
            f"installed (pip install 'batchtui[{EXTRA}]')"
        )

    def wants(self, record: JobRecord) -> bool:
        """Whether this end is new here and its profile has something to do."""
        if record.status not in ENDED or (record.local_id, record.status.value) in self.seen:
            return False
        profile = self.profiles.get(record.profile)
        return profile is not None and bool(profile.on_end or profile.notify_urls)

    def _claim(self, record: JobRecord) -> bool:
        """Claim the end across processes: the first to create its claim file runs it."""
        if self.claim_dir is None:
            return True
        name = f"{_SAFE.sub('_', record.local_id)}.{record.status.value}"
        try:
            self.claim_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.claim_dir / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return False
        except OSError:
            return True  # an unwritable data dir must not silence the hook
        os.close(fd)
        return True

    async def job_ended(self, record: JobRecord) -> None:
        """Run what the job's profile asks for at its end, once; never raises for the
        command's or a URL's failure."""
        if not self.wants(record):
            return
        self.seen.add((record.local_id, record.status.value))
        if not await asyncio.to_thread(self._claim, record):
            return
        profile = self.profiles[record.profile]
        jobs: list[Awaitable[None]] = []
        if profile.on_end:
            jobs.append(self._run(profile, record))
        if profile.notify_urls:
            jobs.append(self._send(profile, record))
        await asyncio.gather(*jobs)

    async def _run(self, profile: Profile, record: JobRecord) -> None:
        assert profile.on_end
        env = os.environ if self.env is None else self.env
        result = await run_hook(
            profile.on_end, hook_payload(record), hook_env(record, env), self.timeout
        )
        problem = result.problem()
        if problem is None:
            return
        if result.error is not None:  # the same missing command is reported once
            key = (profile.name, result.argv)
            if key in self._start_failures:
                return
            self._start_failures.add(key)
        command = " ".join(result.argv)
        job = record.id or record.local_id
        self.report(f"profile {profile.name}: on_end {command!r} for {job} {problem}")

    async def _send(self, profile: Profile, record: JobRecord) -> None:
        sender = self.sender
        if sender is None:
            if not apprise_installed():
                warning = self.missing_extra()
                if warning:
                    self.report(warning)
                return
            sender = send_apprise
        title, body = end_text(record)
        try:
            problems = await sender(profile.notify_urls, title, body)
        except Exception as exc:  # deliberate boundary: a sender bug must not stop the app
            problems = [f"{type(exc).__name__}: {exc}"]
        for problem in problems:
            self.report(f"profile {profile.name}: {problem}")
