"""`clean` deletes exactly the provider files (OpenAI) or ended batches (Anthropic) of jobs
whose results are fully cached here, lists them first, and never tries them twice."""

from __future__ import annotations

from typing import Any

import pytest
from workflow_helpers import JOB_SECONDS, KINDS, Env, read_db, write_input


def plan_targets(env: Env) -> list[tuple[str, str]]:
    data = env.ok("clean", "--dry-run")
    assert data["dry_run"] is True and data["deleted"] == []
    return sorted((item["target"], item["role"]) for item in data["items"])


@pytest.mark.parametrize("kind", KINDS)
def test_clean_deletes_exactly_the_cached_jobs_provider_objects(env: Env, kind: str) -> None:
    cached = env.ok("submit", write_input(env.work / "a.jsonl", kind, 3, prefix="a"), "-p", kind)
    ended = env.ok("submit", write_input(env.work / "b.jsonl", kind, 3, prefix="b"), "-p", kind)
    env.advance(JOB_SECONDS * 2)
    running = env.ok("submit", write_input(env.work / "c.jsonl", kind, 3, prefix="c"), "-p", kind)
    assert env("results", cached["id"], "-o", env.work / "a.out").rc == 0
    cached = env.ok("show", cached["id"], "--cached")
    if kind == "openai":
        want = sorted(
            (cached[f"{role}_file_id"], role)
            for role in ("input", "output", "error")
            if cached[f"{role}_file_id"]
        )
        assert len(want) >= 2
    else:
        want = [(cached["id"], "batch")]
    assert plan_targets(env) == want
    text = env("clean", "--dry-run")
    assert text.rc == 0 and "nothing was deleted" in text.out
    assert all(target in text.out for target, _ in want)
    batches = env.batch_ids(kind)  # listing batches makes the emulator write ended ones' files
    files = env.file_ids()
    refused = env("clean")  # not a terminal, no --yes: refuse rather than guess
    assert refused.rc == 1 and "--yes" in refused.err
    assert (env.file_ids(), env.batch_ids(kind)) == (files, batches)
    report = env.ok("clean", "--yes")
    assert sorted((i["target"], i["role"]) for i in report["deleted"]) == want
    assert report["failed"] == []
    if kind == "openai":
        assert sorted(set(files) - set(env.file_ids())) == sorted(t for t, _ in want)
        assert env.batch_ids(kind) == batches
    else:
        assert sorted(set(batches) - set(env.batch_ids(kind))) == [cached["id"]]
        assert env.file_ids() == files == []
    # Recorded: not planned again; the job still shows and exports from the cache.
    assert plan_targets(env) == []
    shown = env.ok("show", cached["id"])
    assert shown["cleaned"] and shown["status"] == "completed"
    assert len(env("results", cached["id"]).out.splitlines()) == 3
    events = read_db(env.home, "SELECT message FROM events WHERE kind = 'cleaned'")
    assert len(events) == len(want)
    # The other jobs were never touched; once fetched, the ended one becomes cleanable.
    for job in (ended, running):
        assert env.ok("show", job["id"])["cleaned"] is None
    assert env("results", ended["id"], "-o", env.work / "b.out").rc == 0
    assert {t for t, _ in plan_targets(env)} & {ended["id"], ended["input_file_id"]}
    assert running["id"] not in {t for t, _ in plan_targets(env)}


def test_clean_with_nothing_cached_deletes_nothing(env: Env) -> None:
    for kind in KINDS:
        env.ok("submit", write_input(env.work / f"{kind}.jsonl", kind, 2), "-p", kind)
    env.advance(JOB_SECONDS * 2)
    files = env.file_ids()
    run = env("clean", "--yes")
    assert run.rc == 0 and "nothing to clean" in run.out
    assert env.file_ids() == files and len(env.batch_ids("anthropic")) == 1


def test_a_failed_batch_with_no_results_frees_its_input_file(make_env: Any) -> None:
    env: Env = make_env(enqueued_token_limit=50)
    job = env.ok("submit", write_input(env.work / "big.jsonl", "openai", 20), "-p", "openai")
    env.advance(JOB_SECONDS)
    shown = env.ok("show", job["id"])
    assert shown["status"] == "failed" and shown["output_file_id"] is None
    assert plan_targets(env) == [(shown["input_file_id"], "input")]
    env.ok("clean", "--yes")
    assert env.file_ids() == []
