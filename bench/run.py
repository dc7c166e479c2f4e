"""The benchmark run: B1..B7, each measured piece in a fresh child process (see README.md)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import datagen
from bench.emulator import API_KEY, EmulatorProcess
from bench.measure import best_process, run_piece, run_process, spawn_seconds
from bench.pieces.screens import FILTER_WORDS
from bench.report import Row
from bench.scenarios import (
    LiveHome,
    LiveHomes,
    cadence_budget,
    finished_openai_batch,
    key_env,
    write_config,
)
from bench.sizes import Scale, Sizes


@dataclass
class Context:
    """What every benchmark needs: sizes, seed, where data lives, and a log."""

    sizes: Sizes
    seed: int
    data_dir: Path
    log: Callable[[str], None]

    @property
    def heavy(self) -> int:
        """Repeats of the expensive timings (whole-file passes)."""
        return 2 if self.sizes.name == "full" else 1

    raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    homes: LiveHomes = field(init=False)

    def __post_init__(self) -> None:
        self.homes = LiveHomes(self.seed, self.log)

    def piece(self, name: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
        """Run a measured piece in a fresh child; its raw result is kept for results.json."""
        start = time.perf_counter()
        result = run_piece(name, args, **kw)
        self.log(f"  {name}: {time.perf_counter() - start:.1f} s wall")
        self.raw.setdefault(name, []).append(result)
        return result


def _fail_rows(rows: list[Row], why: str) -> None:
    for row in rows:
        if row.batchtui is None and not row.missing:
            row.missing = why


def _guard(rows: list[Row], ctx: Context, body: Callable[[], None]) -> list[Row]:
    """Run a benchmark's body; a failure leaves its unfilled rows as n/a with the reason."""
    try:
        body()
    except Exception as exc:  # one broken benchmark must not lose the others
        ctx.log(traceback.format_exc(limit=3))
        _fail_rows(rows, f"{type(exc).__name__}: {str(exc)[:160]}")
    return rows


def _cpu(mine: float, base: float) -> str:
    """A note comparing CPU seconds (steadier than wall time on a loaded machine)."""
    ratio = f" = {mine / base:.2f}x" if base else ""
    return f"CPU {mine:.2f} s vs {base:.2f} s{ratio}"


