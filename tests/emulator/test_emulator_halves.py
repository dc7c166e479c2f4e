"""The emulator installs its provider halves from one table; a new half is one more entry."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from batchtui.core.clock import FixedClock
from batchtui.emulator import EmulatorConfig, EmulatorServer, app
from batchtui.emulator.errors import ApiError
from batchtui.emulator.half import ProviderHalf, bearer_token
from batchtui.emulator.httpio import Request, Response


class FakeHalf(ProviderHalf):
    """A provider that answers GET /fake/v1/ping and renders errors its own way."""

    name = "fake"
    prefix = "/fake"
    base_path = "/fake/v1"
    overloaded_status = 529

    def __init__(self, emulator_app: app.EmulatorApp) -> None:
        super().__init__(emulator_app)
        self.jobs: dict[str, Any] = {}
        self.add_route("GET", "/fake/v1/ping", self.ping, fault_route="list")

    def ping(self, _r: Request, _m: re.Match[str]) -> Response:
        return Response.json({"pong": True})

    def request_id(self) -> str:
        return "fake-req"

    def error_response(self, err: ApiError, request_id: str) -> Response:
        return err.answer({"fault": err.message, "status": err.status, "rid": request_id})

    def stamp(self, resp: Response, request_id: str) -> None:
        resp.headers.setdefault("fake-request-id", request_id)

    def check_auth(self, request: Request, key: str) -> None:
        if bearer_token(request) != key:
            raise ApiError(401, "fake: bad key")

    def not_found(self, request: Request) -> ApiError:
        return ApiError(404, f"fake: no {request.path}")

    def quota_error(self) -> ApiError:
        return ApiError(429, "fake: quota")

    def status_error(self, status: int, headers: dict[str, str]) -> ApiError:
        return ApiError(status, f"fake: {status}", headers=headers)


def test_the_bundled_halves_each_answer_their_own_paths(emulator: EmulatorServer) -> None:
    halves = emulator.app.halves
    assert list(halves) == [half.name for half in app.HALVES]
    assert list(halves) == ["openai", "anthropic", "gemini", "mistral", "groq", "together"]
    assert emulator.openai_base_url == emulator.provider_base_url("openai")
    assert emulator.anthropic_base_url == emulator.provider_base_url("anthropic")
    assert emulator.app.half_for("/v1/messages/batches/x") is halves["anthropic"]
    assert emulator.app.half_for("/v1/batches") is halves["openai"]
    assert emulator.app.half_for("/anything") is halves["openai"]  # the half with prefix ""


def test_one_more_entry_installs_a_half(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "HALVES", (*app.HALVES, FakeHalf))
    config = EmulatorConfig(seed=7, clock=FixedClock(), api_key="k")
    with EmulatorServer(config).start() as server:
        base = server.provider_base_url("fake")
        auth = {"Authorization": "Bearer k"}
        ok = httpx.get(f"{base}/ping", headers=auth)
        assert ok.json() == {"pong": True}
        assert ok.headers["fake-request-id"] == "fake-req"
        missing = httpx.get(f"{base}/nope", headers=auth)
        assert missing.status_code == 404
        assert missing.json() == {
            "fault": "fake: no /fake/v1/nope",
            "status": 404,
            "rid": "fake-req",
        }
        assert httpx.get(f"{base}/ping").json()["fault"] == "fake: bad key"
        server.set_faults("529@list=1,429@list=1:2")
        assert httpx.get(f"{base}/ping", headers=auth).status_code == 529
        limited = httpx.get(f"{base}/ping", headers=auth)
        assert limited.json()["fault"] == "fake: 429"
        assert limited.headers["retry-after"] == "2"
        assert server.route_faults()["list"] == 2
        # The other halves are untouched.
        batches = httpx.get(f"{server.openai_base_url}/batches", headers=auth)
        assert batches.status_code == 200 and batches.headers["x-request-id"].startswith("req_")
