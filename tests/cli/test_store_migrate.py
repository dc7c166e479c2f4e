"""`batchtui store migrate` and `batchtui store info` against a real PostgreSQL server: every
row of a SQLite store (runs, jobs in every shape, intents in several states, events,
estimates and costs) reaches the team store field for field; a second run copies nothing;
a batch the team store already holds under another local id is skipped and reported; an
unreachable server, a bad URL and a newer team store are refused without writing anything
or printing a password."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from batchtui.cli import main
from batchtui.core.clock import FixedClock
from batchtui.core.models import BatchJob, BatchStatus, RequestCounts, Timestamps
from batchtui.core.store import SCHEMA_VERSION, IntentState, JobStore, open_store
from batchtui.localpg import free_port

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MACHINE = "laptop-a"
ME = "carol@laptop-a"


@dataclasses.dataclass
class Cli:
    home: Path
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        rc = main(list(args))
        out = self.capsys.readouterr()
        return rc, out.out, out.err

    def json(self, *args: str) -> Any:
        rc, out, err = self(*args, "--json")
        assert rc == 0, err
        return json.loads(out)

    @property
    def db(self) -> Path:
        return self.home / "batchtui.db"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "BATCHTUI_STORE_URL", "PGPASSWORD"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text(f'submitted_by = "{ME}"\n')
    monkeypatch.setenv("BATCHTUI_HOME", str(home))
    monkeypatch.setenv("BATCHTUI_MACHINE", MACHINE)
    return Cli(home, capsys)


def secret_url(url: str) -> str:
    """The test server trusts every connection, so a password in the URL is accepted (and
    must never be printed)."""
    return url.replace("postgresql://batchtui@", "postgresql://batchtui:SECRETpw@")


def snapshot(
    batch_id: str, status: BatchStatus = BatchStatus.IN_PROGRESS, done: int = 0
) -> BatchJob:
    return BatchJob(
        provider="openai",
        id=batch_id,
        status=status,
        raw_status=status.value,
        counts=RequestCounts(total=10, processing=10 - done, succeeded=done),
        times=Timestamps(created_at=T0),
        input_file_id=f"file-{batch_id}",
        metadata={"label": "from the provider"},
        raw={"id": batch_id, "usage": {"input_tokens": 12}},
    )


def intent(store: JobStore, n: int, **kw: Any) -> str:
    kw.setdefault("profile", "openai")
    kw.setdefault("provider", "openai")
    kw.setdefault("submitted_by", "alice")
    return store.record_intent(
        input_path=f"/kept/{n}.jsonl",
        sha256=f"{n:x}" * 64,
        request_count=10,
        estimate={"input_tokens": 100 * n, "cost_usd_low": 0.01, "cost_usd_high": 0.02 * n},
        **kw,
    ).local_id


def fill(store: JobStore, clock: FixedClock) -> dict[str, str]:
    """A store with a job of every shape; returns their local ids by name."""
    ids: dict[str, str] = {}
    ids["done"] = intent(store, 1, label="plain", model="gpt-4o-mini", options={"a": 1})
    store.mark_uploading(ids["done"])
    store.note_upload_sent(ids["done"])
    store.mark_uploaded(ids["done"], "file-done")
    store.mark_creating(ids["done"])
    store.mark_created(ids["done"], snapshot("batch_done"))
    clock.advance(5)
    store.upsert_snapshot(snapshot("batch_done", BatchStatus.COMPLETED, 10), "openai")
    store.set_cost(ids["done"], {"cost_usd": 0.0123, "source": "usage"})
    store.set_results_state(
        ids["done"], path=Path("/results/done.jsonl"), offsets={"output": 99}, complete=True
    )
    store.mark_cleaned(ids["done"], file_id="file-done", role="input")
    store.log_event(ids["done"], "note", "looked at it")
    store.log_event(ids["done"], "note", "looked at it")  # the same line twice, same time

    adopted, _ = store.upsert_snapshot(snapshot("batch_adopted", BatchStatus.FAILED), "openai")
    ids["adopted"] = adopted.local_id
    store.set_notes(ids["adopted"], "found at the provider")

    clock.advance(1)
    ids["retry"] = intent(store, 2, parent="batch_done", submitted_by=None)
    store.mark_creating(ids["retry"])
    store.mark_created(ids["retry"], snapshot("batch_retry"))

    run = store.create_run("split input")
    for part in (0, 1):
        ids[f"part{part}"] = intent(store, 3 + part, run_id=run.id, part_index=part)
    store.mark_creating(ids["part0"])
    store.mark_created(ids["part0"], snapshot("batch_part0"))
    store.mark_creating(ids["part1"])
    store.mark_create_unknown(ids["part1"], reason="timeout after create")

    ids["queued"] = intent(store, 5, queued=True, profile="anthropic", provider="anthropic")
    ids["recorded"] = intent(store, 6)
    ids["failed"] = intent(store, 7)
    store.mark_failed(ids["failed"], "400 quota")
    store.set_failure(ids["failed"], {"code": "token_limit_exceeded", "message": "quota"})
    ids["abandoned"] = intent(store, 8)
    store.mark_abandoned(ids["abandoned"], "nothing was created")
    store.set_stray_files(ids["recorded"], ["file-stray"])
    store.claim_polls([ids["part0"]], "laptop-a:123", 60.0)  # a local lease: not copied
    with store._lock, store._db.write() as c:  # rows older than the team store
        c.execute("UPDATE jobs SET results_host = NULL WHERE local_id = ?", (ids["done"],))
        c.execute("UPDATE intents SET host = NULL WHERE local_id = ?", (ids["recorded"],))
    return ids


@pytest.fixture
def source(cli: Cli) -> dict[str, str]:
    clock = FixedClock(T0)
    with JobStore(cli.db, clock=clock) as store:
        return fill(store, clock)


def rows(store: JobStore, table: str) -> list[dict[str, Any]]:
    order = {"runs": "id", "jobs": "local_id", "intents": "local_id", "events": "local_id, id"}
    with store._lock:
        names, found = store._db.rows(f"SELECT * FROM {table} ORDER BY {order[table]}")
    drop = {"rowid", "id"} if table == "events" else {"rowid"}
    return [{k: v for k, v in zip(names, r, strict=True) if k not in drop} for r in found]


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[call-overload]
        assert row is not None
        return int(row[0])


def test_migrate_copies_every_row_and_field_then_nothing(
    cli: Cli, source: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    url = secret_url(pg_url)
    rc, out, err = cli("store", "migrate", "--to", url)
    assert rc == 0, err
    assert "SECRETpw" not in out + err
    first = out.splitlines()[0]
    assert first.startswith("copied 7 runs, 9 jobs, 8 intents, ")
    assert first.endswith("; 0 already there")
    assert "stay on laptop-a" in out

    with JobStore(cli.db) as src, open_store(tmp_path / "other", pg_url) as tgt:
        # Every column, row for row, except what belongs to this machine or process.
        for table in ("runs", "intents", "events"):
            want = rows(src, table)
            if table == "intents":
                for row in want:
                    row["host"] = row["host"] or MACHINE
            assert rows(tgt, table) == want, table
        want_jobs = rows(src, "jobs")
        for row in want_jobs:
            if row["results_path"]:
                row["results_host"] = row["results_host"] or MACHINE
            if not row["submitted_by"] and not row["adopted"]:
                row["submitted_by"] = ME
            row["lease_owner"] = row["lease_until"] = None
        assert rows(tgt, "jobs") == want_jobs
        assert any(r["lease_owner"] for r in rows(src, "jobs"))

        # And as the store reads them.
        src_jobs = src.list_jobs()
        tgt_jobs = tgt.list_jobs()
        assert [j.local_id for j in tgt_jobs] == [j.local_id for j in src_jobs]
        for a, b in zip(src_jobs, tgt_jobs, strict=True):
            if a.local_id == source["retry"]:
                assert (a.submitted_by, b.submitted_by) == (None, ME)
                b = dataclasses.replace(b, submitted_by=None)
            assert a == b
            assert src.events(a.local_id) != []
            assert [(e.at, e.kind, e.message) for e in src.events(a.local_id)] == [
                (e.at, e.kind, e.message) for e in tgt.events(b.local_id)
            ]
            ia, ib = src.get_intent(a.local_id), tgt.get_intent(b.local_id)
            if ia is not None and ia.host is None:
                assert ib is not None and ib.host == MACHINE
                ib = dataclasses.replace(ib, host=None)
            assert ia == ib
        done = tgt.require(source["done"])
        assert done.results_complete and done.results_offsets == {"output": 99}
        assert done.cost == {"cost_usd": 0.0123, "source": "usage"}
        assert done.estimate == {"input_tokens": 100, "cost_usd_low": 0.01, "cost_usd_high": 0.02}
        assert tgt.require(source["retry"]).parent_local_id == source["done"]
        assert tgt.require(source["adopted"]).adopted
        assert {j.part_index for j in tgt.run_jobs(tgt.require(source["part0"]).run_id)} == {0, 1}
        states = {tgt.get_intent(source[n]).state for n in ("queued", "failed", "part1")}  # type: ignore[union-attr]
        assert states == {IntentState.QUEUED, IntentState.FAILED, IntentState.UNKNOWN}

    again = cli.json("store", "migrate", "--to", url)
    assert again["copied"] == 0
    assert again["already"] == sum(t["already"] for t in again["tables"].values()) > 9
    assert again["tables"]["jobs"] == {"copied": 0, "already": 9, "same_batch": 0}
    rc, out, _ = cli("store", "migrate", "--to", url)
    assert rc == 0 and out.startswith("copied 0 runs, 0 jobs, 0 intents, 0 events to ")
    assert count(pg_url, "events") == len(rows(JobStore(cli.db), "events"))


def test_the_configured_team_store_is_the_default_target(
    cli: Cli, source: dict[str, str], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHTUI_STORE_URL", secret_url(pg_url))
    summary = cli.json("store", "migrate")
    assert summary["tables"]["jobs"]["copied"] == 9
    assert "SECRETpw" not in json.dumps(summary)
    # The source is named with --from: this home's store now is the team store.
    rc, out, err = cli("store", "migrate", "--from", str(cli.db))
    assert rc == 0 and out.startswith("copied 0 runs, 0 jobs"), err
    info = cli.json("store", "info")
    assert info["kind"] == "postgresql" and info["jobs"] == 9
    assert info["schema_version"] == SCHEMA_VERSION
    assert info["server_version"] and "SECRETpw" not in json.dumps(info)
    assert any(c["application"] == "batchtui" for c in info["connected"])
    rc, out, err = cli("store", "info")
    assert rc == 0 and "team store postgresql://batchtui@127.0.0.1:" in out
    assert "SECRETpw" not in out + err


def test_info_of_this_machines_store(cli: Cli, source: dict[str, str]) -> None:
    info = cli.json("store", "info")
    assert info["kind"] == "sqlite" and info["path"] == str(cli.db)
    assert (info["jobs"], info["runs"]) == (9, 7)
    rc, out, _ = cli("store", "info")
    assert rc == 0 and f"SQLite) {cli.db}" in out and "jobs: 9 in 7 run(s)" in out


def test_a_batch_already_there_under_another_id_is_skipped_and_reported(
    cli: Cli, source: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    with open_store(tmp_path / "bob", pg_url) as team:  # bob adopted it before we migrated
        theirs, _ = team.upsert_snapshot(
            snapshot("batch_done", BatchStatus.COMPLETED, 10), "openai"
        )
    summary = cli.json("store", "migrate", "--to", pg_url)
    assert summary["tables"]["jobs"] == {"copied": 8, "already": 0, "same_batch": 1}
    assert summary["tables"]["intents"]["same_batch"] == 1
    assert summary["same_batch_jobs"] == [
        {
            "local_id": source["done"],
            "target_local_id": theirs.local_id,
            "profile": "openai",
            "batch_id": "batch_done",
        }
    ]
    with open_store(tmp_path / "bob", pg_url) as team:
        assert team.get(source["done"]) is None
        assert team.require("batch_done").local_id == theirs.local_id
        # The retry of that batch is copied, and names the team store's row as its parent.
        assert team.require(source["retry"]).parent_local_id == theirs.local_id
        assert team.events(source["done"]) == []
    rc, out, err = cli("store", "migrate", "--to", pg_url)
    assert rc == 0, err
    assert "; 1 job(s) already there under another local id (same batch)" in out
    assert "same batch: openai batch_done is " + theirs.local_id in out
    assert out.startswith("copied 0 runs, 0 jobs")


def test_unreachable_server_exits_2_without_the_password(cli: Cli, source: dict[str, str]) -> None:
    url = f"postgresql://u:SECRETpw@127.0.0.1:{free_port()}/x"
    rc, out, err = cli("store", "migrate", "--to", url)
    assert rc == 2
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "cannot reach the team store postgresql://u@127.0.0.1:" in err
    assert "SECRETpw" not in out + err


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--to", "mysql://u:SECRETpw@h/x"], "postgresql://"),
        (
            ["--to", "postgresql://u:SECRETpw@127.0.0.1:1/x", "--from", "/nonexistent.db"],
            "no store",
        ),
        ([], "no team store to copy"),
    ],
)
def test_bad_input_exits_1(cli: Cli, source: dict[str, str], argv: list[str], problem: str) -> None:
    rc, out, err = cli("store", "migrate", *argv)
    assert rc == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and problem in err
    assert "SECRETpw" not in err


def test_a_newer_team_store_is_refused_and_nothing_written(
    cli: Cli, source: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    open_store(tmp_path / "x", pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE batchtui_schema SET version = %s", (SCHEMA_VERSION + 1,))
    rc, out, err = cli("store", "migrate", "--to", pg_url)
    assert rc == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "newer than this batchtui" in err
    assert count(pg_url, "jobs") == count(pg_url, "runs") == count(pg_url, "events") == 0


def test_a_newer_source_is_refused(cli: Cli, source: dict[str, str], pg_url: str) -> None:
    conn = sqlite3.connect(cli.db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    rc, _, err = cli("store", "migrate", "--to", pg_url)
    assert rc == 1 and "newer than this batchtui" in err
    with psycopg.connect(pg_url) as pg:  # the target was not even opened
        assert pg.execute("SELECT to_regclass('jobs')").fetchone() == (None,)


def test_ten_thousand_jobs_copy_in_seconds(cli: Cli, pg_url: str) -> None:
    clock = FixedClock(T0)
    with JobStore(cli.db, clock=clock) as store:
        first = intent(store, 1)
        store.mark_creating(first)
        store.mark_created(first, snapshot("batch_0"))
        store.set_cost(first, {"cost_usd": 0.5})
    conn = sqlite3.connect(cli.db)
    conn.row_factory = sqlite3.Row
    tables = {
        t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in ("jobs", "intents", "events")
    }
    new_jobs, new_intents, new_events = [], [], []
    for n in range(1, 10_000):
        local_id = uuid.uuid4().hex[:12]
        job = dict(tables["jobs"][0])
        job.update(local_id=local_id, batch_id=f"batch_{n}", input_sha256=f"{n:064x}")
        new_jobs.append(job)
        new_intents.append(
            {**dict(tables["intents"][0]), "local_id": local_id, "batch_id": job["batch_id"]}
        )
        for event in tables["events"]:
            new_events.append({**dict(event), "id": None, "local_id": local_id})
    with conn:
        for table, new in (("jobs", new_jobs), ("intents", new_intents), ("events", new_events)):
            names = list(new[0])
            marks = ", ".join("?" for _ in names)
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                [tuple(r[k] for k in names) for r in new],
            )
    conn.close()
    began = time.monotonic()
    summary = cli.json("store", "migrate", "--to", pg_url)
    took = time.monotonic() - began
    assert summary["tables"]["jobs"]["copied"] == 10_000
    assert summary["tables"]["events"]["copied"] == 10_000 * len(tables["events"])
    assert took < 30, took
    began = time.monotonic()
    again = cli.json("store", "migrate", "--to", pg_url)
    assert again["copied"] == 0 and again["already"] == summary["copied"]
    with cli.capsys.disabled():
        print(
            f"\nmigrated 10,000 jobs ({summary['copied']} rows) in {took:.2f} s "
            f"(copy {summary['seconds']:.2f} s); again in {time.monotonic() - began:.2f} s"
        )
