"""A real PostgreSQL server for the tests, started from the machine's own binaries.

`PgServer.start()` runs ``initdb`` and ``postgres`` in a fresh folder on a free loopback port
(as the ``postgres`` user when the tests run as root, since the server refuses root) and
`PgServer.new_database()` gives each test an empty database. Found: Debian's packages
(``/usr/lib/postgresql/<major>/bin``, installed by ``.ci/run``) or ``pg_config --bindir``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import IO

PG_USER = "batchtui"


def find_bindir() -> Path | None:
    """The folder holding initdb and postgres, newest major version first."""
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        majors = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
        for major in reversed(majors):
            if (major / "bin" / "postgres").exists():
                return major / "bin"
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        bindir = Path(out.stdout.strip())
        if (bindir / "postgres").exists():
            return bindir
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One throwaway server; `close()` stops it and removes its folder."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="batchtui-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._as_root = os.geteuid() == 0
        self.started_in_s = 0.0

    def _command(self, *args: str) -> list[str]:
        if self._as_root:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def start(self) -> PgServer:
        began = time.monotonic()
        if self._as_root:
            user = pwd.getpwnam("postgres")
            os.chmod(self.root, 0o755)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        subprocess.run(
            self._command(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                PG_USER,
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ),
            check=True,
            capture_output=True,
        )
        log = self.root / "server.log"
        with log.open("wb") as log_file:  # the server keeps its own copy of the descriptor
            self._process = self._spawn(log_file)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"postgres exited: {log.read_text()[-2000:]}")
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("postgres did not become ready in 30 s")
        self.started_in_s = time.monotonic() - began
        return self

    def _spawn(self, log_file: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._command(
                str(self.bindir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.root}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
                "-c",
                "logging_collector=off",
            ),
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; returns its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # type: ignore[call-overload]
        return self.url(name)

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            # SIGINT is the server's fast shutdown (SIGTERM, the smart one, waits for clients).
            # Sent to the session's group: under root the child is runuser, which passes no
            # SIGINT on and answers SIGTERM by killing the server 2 s later.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=10)
            if self._process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
