"""`batchtui validate` and the argument helpers it shares with `submit`.

Validation reads the config and the input, nothing else: no job store, poller or event loop,
so the whole process costs little more than reading the file (issue 13's B2 row).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from batchtui.cli.output import emit_json


def request_defaults(args: argparse.Namespace) -> dict[str, Any]:
    """The request parameters given on the command line (`--model`, `--max-tokens`, ...)."""
    out: dict[str, Any] = {}
    if getattr(args, "model", None):
        out["model"] = args.model
    if getattr(args, "max_tokens", None):
        out["max_tokens"] = args.max_tokens
    if getattr(args, "endpoint", None):
        out["endpoint"] = args.endpoint
    return out


def csv_options(args: argparse.Namespace) -> dict[str, Any]:
    """The CSV/TSV template options of `submit` and `validate`."""
    return {
        "csv_template": getattr(args, "template", None),
        "csv_id_column": getattr(args, "id_column", None),
        "csv_system": getattr(args, "system", None),
    }


def batch_count(summary: Any) -> int:
    """How many batches the input makes (none when it holds no request)."""
    return len(summary.parts) or (1 if summary.requests else 0)


def print_report_issues(report: Any) -> None:
    """Every issue of a validation report on stderr, FILE:LINE: field: message."""
    for line in report.lines():
        print(line, file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate an input for a profile's provider, as `Workspace.validate` does."""
    from batchtui.core.config import load_config
    from batchtui.core.inputs import validate_file
    from batchtui.core.profiles import request_defaults as profile_defaults

    profile = load_config().profile(args.profile)
    report = validate_file(
        args.file,
        profile.provider,
        defaults=profile_defaults(profile, request_defaults(args)),
        **csv_options(args),
    )
    if args.json:
        emit_json(
            {
                "ok": report.ok,
                "errors": report.error_count,
                "warnings": report.warning_count,
                "issues": [str(i) for i in report.issues],
                "total_issues": report.total_issues,
                "summary": report.summary.as_dict(),
            }
        )
    else:
        print_report_issues(report)
        s = report.summary
        verdict = "ok" if report.ok else f"{report.error_count} error(s)"
        print(
            f"{args.file}: {verdict}; {s.requests} requests, {len(s.models)} model(s), "
            f"~{s.input_tokens} input tokens, {batch_count(s)} batch(es) for {s.provider}"
        )
    return 0 if report.ok else 1
