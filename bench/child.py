"""Entry of a measured child process: ``python -m bench.child PIECE ARGS_JSON``.

The piece's setup (imports, opening files) runs first and is not measured; then the RSS is
read, the measured work runs, and the child prints one ``BENCH_RESULT {json}`` line with the
piece's timings plus ``rss_growth_mb`` = peak RSS (VmHWM) minus the RSS after setup.
"""

from __future__ import annotations

import gc
import importlib
import json
import sys

from bench.measure import CPU, MB, RESULT_TAG, peak_rss_bytes, rss_bytes

PIECES = {
    "b1_core": "bench.pieces.results:b1_core",
    "b1_naive": "bench.pieces.results:b1_naive",
    "b1_ui": "bench.pieces.screens:b1_ui",
    "b1_datatable": "bench.pieces.screens:b1_datatable",
    "b2_validate": "bench.pieces.inputs:b2_validate",
    "b2_floor": "bench.pieces.inputs:b2_floor",
    "b3_openai_batchtui": "bench.pieces.submit:openai_batchtui",
    "b3_openai_sdk": "bench.pieces.submit:openai_sdk",
    "b3_anthropic_batchtui": "bench.pieces.submit:anthropic_batchtui",
    "b3_anthropic_sdk": "bench.pieces.submit:anthropic_sdk",
    "b4_batchtui": "bench.pieces.download:b4_batchtui",
    "b4_sdk": "bench.pieces.download:b4_sdk",
    "b5_dashboard": "bench.pieces.screens:b5_dashboard",
    "b7_dashboard": "bench.pieces.screens:b7_dashboard",
    "b8_poller": "bench.pieces.team:b8_poller",
}


def main(argv: list[str]) -> int:
    """Set the piece up, measure its work, print its result line."""
    name, raw = argv[0], argv[1] if len(argv) > 1 else "{}"
    module_name, func_name = PIECES[name].split(":")
    setup = getattr(importlib.import_module(module_name), func_name)
    run = setup(json.loads(raw))
    gc.collect()
    base = rss_bytes()
    result = dict(run())
    if CPU:
        result["cpu_s"] = {key: round(value, 4) for key, value in CPU.items()}
    result["rss_growth_mb"] = round((peak_rss_bytes() - base) / MB, 2)
    result["rss_after_setup_mb"] = round(base / MB, 2)
    print(RESULT_TAG + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
