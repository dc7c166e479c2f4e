"""The emulator HTTP server: threaded stdlib server with keep-alive, in a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from batchtui.core.clock import Clock, SystemClock
from batchtui.emulator.app import EmulatorApp
from batchtui.emulator.config import EmulatorConfig
from batchtui.emulator.httpio import BodyError, BodyReader, Request, Response
from batchtui.emulator.webhooks import WebhookSender

COPY_CHUNK = 64 * 1024


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: EmulatorApp
    base_url: str

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def drop_connections(self) -> None:
        """Shut down every open keep-alive connection (so a stopped server is really gone)."""
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _HTTPServer
    server_version = "batchtui-emulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet; the emulator is used inside tests and demos."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _body_reader(self) -> BodyReader:
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        length_text = self.headers.get("Content-Length")
        length = int(length_text) if length_text and length_text.strip().isdigit() else 0
        return BodyReader(self.rfile, length, chunked)

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = self._body_reader()
        request = Request(self.command, parts.path, query, self.headers, body, self.server.base_url)
        try:
            response = self.server.app.handle(request)
            body.drain()
        except BodyError:
            self.close_connection = True
            response = self.server.app.bad_body(request)
        if response.delay > 0:
            time.sleep(response.delay)
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(response.length))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        limit = response.length
        if response.cut_share is not None:
            limit = min(int(response.length * response.cut_share), max(response.length - 1, 0))
        if response.file_path is None:
            self.wfile.write(response.body[:limit])
        else:
            with open(response.file_path, "rb") as fh:
                fh.seek(response.file_offset)
                left = limit
                while left > 0:
                    chunk = fh.read(min(COPY_CHUNK, left))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
        self.wfile.flush()
        if response.cut_share is not None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """The provider emulator (every half in batchtui.emulator.app.HALVES) on one local port."""

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or EmulatorConfig()
        if self.config.clock is None:
            self.config.clock = SystemClock()
        self.host = host
        self.port = port
        self.app = EmulatorApp(self.config)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.webhooks: WebhookSender | None = None

    @property
    def clock(self) -> Clock:
        """The clock job state is computed from."""
        assert self.config.clock is not None
        return self.config.clock

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:8123."""
        return f"http://{self.host}:{self.port}"

    def provider_base_url(self, provider: str) -> str:
        """Base URL for one provider's clients: the root URL plus its half's base path."""
        return self.url + self.app.halves[provider].base_path

    @property
    def openai_base_url(self) -> str:
        """Base URL for OpenAI clients (with /v1)."""
        return self.provider_base_url("openai")

    @property
    def anthropic_base_url(self) -> str:
        """Base URL for Anthropic clients (paths start with /v1)."""
        return self.provider_base_url("anthropic")

    def start(self) -> EmulatorServer:
        """Bind, start serving in a background thread, and return once listening."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self.port), _Handler)
        self.port = httpd.server_address[1]
        httpd.app = self.app
        httpd.base_url = self.url
        self.app.base_url = self.url
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"emulator:{self.port}",
        )
        self._thread.start()
        self._start_webhooks()
        return self

    def _start_webhooks(self) -> None:
        cfg = self.config
        if self.webhooks is None and cfg.webhook_url and cfg.webhook_secret:
            self.webhooks = WebhookSender(
                self.app, cfg.webhook_url, cfg.webhook_secret, cfg.webhook_interval
            ).start()

    def set_webhook(self, url: str | None, secret: str | None = None) -> None:
        """Send signed events to ``url`` from now on (jobs that ended before are announced
        too); None stops sending. ValueError for an unusable secret."""
        if self.webhooks is not None:
            self.webhooks.stop()
            self.webhooks = None
        self.config.webhook_url = url
        self.config.webhook_secret = secret if url else None
        if url and secret:
            self.webhooks = WebhookSender(
                self.app, url, secret, self.config.webhook_interval
            ).start()

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() or KeyboardInterrupt."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.2)
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and drop open connections; state is kept, so start() can resume it.

        Temporary files are removed by close(), or when the server is garbage-collected.
        """
        if self.webhooks is not None:
            self.webhooks.stop()
            self.webhooks = None
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.drop_connections()
        if self._thread is not None:
            self._thread.join(5)

    def close(self) -> None:
        """Stop and remove the emulator's temporary files."""
        self.stop()
        self.app.close()

    def set_faults(self, spec: str) -> None:
        """Replace the fault spec (see batchtui.emulator.faults); restarts the seeded sequence
        and the per-route counters."""
        self.app.set_faults(spec)

    def route_calls(self) -> dict[str, int]:
        """Calls per fault route since the spec was set: ``{"upload": n, "create": n, "list": n}``.

        Every authenticated call that matched the route counts, faulted or not; ``create`` and
        ``list`` count both providers.
        """
        return self.app.route_calls()

    def route_faults(self) -> dict[str, int]:
        """Like route_calls, but only the calls answered with an injected fault (status/after)."""
        return self.app.route_faults()

    def override(
        self,
        batch_id: str,
        job_seconds: float | None = None,
        expire_seconds: float | None = None,
        fail_rate: float | None = None,
    ) -> None:
        """Change one job's timing or failure rate (KeyError if the id is unknown).

        A job a client has already seen in a terminal state keeps its outcome (no-op).
        """
        self.app.override(batch_id, job_seconds, expire_seconds, fail_rate)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
