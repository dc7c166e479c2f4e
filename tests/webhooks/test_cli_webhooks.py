"""`batchtui webhooks` as a real process: it listens, takes the emulator's event for a job in
the store, prints one line, refreshes the job, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from webhook_helpers import Hooks

from batchtui.cli import main
from batchtui.cli.parser import build_parser


def reader(stream: object) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_line(lines: queue.Queue[str], start: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(line)
        if line.startswith(start):
            return line
    raise AssertionError(f"no line starting {start!r}; got {seen}")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
async def test_the_command_receives_an_event_and_stops_on_ctrl_c(
    make_hooks: Callable[..., Hooks],
) -> None:
    h = make_hooks("poll_min_s = 30\npoll_max_s = 60\n", job_seconds=1.5)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "batchtui", "webhooks", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        out, err = reader(proc.stdout), reader(proc.stderr)
        try:
            line = wait_line(out, "listening on ")
            url = line.removeprefix("listening on ")
            assert url.startswith("http://127.0.0.1:") and url.endswith("/webhooks/openai")
            h.server.set_webhook(url.replace("/openai", "/{provider}"), h.secret)
            batch_id = await h.submit()
            await h.ws.adopt(batch_id, "openai")
            assert wait_line(out, "openai ") == f"openai {batch_id} batch.completed"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                record = h.ws.store.get(batch_id, "openai")
                if record is not None and record.is_terminal:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the job did not end in the store")
        finally:
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=15)
        assert code == 0
        assert wait_line(out, "stopped") == "stopped"
        errors = []
        while not err.empty():
            errors.append(err.get())
        assert all(h.secret[6:] not in e for e in errors)
    finally:
        await h.close()


def test_without_any_secret_the_command_says_what_to_set(
    make_hooks: Callable[..., Hooks],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_hooks()
    monkeypatch.delenv("OPENAI_WEBHOOK_SECRET")
    assert main(["webhooks", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "openai: webhooks off: no webhook secret (OPENAI_WEBHOOK_SECRET is not set)" in err
    assert "no profile can receive webhooks" in err


def test_a_bad_secret_is_one_clear_line(
    make_hooks: Callable[..., Hooks],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_hooks()
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", "whsec_%%%not-base64%%%")
    assert main(["webhooks", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "not valid base64" in err and "not-base64" not in err


def test_parser_checks_the_port() -> None:
    args = build_parser().parse_args(["webhooks", "--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)
    assert main(["webhooks", "--port", "70000"]) == 1


def test_a_taken_port_is_one_clear_line(
    make_hooks: Callable[..., Hooks], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import socket

    make_hooks()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["webhooks", "--port", str(port)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
