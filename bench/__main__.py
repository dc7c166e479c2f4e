"""``python -m bench [--quick] [--only B1,B7] [--seed N]``: run the benchmarks, print the table,
write bench/results.json; a full run (neither --quick nor --only) also writes bench/RESULTS.md."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from bench import datagen
from bench.measure import ROOT, compile_bytecode
from bench.report import git_commit, table, write_json, write_markdown
from bench.run import Context, machine_load, run_all
from bench.sizes import FULL, QUICK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (CI); under a minute")
    parser.add_argument("--only", default="", help="subset, e.g. B1,B7 (B6 runs with B5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument("--data", type=Path, default=datagen.DATA_DIR, help="generated data dir")
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).resolve().parent / "results.json"
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        default=Path(__file__).resolve().parent / "RESULTS.md",
        help="the table a full run writes (never written by --quick or --only runs)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="benchmarks run side by side (default: 1 for the full run, 3 for --quick)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    def log(message: str) -> None:
        if args.verbose:
            print(message, file=sys.stderr, flush=True)

    only = [name.strip().upper() for name in args.only.split(",") if name.strip()] or None
    commit = git_commit(ROOT)
    bytecode = compile_bytecode()
    load_before = machine_load()
    ctx = Context(sizes=sizes, seed=args.seed, data_dir=args.data, log=log)
    start = time.perf_counter()
    jobs = args.jobs if args.jobs is not None else (3 if args.quick else 1)
    rows = run_all(ctx, only, jobs)
    elapsed = time.perf_counter() - start
    load_after = machine_load()
    print(f"batchtui benchmarks ({sizes.name}, seed {args.seed}) in {elapsed:.0f} s; "
          f"{load_before} before, {load_after} after")  # fmt: skip
    print(table(rows))
    write_json(
        args.results,
        rows,
        {
            "mode": sizes.name,
            "jobs": jobs,
            "seed": args.seed,
            "seconds": elapsed,
            "load_before": load_before,
            "load_after": load_after,
            "commit": commit,
            "bytecode": bytecode,
            "sizes": dataclasses.asdict(sizes),
            "pieces": ctx.raw,
        },
    )
    print(f"\nwrote {args.results}")
    if not args.quick and only is None:
        meta = {"commit": commit, "load_before": load_before, "load_after": load_after,
                "seconds": elapsed, "seed": args.seed, "jobs": jobs,
                "bytecode": bytecode}  # fmt: skip
        write_markdown(args.markdown, rows, meta)
        print(f"wrote {args.markdown} (commit it: it is the published table)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
