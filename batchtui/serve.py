"""`batchtui serve`: the dashboard in a browser, through textual-serve.

Each browser session runs batchtui's own dashboard as a subprocess (``python -m batchtui``, or
``python -m batchtui demo`` with ``--demo``) with this process's environment, working directory
and home, bridged by textual-serve over a websocket to xterm.js in the page. Same keys, same
screens.

textual-serve builds an aiohttp application (``/`` the page, ``/ws`` the session, ``/static/``
the assets, ``/download/<key>`` files the app delivers); batchtui runs that application itself
with one guard in front of every route:

- With a token (always when bound to anything but 127.0.0.1, ::1 or localhost), a request must
  carry it, as ``?token=`` on the page's URL or in the cookie the page's response sets
  (HttpOnly, SameSite=Strict, one name per port) so the page's assets and its websocket carry it
  too. It is compared in constant time; a request without it gets 403 and nothing else.
- Without a token (loopback only), the Host header must name a loopback address, so a web page
  on another site cannot reach the dashboard by rebinding its own name to 127.0.0.1.
- The websocket refuses an Origin other than the page's own: another site's page cannot open a
  session in the user's browser.

The token appears once, in the start line on standard output; refusals are logged to standard
error by method, path and peer only, and aiohttp's access log (which would print query strings)
is off.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

TOKEN_PARAM = "token"
TOKEN_ENV = "BATCHTUI_SERVE_TOKEN"
"""A token read from the environment instead of ``--token`` (kept out of the process list);
it is removed from the environment the dashboards inherit."""
MIN_TOKEN_LENGTH = 16
TOKEN_FREE_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
"""The only addresses served without a token."""

_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_.~-]+")
_HOST_HEADER = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

log = logging.getLogger("batchtui.serve")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ServeError(Exception):
    """A usage problem of `batchtui serve`: exit code 1 with the message."""


def needs_token(host: str) -> bool:
    """Whether binding ``host`` requires a token: anything but 127.0.0.1, ::1 and localhost."""
    return host.strip("[]").lower() not in TOKEN_FREE_HOSTS


def check_token(token: str) -> str:
    """The token if it is long enough and URL-safe; ServeError (never quoting it) otherwise."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ServeError(f"the token must be at least {MIN_TOKEN_LENGTH} characters long")
    if not _TOKEN_CHARS.fullmatch(token):
        raise ServeError("the token may hold only letters, digits and - _ . ~")
    return token


def choose_token(host: str, given: str | None) -> str | None:
    """The token to require: the one given, else a new one off loopback, else None."""
    if given:
        return check_token(given)
    if needs_token(host):
        return secrets.token_urlsafe(24)
    return None


def dashboard_command(demo: bool) -> str:
    """The shell command textual-serve runs per session: this Python's own batchtui."""
    return shlex.join([sys.executable, "-m", "batchtui", *(["demo"] if demo else [])])


def open_url(host: str, port: int, token: str | None) -> str:
    """The URL to open: ``http://H:P/``, with ``?token=`` when one is required."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    query = f"?{TOKEN_PARAM}={token}" if token else ""
    return f"http://{shown}:{port}/{query}"


def _hostname(host_header: str) -> str:
    """The name or address part of a Host header value (brackets of IPv6 removed)."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")]
    return host_header.rsplit(":", 1)[0]


