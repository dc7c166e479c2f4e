"""The argument parser of the `batchtui` command: one sub-parser per headless subcommand."""

from __future__ import annotations

import argparse
import math

from batchtui import __version__
from batchtui.core.registry import provider_specs

OUTCOMES = ("succeeded", "errored", "canceled", "expired")
FLAGS = ("truncated", "filtered", "refused", "http_error")


class UsageError(Exception):
    """The command line is wrong; exit code 1 with the message."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of exiting, so main() owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535: {text!r}")
    return value


def _listen(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` -> (host, port); the host defaults to 127.0.0.1."""
    host, sep, port = text.rpartition(":")
    return (host if sep and host else "127.0.0.1", _port(port))


def _csv_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template",
        help="CSV/TSV inputs: the prompt, with {column} placeholders (default: a 'prompt' column)",
    )
    parser.add_argument(
        "--id-column", help="CSV/TSV inputs: the column holding custom_ids (default: generated)"
    )
    parser.add_argument("--system", help="CSV/TSV inputs: a system prompt for every row")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", "-p", help="profile from config.toml (default: the default)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    """Build the full parser; `batchtui` with no subcommand opens the dashboard."""
    parser = _Parser(
        prog="batchtui",
        description="A terminal dashboard and CLI for LLM batch jobs ("
        + ", ".join(spec.title for spec in provider_specs().values())
        + ").",
        epilog="Exit codes: 0 ok, 1 bad input or usage, 2 provider or network error, "
        "3 interrupted. With no subcommand, the dashboard opens.",
    )
    parser.add_argument("--version", action="version", version=f"batchtui {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("submit", help="validate and submit an input file")
    _common(p)
    p.add_argument("file")
    p.add_argument("--model", help="model for requests that name none")
    p.add_argument("--max-tokens", type=_positive_int, help="max_tokens where none is given")
    p.add_argument(
        "--endpoint",
        help="endpoint for requests that name none, where the provider's lines name one "
        "(default: the provider's own)",
    )
    p.add_argument("--label", help="a label shown in the table and sent as metadata")
    _csv_options(p)
    p.add_argument(
        "--no-split",
        dest="split",
        action="store_false",
        help="refuse an input over the provider's limits instead of splitting it",
    )
    p.add_argument("--dry-run", action="store_true", help="validate and estimate; send nothing")
    p.add_argument("--wait", action="store_true", help="watch until the job ends")
    p.add_argument(
        "--again",
        action="store_true",
        help="submit even if this input already has a job on this profile",
    )
    p.add_argument(
        "--max-cost",
        type=_positive_float,
        metavar="USD",
        help="refuse if the high estimate is over this many US dollars",
    )

    p = sub.add_parser(
        "list", help="list every job (open submissions are settled with the provider first)"
    )
    _common(p)
    fresh = p.add_mutually_exclusive_group()
    fresh.add_argument(
        "--refresh",
        action="store_true",
        help="ask the providers about every live job first, and send queued jobs that now fit",
    )
    fresh.add_argument(
        "--cached",
        action="store_true",
        help="print the local store as it is, without any network call",
    )

    p = sub.add_parser("costs", help="what jobs cost, per profile and per day")
    _common(p)

    p = sub.add_parser("show", help="show one job (fresh from the provider)")
    _common(p)
    p.add_argument("id")
    p.add_argument("--cached", action="store_true", help="print the stored snapshot")

    p = sub.add_parser("watch", help="live status lines until the jobs end")
    _common(p)
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument(
        "--interval",
        type=_positive_float,
        default=None,
        help="seconds between polls (default: the poller's schedule)",
    )
    p.add_argument(
        "--notify",
        action="store_true",
        help="when a job ends (or goes stale), a desktop notification through the terminal's "
        "escape sequence and/or the bell; only when stdout is a terminal",
    )

    p = sub.add_parser("cancel", help="cancel a job (its finished part is kept)")
    _common(p)
    p.add_argument("id")

    p = sub.add_parser("results", help="download and export a job's results")
    _common(p)
    p.add_argument("id")
    p.add_argument("--outcome", choices=OUTCOMES)
    p.add_argument("--flag", choices=FLAGS)
    p.add_argument("--error-type", help="only results with this error type or code")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument(
        "--run", action="store_true", help="the merged results of the job and its retries"
    )
    p.add_argument("--join", action="store_true", help="write each result beside its request")

    p = sub.add_parser("retry", help="resubmit a job's failed requests as a child job")
    _common(p)
    p.add_argument("id")
    p.add_argument("--error-type", action="append", help="only this error type (repeatable)")
    p.add_argument("--custom-id", action="append", help="only this custom_id (repeatable)")
    p.add_argument("--flag", choices=FLAGS, help="retry results with this flag instead")
    p.add_argument("--max-tokens", type=_positive_int, help="new max_tokens for the retry")
    p.add_argument("--wait", action="store_true")

    p = sub.add_parser("recover", help="fetch a stopped job's partial results, resubmit the rest")
    _common(p)
    p.add_argument("id")
    p.add_argument("--wait", action="store_true")

    p = sub.add_parser("validate", help="check an input file without sending anything")
    _common(p)
    p.add_argument("file")
    p.add_argument("--model")
    p.add_argument("--max-tokens", type=_positive_int)
    p.add_argument("--endpoint")
    _csv_options(p)

    p = sub.add_parser("config", help="show the configuration, or write a starter file")
    p.add_argument("action", nargs="?", choices=("show", "init", "path"), default="show")
    p.add_argument("--json", action="store_true")
    p.add_argument("--force", action="store_true", help="init: overwrite an existing file")

    p = sub.add_parser(
        "store",
        help="the job store: which one is in use (info), copy this machine's store into a "
        "team store (migrate; run it again and it copies only what is missing), or run a "
        "PostgreSQL of your own to try a team store (local-server)",
    )
    p.add_argument("action", choices=("info", "migrate", "local-server"))
    p.add_argument(
        "--port",
        type=int,
        default=5433,
        help="local-server: the loopback port (default 5433)",
    )
    p.add_argument(
        "--dir",
        metavar="PATH",
        help="local-server: keep the server's data here across runs (default: a temporary "
        "folder removed on exit)",
    )
    p.add_argument(
        "--to",
        metavar="URL",
        help="migrate: the team store (postgresql://…; default: the configured one)",
    )
    p.add_argument(
        "--from",
        dest="source",
        metavar="PATH",
        help="migrate: the SQLite store to copy (default: this home's batchtui.db)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser(
        "clean",
        help="delete provider-side files (or the ended batches themselves, where that is how "
        "the provider cleans up) of fully cached jobs",
    )
    _common(p)
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    p.add_argument("--yes", action="store_true", help="do not ask before deleting")

    p = sub.add_parser("demo", help="the dashboard on an embedded emulator with sample jobs")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--headless",
        action="store_true",
        help="run a scripted round through the core and print it (no screen)",
    )
    p.add_argument(
        "--webhooks",
        action="store_true",
        help="the emulator sends signed events when jobs end and the dashboard receives them "
        "(jobs end on screen within a second instead of at the next poll)",
    )
    p.add_argument(
        "--emulator-port",
        type=int,
        metavar="PORT",
        help="run the emulator on PORT, or join the one another demo runs there: two demos "
        "with BATCHTUI_STORE_URL set to one team store show each other's jobs",
    )

    p = sub.add_parser(
        "webhooks",
        help="receive providers' signed batch events (POST /webhooks/<profile>) and refresh "
        "those jobs at once; polling continues as the fallback",
    )
    _common(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument(
        "--port", type=_port, default=8787, help="port to bind (default 8787; 0 = any free port)"
    )

    p = sub.add_parser(
        "serve",
        help="the dashboard in a browser (textual-serve); any address but 127.0.0.1, ::1 or "
        "localhost requires a token",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument(
        "--port", type=_port, default=8000, help="port to bind (default 8000; 0 = any free port)"
    )
    p.add_argument(
        "--token",
        help="require this token (16+ URL-safe characters; default: $BATCHTUI_SERVE_TOKEN, else "
        "a new one when bound off loopback); the URL to open is printed once at start",
    )
    p.add_argument("--demo", action="store_true", help="each session runs `batchtui demo` instead")

    sub.add_parser("emulator", help="run the local provider emulator", add_help=False)
    p = sub.add_parser("dashboard", help="open the dashboard (the default)")
    p.add_argument(
        "--webhooks",
        metavar="[HOST:]PORT",
        type=_listen,
        help="also receive providers' signed events (POST /webhooks/<profile>) on this "
        "address, as `batchtui webhooks` does, so ended jobs show at once",
    )
    return parser
