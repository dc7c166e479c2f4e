"""Request routing for the emulator: provider detection, auth, faults, and error rendering."""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batchtui.core.clock import Clock, SystemClock
from batchtui.emulator.config import EmulatorConfig
from batchtui.emulator.errors import ApiError, anthropic_error, openai_error
from batchtui.emulator.faults import ROUTES, FaultPlan
from batchtui.emulator.httpio import BodyError, Request, Response
from batchtui.emulator.ids import IdGen, request_id
from batchtui.emulator.jobs import rfc3339

Handler = Callable[[Request, re.Match[str]], Response]


@dataclass
class Route:
    """One endpoint: method, path pattern, handler, and which faults may apply.

    ``fault_route`` names the route for counted faults and the route counters (``upload``,
    ``create`` or ``list``; see batchtui.emulator.faults), or is None.
    """

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    anthropic: bool
    is_create: bool = False
    is_download: bool = False
    fault_route: str | None = None


class EmulatorApp:
    """Holds the emulator state and answers parsed requests."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock: Clock = config.clock or SystemClock()
        self.lock = threading.RLock()
        self.tmpdir = Path(tempfile.mkdtemp(prefix="batchtui-emulator-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.tmpdir, ignore_errors=True)
        self.ids = IdGen(config.seed)
        self.faults = FaultPlan(config.faults, config.seed)
        self.base_url = ""
        self.routes: list[Route] = []
        self._install_apis()

    def _install_apis(self) -> None:
        from batchtui.emulator import anthropic_api, openai_api

        self.openai = openai_api.OpenAIApi(self)
        self.anthropic = anthropic_api.AnthropicApi(self)

    def add_route(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        is_create: bool = False,
        is_download: bool = False,
        fault_route: str | None = None,
    ) -> None:
        """Register an endpoint; the pattern is a full-path regex."""
        if fault_route is not None and fault_route not in ROUTES:
            raise ValueError(f"unknown fault route {fault_route!r}")
        anthropic = pattern.startswith("/v1/messages/batches")
        compiled = re.compile(pattern + r"\Z")
        route = Route(method, compiled, handler, anthropic, is_create, is_download, fault_route)
        self.routes.append(route)

    def now(self) -> float:
        """Current time in Unix seconds from the injected clock."""
        return self.clock.time()

    def close(self) -> None:
        """Remove temporary files."""
        self._cleanup()

    def set_faults(self, spec: str) -> None:
        """Replace the fault spec (restarts the counted faults and the route counters)."""
        self.faults.set(spec, self.config.seed)

    def route_calls(self) -> dict[str, int]:
        """Calls per fault route (upload/create/list) since the spec was set, faulted or not."""
        return self.faults.route_calls()

    def route_faults(self) -> dict[str, int]:
        """Calls per fault route since the spec was set that got an injected fault answer."""
        return self.faults.route_faults()

    def override(
        self,
        batch_id: str,
        job_seconds: float | None,
        expire_seconds: float | None,
        fail_rate: float | None,
    ) -> None:
        """Change one job's timing or failure rate."""
        with self.lock:
            job = self.openai.jobs.get(batch_id) or self.anthropic.jobs.get(batch_id)
            if job is None:
                raise KeyError(batch_id)
            job.override(job_seconds, expire_seconds, fail_rate)

    def bad_body(self, request: Request) -> Response:
        """The answer to a request whose body framing was broken."""
        err = ApiError(400, "Could not read the request body.")
        return self._render(err, request.path.startswith("/v1/messages/batches"))

    def _render(self, err: ApiError, anthropic: bool, rid: str | None = None) -> Response:
        rid = rid or request_id(anthropic)
        resp = anthropic_error(err, rid) if anthropic else openai_error(err)
        self._stamp(resp, anthropic, rid)
        return resp

    def _stamp(self, resp: Response, anthropic: bool, rid: str) -> None:
        if anthropic:
            resp.headers.setdefault("request-id", rid)
            resp.headers.setdefault("anthropic-organization-id", "emulator-org")
            reset = rfc3339(self.now() + 60).replace(".000000Z", "Z")
            for kind, limit in (("requests", 4000), ("tokens", 2_000_000)):
                resp.headers.setdefault(f"anthropic-ratelimit-{kind}-limit", str(limit))
                resp.headers.setdefault(f"anthropic-ratelimit-{kind}-remaining", str(limit - 1))
                resp.headers.setdefault(f"anthropic-ratelimit-{kind}-reset", reset)
        else:
            resp.headers.setdefault("x-request-id", rid)
            resp.headers.setdefault("openai-version", "2020-10-01")
            resp.headers.setdefault("openai-organization", "emulator-org")
            resp.headers.setdefault("openai-processing-ms", "1")
            for kind, limit, reset in (("requests", 5000, "12ms"), ("tokens", 2_000_000, "6m0s")):
                resp.headers.setdefault(f"x-ratelimit-limit-{kind}", str(limit))
                resp.headers.setdefault(f"x-ratelimit-remaining-{kind}", str(limit - 1))
                resp.headers.setdefault(f"x-ratelimit-reset-{kind}", reset)

    def _check_auth(self, request: Request, anthropic: bool) -> None:
        key = self.config.api_key
        if not key:
            return
        bearer = request.header("Authorization")
        given = bearer[7:].strip() if bearer.lower().startswith("bearer ") else None
        if anthropic:
            if request.header("x-api-key") == key or given == key:
                return
            raise ApiError(401, "invalid x-api-key")
        if given == key:
            return
        if not given:
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")

    def _match(self, request: Request) -> tuple[Route, re.Match[str]] | None:
        for route in self.routes:
            if route.method == request.method:
                m = route.pattern.match(request.path)
                if m:
                    return route, m
        return None

    def handle(self, request: Request) -> Response:
        """Answer one request (never raises for API-level problems)."""
        anthropic = request.path.startswith("/v1/messages/batches")
        rid = request_id(anthropic)
        delay = 0.0
        try:
            self._check_auth(request, anthropic)
            found = self._match(request)
            if found is None:
                if anthropic:
                    raise ApiError(404, "Not found")
                raise ApiError(
                    404,
                    f"Invalid URL ({request.method} {request.path})",
                    type="invalid_request_error",
                )
            route, match = found
            decision = self.faults.decide(
                anthropic=anthropic,
                is_create=route.is_create,
                is_download=route.is_download,
                route=route.fault_route,
            )
            delay = decision.delay
            if decision.status is not None:
                self.faults.record_fault(route.fault_route)
                if decision.quota:
                    raise quota_error(anthropic)
                raise fault_error(decision.status, decision.retry_after, anthropic)
            resp = route.handler(request, match)
            if decision.after_status is not None and resp.status < 300:
                self.faults.record_fault(route.fault_route)
                raise fault_error(decision.after_status, None, anthropic)
            if resp.downloadable:
                resp.cut_share = decision.cut_share
        except ApiError as err:
            resp = self._render(err, anthropic, rid)
        except BodyError:
            raise  # the server answers and closes the connection
        except Exception:  # a bug in the emulator: answer 500 and show it on stderr
            traceback.print_exc()
            resp = self._render(ApiError(500, "Emulator internal error."), anthropic, rid)
        resp.delay = delay
        self._stamp(resp, anthropic, rid)
        return resp