def _is_loopback(name: str) -> bool:
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass
class Guard:
    """The checks every request passes before textual-serve sees it."""

    token: str | None
    cookie_name: str
    sessions: set[asyncio.Task[Any]] = field(default_factory=set)

    def _refuse(self, request: web.Request, reason: str, status: int = 403) -> web.Response:
        # The path only: a query string could hold a (wrong or right) token.
        log.warning(
            "refused %s %s from %s: %s", request.method, request.path, request.remote, reason
        )
        return web.Response(status=status, text=f"batchtui serve: {reason}\n")

    def _token_given(self, request: web.Request) -> tuple[bool, bool]:
        """(carries the right token, came in the query)."""
        assert self.token is not None
        expected = self.token.encode()
        in_query = request.query.get(TOKEN_PARAM)
        if in_query is not None and hmac.compare_digest(in_query.encode(), expected):
            return True, True
        in_cookie = request.cookies.get(self.cookie_name)
        if in_cookie is not None and hmac.compare_digest(in_cookie.encode(), expected):
            return True, False
        return False, False

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        if not _HOST_HEADER.fullmatch(host):
            return self._refuse(request, "bad Host header", status=400)
        from_query = False
        if self.token is not None:
            ok, from_query = self._token_given(request)
            if not ok:
                return self._refuse(request, "a valid token is required")
        elif not _is_loopback(_hostname(host)):
            return self._refuse(request, "served on loopback only")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            origin = request.headers.get("Origin")
            if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
                return self._refuse(request, "websocket from another origin")
            return await self._session(request, handler)
        response = await handler(request)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        if from_query and self.token is not None and not response.prepared:
            response.set_cookie(
                self.cookie_name,
                self.token,
                path="/",
                httponly=True,
                samesite="Strict",
                secure=request.secure,
            )
        return response

    async def _session(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run one websocket session, known to `close_sessions` while it lasts."""
        task = asyncio.current_task()
        assert task is not None
        self.sessions.add(task)
        try:
            return await handler(request)
        finally:
            self.sessions.discard(task)

    async def close_sessions(self, app: web.Application) -> None:
        """On shutdown: end every session, so each dashboard is told to quit and waited for."""
        tasks = [task for task in self.sessions if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=10.0)


class DashboardServer(Server):
    """textual-serve's Server for batchtui: its app behind a Guard, URLs from the Host header."""

    def __init__(self, command: str, host: str, port: int, guard: Guard, title: str) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.guard = guard

    async def on_startup(self, app: web.Application) -> None:
        """Print nothing: `run_serve` prints the one start line."""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # The page's websocket and asset URLs follow the address the browser used (the Guard
        # has checked the Host header), so a wildcard bind or port 0 gives a working page.
        # The template wrapper reads public_url before its first await: no session sees another's.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def make_app(self) -> web.Application:
        """textual-serve's application with the Guard in front of every route."""
        app = await self._make_app()
        app.middlewares.append(self.guard.middleware)
        app.on_shutdown.append(self.guard.close_sessions)
        return app


@contextlib.contextmanager
def _log_to_stderr() -> Iterator[None]:
    """batchtui's refusals and textual-serve's warnings, one line each on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("batchtui serve: %(message)s"))
    loggers = [(logging.getLogger("batchtui.serve"), logging.INFO)]
    loggers.append((logging.getLogger("textual-serve"), logging.WARNING))
    saved = [(logger.level, logger.propagate) for logger, _ in loggers]
    for logger, level in loggers:
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    try:
        yield
    finally:
        for (logger, _), (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


def _err(message: str) -> None:
    print(f"batchtui serve: {message}", file=sys.stderr, flush=True)


async def _serve(server: DashboardServer, token: str | None) -> int:
    app = await server.make_app()
    # No access log: aiohttp's would print every query string, tokens included.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, server.host, server.port)
        try:
            await site.start()
        except OSError as exc:
            _err(f"cannot listen on {server.host}:{server.port}: {exc.strerror or exc}")
            return 1
        port = runner.addresses[0][1] if server.port == 0 else server.port
        server.guard.cookie_name = f"batchtui_token_{port}"
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        print(
            f"batchtui serve: open {open_url(server.host, port, token)} "
            f"(each session runs: {server.command}; Ctrl-C stops)",
            flush=True,
        )
        await stop.wait()
    finally:
        await runner.cleanup()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Entry of `batchtui serve`: serve until Ctrl-C or SIGTERM; 1 on a usage problem."""
    from_env = os.environ.pop(TOKEN_ENV, None)  # never inherited by the dashboards
    given = args.token or from_env
    try:
        token = choose_token(args.host, given)
    except ServeError as exc:
        _err(str(exc))
        return 1
    guard = Guard(token=token, cookie_name=f"batchtui_token_{args.port}")
    title = "batchtui demo" if args.demo else "batchtui"
    server = DashboardServer(dashboard_command(args.demo), args.host, args.port, guard, title)
    with _log_to_stderr():
        code = asyncio.run(_serve(server, token))
    if code == 0:
        print("batchtui serve: stopped", flush=True)
    return code
