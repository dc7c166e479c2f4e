"""The everyday CLI round for both providers: submit -> poll -> results -> export, with --json."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from workflow_helpers import (
    JOB_SECONDS,
    KINDS,
    MODELS,
    Env,
    neutral_line,
    write_jsonl,
)

from batchtui.core.registry import provider_specs

EXPORT_COLUMNS = ["custom_id", "outcome", "flag", "text", "usage", "error", "job_id", "raw"]
JOB_KEYS = {"id", "local_id", "provider", "profile", "status", "counts", "created_at", "run_id"}
STATUSES = {
    "queued",
    "submitting",
    "validating",
    "in_progress",
    "finalizing",
    "completed",
    "failed",
    "cancelling",
    "cancelled",
    "expired",
}


def iso(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp, failing the test when it is not one."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"timestamp without a zone: {value}"
    return parsed


def check_job_json(obj: dict, kind: str) -> None:
    """The stable keys of a job in --json output (docs/ARCHITECTURE.md "Headless JSON
    contract")."""
    assert set(obj) >= JOB_KEYS, sorted(JOB_KEYS - set(obj))
    assert obj["provider"] == kind
    assert obj["profile"] == kind
    assert obj["status"] in STATUSES
    assert obj["status"] == obj["status"].lower()
    assert set(obj["counts"]) >= {"total", "succeeded", "errored", "canceled", "expired"}
    assert all(isinstance(v, int) for v in obj["counts"].values())
    iso(obj["created_at"])
    for value in obj.get("timestamps", {}).values():
        iso(value)
    if obj["id"] is not None:
        prefix = "batch_" if kind == "openai" else "msgbatch_"
        assert obj["id"].startswith(prefix)


def mixed_input(path: Path, kind: str) -> Path:
    """Five requests: three plain, one refused by the model, one that hits its token limit."""
    records = [neutral_line(kind, f"ok-{i}", i) for i in range(3)]
    records.append(neutral_line(kind, "refuse-1", text="Please [[refuse]] this."))
    records.append(neutral_line(kind, "short-1", 9, max_tokens=3))
    return write_jsonl(path, records)


@pytest.mark.parametrize("kind", KINDS)
def test_submit_poll_results_export(env: Env, kind: str) -> None:
    source = mixed_input(env.work / "in.jsonl", kind)

    job = env.ok("submit", source, "--profile", kind, "--label", "round one")
    check_job_json(job, kind)
    assert job["id"] is not None
    assert job["status"] in {"validating", "in_progress"}
    assert job["request_count"] == 5
    assert job["label"] == "round one"
    batch_id = job["id"]
    assert env.batch_ids(kind) == [batch_id]

    # Poll: `show` asks the provider; the clock moves the job to its end.
    env.advance(JOB_SECONDS * 2)
    shown = env.ok("show", batch_id)
    check_job_json(shown, kind)
    assert shown["status"] == "completed"
    assert shown["counts"]["total"] == 5
    assert shown["counts"]["succeeded"] == 5  # refused/truncated are successes with a flag
    assert iso(shown["timestamps"]["ended_at"] or shown["timestamps"]["completed_at"])

    # `list --json` shows it with the same stable keys; `show` by local id agrees.
    listed = env.ok("list")
    assert [j["id"] for j in listed] == [batch_id]
    check_job_json(listed[0], kind)
    assert env.ok("show", job["local_id"], "--cached")["id"] == batch_id

    # Results as JSONL to stdout: the columns of docs/ARCHITECTURE.md, outcome and flags
    # from the facts.
    run = env("results", batch_id)
    assert run.rc == 0, run.err
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert sorted(r["custom_id"] for r in rows) == ["ok-0", "ok-1", "ok-2", "refuse-1", "short-1"]
    for row in rows:
        assert list(row) == EXPORT_COLUMNS
        assert row["job_id"] == batch_id
        assert row["outcome"] == "succeeded"
        assert isinstance(row["raw"], dict) and row["raw"]["custom_id"] == row["custom_id"]
        assert row["usage"]["output_tokens"] > 0
    flags = {r["custom_id"]: r["flag"] for r in rows}
    # The emulator refuses with a refusal text (OpenAI: finish_reason content_filter too).
    assert flags == {
        "ok-0": None,
        "ok-1": None,
        "ok-2": None,
        "refuse-1": "refused",
        "short-1": "truncated",
    }
    assert all(r["text"] for r in rows if r["flag"] is None)

    # CSV to a file: the same columns, the same rows.
    out_csv = env.work / "out.csv"
    run = env("results", batch_id, "--format", "csv", "-o", out_csv)
    assert run.rc == 0, run.err
    with open(out_csv, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == EXPORT_COLUMNS
    assert sorted(r["custom_id"] for r in table) == sorted(r["custom_id"] for r in rows)
    by_id = {r["custom_id"]: r for r in table}
    for row in rows:
        cell = by_id[row["custom_id"]]
        assert cell["outcome"] == row["outcome"]
        assert cell["job_id"] == batch_id
        assert json.loads(cell["raw"]) == row["raw"]
        assert (cell["flag"] or None) == row["flag"]

    # Filters: only the flagged ones, and an outcome that matches nothing.
    run = env("results", batch_id, "--flag", "truncated")
    assert [json.loads(x)["custom_id"] for x in run.out.splitlines()] == ["short-1"]
    run = env("results", batch_id, "--outcome", "errored")
    assert run.rc == 0 and run.out == ""


@pytest.mark.parametrize("kind", KINDS)
def test_errored_results_export_error_objects(make_env, kind: str) -> None:
    env: Env = make_env(fail_rate=0.5, seed=3)
    source = write_jsonl(env.work / "in.jsonl", [neutral_line(kind, f"r{i}", i) for i in range(12)])
    batch_id = env.ok("submit", source, "--profile", kind)["id"]
    env.advance(JOB_SECONDS * 2)
    shown = env.ok("show", batch_id)
    assert shown["status"] == "completed"
    assert shown["counts"]["errored"] > 0

    rows = [json.loads(x) for x in env("results", batch_id).out.splitlines()]
    assert len(rows) == 12
    errored = [r for r in rows if r["outcome"] == "errored"]
    assert len(errored) == shown["counts"]["errored"]
    for row in errored:
        assert set(row["error"]) == {"type", "code", "message"}
        assert row["error"]["type"] and row["error"]["message"]
        assert row["text"] is None
    only = env("results", batch_id, "--outcome", "errored", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(only.out)))
    assert sorted(r["custom_id"] for r in table) == sorted(r["custom_id"] for r in errored)
    kind_of = errored[0]["error"]["type"]
    by_type = env("results", batch_id, "--error-type", kind_of).out.splitlines()
    assert by_type and all(json.loads(x)["error"]["type"] == kind_of for x in by_type)


def test_http_error_line_in_openai_output_file_is_errored(env: Env) -> None:
    """A non-2xx status_code in the OUTPUT file is exported as errored with flag http_error."""
    records = [neutral_line("openai", "good", 1)]
    records.append(neutral_line("openai", "bad", text="trigger [[http_error]] please"))
    source = write_jsonl(env.work / "in.jsonl", records)
    batch_id = env.ok("submit", source, "--profile", "openai")["id"]
    env.advance(JOB_SECONDS * 2)
    rows = {
        json.loads(x)["custom_id"]: json.loads(x)
        for x in env("results", batch_id).out.split("\n")
        if x
    }
    assert rows["good"]["outcome"] == "succeeded"
    assert rows["bad"]["outcome"] == "errored"
    assert rows["bad"]["flag"] == "http_error"
    assert rows["bad"]["error"]["message"]


@pytest.mark.parametrize("kind", KINDS)
def test_dry_run_sends_nothing(env: Env, kind: str) -> None:
    source = write_jsonl(env.work / "in.jsonl", [neutral_line(kind, "a"), neutral_line(kind, "b")])
    data = env.ok("submit", source, "--profile", kind, "--dry-run")
    assert data["ok"] is True and data["dry_run"] is True
    assert data["estimate"]["requests"] == 2
    assert env.batch_ids(kind) == []
    assert env.file_ids() == []
    assert env.ok("list") == []


def test_list_text_and_empty_store(env: Env) -> None:
    run = env("list")
    assert run.rc == 0 and "no jobs yet" in run.out
    source = write_jsonl(env.work / "in.jsonl", [neutral_line("openai", "a")])
    batch_id = env.ok("submit", source, "--profile", "openai", "--label", "tiny")["id"]
    run = env("list")
    assert run.rc == 0
    (line,) = run.out.splitlines()
    assert batch_id in line and "openai" in line and "tiny" in line


def test_config_show_and_init_never_write_a_key(env: Env) -> None:
    run = env("config", "init")
    assert run.rc == 0
    text = (env.home / "config.toml").read_text()
    assert "OPENAI_API_KEY" in text and "sk-" not in text
    assert env("config", "init").rc == 1  # refuses to overwrite
    data = env.ok("config")
    # One profile per provider that works without a base URL of the user's.
    needing_no_url = {name for name, spec in provider_specs().items() if spec.default_profile}
    assert {"openai", "anthropic"} <= needing_no_url
    assert set(data["profiles"]) == needing_no_url
    assert "sk-" not in json.dumps(data)


@pytest.mark.parametrize("kind", KINDS)
def test_max_cost_refuses_before_anything_is_sent(env: Env, kind: str) -> None:
    source = write_jsonl(
        env.work / "in.jsonl", [neutral_line(kind, f"r{i}", i, max_tokens=4000) for i in range(20)]
    )
    run = env("submit", source, "--profile", kind, "--max-cost", "0.0001")
    assert run.rc == 1
    assert "--max-cost" in run.err and "nothing was sent" in run.err
    assert env.batch_ids(kind) == [] and env.file_ids() == []
    assert env.ok("list") == []
    job = env.ok("submit", source, "--profile", kind, "--max-cost", "50")
    assert env.batch_ids(kind) == [job["id"]]


def test_max_cost_without_a_ceiling_is_refused(env: Env) -> None:
    record = neutral_line("openai", "r1")
    del record["max_tokens"]
    source = write_jsonl(env.work / "in.jsonl", [record])
    run = env("submit", source, "--profile", "openai", "--max-cost", "5")
    assert run.rc == 1 and "no ceiling" in run.err
    assert env.file_ids() == []


def test_a_command_without_a_handler_is_a_clean_error(env: Env) -> None:
    run = env("clean", "--dry-run")
    assert run.rc in (0, 1)
    assert "Traceback" not in run.err


@pytest.mark.parametrize("kind", KINDS)
def test_run_export_to_a_csv_file_and_join(env: Env, kind: str) -> None:
    source = write_jsonl(env.work / "in.jsonl", [neutral_line(kind, f"r{i}", i) for i in range(4)])
    batch_id = env.ok("submit", source, "--profile", kind)["id"]
    env.advance(JOB_SECONDS * 2)
    target = env.work / "run.csv"
    run = env("results", batch_id, "--run", "--format", "csv", "-o", target)
    assert run.rc == 0, run.err
    with open(target, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert sorted(r["custom_id"] for r in table) == ["r0", "r1", "r2", "r3"]
    assert set(EXPORT_COLUMNS) <= set(table[0])
    run = env("results", batch_id, "--join")
    assert run.rc == 0, run.err
    rows = [json.loads(x) for x in run.out.splitlines()]
    assert len(rows) == 4
    # Each result sits beside the request it answers (the kept native line).
    for row in rows:
        assert set(row) == {"request", "result"}
        number = row["result"]["custom_id"][1:]
        assert row["request"]["custom_id"] == row["result"]["custom_id"]
        assert f"Say something about {number}." in json.dumps(row["request"])


@pytest.mark.parametrize("kind", KINDS)
def test_csv_with_a_prompt_template(env: Env, kind: str) -> None:
    source = env.work / "topics.csv"
    source.write_text("key,topic\nc1,cats\nc2,dogs\nc3,owls\n", encoding="utf-8")
    model = ["--model", MODELS[kind], "--max-tokens", "50"]
    bare = env("validate", source, "--profile", kind, *model)
    assert bare.rc == 1 and "template" in bare.err
    template = ["--template", "Write a haiku about {topic}.", "--id-column", "key"]
    assert env("validate", source, "--profile", kind, *model, *template).rc == 0
    run = env("validate", source, "--profile", kind, *model, "--template", "About {nope}.")
    assert run.rc == 1 and "nope" in run.err
    job = env.ok("submit", source, "--profile", kind, *model, *template, "--system", "Be brief.")
    assert job["request_count"] == 3
    env.advance(JOB_SECONDS * 2)
    rows = [json.loads(x) for x in env("results", job["id"], "--join").out.splitlines()]
    by_id = {r["result"]["custom_id"]: r for r in rows}
    assert sorted(by_id) == ["c1", "c2", "c3"]
    request = json.dumps(by_id["c2"]["request"])
    assert "Write a haiku about dogs." in request and "Be brief." in request
