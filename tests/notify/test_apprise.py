"""notify_urls through the real apprise (skipped when the `notify` extra is not installed):
a ``json://`` URL posts to a loopback HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from batchtui.core.notify import send_apprise

pytest.importorskip("apprise")


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            got.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], got
    server.shutdown()
    server.server_close()


async def test_apprise_delivers_title_and_body(receiver: tuple[int, list[dict[str, Any]]]) -> None:
    port, got = receiver
    problems = await send_apprise(
        [f"json://127.0.0.1:{port}/end"], "batchtui: x completed", "1 of 1"
    )
    assert problems == []
    (message,) = got
    assert message["title"] == "batchtui: x completed" and message["message"] == "1 of 1"


async def test_a_url_apprise_does_not_know_is_one_problem_without_its_secret() -> None:
    problems = await send_apprise(["nosuchscheme://user:hunter2@host"], "t", "b")
    assert problems == ["notify_urls[0] (nosuchscheme://…): not a URL apprise knows"]
