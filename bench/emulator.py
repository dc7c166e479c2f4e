"""The emulator as a subprocess (``batchtui emulator``), so its CPU and memory stay out of the
client's measurements."""

from __future__ import annotations

import subprocess
import sys
import time
from types import TracebackType

from bench.measure import ROOT, child_env

API_KEY = "bench-key-not-secret"


class EmulatorProcess:
    """``batchtui emulator`` on a free loopback port, stopped with SIGTERM on exit."""

    def __init__(self, *, job_seconds: float = 5.0, fail_rate: float = 0.0, seed: int = 0) -> None:
        self.args = [
            sys.executable,
            "-m",
            "batchtui",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--job-seconds",
            str(job_seconds),
            "--fail-rate",
            str(fail_rate),
            "--api-key",
            API_KEY,
        ]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    def start(self) -> EmulatorProcess:
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        line = self.proc.stdout.readline()
        while not line.startswith("listening on ") and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError("the emulator did not start")
        self.url = line.split("listening on ", 1)[1].strip()
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
