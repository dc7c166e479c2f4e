"""The `batchtui` entry point: the dashboard by default, headless subcommands for scripting.

Exit codes: 0 ok, 1 bad input or usage, 2 provider or network error, 3 interrupted. Errors go
to stderr as one readable line (file and line, or the provider's message and request id).
"""

from __future__ import annotations

import argparse
import sys

from batchtui import startup
from batchtui.cli.parser import UsageError, build_parser

EXIT_OK, EXIT_INPUT, EXIT_PROVIDER, EXIT_INTERRUPTED = 0, 1, 2, 3


def _err(message: str) -> None:
    print(f"batchtui: {message}", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    if args.command == "validate":  # needs no store, poller or event loop
        from batchtui.cli.validate import cmd_validate

        return cmd_validate(args)
    if args.command == "store":  # synchronous too: no Workspace or poller
        from batchtui.cli.store import cmd_store

        return cmd_store(args)
    from batchtui.cli import commands
    from batchtui.core.workspace import Workspace

    if args.command == "config":
        return commands.cmd_config(args)
    handler = commands.ASYNC_COMMANDS.get(args.command)
    if handler is None:
        from batchtui.core.provider import BatchtuiError

        raise BatchtuiError(f"`batchtui {args.command}` is not available in this version yet")

    async def go() -> int:
        ws = Workspace.open()
        try:
            return await handler(ws, args)
        finally:
            await ws.aclose()

    import asyncio

    return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "emulator":
        from batchtui.emulator.cli import main as emulator_main

        return emulator_main(argv[1:])
    startup.mark("python and the command line")
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        _err(str(exc).removeprefix("batchtui: "))
        return EXIT_INPUT
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)

    from batchtui.core.inputs import InputError, InputValidationError
    from batchtui.core.provider import BatchtuiError, ProviderError, SubmissionUnsettled
    from batchtui.core.store.records import StoreUnavailable

    try:
        if args.command in (None, "dashboard"):
            from batchtui.dashboard import run_dashboard

            return run_dashboard(webhooks=getattr(args, "webhooks", None))
        if args.command == "demo":
            from batchtui.demo import run_demo

            return run_demo(
                seed=args.seed,
                headless=args.headless,
                webhooks=args.webhooks,
                emulator_port=args.emulator_port,
            )
        if args.command == "serve":
            from batchtui.serve import run_serve

            return run_serve(args)
        return _run(args)
    except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        _err("interrupted; jobs already submitted keep running and are recorded")
        return EXIT_INTERRUPTED
    except InputValidationError as exc:
        from batchtui.cli.validate import print_report_issues

        print_report_issues(exc.report)
        _err(str(exc))
        return EXIT_INPUT
    except (ProviderError, SubmissionUnsettled, StoreUnavailable) as exc:
        _err(str(exc))
        return EXIT_PROVIDER
    except (InputError, BatchtuiError, OSError) as exc:
        _err(str(exc))
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
