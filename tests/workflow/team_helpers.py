"""Helpers for the team-store workflow tests: `batchtui` subprocesses of two homes (two
machines: their own data dir, config.toml and BATCHTUI_MACHINE) on one PostgreSQL store.

Run as a script (``python team_helpers.py ARGS``) this file is `batchtui ARGS`, with one
test-only additions: ``--each CMD... --then CMD...`` runs several commands in one process,
and when ``TEAM_TEST_BARRIER=DIR:NAME:COUNT`` is set, the first
``record_intent(unique_input=True)`` of the process waits until COUNT processes have reached
theirs (a marker file each in DIR), so racing submitters meet inside the store's check rather
than one finishing before the other has started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BARRIER_ENV = "TEAM_TEST_BARRIER"
EACH, THEN = "--each", "--then"
HERE = Path(__file__).resolve()


def _barrier(spec: str) -> None:
    folder, name, count = spec.rsplit(":", 2)
    where = Path(folder)
    (where / name).touch()
    deadline = time.monotonic() + 15.0
    while len(list(where.iterdir())) < int(count) and time.monotonic() < deadline:
        time.sleep(0.002)


def _run_cli() -> int:
    from batchtui.cli import main

    spec = os.environ.get(BARRIER_ENV)
    if spec:
        from batchtui.core.store import JobStore

        original = JobStore.record_intent
        waited: list[bool] = []

        def record_intent(self: Any, **kwargs: Any) -> Any:
            if kwargs.get("unique_input") and not waited:
                waited.append(True)
                _barrier(spec)
            return original(self, **kwargs)

        JobStore.record_intent = record_intent  # type: ignore[method-assign]
    args = sys.argv[1:]
    if args[:1] != [EACH]:
        return main(args)
    # `EACH cmd1... THEN cmd2...`: several commands one after the other in this process.
    rc = 0
    command: list[str] = []
    for arg in [*args[1:], THEN]:
        if arg != THEN:
            command.append(arg)
            continue
        rc = max(rc, main(command))
        command = []
    return rc


if __name__ == "__main__":
    sys.exit(_run_cli())


# --- used by the tests (imported, not run) -----------------------------------------------

from workflow_helpers import ROOT, Run, cli_env, default_sigint  # noqa: E402


def write_home_config(home: Path, who: str, **limits: object) -> None:
    """config.toml of a home: ``submitted_by = who`` and both providers' profiles, each with
    ``limits`` (e.g. max_in_flight=2)."""
    body = "".join(f"{key} = {value!r}\n" for key, value in limits.items())
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'submitted_by = "{who}"\n\n'
        f'[profiles.openai]\nprovider = "openai"\n{body}\n'
        f'[profiles.anthropic]\nprovider = "anthropic"\n{body}',
        encoding="utf-8",
    )


@dataclass(frozen=True)
class Home:
    """One machine of the team: who submits there, its machine name and its data dir."""

    who: str
    machine: str
    path: Path
    url: str

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        out = {
            "BATCHTUI_HOME": str(self.path),
            "BATCHTUI_MACHINE": self.machine,
            "BATCHTUI_STORE_URL": self.url,
        }
        out.update(extra or {})
        return out

    def spawn(self, *args: object, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start `batchtui ARGS` of this home (this file as the entry point)."""
        return subprocess.Popen(
            [sys.executable, str(HERE), *(str(a) for a in args)],
            env=cli_env(self.env(extra)),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_sigint,
        )

    def run(self, *args: object, extra: dict[str, str] | None = None) -> Run:
        return finish(self.spawn(*args, extra=extra))

    def ok(self, *args: object) -> list[dict[str, Any]]:
        """Run with --json, require exit 0; the JSON objects printed (a list or one a line)."""
        run = self.run(*args, "--json")
        assert run.rc == 0, f"{self.who}: exit {run.rc}: {run.err}"
        return json_objects(run.out)


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> Run:
    out, err = proc.communicate(timeout=timeout)
    return Run(proc.returncode, out, err)


def json_objects(text: str) -> list[dict[str, Any]]:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def pg_rows(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a query on the team store, read from outside (a connection of its own)."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row, autocommit=True) as conn:
        return list(conn.execute(sql, params).fetchall())


def max_overlap(spans: list[tuple[float, float]]) -> int:
    """The most half-open intervals [start, end) that hold at one moment."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    most = now = 0
    for _, step in events:  # an end sorts before a start at the same time (-1 < 1)
        now += step
        most = max(most, now)
    return most
