"""API keys never reach the data dir (store, WAL, kept inputs, results) nor the CLI's output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from workflow_helpers import JOB_SECONDS, KEYS, KINDS, Env, Run, write_input


def assert_no_keys(home: Path, runs: list[Run]) -> int:
    """Grep every file under the data dir and every output for both keys; returns files read."""
    files = [p for p in home.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        for kind, key in KEYS.items():
            assert key.encode() not in data, f"the {kind} key is in {path}"
            # Also no long fragment of it (e.g. a key masked only at its ends).
            assert key[8:-4].encode() not in data, f"part of the {kind} key is in {path}"
    for run in runs:
        for key in KEYS.values():
            assert key not in run.out and key not in run.err
            assert key[8:-4] not in run.out + run.err
    return len(files)


def test_keys_absent_after_a_typical_flow(make_env) -> None:
    env: Env = make_env(fail_rate=0.4, seed=5)
    runs: list[Run] = []

    def run(*args: object) -> Run:
        result = env(*args)
        runs.append(result)
        return result

    jobs = {}
    for kind in KINDS:
        source = write_input(env.work / f"{kind}.jsonl", kind, 8)
        submitted = run("submit", source, "--profile", kind, "--json", "--label", "k")
        assert submitted.rc == 0, submitted.err
        jobs[kind] = submitted.json()["id"]
    env.advance(JOB_SECONDS * 2)
    for kind, batch_id in jobs.items():
        assert run("show", batch_id).rc == 0
        assert run("results", batch_id, "-o", env.work / f"{kind}.out.jsonl").rc == 0
        assert run("results", batch_id, "--format", "csv").rc == 0
        assert run("retry", batch_id).rc == 0
    assert run("list", "--refresh").rc == 0
    assert run("config", "show").rc == 0

    # A refused key leaves an error message in the store's notes and events.
    env.emulator.config.api_key = "only-the-server-knows-this"
    try:
        source = write_input(env.work / "late.jsonl", "anthropic", 2)
        assert run("submit", source, "--profile", "anthropic").rc == 2
    finally:
        env.emulator.config.api_key = None

    wal = env.home / "batchtui.db-wal"
    names = {p.name for p in env.home.rglob("*") if p.is_file()}
    assert "batchtui.db" in names
    assert any(p.suffix == ".jsonl" for p in (env.home / "inputs").rglob("*"))
    assert any((env.home / "results").rglob("*"))
    checked = assert_no_keys(env.home, runs)
    assert checked >= 5
    if wal.exists():  # the WAL holds recent pages; it was grepped above
        assert wal.stat().st_size > 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_file_readable_by_others_is_refused(env: Env, kind: str) -> None:
    key_file = env.work / f"{kind}.key"
    key_file.write_text(KEYS[kind])
    os.chmod(key_file, 0o644)
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "config.toml").write_text(
        f'[profiles.main]\nprovider = "{kind}"\napi_key_file = "{key_file}"\n'
    )
    source = write_input(env.work / "in.jsonl", kind, 1)
    run = env("submit", source, "--profile", "main")
    assert run.rc == 1
    assert "0600" in run.err and KEYS[kind] not in run.err
    assert env.batch_ids(kind) == []
    os.chmod(key_file, 0o600)
    run = env("submit", source, "--profile", "main", "--json")
    assert run.rc == 0, run.err
    assert_no_keys(env.home, [run])
