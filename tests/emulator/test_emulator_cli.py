"""`batchtui emulator` as a process: prints its address, serves both APIs, stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx

from batchtui.emulator.cli import build_parser, main


def test_help_documents_the_fault_grammar(capsys) -> None:
    help_text = build_parser().format_help()
    for word in ("--faults", "429=", "slow=", "cut=", "500after", "--job-seconds", "--api-key"):
        assert word in help_text


def test_bad_options_exit_1(capsys) -> None:
    assert main(["--faults", "teapot=1"]) == 1
    assert "teapot" in capsys.readouterr().err
    assert main(["--fail-rate", "2"]) == 1


def test_serves_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "batchtui", "emulator", "--port", "0", "--seed", "3",
         "--job-seconds", "0.5", "--api-key", "sk-cli"],
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a shell gives it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.removeprefix("listening on ")
        bases = {}
        while (row := proc.stdout.readline().strip()) != "":
            name, base = row.split()
            bases[name] = base
        assert bases["openai"] == url + "/v1"
        assert bases["anthropic"] == url
        headers = {"Authorization": "Bearer sk-cli", "x-api-key": "sk-cli"}
        assert httpx.get(url + "/v1/batches", headers=headers).status_code == 200
        assert httpx.get(url + "/v1/messages/batches", headers=headers).status_code == 200
        assert httpx.get(url + "/v1/batches").status_code == 401
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert "Traceback" not in err
