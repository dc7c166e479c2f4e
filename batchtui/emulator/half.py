"""What one provider's half of the emulator is: the base class each provider package fills in.

A half owns every request whose path starts with its ``prefix`` (the longest matching prefix
wins, so a half with prefix ``""`` answers whatever no other half claims). It registers its
routes (matched only against its own paths), keeps its jobs, and decides everything about its
wire that a client sees besides the routes: the request-id style, the error body, the headers
stamped on every answer, how the key is checked, and what an injected fault answers. The app
(batchtui.emulator.app) only routes, checks the fault plan and calls these; it names no provider.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from batchtui.emulator.errors import ApiError
from batchtui.emulator.facts import Facts
from batchtui.emulator.faults import ROUTES
from batchtui.emulator.httpio import Request, Response
from batchtui.emulator.jobs import Job

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp


Handler = Callable[[Request, re.Match[str]], Response]
J = TypeVar("J", bound=Job)


@dataclass
class Route:
    """One endpoint: method, path pattern, handler, and which faults may apply.

    ``fault_route`` names the route for counted faults and the route counters (``upload``,
    ``create`` or ``list``; see batchtui.emulator.faults), or is None.
    """

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    is_create: bool = False
    is_download: bool = False
    fault_route: str | None = None


class ProviderHalf:
    """One provider's routes, jobs and wire shape, installed on an EmulatorApp."""

    name: ClassVar[str]
    prefix: ClassVar[str]  # request paths this half answers (longest prefix wins)
    more_prefixes: ClassVar[tuple[str, ...]] = ()  # further path prefixes it answers too
    # (e.g. separate upload and download roots)
    base_path: ClassVar[str]  # the provider SDK's base URL is the server URL + this
    overloaded_status: ClassVar[int] = 529  # what a 529 fault answers on this half's paths
    jobs: Mapping[str, Job]

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.routes: list[Route] = []
        self._seq = 0

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
        """Register an endpoint of this half; the pattern is a full-path regex."""
        if fault_route is not None and fault_route not in ROUTES:
            raise ValueError(f"unknown fault route {fault_route!r}")
        compiled = re.compile(pattern + r"\Z")
        self.routes.append(Route(method, compiled, handler, is_create, is_download, fault_route))

    def match(self, request: Request) -> tuple[Route, re.Match[str]] | None:
        """The first of this half's routes that matches the request, with its match."""
        for route in self.routes:
            if route.method == request.method:
                m = route.pattern.match(request.path)
                if m:
                    return route, m
        return None

    def new_job(self, kind: type[J], job_id: str, facts: list[Facts], **extra: Any) -> J:
        """A job of this half created now, timed by the app's config (callers hold its lock);
        extra holds the fields of the provider's own job type."""
        cfg = self.app.config
        self._seq += 1
        return kind(
            id=job_id,
            created=self.app.now(),
            job_seconds=cfg.job_seconds,
            expire_seconds=cfg.expire_seconds,
            fail_rate=cfg.fail_rate,
            seed=cfg.seed,
            facts=facts,
            cancel_seconds=cfg.cancel_seconds,
            seq=self._seq,
            **extra,
        )

    def webhook_event(self, job: Job, now: float) -> dict[str, Any] | None:
        """The JSON body of the webhook event announcing that ``job`` has ended, once it has by
        ``now`` (None while it runs, or when the provider sends no event for this ending);
        callers hold the app's lock. The default: this half sends no webhooks."""
        return None

    def find_job(self, batch_id: str) -> Job | None:
        """The job with this id, if this half holds it."""
        return self.jobs.get(batch_id)

    def request_id(self) -> str:
        """A fresh request id in the provider's style."""
        raise NotImplementedError

    def error_response(self, err: ApiError, request_id: str) -> Response:
        """The provider's error answer for err."""
        raise NotImplementedError

    def stamp(self, resp: Response, request_id: str) -> None:
        """Add the headers every answer of this provider carries (request id, rate limits)."""
        raise NotImplementedError

    def check_auth(self, request: Request, key: str) -> None:
        """Raise the provider's 401 unless the request carries key."""
        raise NotImplementedError

    def not_found(self, request: Request) -> ApiError:
        """The error for a path of this half that no route matches."""
        raise NotImplementedError

    def quota_error(self) -> ApiError:
        """The non-retryable 429 of an exhausted quota or spend limit."""
        raise NotImplementedError

    def status_error(self, status: int, headers: dict[str, str]) -> ApiError:
        """The error an injected status fault (429, 500, 503 or 529) answers with."""
        raise NotImplementedError

    def fault_error(self, status: int, retry_after: float | None) -> ApiError:
        """status_error with the retry-after headers of a 429 fault's argument."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
            headers["retry-after-ms"] = str(int(retry_after * 1000))
        return self.status_error(status, headers)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    bearer = request.header("Authorization")
    return bearer[7:].strip() if bearer.lower().startswith("bearer ") else None
