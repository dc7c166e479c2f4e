"""`batchtui store`: which job store is in use (`info`), and copying this machine's SQLite
store into a team store (`migrate`).

Synchronous, like `validate`: no Workspace, poller or event loop. psycopg (the optional extra
``team``) is imported only when a team store is opened. No URL is ever printed with its
password: the store names itself through `display_url`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from batchtui.cli.output import emit_json

_PROGRESS_EVERY_S = 1.0


def _err(message: str) -> None:
    print(f"batchtui: {message}", file=sys.stderr, flush=True)


def cmd_store(args: argparse.Namespace) -> int:
    if args.action == "local-server":
        return _local_server(args)
    if args.action == "info":
        if args.to or args.source:
            _err("--to and --from go with `batchtui store migrate`")
            return 1
        return _info(args)
    return _migrate(args)


def _migrate(args: argparse.Namespace) -> int:
    from batchtui.core.config import load_config, resolve_store_url, submitter
    from batchtui.core.paths import db_path
    from batchtui.core.store.migrate import migrate_store

    config = load_config()
    source = Path(args.source).expanduser() if args.source else db_path()
    target = args.to or resolve_store_url(config)
    if not target:
        _err(
            f"no team store to copy {source} to: give --to postgresql://… (or set "
            "BATCHTUI_STORE_URL, store_url or store_url_file)"
        )
        return 1
    if not target.startswith(("postgresql://", "postgres://")):
        _err("the target must be a team store URL (postgresql://…)")
        return 1
    started = time.monotonic()
    shown = [started]

    def progress(table: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= _PROGRESS_EVERY_S or (done == total and now - started >= 1.0):
            shown[0] = now
            print(f"batchtui: copying {table}: {done}/{total}", file=sys.stderr, flush=True)

    try:
        summary = migrate_store(source, target, submitted_by=submitter(config), progress=progress)
    except KeyboardInterrupt:  # the copy is one transaction: it was rolled back
        _err("interrupted; nothing was copied")
        return 3
    if args.json:
        emit_json({**summary.as_dict(), "seconds": round(time.monotonic() - started, 3)})
    else:
        for line in summary.lines():
            print(line)
    return 0


def _info(args: argparse.Namespace) -> int:
    from batchtui.core.config import load_config, resolve_store_url
    from batchtui.core.paths import data_dir
    from batchtui.core.store import open_store
    from batchtui.core.store.migrate import store_info

    store = open_store(data_dir(), resolve_store_url(load_config()))
    try:
        info = store_info(store)
    finally:
        store.close()
    if args.json:
        emit_json(info)
        return 0
    for line in info_lines(info):
        print(line)
    return 0


def info_lines(info: dict[str, Any]) -> list[str]:
    """`store info` as text."""
    if info["kind"] == "sqlite":
        lines = [f"store: this machine's own (SQLite) {info['location']}"]
    else:
        lines = [
            f"store: team store {info['location']} (PostgreSQL {info['server_version']})",
            f"this machine's files (kept inputs, results): {info['home']}",
        ]
    lines.append(
        f"schema: version {info['schema_version']} (this batchtui: "
        f"{info['program_schema_version']})"
    )
    lines.append(f"jobs: {info['jobs']} in {info['runs']} run(s)")
    for who in info.get("connected", []):
        where = f" from {who['address']}" if who["address"] else " (local socket)"
        app = who["application"] or "?"
        lines.append(f"connected: {who['user']} ({app}){where} x{who['connections']}")
    return lines


def _local_server(args: argparse.Namespace) -> int:
    """Run a PostgreSQL of one's own in the foreground until Ctrl-C (`batchtui.localpg`)."""
    from batchtui.localpg import LocalServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        _err(
            "no PostgreSQL server binaries on this machine: install them (Debian/Ubuntu: "
            "apt-get install postgresql), or point store_url at an existing server"
        )
        return 1
    root = Path(args.dir).expanduser().resolve() if args.dir else None
    server = LocalServer(bindir, port=args.port, root=root, durable=root is not None)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        _err(f"the local PostgreSQL did not start: {exc}")
        return 1
    try:
        kept = f"data in {server.root}" if root else "data removed on exit"
        print(
            f"team store ready: {server.url()}\n"
            f"  try: BATCHTUI_STORE_URL={server.url()} batchtui demo --emulator-port 8089\n"
            f"  PostgreSQL {bindir.parent.name} on 127.0.0.1:{server.port}, {kept}; "
            "Ctrl-C stops it",
            flush=True,
        )
        server.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        server.close()