def _best(ctx: Context, tries: int, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The run with the smallest wall time of ``tries`` calls (RSS growth: the largest)."""
    runs = [call() for _ in range(max(1, tries))]
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "rss_growth_mb": max(r["rss_growth_mb"] for r in runs), "tries": len(runs)}


def _error(result: dict[str, Any]) -> str | None:
    error = result.get("error")
    return str(error) if error else None


# ------------------------------------------------------------------ B1


def bench_b1(ctx: Context) -> list[Row]:
    s = ctx.sizes
    first = Row(
        "B1", "first screen: open + 50 lines (cold)", "s", target="<= 0.25 s", max_value=0.25
    )
    size = Row(
        "B1",
        f"first screen: {s.b1_lines:,} vs {s.b1_small_lines:,} lines",
        "s",
        target="size-independent (<= 2x)",
        max_ratio=2.0,
    )
    frame = Row("B1", "first frame, results screen (UI)", "s", target="<= 0.25 s", max_value=0.25)
    full = Row("B1", "full index vs json.loads floor", "s", target="<= 0.5x", max_ratio=0.5)
    jump = Row("B1", "jump to end (50 lines)", "s", target="<= 0.1 s", max_value=0.1)
    filt = Row("B1", "filter to errored (+50 lines)", "s", target="<= 0.5 s", max_value=0.5)
    rss = Row("B1", "RSS growth (browse session)", "MB", target="<= 64 MB", max_value=64.0)
    reopen = Row("B1", "reopen with saved index (info)", "s", target="-")
    rows = [first, size, frame, full, jump, filt, rss, reopen]

    def body() -> None:
        big = datagen.results_file(s.b1_lines, ctx.seed, ctx.data_dir)
        small = datagen.results_file(s.b1_small_lines, ctx.seed, ctx.data_dir)
        mb = big.stat().st_size / 1e6
        ctx.log(f"B1 results file: {s.b1_lines:,} lines, {mb:.0f} MB")
        common = {"repeats": s.repeats + 2, "heavy_repeats": ctx.heavy}
        core = ctx.piece("b1_core", {"path": str(big), **common})
        small_core = ctx.piece("b1_core", {"path": str(small), **common, "only_first": True})
        naive = ctx.piece("b1_naive", {"path": str(big), "heavy_repeats": ctx.heavy})
        first.batchtui, first.baseline = core["first_s"], naive["load_all_s"]
        first.note = "baseline: json.loads of every line into a list, then the first 50"
        size.batchtui, size.baseline = core["first_s"], small_core["first_s"]
        size.note = "baseline column: the same first screen on the 10x smaller file"
        full.batchtui, full.baseline = core["full_index_s"], naive["floor_s"]
        full.note = _cpu(core["cpu_s"]["full_index"], naive["cpu_s"]["floor"])
        jump.batchtui, jump.baseline = core["jump_s"], naive["scan_end_s"]
        jump.note = "baseline: read the file sequentially to its last 50 lines"
        filt.batchtui, filt.baseline = core["filter_s"], naive["filter_s"]
        filt.note = (
            f"{core['errored_rows']:,} errored rows; baseline: json.loads every line, keep non-2xx"
        )
        rss.batchtui, rss.baseline = core["rss_growth_mb"], naive["rss_growth_mb"]
        rss.note = "batchtui: first screen + full index + jump + filter; baseline: all lines loaded"
        reopen.batchtui, reopen.baseline = core["reopen_saved_s"], core["first_s"]
        reopen.note = "baseline column: the cold first screen"
        table = ctx.piece(
            "b1_datatable",
            {"path": str(big), "cap": min(s.b1_datatable_cap, s.b1_lines), "total": s.b1_lines},
        )
        ui = ctx.piece("b1_ui", {"path": str(big)})
        if not _error(table):
            frame.baseline = table["extrapolated_s"]
            if table["extrapolated"]:
                frame.note = (
                    f"baseline: DataTable loaded with {table['rows_loaded']:,} rows in "
                    f"{table['first_frame_s']:.1f} s, extrapolated linearly to {s.b1_lines:,}"
                )
            else:
                frame.note = "baseline: every line parsed and loaded into a DataTable"
        if _error(ui):
            frame.missing = f"results screen failed: {_error(ui)}"
        else:
            frame.batchtui = ui["first_frame_s"]

    return _guard(rows, ctx, body)


# ------------------------------------------------------------------ B2


def bench_b2(ctx: Context) -> list[Row]:
    s = ctx.sizes
    time_row = Row("B2", "validate OpenAI input", "s", target="<= 1.0x", max_ratio=1.0)
    rss_row = Row("B2", "validate: RSS growth", "MB", target="<= 64 MB", max_value=64.0)
    whole = Row("B2", "`batchtui validate` (whole process)", "s", target="<= 1.0x",
                max_ratio=1.0)  # fmt: skip
    rows = [time_row, rss_row, whole]

    def body() -> None:
        path = datagen.openai_input(s.b2_lines, ctx.seed, ctx.data_dir)
        ctx.log(f"B2 input: {s.b2_lines:,} lines, {path.stat().st_size / 1e6:.0f} MB")
        args = {"path": str(path), "heavy_repeats": ctx.heavy + 1}
        mine = ctx.piece("b2_validate", args)
        floor = ctx.piece("b2_floor", args)
        time_row.batchtui, time_row.baseline = mine["seconds"], floor["seconds"]
        time_row.note = (
            f"baseline: {floor['decoder']}.loads per line; report ok={mine['ok']}; "
            + _cpu(mine["cpu_s"]["work"], floor["cpu_s"]["work"])
        )
        rss_row.batchtui, rss_row.baseline = mine["rss_growth_mb"], floor["rss_growth_mb"]

    def whole_process() -> None:
        path = datagen.openai_input(s.b2_lines, ctx.seed, ctx.data_dir)
        with tempfile.TemporaryDirectory(prefix="bench-b2-home-") as home:
            env = {"BATCHTUI_HOME": home}
            cmd = [*_batchtui_cmd(), "validate", str(path), "--profile", "openai"]
            mine = best_process(cmd, ctx.heavy, env=env)
            floor = best_process([sys.executable, "-c", LOADS_LOOP, str(path)], ctx.heavy)
        whole.batchtui, whole.baseline = mine["seconds"], floor["seconds"]
        whole.note = (
            f"spawn -> exit, best of {ctx.heavy}; baseline: python -c, json.loads of every line "
            f"(stdlib, as issue 13 measured); peak RSS {mine['max_rss_mb']:.0f} MB vs "
            f"{floor['max_rss_mb']:.0f} MB; " + _cpu(mine["cpu_s"], floor["cpu_s"])
        )

    _guard([time_row, rss_row], ctx, body)
    _guard([whole], ctx, whole_process)
    return rows


LOADS_LOOP = """\
import json, sys
with open(sys.argv[1], "rb") as handle:
    for line in handle:
        if line.strip():
            json.loads(line)
"""
"""B2's whole-process baseline: a Python process that decodes every line with json.loads."""


# ------------------------------------------------------------------ B3


def _emulated(
    ctx: Context, name: str, args: dict[str, Any], provider: str, shared: EmulatorProcess | None
) -> dict[str, Any]:
    """Run a piece against ``shared`` or else a fresh emulator subprocess (so its memory never
    carries over from one piece to the next)."""
    if shared is not None:
        base = shared.openai_base_url if provider == "openai" else shared.anthropic_base_url
        return ctx.piece(name, {**args, "api_key": API_KEY, "base_url": base})
    with EmulatorProcess(seed=ctx.seed, job_seconds=3600.0) as emu:
        return _emulated(ctx, name, args, provider, emu)


def _peak(result: dict[str, Any]) -> float:
    """A piece's peak RSS (MB): its RSS after setup plus its growth."""
    return float(result["rss_after_setup_mb"]) + float(result["rss_growth_mb"])


def bench_b3(ctx: Context) -> list[Row]:
    s = ctx.sizes
    oa_t = Row("B3", "OpenAI upload + create", "s", target="<= 1.1x SDK", max_ratio=1.1)
    oa_u = Row("B3", "OpenAI upload only (info)", "s", target="-")
    oa_m = Row("B3", "OpenAI submit: client RSS growth", "MB", target="<= 16 MB", max_value=16.0)
    oa_p = Row("B3", "OpenAI submit: client peak RSS", "MB", target="<= 1.5x SDK",
               max_ratio=1.5)  # fmt: skip
    cli_t = Row("B3", "`batchtui submit` (whole process)", "s", target="<= 1.1x SDK",
                max_ratio=1.1)  # fmt: skip
    cli_p = Row("B3", "`batchtui submit`: peak RSS", "MB", target="<= 1.5x SDK", max_ratio=1.5)
    an_t = Row("B3", f"Anthropic create ({s.b3_anthropic_requests:,} req)", "s",
               target="<= 1.1x SDK", max_ratio=1.1)  # fmt: skip
    an_m = Row("B3", "Anthropic create: client RSS growth", "MB", target="<= 16 MB",
               max_value=16.0)  # fmt: skip
    an_p = Row("B3", "Anthropic create: client peak RSS", "MB", target="<= 1.5x SDK",
               max_ratio=1.5)  # fmt: skip
    rows = [oa_t, oa_u, oa_m, oa_p, cli_t, cli_p, an_t, an_m, an_p]

    tries = ctx.heavy

    def openai_part(shared: EmulatorProcess | None) -> None:
        path = datagen.openai_input(s.b2_lines, ctx.seed, ctx.data_dir)
        args = {"path": str(path)}
        mine = _best(
            ctx, tries, lambda: _emulated(ctx, "b3_openai_batchtui", args, "openai", shared)
        )
        sdk = _best(ctx, tries, lambda: _emulated(ctx, "b3_openai_sdk", args, "openai", shared))
        oa_t.batchtui, oa_t.baseline = mine["seconds"], sdk["seconds"]
        oa_m.batchtui, oa_m.baseline = mine["rss_growth_mb"], sdk["rss_growth_mb"]
        oa_p.batchtui, oa_p.baseline = _peak(mine), _peak(sdk)
        oa_u.batchtui, oa_u.baseline = mine["upload_s"], sdk["upload_s"]
        oa_t.note = (
            f"{path.stat().st_size / 1e6:.0f} MB file, best of {tries}; the rest is the "
            "emulator validating the file inside create (its own process); client "
            + _cpu(mine["cpu_s"], sdk["cpu_s"])
        )
        oa_m.note = "baseline column: the SDK's growth (issue 13's target is absolute)"
        oa_p.note = "peak RSS of the measuring process: imports + setup + the work"

    def whole_part(shared: EmulatorProcess | None) -> None:
        path = datagen.openai_input(s.b2_lines, ctx.seed, ctx.data_dir)
        mine: list[dict[str, Any]] = []
        sdk: list[dict[str, Any]] = []
        for _ in range(tries):
            with tempfile.TemporaryDirectory(prefix="bench-b3-home-") as home:
                emu = shared or EmulatorProcess(seed=ctx.seed, job_seconds=3600.0).start()
                try:
                    write_config(emu, Path(home), ("openai",))
                    env = {**key_env(), "BATCHTUI_HOME": home}
                    cmd = [*_batchtui_cmd(), "submit", str(path), "--again", "--json"]
                    mine.append(run_process(cmd, env=env))
                    module = [sys.executable, "-m", "bench.pieces.sdk_submit"]
                    sdk.append(run_process([*module, str(path), emu.openai_base_url], env=env))
                finally:
                    if emu is not shared:
                        emu.stop()
        best, base = (min(runs, key=lambda r: r["seconds"]) for runs in (mine, sdk))
        cli_t.batchtui, cli_t.baseline = best["seconds"], base["seconds"]
        cli_p.batchtui = max(r["max_rss_mb"] for r in mine)
        cli_p.baseline = max(r["max_rss_mb"] for r in sdk)
        cli_t.note = (
            f"spawn -> exit, best of {tries}: validation, the kept copy, the estimate, upload "
            "and create; baseline: python -m bench.pieces.sdk_submit (openai SDK files.create "
            "+ batches.create, import included); " + _cpu(best["cpu_s"], base["cpu_s"])
        )
        cli_p.note = "ru_maxrss of each process (wait4), the largest of the tries"

    def anthropic_part(shared: EmulatorProcess | None) -> None:
        path = datagen.anthropic_input(s.b3_anthropic_requests, ctx.seed, ctx.data_dir)
        ctx.log(f"B3 Anthropic input: {path.stat().st_size / 1e6:.0f} MB")
        args = {"path": str(path)}
        mine = _best(
            ctx, tries, lambda: _emulated(ctx, "b3_anthropic_batchtui", args, "anthropic", shared)
        )
        sdk = _emulated(ctx, "b3_anthropic_sdk", args, "anthropic", shared)
        an_t.batchtui, an_t.baseline = mine["seconds"], sdk["seconds"]
        an_m.batchtui, an_m.baseline = mine["rss_growth_mb"], sdk["rss_growth_mb"]
        an_p.batchtui, an_p.baseline = _peak(mine), _peak(sdk)
        an_t.note = (
            f"{path.stat().st_size / 1e6:.0f} MB of requests; the SDK side includes "
            f"json.loads of the JSONL into the list it needs ({sdk['loaded_s']:.1f} s); client "
            + _cpu(mine["cpu_s"], sdk["cpu_s"])
        )

    shared = None if ctx.sizes.name == "full" else EmulatorProcess(seed=ctx.seed).start()
    try:
        _guard([oa_t, oa_u, oa_m, oa_p], ctx, lambda: openai_part(shared))
        _guard([cli_t, cli_p], ctx, lambda: whole_part(shared))
        _guard([an_t, an_m, an_p], ctx, lambda: anthropic_part(shared))
    finally:
        if shared is not None:
            shared.stop()
    return rows


# ------------------------------------------------------------------ B4


def bench_b4(ctx: Context) -> list[Row]:
    s = ctx.sizes
    t = Row("B4", f"download + index {s.b4_requests:,} results", "s", target="<= 1.0x SDK",
            max_ratio=1.0)  # fmt: skip
    m = Row("B4", "download + index: RSS growth", "MB", target="<= 0.3x SDK", max_ratio=0.3)
    rows = [t, m]

    def body() -> None:
        path = datagen.small_openai_input(s.b4_requests, ctx.seed, ctx.data_dir)
        with EmulatorProcess(seed=ctx.seed, job_seconds=1.0, fail_rate=0.03) as emu:
            batch_id, _done = finished_openai_batch(emu, path)
            args = {"batch_id": batch_id, "api_key": API_KEY, "base_url": emu.openai_base_url}
            mine = ctx.piece("b4_batchtui", args)
            sdk = ctx.piece("b4_sdk", args)
        t.batchtui, t.baseline = mine["seconds"], sdk["seconds"]
        m.batchtui, m.baseline = mine["rss_growth_mb"], sdk["rss_growth_mb"]
        t.note = (
            f"{mine['rows']:,} lines, {mine['bytes'] / 1e6:.0f} MB (output + error files); "
            "baseline: batches.retrieve + files.content + json.loads per line; client "
            + _cpu(mine["cpu_s"], sdk["cpu_s"])
        )
        if mine["rows"] != sdk["rows"]:
            t.note += f"; ROW COUNT MISMATCH batchtui {mine['rows']} vs SDK {sdk['rows']}"

    return _guard(rows, ctx, body)


# ------------------------------------------------------------------ B5 + B6


def bench_b5_b6(ctx: Context) -> list[Row]:
    """B5 and B6 at every scale of ``sizes.b5_scales``, each scale its own rows."""
    rows: list[Row] = []
    for scale in ctx.sizes.b5_scales:
        rows += _b5_b6_at(ctx, scale)
    return rows


def _b5_b6_at(ctx: Context, scale: Scale) -> list[Row]:
    s = ctx.sizes
    n = f"{scale.jobs:,} jobs"
    p50 = Row("B5", f"key -> frame p50, {n}", "ms", target="-")
    p95 = Row("B5", f"key -> frame p95, {n}", "ms", target="<= 50 ms", max_value=50.0)
    pct = f"{scale.idle_cpu_pct:g} %"
    cpu = Row("B5", f"idle CPU, polling, {n} (% of a core)", "%", target=f"<= {pct}",
              max_value=scale.idle_cpu_pct)  # fmt: skip
    cpu_off = Row("B5", f"idle CPU, polling off, {n} (info)", "%", target="-")
    rpm = Row("B5", f"provider requests/min vs budget, {n}", "rpm", target="<= budget",
              max_ratio=1.0)  # fmt: skip
    cold = Row("B6", f"cold start to first frame, {n}", "s", target=f"<= {scale.cold_start_s:g} s",
               max_value=scale.cold_start_s)  # fmt: skip
    rows = [p50, p95, cpu, cpu_off, rpm, cold]

    def body() -> None:
        live = ctx.homes.get(scale.jobs)
        ages = live.ages
        base = {"env": key_env(), "presses": s.b5_presses, "jobs": scale.jobs}
        # The start-up work of the rows (DataTable measuring on idle) must be over.
        settle = 20.0 if s.name == "full" else s.b5_warmup_s
        home = ctx.homes.copy(live)
        off = ctx.piece(
            "b5_dashboard",
            {**base, "home": str(home), "poll": False, "warmup_s": settle,
             "idle_s": min(scale.idle_s, 20.0)},
            env={**key_env(), "BATCHTUI_HOME": str(home)}, timeout=900,
        )  # fmt: skip
        home = ctx.homes.copy(live)
        on = ctx.piece(
            "b5_dashboard",
            {**base, "home": str(home), "poll": True, "warmup_s": s.b5_warmup_s,
             "idle_s": scale.idle_s, "budget_per_min": cadence_budget(ages, 0.0)},
            env={**key_env(), "BATCHTUI_HOME": str(home)}, timeout=1800,
        )  # fmt: skip
        # Each cold start on its own copy: the stored snapshots are the backdated ones.
        _guard([cold], ctx, lambda: _cold_start(ctx, cold, live))
        for result, which in ((on, "polling on"), (off, "polling off")):
            if _error(result):
                raise RuntimeError(f"dashboard ({which}) failed: {_error(result)}")
        p50.batchtui, p50.baseline = on["latency_p50_ms"], off["latency_p50_ms"]
        p95.batchtui, p95.baseline = on["latency_p95_ms"], off["latency_p95_ms"]
        cpu.batchtui, cpu.baseline = on["idle_cpu_pct"], off["idle_cpu_pct"]
        cpu_off.batchtui = off["idle_cpu_pct"]
        rpm.batchtui = on["requests_per_min"]
        rpm.baseline = cadence_budget(ages, on.get("elapsed_s", 0.0))
        p50.note = (
            f"baseline: same dashboard, polling off; {on['jobs_shown']:,} rows shown; "
            f"headless 200x60; home built in {live.build_s:.0f} s (not measured)"
        )
        cpu.note = (
            f"over {on['idle_s']:.0f} s once the start-up polls were over "
            f"({on['warmup_s']:.0f} s, {on['warmup_requests']:,} requests); "
            f"{on['idle_frames_per_s']:.2f} frames/s; baseline: polling off"
        )
        cpu_off.note = (
            f"no target of its own (issue 13: ~0 % redraws when nothing changed); "
            f"{off['idle_frames_per_s']:.2f} frames/s over {off['idle_s']:.0f} s after a "
            f"{off['warmup_s']:.0f} s settle"
        )
        rpm.note = (
            f"by profile {on['requests_by_profile']}; budget = the poll cadence the profiles' "
            "settings allow for these job ages (no request cap is configurable per profile)"
        )

    return _guard(rows, ctx, body)


def _cold_start(ctx: Context, row: Row, live: LiveHome) -> None:
    """B6: spawn-to-first-frame of the dashboard vs spawn-to-exit of `import textual`."""
    tries = 3 if ctx.sizes.name == "full" else 1
    mine: list[float] = []
    line = ""
    for _ in range(tries):
        env = {**key_env(), "BATCHTUI_HOME": str(ctx.homes.copy(live))}
        seconds, line = spawn_seconds(
            [sys.executable, "-m", "bench.pieces.coldstart"], env=env, ready="FIRST_FRAME"
        )
        mine.append(seconds)
    base = [spawn_seconds([sys.executable, "-c", "import textual"])[0] for _ in range(tries)]
    row.batchtui, row.baseline = min(mine), min(base)
    row.note = (
        f"best of {tries}; spawn -> Textual Ready (first frame composed, headless), {line}; "
        'baseline: spawn -> exit of python -c "import textual"'
    )
    ctx.log(f"  B6 cold start, {live.jobs:,} jobs: {min(mine):.2f} s ({line})")


# ------------------------------------------------------------------ B7

LIST_FLOOR = """\
import json, os, sqlite3, sys
con = sqlite3.connect(os.path.join(os.environ["BATCHTUI_HOME"], "batchtui.db"))
con.row_factory = sqlite3.Row
rows = con.execute("SELECT * FROM jobs ORDER BY created_at DESC").fetchall()
out = sys.stdout
if "--json" in sys.argv:
    out.write(json.dumps([dict(row) for row in rows]) + "\\n")
else:
    for row in rows:
        out.write("  ".join(str(value) for value in tuple(row)[:8]) + "\\n")
"""
"""B7's `list` baseline: a Python process that reads every job row of the same store with
sqlite3 and prints it (a line of its first columns each, or one JSON array)."""


def _batchtui_cmd() -> list[str]:
    """The `batchtui` console script beside this interpreter, else ``python -m batchtui``."""
    script = Path(sys.executable).with_name("batchtui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "batchtui"]


def bench_b7(ctx: Context) -> list[Row]:
    s = ctx.sizes
    n = f"{s.b7_jobs:,} jobs"
    text = Row("B7", f"`batchtui list`, {n} (whole process)", "s", target="<= 0.5 s",
               max_value=0.5)  # fmt: skip
    js = Row("B7", f"`batchtui list --json`, {n} (whole process)", "s", target="<= 0.5 s",
             max_value=0.5)  # fmt: skip
    f50 = Row("B7", f"filter key -> frame p50, {n}", "ms", target="-")
    f95 = Row("B7", f"filter key -> frame p95, {n}", "ms", target="<= 100 ms (ours)",
              max_value=100.0)  # fmt: skip
    s50 = Row("B7", f"sort key -> frame p50, {n}", "ms", target="-")
    s95 = Row("B7", f"sort key -> frame p95, {n}", "ms", target="<= 100 ms (ours)",
              max_value=100.0)  # fmt: skip
    rows = [text, js, f50, f95, s50, s95]
    tries = 3 if s.name == "full" else 1

    def cli_part() -> None:
        live = ctx.homes.get(s.b7_jobs)
        env = {**key_env(), "BATCHTUI_HOME": str(ctx.homes.copy(live))}
        bare = best_process([sys.executable, "-c", "pass"], tries, env=env)
        for row, extra in ((text, []), (js, ["--json"])):
            mine = best_process([*_batchtui_cmd(), "list", *extra], tries, env=env)
            floor = best_process([sys.executable, "-c", LIST_FLOOR, *extra], tries, env=env)
            row.batchtui, row.baseline = mine["seconds"], floor["seconds"]
            row.note = (
                f"best of {tries}; {mine['out_bytes'] / 1e6:.1f} MB printed, peak RSS "
                f"{mine['max_rss_mb']:.0f} MB, CPU {mine['cpu_s']:.2f} s; baseline: python -c "
                "reading every job row with sqlite3 and printing it "
                f"({floor['out_bytes'] / 1e6:.1f} MB); python -c pass: {bare['seconds']:.3f} s"
            )

    def ui_part() -> None:
        live = ctx.homes.get(s.b7_jobs)
        home = ctx.homes.copy(live)
        result = ctx.piece(
            "b7_dashboard",
            {"home": str(home), "env": key_env(), "sorts": s.b7_sorts,
             "settle_s": 20.0 if s.name == "full" else s.b5_warmup_s},
            env={**key_env(), "BATCHTUI_HOME": str(home)}, timeout=900,
        )  # fmt: skip
        if _error(result):
            raise RuntimeError(f"dashboard failed: {_error(result)}")
        cursor, filt, srt = result["cursor"], result["filter"], result["sort"]
        f50.batchtui, f95.batchtui = filt["p50_ms"], filt["p95_ms"]
        s50.batchtui, s95.batchtui = srt["p50_ms"], srt["p95_ms"]
        f50.baseline = s50.baseline = cursor["p50_ms"]
        f95.baseline = s95.baseline = cursor["p95_ms"]
        f50.note = (
            f"{filt['keys']} keys: / then {' / '.join(FILTER_WORDS)} letter by letter, enter, "
            f"escape (rows shown: {result['filter_rows']}); slowest {filt['max_ms']:.0f} ms "
            f"({filt['slowest_key']}); polling off; baseline: j/k cursor moves, same session"
        )
        s50.note = (
            f"{srt['keys']} presses of s (cycling the sort keys over {result['jobs_shown']:,} "
            f"rows); slowest {srt['max_ms']:.0f} ms; baseline: j/k cursor moves, same session"
        )

    _guard([text, js], ctx, cli_part)
    _guard([f50, f95, s50, s95], ctx, ui_part)
    return rows


# ------------------------------------------------------------------ B8


def _team_database(server: Any, home: Path) -> str:
    """A fresh database on ``server`` holding the jobs of ``home``'s SQLite store (each job
    as the provider snapshot it has: what polling needs); returns its URL."""
    from batchtui.core.store import JobStore, open_store

    url = server.new_database()
    with JobStore(home / "batchtui.db") as local, open_store(home, url) as team:
        for record in local.list_jobs():
            if record.snapshot is not None:
                team.upsert_snapshot(record.snapshot, record.profile)
    return str(url)


def bench_b8(ctx: Context) -> list[Row]:
    """Provider requests per minute of five dashboards on one team store, against one."""
    s = ctx.sizes
    scale = s.b5_scales[0]
    n = f"{scale.jobs:,} jobs"
    row = Row("B8", f"team store: requests/min, 5 dashboards vs 1, {n}", "rpm",
              target="<= 1.1x", max_ratio=1.1)  # fmt: skip
    rows = [row]

    def body() -> None:
        from batchtui.localpg import LocalServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql)")
        live = ctx.homes.get(scale.jobs)
        server = LocalServer(bindir).start()
        try:
            warmup, window = (30.0, 125.0) if s.name == "full" else (2.0, 3.0)
            start_at = time.time() + 8.0  # every dashboard of both runs starts together
            runs: dict[int, list[dict[str, Any]]] = {}

            def dashboards(count: int) -> list[dict[str, Any]]:
                url = _team_database(server, ctx.homes.copy(live))
                homes = [ctx.homes.copy(live) for _ in range(count)]
                with ThreadPoolExecutor(max_workers=count) as pool:
                    return list(
                        pool.map(
                            lambda pair: ctx.piece(
                                "b8_poller",
                                {
                                    "home": str(pair[1]),
                                    "start_at": start_at,
                                    "warmup_s": warmup,
                                    "window_s": window,
                                },
                                env={
                                    **key_env(),
                                    "BATCHTUI_HOME": str(pair[1]),
                                    "BATCHTUI_STORE_URL": url,
                                    "BATCHTUI_MACHINE": f"bench-{count}-{pair[0]}",
                                },
                                timeout=900,
                            ),
                            enumerate(homes),
                        )
                    )

            with ThreadPoolExecutor(max_workers=2) as pool:
                one, five = pool.map(dashboards, (1, 5))
            runs = {1: one, 5: five}
            for results in runs.values():
                for result in results:
                    if _error(result):
                        raise RuntimeError(f"dashboard failed: {_error(result)}")
            per_min = {
                count: 60.0 * sum(r["window_requests"] for r in results) / window
                for count, results in runs.items()
            }
            row.batchtui, row.baseline = per_min[5], per_min[1]
            split = ", ".join(str(r["followed"]) for r in runs[5])
            starts = {c: sum(r["warmup_requests"] for r in rs) for c, rs in runs.items()}
            row.note = (
                f"{window:.0f} s window after a {warmup:.0f} s start (start-up requests: "
                f"{starts[1]:,} with one, {starts[5]:,} with five); live jobs followed by each "
                f"of the five: {split}; PostgreSQL {bindir.parent.name} started in "
                f"{server.started_in_s:.1f} s; each dashboard is the Workspace a dashboard "
                "holds (polling, leases, change feed) in a process of its own, screen off"
            )
        finally:
            server.close()

    return _guard(rows, ctx, body)


BENCHES: dict[str, Callable[[Context], list[Row]]] = {
    "B1": bench_b1,
    "B2": bench_b2,
    "B3": bench_b3,
    "B4": bench_b4,
    "B5": bench_b5_b6,
    "B7": bench_b7,
    "B8": bench_b8,
}


def run_all(ctx: Context, only: list[str] | None = None, jobs: int = 1) -> list[Row]:
    """Every benchmark in order (``only``: a subset such as ["B1", "B7"]; B6 runs with B5).

    ``jobs`` > 1 runs benchmarks side by side (the quick run does, to stay short; its figures
    then only show that the harness works, never speed).
    """
    chosen = [
        (name, bench)
        for name, bench in BENCHES.items()
        if not only or name in only or (name == "B5" and "B6" in only)
    ]

    def one(item: tuple[str, Callable[[Context], list[Row]]]) -> list[Row]:
        name, bench = item
        ctx.log(f"{name} ...")
        start = time.perf_counter()
        rows = bench(ctx)
        ctx.log(f"{name} done in {time.perf_counter() - start:.1f} s")
        return rows

    try:
        if jobs <= 1:
            results = [one(item) for item in chosen]
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                results = list(pool.map(one, chosen))
    finally:
        ctx.homes.close()  # the emulators of the live homes, and every copy
    return [row for rows in results for row in rows]


def machine_load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"
