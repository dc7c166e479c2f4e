"""`batchtui emulator`: run the provider emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from batchtui.emulator.config import EmulatorConfig
from batchtui.emulator.faults import FaultSpecError, parse_faults
from batchtui.emulator.server import EmulatorServer
from batchtui.emulator.webhooks import secret_key

FAULTS_HELP = (
    "comma-separated KIND=SHARE[:ARG] items: 429=P[:retry_after_s], 500=P, 503=P, "
    "529=P (Anthropic; OpenAI paths get 503), slow=P[:delay_s], cut=P[:body_share] "
    "(results/content downloads cut mid-body), 500after=P (create commits, then 500), "
    "quota=P (non-retryable 429: insufficient_quota / enforced_spend_limit_reached); "
    "and counted KIND@ROUTE=N[:ARG] items that hit the first N calls to a route (N=* for "
    "every call) since the spec was set: KIND 429, 500, 503, 529, quota (before the call "
    "changes anything), 500after or 529after (the call takes effect, then 500 or 529 anyway; "
    "OpenAI paths get 503 for 529); "
    "ROUTE upload (POST /v1/files), create (both providers' batch creates) or list (batch and "
    "file lists). "
    "Example: 429=0.3,500=0.1,529=0.1,slow=0.2:1.5,cut=1.0,500@upload=2,529after@create=1"
)


def build_parser() -> argparse.ArgumentParser:
    """The emulator's command-line options."""
    p = argparse.ArgumentParser(
        prog="batchtui emulator",
        description="Local emulator of the OpenAI Batch API and the Anthropic Message Batches "
        "API on one port (OpenAI under /v1, Anthropic under /v1/messages/batches).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to bind (0 = any free port)")
    p.add_argument("--seed", type=int, default=0, help="seed for ids, results and faults")
    p.add_argument("--job-seconds", type=float, default=5.0, help="how long a job runs")
    p.add_argument("--expire-seconds", type=float, default=86400.0, help="completion window length")
    p.add_argument("--fail-rate", type=float, default=0.0, help="share of requests that fail")
    p.add_argument("--api-key", default=None, help="require this API key (401 otherwise)")
    p.add_argument("--faults", default="", metavar="SPEC", help=FAULTS_HELP)
    p.add_argument(
        "--enqueued-token-limit",
        type=int,
        default=None,
        metavar="N",
        help="OpenAI: fail a batch with token_limit_exceeded when its prompt tokens and those "
        "of the same model's unfinished batches top N (default: no limit)",
    )
    p.add_argument(
        "--webhook-url",
        default=None,
        metavar="URL",
        help="POST a signed event (Standard Webhooks) to URL as each OpenAI or Gemini job "
        "ends; {provider} in URL is replaced by the half's name, e.g. "
        "http://127.0.0.1:8787/webhooks/{provider}",
    )
    p.add_argument(
        "--webhook-secret-env",
        default="OPENAI_WEBHOOK_SECRET",
        metavar="VAR",
        help="environment variable holding the signing secret, whsec_<base64> "
        "(default OPENAI_WEBHOOK_SECRET)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; 0 on a clean stop, 1 on bad options or a busy port."""
    args = build_parser().parse_args(argv)
    try:
        parse_faults(args.faults)
    except FaultSpecError as exc:
        print(f"batchtui emulator: {exc}", file=sys.stderr)
        return 1
    if not 0.0 <= args.fail_rate <= 1.0:
        print("batchtui emulator: --fail-rate must be between 0 and 1", file=sys.stderr)
        return 1
    if args.enqueued_token_limit is not None and args.enqueued_token_limit < 1:
        print("batchtui emulator: --enqueued-token-limit must be at least 1", file=sys.stderr)
        return 1
    secret = None
    if args.webhook_url:
        secret = os.environ.get(args.webhook_secret_env, "").strip() or None
        if secret is None:
            print(
                f"batchtui emulator: --webhook-url needs a secret in ${args.webhook_secret_env}",
                file=sys.stderr,
            )
            return 1
        try:
            secret_key(secret)
        except ValueError as exc:
            print(f"batchtui emulator: {exc}", file=sys.stderr)
            return 1
    config = EmulatorConfig(
        seed=args.seed,
        job_seconds=args.job_seconds,
        expire_seconds=args.expire_seconds,
        fail_rate=args.fail_rate,
        api_key=args.api_key,
        faults=args.faults,
        enqueued_token_limit=args.enqueued_token_limit,
        webhook_url=args.webhook_url,
        webhook_secret=secret,
    )
    server = EmulatorServer(config, host=args.host, port=args.port)
    try:
        server.start()
    except OSError as exc:
        print(
            f"batchtui emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    print(f"listening on {server.url}")
    width = max(len(name) for name in server.app.halves)
    for name in server.app.halves:  # what each provider's client takes as its base URL
        print(f"  {name:<{width}}  {server.provider_base_url(name)}")
    if server.webhooks is not None:
        print(f"webhooks to {args.webhook_url} (secret from ${args.webhook_secret_env})")
    print(flush=True)
    stop = threading.Event()
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        previous_term = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if main_thread:
            # A second Ctrl-C must not interrupt the close; the handlers are given back after
            # it, so a caller running this in-process (and every child it spawns later, which
            # would inherit an ignored SIGINT) is left as it was.
            previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            server.close()
        finally:
            if main_thread:
                signal.signal(signal.SIGINT, previous_int)
                signal.signal(signal.SIGTERM, previous_term)
    return 0


if __name__ == "__main__":
    sys.exit(main())
