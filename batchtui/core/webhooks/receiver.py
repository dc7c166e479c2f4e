"""A small asyncio HTTP/1.1 receiver for webhook events: ``POST /webhooks/<profile>``.

No web framework: one request per connection (answered with ``Connection: close``), a
bounded header block and body, ``Content-Length`` required. Each event is verified with its
profile's `Verifier`, parsed by the profile's provider function, and handed to ``on_event``;
every refusal is answered 4xx and logged once, on one line that names no secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from batchtui.core.webhooks.verify import Rejected, Verifier

log = logging.getLogger("batchtui.webhooks")

PATH_PREFIX = "/webhooks/"
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
READ_TIMEOUT_S = 10.0
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    413: "Content Too Large",
    500: "Internal Server Error",
}


@dataclass(frozen=True, slots=True)
class Event:
    """One verified event: its profile, webhook id, type (as the body names it) and batch."""

    profile: str
    webhook_id: str
    type: str
    batch_id: str


@dataclass(slots=True)
class Route:
    """How one profile's events are checked: its verifier and its provider's event parser
    (``batch_id(event) -> str | None``, ValueError for a body that is no event of it)."""

    verifier: Verifier
    batch_id: Callable[[dict[str, Any]], str | None]


EventHandler = Callable[[Event], Awaitable[None]]
"""Acts on a verified event; raises `Rejected` to refuse it (e.g. an unknown batch)."""


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class WebhookReceiver:
    """Serves ``POST /webhooks/<profile>`` for the profiles in ``routes``.

    ``on_event`` runs for each verified batch event; when it returns, the event's id is
    remembered (a replay is refused) and the answer is 200. Events a provider sends that
    batchtui ignores are answered 200 and nothing else. Counters: ``accepted``, ``ignored``,
    ``refused`` (by reason).
    """

    def __init__(self, routes: Mapping[str, Route], on_event: EventHandler) -> None:
        self.routes = dict(routes)
        self.on_event = on_event
        self.accepted = 0
        self.ignored = 0
        self.refused: dict[str, int] = {}
        self._server: asyncio.Server | None = None
        self.host = ""
        self.port = 0

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` once started."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url_for(self, profile: str) -> str:
        """The URL to give the provider for one profile."""
        return f"{self.url}{PATH_PREFIX}{profile}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> WebhookReceiver:
        """Bind and start serving in the running loop; OSError when the port is taken."""
        self._server = await asyncio.start_server(
            self._connection, host, port, limit=MAX_HEADER_BYTES
        )
        sockname = self._server.sockets[0].getsockname()
        self.host, self.port = host, int(sockname[1])
        return self

    async def close(self) -> None:
        """Stop accepting and close the listening socket."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)

    # ------------------------------------------------------------------ one connection

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        where = peer[0] if isinstance(peer, tuple) and peer else "?"
        try:
            try:
                method, path, headers, body = await asyncio.wait_for(
                    self._read(reader, writer), READ_TIMEOUT_S
                )
            except _BadRequest as exc:
                self._refuse("?", where, "bad_request", str(exc))
                await self._answer(writer, exc.status, {"error": str(exc)})
                return
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                return
            status, payload = await self._handle(method, path, headers, body, where)
            await self._answer(writer, status, payload)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, str, dict[str, str], bytes]:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise _BadRequest(400, "header block too large") from None
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400, "not an HTTP/1.x request line")
        method, target, _ = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest(400, "malformed header line")
            key = name.lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise _BadRequest(411, "chunked bodies are not accepted; send Content-Length")
        length_text = headers.get("content-length", "0" if method != "POST" else "")
        if not length_text.isdigit():
            raise _BadRequest(411, "Content-Length required")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise _BadRequest(413, f"body over {MAX_BODY_BYTES} bytes")
        if length and headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        body = await reader.readexactly(length) if length else b""
        return method, target.split("?", 1)[0], headers, body

    async def _handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes, where: str
    ) -> tuple[int, dict[str, Any]]:
        profile = path[len(PATH_PREFIX) :].strip("/") if path.startswith(PATH_PREFIX) else ""
        route = self.routes.get(profile) if profile else None
        try:
            if route is None:
                raise Rejected(404, "unknown_profile", f"no webhook profile at {path!r}")
            if method != "POST":
                raise Rejected(405, "method", f"{method} is not accepted; events are POSTed")
            webhook_id = route.verifier.check(headers, body)
            try:
                event = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                raise Rejected(400, "bad_body", "the body is not JSON") from None
            if not isinstance(event, dict):
                raise Rejected(400, "bad_body", "the body is not a JSON object")
            try:
                batch_id = route.batch_id(event)
            except ValueError as exc:
                raise Rejected(400, "bad_event", str(exc)) from None
            kind = event.get("type")
            kind = kind if isinstance(kind, str) else "?"
            if batch_id is None:
                route.verifier.accept(webhook_id)
                self.ignored += 1
                return 200, {"ok": True, "ignored": kind}
            await self.on_event(Event(profile, webhook_id, kind, batch_id))
            route.verifier.accept(webhook_id)
            self.accepted += 1
            return 200, {"ok": True}
        except Rejected as exc:
            self._refuse(profile or "?", where, exc.reason, exc.message)
            return exc.status, {"error": exc.message, "reason": exc.reason}
        except Exception:  # a bug on our side: 500, so the provider retries later
            log.exception("webhook %s: handling failed", profile)
            return 500, {"error": "internal error"}

    def _refuse(self, profile: str, where: str, reason: str, message: str) -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1
        log.warning("refused event for %s from %s: %s (%s)", profile, where, message, reason)

    async def _answer(
        self, writer: asyncio.StreamWriter, status: int, payload: dict[str, Any]
    ) -> None:
        body = json.dumps(payload).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode("ascii")
        with contextlib.suppress(ConnectionError):
            writer.write(head + body)
            await writer.drain()
