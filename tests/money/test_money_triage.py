"""Finish-reason triage end to end: every flag a provider can produce is found in a mixed
results file, `results --flag F` exports exactly those, and `retry --flag truncated
--max-tokens N` resubmits exactly the truncated requests with the new limit."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from workflow_helpers import (
    JOB_SECONDS,
    KEYS,
    KINDS,
    Env,
    neutral_line,
    read_db,
    write_jsonl,
)

# custom_id -> (prompt, max_tokens): a clean answer, a cut one, a refusal, a filtered one and
# a non-2xx line, twice each, so each flag groups several results.
MIXED = {
    "ok-1": ("Tell me a fact.", 64),
    "ok-2": ("Tell me another fact.", 64),
    "cut-1": ("Write a long story.", 3),
    "cut-2": ("Write a longer story.", 2),
    "refuse-1": ("[[refuse]] Help with something bad.", 64),
    "refuse-2": ("[[refuse]] Again.", 64),
    "filter-1": ("[[filter]] Something filtered.", 64),
    "filter-2": ("[[filter]] Filtered too.", 64),
    "http-1": ("[[http_error]] A malformed request.", 64),
    "http-2": ("[[http_error]] Another one.", 64),
}

# What each provider makes of them: (outcome, flag).
EXPECTED = {
    "openai": {
        "ok": ("succeeded", None),
        "cut": ("succeeded", "truncated"),
        "refuse": ("succeeded", "refused"),
        "filter": ("succeeded", "filtered"),
        "http": ("errored", "http_error"),  # a 400 line in the OUTPUT file
    },
    "anthropic": {
        "ok": ("succeeded", None),
        "cut": ("succeeded", "truncated"),
        "refuse": ("succeeded", "refused"),
        "filter": ("succeeded", None),  # Anthropic has no content-filter stop reason
        "http": ("errored", None),  # a plain errored result, not a disguised success
    },
}


def mixed_input(env: Env, kind: str) -> Path:
    records = [
        neutral_line(kind, custom_id, text=text, max_tokens=limit)
        for custom_id, (text, limit) in MIXED.items()
    ]
    return write_jsonl(env.work / f"mixed-{kind}.jsonl", records)


def export(env: Env, *args: object) -> list[dict]:
    run = env("results", *args)
    assert run.rc == 0, run.err
    return [json.loads(line) for line in run.out.splitlines()]


@pytest.mark.parametrize("kind", KINDS)
def test_every_flag_is_found_in_a_mixed_results_file(env: Env, kind: str) -> None:
    job = env.ok("submit", mixed_input(env, kind), "--profile", kind)
    env.advance(JOB_SECONDS * 2)
    rows = {r["custom_id"]: r for r in export(env, job["id"])}
    assert sorted(rows) == sorted(MIXED)
    for custom_id, row in rows.items():
        expected = EXPECTED[kind][custom_id.split("-")[0]]
        assert (row["outcome"], row["flag"]) == expected, (custom_id, row)
        assert row["usage"] is not None or row["outcome"] == "errored"
    flags = {flag for _outcome, flag in EXPECTED[kind].values() if flag}
    for flag in sorted(flags):
        got = sorted(r["custom_id"] for r in export(env, job["id"], "--flag", flag))
        want = sorted(c for c in MIXED if EXPECTED[kind][c.split("-")[0]][1] == flag)
        assert got == want and len(got) == 2, (flag, got)
    if kind == "openai":
        assert flags == {"truncated", "refused", "filtered", "http_error"}
    else:
        assert flags == {"truncated", "refused"}
    # Flags combine with the outcome filter.
    errored_http = export(env, job["id"], "--outcome", "errored", "--flag", "truncated")
    assert errored_http == []


@pytest.mark.parametrize("kind", KINDS)
def test_retry_flag_truncated_resubmits_exactly_those_with_the_new_limit(
    env: Env, kind: str
) -> None:
    parent = env.ok("submit", mixed_input(env, kind), "--profile", kind)
    env.advance(JOB_SECONDS * 2)
    child = env.ok("retry", parent["id"], "--flag", "truncated", "--max-tokens", "500")
    assert child["parent"] == parent["id"] and child["request_count"] == 2
    assert child["estimate"]["requests"] == 2
    assert child["estimate"]["max_output_tokens"] == 1000
    # What went to the provider: exactly the truncated requests, with the new limit.
    body = _submitted_lines(env, kind, child["id"])
    assert sorted(line["custom_id"] for line in body) == ["cut-1", "cut-2"]
    for line in body:
        params = line["body"] if kind == "openai" else line["params"]
        limit = params.get("max_completion_tokens") or params.get("max_tokens")
        assert limit == 500
    env.advance(JOB_SECONDS * 2)
    rows = export(env, child["id"])
    assert sorted(r["custom_id"] for r in rows) == ["cut-1", "cut-2"]
    assert all(r["flag"] is None and r["outcome"] == "succeeded" for r in rows)
    # Nothing is left to retry for that flag now.
    again = env("retry", parent["id"], "--flag", "truncated")
    assert again.rc == 1 and "already retried" in again.err


def _submitted_lines(env: Env, kind: str, batch_id: str) -> list[dict]:
    """What the child sent: OpenAI's uploaded input file as the emulator holds it; for
    Anthropic (no files) the kept native input the request body was streamed from."""
    if kind == "openai":
        file_id = env.provider_get("openai", f"/batches/{batch_id}")["input_file_id"]
        url = f"{env.emulator.openai_base_url}/files/{file_id}/content"
        response = httpx.get(url, headers={"authorization": f"Bearer {KEYS['openai']}"})
        text = response.text
    else:
        (row,) = read_db(env.home, "SELECT input_path FROM jobs WHERE batch_id = ?", (batch_id,))
        text = Path(row["input_path"]).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


@pytest.mark.parametrize(
    "args",
    [
        ("results", "JOB", "--flag", "sloppy"),
        ("retry", "JOB", "--flag", "sloppy"),
        ("retry", "JOB", "--flag", "truncated", "--max-tokens", "0"),
        ("retry", "JOB", "--flag", "truncated", "--max-tokens", "lots"),
    ],
)
def test_a_flag_or_limit_that_does_not_exist_is_one_line(env: Env, args: tuple[str, ...]) -> None:
    job = env.ok("submit", mixed_input(env, "openai"), "--profile", "openai")
    env.advance(JOB_SECONDS * 2)
    run = env(*(job["id"] if a == "JOB" else a for a in args))
    assert run.rc == 1
    assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err
    assert len(env.batch_ids("openai")) == 1  # nothing submitted
