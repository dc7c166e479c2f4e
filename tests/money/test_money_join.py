"""Results joined to their requests: JSONL lines hold ``request`` and ``result`` matched by
custom_id on unordered results; a CSV-template input's own columns come first in CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest
from workflow_helpers import JOB_SECONDS, KINDS, MODELS, Env, neutral_line, write_jsonl

from batchtui.core.results import RESULT_COLUMNS


@pytest.mark.parametrize("kind", KINDS)
def test_jsonl_join_matches_every_result_to_its_own_request(env: Env, kind: str) -> None:
    records = [neutral_line(kind, f"q{i:02d}", text=f"Question number {i}?") for i in range(24)]
    source = write_jsonl(env.work / "q.jsonl", records)
    job = env.ok("submit", source, "--profile", kind)
    env.advance(JOB_SECONDS * 2)
    plain = [json.loads(x)["custom_id"] for x in env("results", job["id"]).out.splitlines()]
    assert sorted(plain) == [r["custom_id"] for r in records]
    assert plain != [r["custom_id"] for r in records], "the provider's order is not the input's"
    run = env("results", job["id"], "--join")
    assert run.rc == 0, run.err
    rows = [json.loads(x) for x in run.out.splitlines()]
    assert [r["result"]["custom_id"] for r in rows] == plain
    for row in rows:
        assert set(row) == {"request", "result"}
        custom_id = row["result"]["custom_id"]
        assert row["request"]["custom_id"] == custom_id
        number = int(custom_id[1:])
        assert f"Question number {number}?" in json.dumps(row["request"])
        assert set(RESULT_COLUMNS) <= set(row["result"])


@pytest.mark.parametrize("kind", KINDS)
def test_csv_join_puts_the_inputs_own_columns_first(env: Env, kind: str) -> None:
    source = env.work / "animals.csv"
    source.write_text(
        'key,animal,habitat\nk1,cat,house\nk2,owl,"barn, old"\n\nk3,seal,sea\nk4,emu,plain\n',
        encoding="utf-8",
    )
    options = ["--model", MODELS[kind], "--max-tokens", "40", "--id-column", "key"]
    job = env.ok(
        "submit", source, "--profile", kind, "--template", "Where does a {animal} live?", *options
    )
    env.advance(JOB_SECONDS * 2)
    run = env("results", job["id"], "--join", "--format", "csv")
    assert run.rc == 0, run.err
    table = list(csv.reader(io.StringIO(run.out)))
    header, body = table[0], table[1:]
    assert header == ["key", "animal", "habitat", *RESULT_COLUMNS]
    by_id = {row[header.index("custom_id")]: dict(zip(header, row, strict=True)) for row in body}
    assert sorted(by_id) == ["k1", "k2", "k3", "k4"]
    assert by_id["k2"]["animal"] == "owl" and by_id["k2"]["habitat"] == "barn, old"
    for custom_id, row in by_id.items():
        assert row["key"] == custom_id and row["outcome"] == "succeeded"
    # The merged run view joins the same way, to a file.
    target = env.work / "run.csv"
    assert env("results", job["id"], "--run", "--join", "--format", "csv", "-o", target).rc == 0
    with open(target, newline="", encoding="utf-8") as handle:
        run_rows = list(csv.DictReader(handle))
    assert sorted(r["key"] for r in run_rows) == ["k1", "k2", "k3", "k4"]
    assert all(r["key"] == r["custom_id"] for r in run_rows)


def test_csv_without_an_id_column_joins_on_the_generated_row_ids(env: Env) -> None:
    source = env.work / "plain.csv"
    source.write_text("prompt,tag\nSay hi,a\nSay bye,b\n", encoding="utf-8")
    job = env.ok(
        "submit", source, "--profile", "openai", "--model", MODELS["openai"], "--max-tokens", "9"
    )
    env.advance(JOB_SECONDS * 2)
    table = list(
        csv.DictReader(io.StringIO(env("results", job["id"], "--join", "--format", "csv").out))
    )
    pairs = sorted((r["custom_id"], r["prompt"], r["tag"]) for r in table)
    assert pairs == [("row-000001", "Say hi", "a"), ("row-000002", "Say bye", "b")]


def test_a_jsonl_input_joins_to_csv_with_the_request_column(env: Env) -> None:
    source = write_jsonl(env.work / "in.jsonl", [neutral_line("openai", "only", 1)])
    job = env.ok("submit", source, "--profile", "openai")
    env.advance(JOB_SECONDS * 2)
    table = list(
        csv.DictReader(io.StringIO(env("results", job["id"], "--join", "--format", "csv").out))
    )
    assert list(table[0])[:2] == ["request", "custom_id"]
    assert json.loads(table[0]["request"])["custom_id"] == "only"
