"""A results file with lines that are not results: kept, counted, shown, and left out of costs.

The emulator only serves well-formed result files, so the adapters' ``result_lines`` (the seam
the download reads through) is wrapped to append a few bad lines after the provider's own:
a JSON array, a JSON string, text that is not JSON, a result object followed by garbage, and
a result object followed by blanks (which is a valid line). Everything after that is the real
path: download, index, adapter parser, costs, the CLI commands in-process and in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from workflow_helpers import JOB_SECONDS, KINDS, ROOT, Env, cli_env, neutral_line, write_jsonl

from batchtui.core import costs
from batchtui.core.models import ResultLine
from batchtui.providers.anthropic import AnthropicProvider
from batchtui.providers.openai import OpenAIProvider

UNPARSEABLE = "unparseable_line"
REQUESTS = 4
SOURCE = {"openai": "output", "anthropic": "results"}
ADAPTER: dict[str, Any] = {"openai": OpenAIProvider, "anthropic": AnthropicProvider}


def _succeeded(kind: str, obj: dict[str, Any]) -> bool:
    if kind == "openai":
        return (obj.get("response") or {}).get("status_code") == 200
    return (obj.get("result") or {}).get("type") == "succeeded"


def bad_lines(kind: str, template: dict[str, Any]) -> tuple[list[bytes], bytes]:
    """(the lines that must count as unparseable, one valid line with trailing blanks)."""
    garbage = dict(template, custom_id="garbage-1")
    spaced = dict(template, custom_id="spaces-1")
    unparseable = [
        b"[1, 2]",
        b'"x"',
        b"not json",
        json.dumps(garbage).encode() + b" xyz",
    ]
    return unparseable, json.dumps(spaced).encode() + b"  \t "


def inject_bad_lines(monkeypatch: pytest.MonkeyPatch, kind: str) -> dict[str, Any]:
    """Wrap the adapter's result stream so it ends with the bad lines; returns what was sent."""
    sent: dict[str, Any] = {}
    adapter = ADAPTER[kind]
    original = adapter.result_lines

    def result_lines(self: Any, job: Any, **kwargs: Any) -> AsyncIterator[ResultLine]:
        async def lines() -> AsyncIterator[ResultLine]:
            template: dict[str, Any] | None = None
            async for line in original(self, job, **kwargs):
                obj = json.loads(line.data)
                if template is None and line.source == SOURCE[kind] and _succeeded(kind, obj):
                    template = obj
                yield line
            assert template is not None, "no succeeded line to copy"
            unparseable, spaced = bad_lines(kind, template)
            sent["unparseable"], sent["spaced"] = unparseable, spaced
            for data in [*unparseable, spaced]:
                yield ResultLine(source=SOURCE[kind], data=data)

        return lines()

    monkeypatch.setattr(adapter, "result_lines", result_lines)
    return sent


def submit_and_finish(env: Env, kind: str) -> str:
    records = [neutral_line(kind, f"ok-{i}", i) for i in range(REQUESTS)]
    batch_id = env.ok("submit", write_jsonl(env.work / "in.jsonl", records), "--profile", kind)
    env.advance(JOB_SECONDS * 2)
    assert env.ok("show", batch_id["id"])["status"] == "completed"
    return batch_id["id"]


def no_traceback(run: Any) -> None:
    assert run.rc == 0, run.err
    assert "Traceback" not in run.err


def expected_raw(data: bytes) -> Any:
    """The export's ``raw`` of a line: the JSON value when the line is JSON, else its text."""
    try:
        return json.loads(data)
    except ValueError:
        return data.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_unparseable_lines_are_kept_counted_and_left_out_of_costs(
    env: Env, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    sent = inject_bad_lines(monkeypatch, kind)
    batch_id = submit_and_finish(env, kind)

    # `results` downloads (the bad lines arrive last), indexes, prices, and exports every line.
    run = env("results", batch_id)
    no_traceback(run)
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert len(rows) == REQUESTS + len(sent["unparseable"]) + 1
    bad = [r for r in rows if r["error"] and r["error"]["type"] == UNPARSEABLE]
    assert len(bad) == len(sent["unparseable"])
    for row in bad:
        assert row["outcome"] == "errored" and row["custom_id"] == ""
        assert row["usage"] is None and row["error"]["message"]
    # Each bad line's raw bytes are kept (as JSON where they are JSON, as text where not).
    assert sorted(json.dumps(r["raw"]) for r in bad) == sorted(
        json.dumps(expected_raw(data)) for data in sent["unparseable"]
    )
    good = [r for r in rows if r not in bad]
    assert sorted(r["custom_id"] for r in good) == [
        *(f"ok-{i}" for i in range(REQUESTS)),
        "spaces-1",
    ]
    assert all(r["outcome"] == "succeeded" and r["usage"] for r in good)

    # The error-type filter finds them (the dashboard's triage groups by the same column).
    only = env("results", batch_id, "--error-type", UNPARSEABLE)
    no_traceback(only)
    assert len(only.out.splitlines()) == len(sent["unparseable"])

    # The cost is priced from the readable lines, and says how many lines it left out.
    shown = env.ok("show", batch_id)
    cost = shown["cost"]
    assert cost["source"] == "results"
    assert cost["requests"] == len(good)
    assert cost["unparseable_lines"] == len(sent["unparseable"])
    assert "4 result line(s)" in cost["note"]
    assert cost["input_tokens"] == sum(r["usage"]["input_tokens"] for r in good)
    assert cost["output_tokens"] == sum(r["usage"]["output_tokens"] for r in good)
    model = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}[kind]
    expected = sum(
        costs.request_cost(
            kind,
            model,
            input_tokens=r["usage"]["input_tokens"],
            output_tokens=r["usage"]["output_tokens"],
            cached_input_tokens=r["usage"]["cached_input_tokens"],
            cache_write_tokens=r["usage"]["cache_creation_input_tokens"],
        )
        or 0.0
        for r in good
    )
    # (the stored cost is rounded to 6 decimals; one more line would add ~1e-5)
    assert cost["cost_usd"] == pytest.approx(expected, abs=5e-7) and cost["cost_usd"] > 0

    # Every other command that reads the results or the cost answers too.
    for args in (
        ("show", batch_id),
        ("show", batch_id, "--cached"),
        ("costs",),
        ("costs", "--json"),
        ("results", batch_id, "--format", "csv"),
        ("results", batch_id, "--run"),
    ):
        no_traceback(env(*args))
    totals = env.ok("costs")
    assert totals and totals[0]["cost_usd"] == pytest.approx(cost["cost_usd"])

    # And so does a fresh process reading the cache (the persisted index), as a user runs it.
    for args in (("results", batch_id), ("show", batch_id), ("costs",)):
        proc = subprocess.run(
            [sys.executable, "-m", "batchtui", *args],
            env=cli_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        if args[0] == "results":
            again = [json.loads(line) for line in proc.stdout.splitlines()]
            assert again == rows
