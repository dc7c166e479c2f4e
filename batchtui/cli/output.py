"""How the CLI prints jobs and reports: one readable line per job, or stable JSON."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from batchtui.core.store import JobRecord


def emit_json(data: Any, out: TextIO | None = None) -> None:
    """Print one JSON document (an object or an array) as one line on standard output.

    The `--json` contract (docs/ARCHITECTURE.md "Headless JSON contract"): every stdout line is one
    complete, compact JSON document, so scripts read the output line by line.
    """
    out = out or sys.stdout
    out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    out.flush()


def age(record: JobRecord, now: datetime) -> str:
    """A short relative age such as ``42s``, ``7m``, ``3h``, ``2d``."""
    start = record.times.created_at or record.created_at
    if start is None:
        return "-"
    seconds = max(0, int((now - start).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def counts_text(record: JobRecord) -> str:
    c = record.counts
    total = c.total or record.request_count or 0
    text = f"{c.succeeded}ok {c.errored}err"
    if c.canceled:
        text += f" {c.canceled}canceled"
    if c.expired:
        text += f" {c.expired}expired"
    return f"{text} /{total}"


def usd(value: float | None) -> str:
    """Money for the CLI: ``$0.0123``, or "no price" for None."""
    from batchtui.core.costs import format_usd

    return format_usd(value)


def cost_cell(record: JobRecord) -> str:
    """The cost column: the actual cost, else ``<=`` the high estimate, else ``-``."""
    if record.cost is not None:
        return usd(record.cost.get("cost_usd"))
    if record.estimate is not None:
        high = record.estimate.get("cost_usd_high")
        return "no price" if high is None else f"<={usd(high)}"
    return "-"


def job_line(record: JobRecord, now: datetime, *, stale: bool = False) -> str:
    """One line per job for `list` and `watch` (cost: actual, else ``<=`` high estimate)."""
    ident = record.id or f"({record.local_id})"
    label = record.label or ""
    marks = ""
    if stale:
        marks += "[stale] "
    if record.limit_error:
        marks += f"[{record.limit_error['code']}] "
    indent = "  └ " if record.parent_local_id else ""
    return (
        f"{indent}{ident:<40} {record.profile:<10} {record.status.value:<11} "
        f"{counts_text(record):<28} {age(record, now):>5} {cost_cell(record):>11}  "
        f"{marks}{label}"
    ).rstrip()


def estimate_text(estimate: dict[str, Any] | None) -> str:
    """An estimate in one line, e.g. ``$0.0010 - $0.0050 (12 requests, ~300 input tokens)``."""
    if not estimate:
        return "-"
    low, high = estimate.get("cost_usd_low"), estimate.get("cost_usd_high")
    if high is None:
        models = ", ".join(estimate.get("unpriced_models") or []) or "the model"
        money = f"no price ({models})"
    else:
        money = f"{usd(low)} - {usd(high)}"
    text = (
        f"{money} ({estimate.get('requests', 0)} requests, ~{estimate.get('input_tokens', 0)} "
        f"input tokens, <= {estimate.get('max_output_tokens', 0)} output tokens)"
    )
    if estimate.get("uncapped_requests"):
        text += f"; {estimate['uncapped_requests']} request(s) without max_tokens (no ceiling)"
    return text


def cost_lines(cost: dict[str, Any] | None) -> list[str]:
    """The actual cost, the synchronous price of the same, and what batching saved."""
    if not cost:
        return ["cost:        - (known once the results are fetched)"]
    source = {"results": "from the results' usage", "batch_usage": "from the batch's usage"}
    lines = [
        f"cost:        {usd(cost.get('cost_usd'))} at batch prices "
        f"({source.get(cost.get('source') or '', 'from usage')}: "
        f"{cost.get('input_tokens', 0)} input, {cost.get('output_tokens', 0)} output tokens)",
        f"sync cost:   {usd(cost.get('sync_cost_usd'))}",
        f"saved:       {usd(cost.get('saved_usd'))}",
    ]
    if cost.get("unpriced_models"):
        lines.append(f"no price:    {', '.join(cost['unpriced_models'])}")
    return lines


def job_details(
    record: JobRecord, children: list[JobRecord], *, stale_since: datetime | None = None
) -> list[str]:
    """Every fact of one job, for `show`."""
    lines = [
        f"id:          {record.id or '-'}",
        f"local id:    {record.local_id}",
        f"profile:     {record.profile} ({record.provider})",
        f"status:      {record.status.value} (provider: {record.raw_status or '-'})",
        f"label:       {record.label or '-'}",
        f"counts:      {counts_text(record)}",
        f"model:       {record.model or '-'}",
        f"endpoint:    {record.endpoint or '-'}",
        f"input:       {record.input_path or '-'}",
        f"input file:  {record.input_file_id or '-'}",
        f"output file: {record.output_file_id or '-'}",
        f"error file:  {record.error_file_id or '-'}",
        f"results:     {'available' if record.results_available else 'not yet'}"
        + (" (cached)" if record.results_complete else ""),
        f"run:         {record.run_id}",
        f"parent:      {record.parent_id or record.parent_local_id or '-'}",
        f"estimate:    {estimate_text(record.estimate)}",
        *cost_lines(record.cost),
    ]
    if stale_since is not None:
        lines.append(f"stale:       since {stale_since.isoformat()} (its counts stopped moving)")
    if record.limit_error:
        err = record.limit_error
        lines.append(f"limit:       {err['code']}: {err['message']} (not retried)")
    if record.cleaned:
        gone = [f"{role} file {fid}" for fid, role in (record.cleaned.get("files") or {}).items()]
        if record.cleaned.get("batch"):
            gone.append("the batch")
        lines.append(f"cleaned:     deleted at the provider: {', '.join(gone)}")
    for name, value in record.times.as_dict().items():
        if value:
            lines.append(f"{name + ':':<13}{value}")
    if record.snapshot and record.snapshot.errors:
        lines.append("provider errors:")
        for detail in record.snapshot.errors:
            where = f"line {detail.line}: " if detail.line else ""
            lines.append(f"  {where}{detail.code or 'error'}: {detail.message}")
    if record.notes:
        lines.append(f"notes:       {record.notes}")
    for child in children:
        lines.append(f"child:       {child.display_id} {child.status.value} {child.label or ''}")
    return lines