def quota_error(anthropic: bool) -> ApiError:
    """The non-retryable 429 of an exhausted quota or spend limit."""
    if anthropic:
        err = ApiError(
            429,
            "You have reached your specified workspace API usage limits.",
            type="rate_limit_error",
        )
        err.details = {"error_code": "enforced_spend_limit_reached"}
        return err
    return ApiError(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        type="insufficient_quota",
        code="insufficient_quota",
    )


def fault_error(status: int, retry_after: float | None, anthropic: bool) -> ApiError:
    """The error an injected status fault answers with."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
        headers["retry-after-ms"] = str(int(retry_after * 1000))
    if status == 429:
        if anthropic:
            msg = "Number of requests has exceeded your rate limit. Please try again later."
            return ApiError(429, msg, headers=headers)
        msg = "Rate limit reached for requests. Please try again later."
        return ApiError(429, msg, type="requests", code="rate_limit_exceeded", headers=headers)
    if status == 529:
        return ApiError(529, "Overloaded", headers=headers)
    if status == 503:
        if anthropic:
            return ApiError(503, "Service unavailable", headers=headers)
        msg = "The server is overloaded or not ready yet."
        return ApiError(503, msg, type="server_error", headers=headers)
    if anthropic:
        return ApiError(500, "Internal server error", headers=headers)
    msg = "The server had an error while processing your request. Sorry about that!"
    return ApiError(500, msg, type="server_error", headers=headers)
