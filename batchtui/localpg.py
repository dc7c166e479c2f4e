"""A PostgreSQL server of one's own, from the machine's binaries: to try the team store
(`batchtui store local-server`) and for the tests, which start one per test process.

It runs ``initdb`` and ``postgres`` in a folder of its own on a loopback port, trusting local
connections as user ``batchtui`` (never for a shared server: a team runs its real one). The
server refuses to run as root, so as root it runs as the ``postgres`` user that Debian's
package makes. Found: ``/usr/lib/postgresql/<major>/bin`` (Debian, newest first), else
``pg_config --bindir``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "batchtui"
DATABASE = "batchtui"


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``, or None when the machine has none."""
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


class LocalServer:
    """One server in ``root`` (a new temporary folder unless given); `close()` stops it and,
    when the folder was made here, removes it."""

    def __init__(
        self,
        bindir: Path,
        *,
        port: int | None = None,
        root: Path | None = None,
        durable: bool = False,
    ) -> None:
        self.bindir = bindir
        self._owns_root = root is None
        self.root = root if root is not None else Path(tempfile.mkdtemp(prefix="batchtui-pg-"))
        self.data = self.root / "data"
        self.port = port or free_port()
        self.durable = durable
        """Keep fsync on (a server whose data should survive a crash of the machine)."""
        self.started_in_s = 0.0
        self._process: subprocess.Popen[bytes] | None = None
        self._as_root = os.geteuid() == 0

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_root else list(args)

    def start(self, timeout_s: float = 30.0) -> LocalServer:
        began = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chmod(self.root, 0o755)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            subprocess.run(
                self._command(
                    str(self.bindir / "initdb"),
                    "-D", str(self.data),
                    "-U", USER,
                    "-A", "trust",
                    "--no-sync",
                    "-E", "UTF8",
                    "--locale=C",
                ),
                check=True,
                capture_output=True,
            )  # fmt: skip
        settings = [
            "listen_addresses=127.0.0.1",
            f"unix_socket_directories={self.root}",
            "max_connections=200",
        ]
        if not self.durable:
            settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        command = [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        for setting in settings:
            command += ["-c", setting]
        log = self.root / "server.log"
        self._process = subprocess.Popen(
            self._command(*command),
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while not self._ready():
            if self._process.poll() is not None:
                raise RuntimeError(f"postgres exited: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"postgres did not answer in {timeout_s:.0f} s")
            time.sleep(0.05)
        self._ensure_database()
        self.started_in_s = time.monotonic() - began
        return self

    def _ready(self) -> bool:
        probe = [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(probe, capture_output=True).returncode == 0

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if found.fetchone() is None:
                conn.execute(f"CREATE DATABASE {DATABASE}")

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database (one per test); returns its URL."""
        import uuid

        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def wait(self) -> int:
        """Block until the server exits; its exit code."""
        assert self._process is not None
        return self._process.wait()

    def close(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            # "fast" shutdown (clients are disconnected), sent to the whole group: as root the
            # child is runuser, which does not pass SIGINT on to the server.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)
