"""`batchtui serve` over plain HTTP (httpx), on real server processes: what is refused without
the token, what the token opens, and the loopback-only checks when there is no token."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_helpers import Served, isolated_env, serve

from batchtui.serve import (
    ServeError,
    check_token,
    choose_token,
    dashboard_command,
    needs_token,
    open_url,
)

TOKEN = "t0ken-for-the-http-tests-only"
UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}
REFUSED_PATHS = (
    "/",
    "/?token=wrong-token-of-some-length",
    "/?fontsize=20",
    "/static/js/textual.js",
    "/static/",
    "/static/css/xterm.css",
    "/download/any-key",
    "/no-such-page",
)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server bound off 127.0.0.1 (127.0.0.2, still this machine) with a token given."""
    with serve(tmp_path_factory.mktemp("guarded"), "--host", "127.0.0.2", "--token", TOKEN) as s:
        yield s


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on the default address, without a token."""
    with serve(tmp_path_factory.mktemp("loopback")) as s:
        yield s


@pytest.mark.parametrize("path", REFUSED_PATHS)
def test_nothing_is_served_without_the_token(guarded: Served, path: str) -> None:
    response = httpx.get(guarded.base.rstrip("/") + path)
    assert response.status_code == 403
    assert "<html" not in response.text.lower() and "xterm" not in response.text.lower()
    assert "set-cookie" not in response.headers


def test_the_websocket_is_refused_without_the_token(guarded: Served) -> None:
    ws = guarded.base + "ws?width=80&height=24"
    assert httpx.get(ws, headers=UPGRADE).status_code == 403
    wrong_cookie = {"Cookie": f"batchtui_token_{_port(guarded)}=wrong-token-of-some-length"}
    assert httpx.get(ws, headers={**UPGRADE, **wrong_cookie}).status_code == 403
    # The right token from another site's page: refused too.
    foreign = {**UPGRADE, "Origin": "http://evil.example"}
    assert httpx.get(ws + f"&token={TOKEN}", headers=foreign).status_code == 403


def test_the_token_opens_the_page_and_its_cookie_the_assets(guarded: Served) -> None:
    page = httpx.get(guarded.url)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    cookie = page.headers["set-cookie"]
    assert f"batchtui_token_{_port(guarded)}={TOKEN}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # The page's websocket and assets are on the address the browser used.
    assert f'data-session-websocket-url="ws://127.0.0.2:{_port(guarded)}/ws"' in page.text
    with httpx.Client(cookies=page.cookies) as client:
        asset = client.get(guarded.base + "static/js/textual.js")
        assert asset.status_code == 200 and "WebSocket" in asset.text


def test_the_token_is_printed_once_and_never_logged(guarded: Served) -> None:
    httpx.get(guarded.base + "?token=wrong-token-of-some-length")
    httpx.get(guarded.url)
    out, err = "".join(guarded.stdout), "".join(guarded.stderr)
    assert out.count(TOKEN) == 1 and guarded.url in out
    assert TOKEN not in err and "wrong-token" not in err
    assert "refused GET / from" in err


def test_loopback_without_a_token(loopback: Served) -> None:
    assert "token" not in loopback.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", loopback.url)
    assert httpx.get(loopback.url).status_code == 200
    # A name rebound to 127.0.0.1 by another site, and another site's page: refused.
    assert httpx.get(loopback.url, headers={"Host": "evil.example"}).status_code == 403
    foreign = {**UPGRADE, "Origin": "http://evil.example"}
    assert httpx.get(loopback.url + "ws", headers=foreign).status_code == 403


def test_off_loopback_a_token_is_made_and_required(tmp_path: Path) -> None:
    with serve(tmp_path, "--host", "127.0.0.2") as served:
        match = re.fullmatch(r"http://127\.0\.0\.2:\d+/\?token=([A-Za-z0-9_-]{32})", served.url)
        assert match, served.url
        assert httpx.get(served.base).status_code == 403
        assert httpx.get(served.url).status_code == 200


def test_a_short_token_is_refused_without_quoting_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "batchtui", "serve", "--port", "0", "--token", "short-one"],
        env=isolated_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "at least 16 characters" in done.stderr and "short-one" not in done.stderr


def test_rules() -> None:
    assert not needs_token("127.0.0.1") and not needs_token("::1")
    assert not needs_token("localhost") and not needs_token("[::1]")
    assert needs_token("0.0.0.0") and needs_token("127.0.0.2") and needs_token("example.org")
    assert choose_token("127.0.0.1", None) is None
    made = choose_token("0.0.0.0", None)
    assert made is not None and len(made) >= 32 and made != choose_token("0.0.0.0", None)
    assert choose_token("127.0.0.1", TOKEN) == TOKEN
    with pytest.raises(ServeError, match="only letters"):
        check_token("a token with spaces in it")
    assert open_url("::1", 8000, None) == "http://[::1]:8000/"
    assert open_url("0.0.0.0", 80, TOKEN) == f"http://0.0.0.0:80/?token={TOKEN}"
    assert dashboard_command(demo=True).endswith(" -m batchtui demo")
    assert dashboard_command(demo=False).endswith(" -m batchtui")


def _port(served: Served) -> int:
    return int(served.base.rstrip("/").rsplit(":", 1)[1])


def test_serve_stays_out_of_the_other_commands_and_the_dashboard_out_of_serve() -> None:
    """Other commands never load the web server; the server never loads Textual or the
    workspace (each session's dashboard is its own process)."""
    code = (
        "import sys, batchtui.cli, batchtui.cli.parser;"
        "a = {'aiohttp', 'textual_serve'} & {m.split('.')[0] for m in sys.modules};"
        "import batchtui.serve;"
        "b = [m for m in sys.modules if m.split('.')[0] == 'textual'"
        " or m.startswith(('batchtui.ui', 'batchtui.core.workspace'))];"
        "print(sorted(a), b)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] []"
