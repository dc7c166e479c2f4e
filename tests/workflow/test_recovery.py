"""Runs through the CLI: cancel/expiry -> recover, retry by error type, and split inputs."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from workflow_helpers import (
    JOB_SECONDS,
    KINDS,
    Env,
    ids_in,
    intents,
    neutral_line,
    write_input,
    write_jsonl,
)

from batchtui.core.inputs import limits as limits_module
from batchtui.core.provider import ProviderError
from batchtui.core.store import JobStore
from batchtui.core.workspace import Workspace, _default_factory


def kept_input(env: Env, ident: str) -> Path:
    """The kept copy of what a job was submitted with (read from the store)."""
    with JobStore(env.home / "batchtui.db") as store:
        record = store.require(ident)
    assert record.input_path is not None and record.input_path.exists()
    return record.input_path


def native_ids(path: Path) -> list[str]:
    return ids_in(path)


def json_lines(env: Env, *args: object) -> list[dict[str, Any]]:
    """Run with --json, require exit 0, and parse stdout as one JSON object per line."""
    run = env(*args, "--json")
    assert run.rc == 0, run.err
    docs = [json.loads(line) for line in run.out.splitlines()]
    assert all(isinstance(d, dict) for d in docs)
    return docs


def merged_run(env: Env, ident: str) -> dict[str, dict]:
    run = env("results", ident, "--run")
    assert run.rc == 0, run.err
    rows = [json.loads(line) for line in run.out.splitlines()]
    by_id = {row["custom_id"]: row for row in rows}
    assert len(by_id) == len(rows), "a custom_id appears twice in the merged export"
    return by_id


def finish(env: Env, *idents: str) -> list[dict]:
    env.advance(JOB_SECONDS * 3)
    shown = [env.ok("show", ident) for ident in idents]
    for job in shown:
        assert job["status"] in {"completed", "cancelled", "expired", "failed"}, job
    return shown


@pytest.mark.parametrize("kind", KINDS)
def test_cancel_then_recover_completes_the_run(env: Env, kind: str) -> None:
    source = write_input(env.work / "in.jsonl", kind, 20)
    parent = env.ok("submit", source, "--profile", kind)
    env.advance(JOB_SECONDS * 0.5)  # part of the work is done
    cancelling = env.ok("cancel", parent["id"])
    assert cancelling["status"] in {"cancelling", "cancelled"}
    env.advance(JOB_SECONDS)
    stopped = env.ok("show", parent["id"])
    assert stopped["status"] == "cancelled"
    done = stopped["counts"]["succeeded"]
    assert 0 < done < 20, stopped["counts"]

    # Recovery keeps the partial results and resubmits exactly the unfinished requests.
    child = env.ok("recover", parent["id"])
    assert child["parent"] == parent["id"]
    assert child["run_id"] == parent["run_id"]
    assert child["request_count"] == 20 - done
    parent_rows = [json.loads(x) for x in env("results", parent["id"]).out.splitlines()]
    succeeded = {r["custom_id"] for r in parent_rows if r["outcome"] == "succeeded"}
    assert len(succeeded) == done
    resent = native_ids(kept_input(env, child["id"]))
    assert sorted(resent) == sorted(set(ids_in(source)) - succeeded)
    # The resubmitted lines are byte-for-byte those of the parent's kept input.
    parent_lines = {
        json.loads(line)["custom_id"]: line
        for line in kept_input(env, parent["id"]).read_text().splitlines()
    }
    for line in kept_input(env, child["id"]).read_text().splitlines():
        assert parent_lines[json.loads(line)["custom_id"]] == line

    # The run view before the child ends names what is missing; after, it is complete.
    run = env("results", parent["id"], "--run")
    assert f"{20 - done} custom_id(s) still without a success" in run.err
    finish(env, child["id"])
    merged = merged_run(env, parent["id"])
    assert sorted(merged) == sorted(ids_in(source))
    assert {r["outcome"] for r in merged.values()} == {"succeeded"}
    origin = Counter(r["job_id"] for r in merged.values())
    assert origin == {parent["id"]: done, child["id"]: 20 - done}
    assert "0 custom_id(s) still without a success" in env("results", parent["id"], "--run").err

    # Nothing left to recover; `show` lists the child; `list` nests it under its parent.
    again = env("recover", parent["id"])
    assert again.rc == 1 and "every request already has a success" in again.err
    shown = env.ok("show", parent["id"])
    assert [c["id"] for c in shown["children"]] == [child["id"]]
    lines = env("list").out.splitlines()
    assert lines[0].startswith(parent["id"]) and child["id"] in lines[1]


@pytest.mark.parametrize("kind", KINDS)
def test_expired_job_recovers_its_unfinished_requests(env: Env, kind: str) -> None:
    source = write_input(env.work / "in.jsonl", kind, 16, prefix="exp")
    parent = env.ok("submit", source, "--profile", kind)
    env.emulator.override(parent["id"], job_seconds=100.0, expire_seconds=30.0)
    env.advance(40.0)
    expired = env.ok("show", parent["id"])
    assert expired["status"] == "expired"
    done = expired["counts"]["succeeded"]
    assert 0 < done < 16, expired["counts"]
    rows = [json.loads(x) for x in env("results", parent["id"]).out.splitlines()]
    outcomes = Counter(r["outcome"] for r in rows)
    assert outcomes["succeeded"] == done
    # Each unfinished request is reported expired (never silently missing).
    assert outcomes["expired"] == 16 - done

    child = env.ok("recover", parent["id"])
    assert child["request_count"] == 16 - done
    expired_ids = {r["custom_id"] for r in rows if r["outcome"] == "expired"}
    assert set(native_ids(kept_input(env, child["id"]))) == expired_ids
    finish(env, child["id"])
    merged = merged_run(env, child["id"])  # any job of the run names the run
    assert sorted(merged) == sorted(ids_in(source))
    assert all(r["outcome"] == "succeeded" for r in merged.values())


def test_recover_refuses_a_live_job(env: Env) -> None:
    source = write_input(env.work / "in.jsonl", "openai", 3)
    job = env.ok("submit", source, "--profile", "openai")
    run = env("recover", job["id"])
    assert run.rc == 1
    assert "cancel it first" in run.err
    assert len(env.batch_ids("openai")) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_retry_by_error_type_makes_a_linked_child(make_env, kind: str) -> None:
    env: Env = make_env(fail_rate=0.6, seed=11)
    source = write_input(env.work / "in.jsonl", kind, 30)
    parent = env.ok("submit", source, "--profile", kind)
    (done,) = finish(env, parent["id"])
    assert done["status"] == "completed"
    rows = [json.loads(x) for x in env("results", parent["id"]).out.splitlines()]
    by_type: dict[str, set[str]] = {}
    for row in rows:
        if row["outcome"] == "errored":
            by_type.setdefault(row["error"]["type"], set()).add(row["custom_id"])
    assert len(by_type) >= 2, f"the seed should give several error types: {by_type}"
    error_type = max(by_type, key=lambda t: len(by_type[t]))
    wanted = by_type[error_type]

    child = env.ok("retry", parent["id"], "--error-type", error_type)
    assert child["parent"] == parent["id"]
    assert child["parent_local_id"] == parent["local_id"]
    assert child["run_id"] == parent["run_id"]
    assert child["request_count"] == len(wanted)
    assert sorted(native_ids(kept_input(env, child["id"]))) == sorted(wanted)
    # The child is a real batch at the provider with exactly those requests.
    assert child["id"] in env.batch_ids(kind)
    env.emulator.override(child["id"], fail_rate=0.0)
    finish(env, child["id"])
    merged = merged_run(env, parent["id"])
    for custom_id in wanted:
        assert merged[custom_id]["outcome"] == "succeeded"
        assert merged[custom_id]["job_id"] == child["id"]
    other_errors = set().union(*(ids for t, ids in by_type.items() if t != error_type))
    for custom_id in other_errors:
        assert merged[custom_id]["outcome"] == "errored"
        assert merged[custom_id]["job_id"] == parent["id"]


def test_retry_with_nothing_to_retry_is_a_usage_error(env: Env) -> None:
    source = write_input(env.work / "in.jsonl", "anthropic", 4)
    job = env.ok("submit", source, "--profile", "anthropic")
    finish(env, job["id"])
    before = env.batch_ids("anthropic")
    run = env("retry", job["id"], "--error-type", "overloaded_error")
    assert run.rc == 1
    assert "no errors of type overloaded_error to retry" in run.err
    assert env.batch_ids("anthropic") == before


def test_retry_of_flagged_results_with_more_tokens(env: Env) -> None:
    records = [neutral_line("openai", f"r{i}", i) for i in range(4)]
    records.append(neutral_line("openai", "cut", 7, max_tokens=3))
    source = write_jsonl(env.work / "in.jsonl", records)
    job = env.ok("submit", source, "--profile", "openai")
    finish(env, job["id"])
    child = env.ok("retry", job["id"], "--flag", "truncated", "--max-tokens", "400")
    lines = kept_input(env, child["id"]).read_text().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["custom_id"] == "cut"
    assert line["body"]["max_tokens"] == 400
    finish(env, child["id"])
    merged = merged_run(env, job["id"])
    assert merged["cut"]["flag"] is None and merged["cut"]["job_id"] == child["id"]


@pytest.mark.parametrize("kind", KINDS)
def test_over_limit_input_is_split_into_jobs_of_one_run(
    env: Env, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = limits_module.LIMITS[kind].with_(max_requests=4)
    monkeypatch.setitem(limits_module.LIMITS, kind, small)
    source = write_input(env.work / "big.jsonl", kind, 10, prefix="part")

    dry = env.ok("submit", source, "--profile", kind, "--dry-run")
    assert len(dry["parts"]) == 3
    refused = env("submit", source, "--profile", kind, "--no-split")
    assert refused.rc == 1
    assert env.batch_ids(kind) == []

    jobs = json_lines(env, "submit", source, "--profile", kind, "--label", "big")
    assert len(jobs) == 3
    assert len({j["run_id"] for j in jobs}) == 1
    assert [j["part"] for j in jobs] == [0, 1, 2]
    assert [j["request_count"] for j in jobs] == [4, 4, 2]
    assert [j["label"] for j in jobs] == ["big 1/3", "big 2/3", "big 3/3"]
    assert sorted(env.batch_ids(kind)) == sorted(j["id"] for j in jobs)
    parts = [native_ids(kept_input(env, j["id"])) for j in jobs]
    assert [i for part in parts for i in part] == ids_in(source)

    # A second submit of the same file is refused (every part is known), unless --again.
    again = env("submit", source, "--profile", kind)
    assert again.rc == 1 and jobs[0]["id"] in again.err
    assert len(env.batch_ids(kind)) == 3

    finish(env, *(j["id"] for j in jobs))
    merged = merged_run(env, jobs[1]["id"])
    assert sorted(merged) == ids_in(source)
    assert Counter(r["job_id"] for r in merged.values()) == {
        jobs[0]["id"]: 4,
        jobs[1]["id"]: 4,
        jobs[2]["id"]: 2,
    }


@pytest.mark.parametrize("kind", KINDS)
def test_second_recovery_skips_what_the_first_recovery_finished(env: Env, kind: str) -> None:
    """Recovering a parent again resends only what neither it nor its children finished."""
    source = write_input(env.work / "in.jsonl", kind, 30)
    parent = env.ok("submit", source, "--profile", kind)
    env.advance(JOB_SECONDS * 0.3)
    env.ok("cancel", parent["id"])
    env.advance(JOB_SECONDS)
    first = env.ok("recover", parent["id"])
    env.advance(JOB_SECONDS * 0.5)
    env.ok("cancel", first["id"])
    env.advance(JOB_SECONDS)
    stopped = env.ok("show", first["id"])
    assert stopped["status"] == "cancelled"
    assert 0 < stopped["counts"]["succeeded"] < first["request_count"]
    # The child's results were never fetched by hand: recovery must look at them anyway.
    second = env.ok("recover", parent["id"])
    done = set()
    for job in (parent, first):
        rows = [json.loads(x) for x in env("results", job["id"]).out.splitlines()]
        done |= {r["custom_id"] for r in rows if r["outcome"] == "succeeded"}
    resent = set(native_ids(kept_input(env, second["id"])))
    assert resent == set(ids_in(source)) - done
    finish(env, second["id"])
    merged = merged_run(env, parent["id"])
    assert sorted(merged) == ids_in(source)
    assert {r["outcome"] for r in merged.values()} == {"succeeded"}


def test_retrying_twice_does_not_pay_twice(make_env) -> None:
    env: Env = make_env(fail_rate=0.5, seed=4)
    source = write_input(env.work / "in.jsonl", "anthropic", 20)
    parent = env.ok("submit", source, "--profile", "anthropic")
    finish(env, parent["id"])
    child = env.ok("retry", parent["id"])
    batches = env.batch_ids("anthropic")
    # While the retry is in flight, a second retry has nothing new to send.
    run = env("retry", parent["id"])
    assert run.rc == 1 and "already retried" in run.err
    env.emulator.override(child["id"], fail_rate=0.0)
    finish(env, child["id"])
    run = env("retry", parent["id"])
    assert run.rc == 1 and "already retried" in run.err
    assert env.batch_ids("anthropic") == batches
    # Naming custom_ids explicitly still resends them.
    first_errored = native_ids(kept_input(env, child["id"]))[0]
    forced = env.ok("retry", parent["id"], "--custom-id", first_errored)
    assert native_ids(kept_input(env, forced["id"])) == [first_errored]


def test_recover_while_its_recovery_runs_sends_nothing(env: Env) -> None:
    source = write_input(env.work / "in.jsonl", "openai", 12)
    parent = env.ok("submit", source, "--profile", "openai")
    env.advance(JOB_SECONDS * 0.4)
    env.ok("cancel", parent["id"])
    env.advance(JOB_SECONDS)
    env.ok("recover", parent["id"])
    before = env.batch_ids("openai")
    run = env("recover", parent["id"])
    assert run.rc == 1 and "in flight" in run.err
    assert env.batch_ids("openai") == before


class FailSecondUpload:
    """A real OpenAI adapter whose second upload meets a 503 from the emulator."""

    def __init__(self, inner: Any, server: Any) -> None:
        self._inner = inner
        self._server = server
        self.uploads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def upload_input(self, *args: Any, **kwargs: Any) -> Any:
        self.uploads += 1
        if self.uploads == 2:
            self._server.set_faults("503=1")
        try:
            return await self._inner.upload_input(*args, **kwargs)
        finally:
            self._server.set_faults("")


def test_a_split_input_sent_in_part_is_resumed_not_resent(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        limits_module.LIMITS, "openai", limits_module.LIMITS["openai"].with_(max_requests=4)
    )
    source = write_input(env.work / "big.jsonl", "openai", 10, prefix="part")

    async def first_try() -> None:
        ws = Workspace.open(
            env.home, provider_factory=lambda p: FailSecondUpload(_default_factory(p), env.emulator)
        )
        try:
            with pytest.raises(ProviderError):
                await ws.submit_file(source, "openai", label="big")
        finally:
            await ws.aclose()

    asyncio.run(first_try())
    (first_batch,) = env.batch_ids("openai")
    states = sorted(r["state"] for r in intents(env.home))
    assert states == ["abandoned", "created", "failed"]  # part 3 was never sent

    # Submitting the same file again sends only the parts that have no batch, in the same run.
    jobs = json_lines(env, "submit", source, "--profile", "openai", "--label", "big")
    assert [j["part"] for j in jobs] == [0, 1, 2]
    assert jobs[0]["id"] == first_batch
    assert len({j["run_id"] for j in jobs}) == 1
    assert sorted(env.batch_ids("openai")) == sorted(j["id"] for j in jobs)
    # Once every part has a batch, the same file is refused.
    again = env("submit", source, "--profile", "openai")
    assert again.rc == 1 and first_batch in again.err
    assert len(env.batch_ids("openai")) == 3
    finish(env, *(j["id"] for j in jobs))
    merged = merged_run(env, first_batch)
    assert sorted(merged) == ids_in(source)
