"""Memory and time helpers shared by the parent and the measured child processes."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

MB = 1024 * 1024
RESULT_TAG = "BENCH_RESULT "
ROOT = Path(__file__).resolve().parent.parent


def compile_bytecode() -> str:
    """Compile batchtui's bytecode as ``pip install`` does for an installed package, so the
    whole-process rows start batchtui as a user's install does (the SDKs and Textual in
    site-packages were compiled when pip installed them). A checkout run with
    PYTHONDONTWRITEBYTECODE set (as CI's machines are) never writes it, and every process
    would then compile ~60 modules first (~70 ms of `list`, ~100 ms of the dashboard)."""
    import compileall

    ok = compileall.compile_dir(ROOT / "batchtui", quiet=1, workers=1)
    return "compiled before the run, as pip install does" if ok else "compiling failed"


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_bytes() -> int:
    """Current resident set size of this process."""
    kb = _status_kb("VmRSS")
    if kb is None:  # pragma: no cover - non-Linux
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * 1024


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (VmHWM, else ru_maxrss)."""
    kb = _status_kb("VmHWM")
    if kb is None:  # pragma: no cover - non-Linux
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * 1024


CPU: dict[str, float] = {}
"""CPU seconds (process_time) of the fastest call of each ``best_of(..., cpu_key=...)``."""


def best_of(n: int, fn: Callable[[], Any], cpu_key: str | None = None) -> tuple[float, Any]:
    """The fastest of ``n`` timed calls of ``fn`` (perf_counter) and the last call's value.

    With ``cpu_key`` the smallest CPU time of the calls is kept in ``CPU[cpu_key]`` (on a
    shared, loaded machine CPU time is the steadier figure of CPU-bound work).
    """
    best = float("inf")
    best_cpu = float("inf")
    value: Any = None
    for _ in range(max(1, n)):
        start, cpu = time.perf_counter(), time.process_time()
        value = fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    if cpu_key:
        CPU[cpu_key] = best_cpu
    return best, value


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child: this repo importable, no stray SDK variables."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYTHONHASHSEED", "0")
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        env.pop(name, None)
    if extra:
        env.update(extra)
    return env


class PieceError(RuntimeError):
    """A measured child failed; the message carries the end of its stderr."""


def run_piece(
    name: str, args: dict[str, Any], *, timeout: float = 900.0, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run one measured piece in a fresh interpreter and return the JSON it reports."""
    cmd = [sys.executable, "-m", "bench.child", name, json.dumps(args)]
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
    raise PieceError(f"{name} exited {proc.returncode}: " + " | ".join(tail))


def spawn_seconds(
    cmd: Sequence[str], *, env: dict[str, str] | None = None, ready: str = ""
) -> tuple[float, str]:
    """Wall seconds from spawning ``cmd`` to its exit (or to a stdout line starting ``ready``),
    and that line."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        cwd=ROOT,
        env=child_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    elapsed: float | None = None
    seen = ""
    assert proc.stdout is not None
    if ready:
        for line in proc.stdout:
            if line.startswith(ready):
                elapsed = time.perf_counter() - start
                seen = line.strip()
                break
    _out, err = proc.communicate(timeout=120)
    if proc.returncode != 0 or (ready and elapsed is None):
        tail = err.strip().splitlines()[-4:]
        raise PieceError(f"{' '.join(cmd)[-60:]!r} exited {proc.returncode}: " + " | ".join(tail))
    if elapsed is None:
        elapsed = time.perf_counter() - start
    return elapsed, seen


def run_process(
    cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 600.0
) -> dict[str, Any]:
    """Run a whole process to its exit, its stdout drained through a pipe (as a terminal or a
    consumer would read it): wall seconds from spawn to exit, its CPU seconds, its peak RSS
    (``ru_maxrss`` of that one child, from ``wait4``) and how many bytes it printed."""
    import tempfile
    import threading

    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=ROOT, env=child_env(env), stdout=subprocess.PIPE, stderr=err,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            assert proc.stdout is not None
            out_bytes = 0
            while chunk := proc.stdout.read(1 << 16):
                out_bytes += len(chunk)
            _pid, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-4:]
            raise PieceError(
                f"{' '.join(cmd)[-60:]!r} exited {proc.returncode}: " + " | ".join(tail)
            )
    return {
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024,  # Linux: kilobytes
        "out_bytes": out_bytes,
    }


def best_process(
    cmd: Sequence[str], tries: int, *, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """The fastest of ``tries`` runs of ``run_process`` (peak RSS: the largest)."""
    runs = [run_process(cmd, env=env) for _ in range(max(1, tries))]
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "max_rss_mb": max(r["max_rss_mb"] for r in runs), "tries": len(runs)}
