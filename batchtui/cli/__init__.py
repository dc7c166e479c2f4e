"""The `batchtui` entry point: the dashboard by default, headless subcommands for scripting."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a subcommand; exit codes: 0 ok, 1 bad input, 2 provider error, 3 interrupted."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "emulator":
        from batchtui.emulator.cli import main as emulator_main

        return emulator_main(args[1:])
    print("batchtui: not implemented yet", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
