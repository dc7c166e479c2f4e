"""The emulator's shared machinery: one app holding the provider halves, routing each request to
the half whose path it is, checking auth and the fault plan, and rendering errors through it.

The halves are installed from HALVES, one entry per provider package beside this module; the app
itself names no provider.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import traceback
import weakref
from pathlib import Path
from typing import Any

from batchtui.core.clock import Clock, SystemClock
from batchtui.emulator import anthropic, gemini, groq, mistral, openai, together
from batchtui.emulator.config import EmulatorConfig
from batchtui.emulator.errors import ApiError
from batchtui.emulator.faults import FaultPlan
from batchtui.emulator.half import ProviderHalf
from batchtui.emulator.httpio import BodyError, Request, Response
from batchtui.emulator.ids import IdGen

# The provider halves, in the order they are installed: each package beside this module exports
# HALF, a ProviderHalf subclass. A new provider is its package and one entry here.
HALVES: tuple[type[ProviderHalf], ...] = (
    openai.HALF,
    anthropic.HALF,
    gemini.HALF,
    mistral.HALF,
    groq.HALF,
    together.HALF,
)


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
        self.halves: dict[str, ProviderHalf] = {}
        for make in HALVES:
            half = make(self)
            self.halves[half.name] = half
        self._longest_prefix_first = sorted(
            (
                (prefix, half)
                for half in self.halves.values()
                for prefix in (half.prefix, *half.more_prefixes)
            ),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def __getattr__(self, name: str) -> Any:
        """A half by its provider name (``app.openai``), for tests that reach into its state."""
        halves = self.__dict__.get("halves", {})
        if name in halves:
            return halves[name]
        raise AttributeError(name)

    def half_for(self, path: str) -> ProviderHalf:
        """The half that answers a path: the one with the longest prefix of it."""
        for prefix, half in self._longest_prefix_first:
            if path.startswith(prefix):
                return half
        raise LookupError(f"no provider half answers {path!r}")

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
            found = (half.find_job(batch_id) for half in self.halves.values())
            job = next((j for j in found if j is not None), None)
            if job is None:
                raise KeyError(batch_id)
            job.override(job_seconds, expire_seconds, fail_rate)

    def bad_body(self, request: Request) -> Response:
        """The answer to a request whose body framing was broken."""
        err = ApiError(400, "Could not read the request body.")
        return self._render(err, self.half_for(request.path))

    def _render(self, err: ApiError, half: ProviderHalf, rid: str | None = None) -> Response:
        rid = rid or half.request_id()
        resp = half.error_response(err, rid)
        half.stamp(resp, rid)
        return resp

    def handle(self, request: Request) -> Response:
        """Answer one request (never raises for API-level problems)."""
        half = self.half_for(request.path)
        rid = half.request_id()
        delay = 0.0
        try:
            if self.config.api_key:
                half.check_auth(request, self.config.api_key)
            found = half.match(request)
            if found is None:
                raise half.not_found(request)
            route, match = found
            decision = self.faults.decide(
                overloaded=half.overloaded_status,
                is_create=route.is_create,
                is_download=route.is_download,
                route=route.fault_route,
            )
            delay = decision.delay
            if decision.status is not None:
                self.faults.record_fault(route.fault_route)
                if decision.quota:
                    raise half.quota_error()
                raise half.fault_error(decision.status, decision.retry_after)
            resp = route.handler(request, match)
            if decision.after_status is not None and resp.status < 300:
                self.faults.record_fault(route.fault_route)
                raise half.fault_error(decision.after_status, None)
            if resp.downloadable:
                resp.cut_share = decision.cut_share
        except ApiError as err:
            resp = self._render(err, half, rid)
        except BodyError:
            raise  # the server answers and closes the connection
        except Exception:  # a bug in the emulator: answer 500 and show it on stderr
            traceback.print_exc()
            resp = self._render(ApiError(500, "Emulator internal error."), half, rid)
        resp.delay = delay
        half.stamp(resp, rid)
        return resp
