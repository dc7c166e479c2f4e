"""Seeded fault injection for the emulator.

Fault spec grammar (a comma-separated list; empty means no faults)::

    SPEC    := ITEM ("," ITEM)*
    ITEM    := SHARED | COUNTED
    SHARED  := KIND "=" SHARE [":" ARG]
    COUNTED := CKIND "@" ROUTE "=" COUNT [":" ARG]
    KIND    := "429" | "500" | "503" | "529" | "quota" | "slow" | "cut" | "500after"
    CKIND   := "429" | "500" | "503" | "529" | "quota" | "500after" | "529after"
    ROUTE   := "upload" | "create" | "list"
    SHARE   := probability in [0, 1] that a call gets this fault
    COUNT   := non-negative integer | "*"

Probabilistic items (``KIND=SHARE[:ARG]``), drawn per call on every route:

- ``429=P[:S]``  answer 429 with ``retry-after: S`` and ``retry-after-ms`` (S defaults to 1 s);
  OpenAI body code ``rate_limit_exceeded``, Anthropic ``rate_limit_error``.
- ``500=P``      answer 500 (OpenAI ``server_error``, Anthropic ``api_error``).
- ``503=P``      answer 503 (both providers).
- ``529=P``      Anthropic 529 ``overloaded_error``; OpenAI paths get 503 instead.
- ``slow=P[:S]`` delay the answer by S seconds (default 1.0).
- ``cut=P[:F]``  on results/content downloads only: send the headers and the share F of the body
  (default 0.5), then drop the connection.
- ``500after=P`` on batch creates only: create the batch, then answer 500 anyway.
- ``quota=P``    answer 429 for an exhausted quota, without ``retry-after`` (not retryable):
  OpenAI type/code ``insufficient_quota``; Anthropic ``rate_limit_error`` with
  ``error.details.error_code = "enforced_spend_limit_reached"``.

The status faults (429/500/503/529/quota) are drawn from one band, so their shares add up (at
most 1).
They hit a call before it changes anything; only ``500after`` answers an error after a create
committed. Decisions come from a generator seeded with the emulator seed, so a given seed and
call order give the same faults every run. Example: ``429=0.3,500=0.1,529=0.1,slow=0.2:1.5,cut=1``.

Counted items (``CKIND@ROUTE=COUNT[:ARG]``) hit the first COUNT calls to one route, counted from
when the spec was set (``*`` = every call); later calls are untouched. Routes:

- ``upload``  OpenAI ``POST /v1/files``.
- ``create``  ``POST /v1/batches`` and ``POST /v1/messages/batches`` (one count for both).
- ``list``    ``GET /v1/batches``, ``GET /v1/messages/batches`` and ``GET /v1/files``.

``429``/``500``/``503``/``529``/``quota`` answer as above, before the call changes anything
(``429@create=2:0.1`` sends ``retry-after: 0.1``). ``500after`` and ``529after`` run the call
first (the upload stores the file, the create creates the batch), then answer 500 or 529
(OpenAI paths get 503 for 529) although the call took effect; a call the emulator refuses
anyway (e.g. a 400) keeps its own answer but still uses up one of the COUNT calls.
Several counted items on one route take turns in the order written:
``429@create=1,500@create=2`` answers 429 to the first create, 500 to the next two, then
nothing. A counted fault decides the call's status over the probabilistic status and
``500after`` draws (a drawn ``slow`` delay still applies); the draws are still made, so the
probabilistic sequence of the other calls is unchanged. Example: ``500@upload=2,500=0.1``.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

STATUS_KINDS = ("429", "500", "503", "529", "quota")
KINDS = (*STATUS_KINDS, "slow", "cut", "500after")
AFTER_KINDS = ("500after", "529after")
COUNTED_KINDS = (*STATUS_KINDS, *AFTER_KINDS)
ROUTES = ("upload", "create", "list")
DEFAULT_ARGS = {"429": 1.0, "529": 0.0, "503": 0.0, "500": 0.0, "slow": 1.0, "cut": 0.5}


class FaultSpecError(ValueError):
    """The fault spec string does not follow the grammar."""


@dataclass(frozen=True)
class Fault:
    """One kind of fault with its share of calls and its argument."""

    kind: str
    share: float
    arg: float = 0.0


@dataclass(frozen=True)
class CountedFault:
    """A fault for the first ``count`` calls to one route (``None`` = every call)."""

    kind: str
    route: str
    count: int | None
    arg: float = 0.0


@dataclass(frozen=True)
class FaultSpec:
    """A parsed spec: probabilistic faults by kind, counted faults in the order written."""

    shares: dict[str, Fault] = field(default_factory=dict)
    counted: tuple[CountedFault, ...] = ()


def _parse_arg(kind: str, arg_text: str, item: str) -> float:
    try:
        arg = float(arg_text) if arg_text else DEFAULT_ARGS.get(kind, 0.0)
    except ValueError as exc:
        raise FaultSpecError(f"bad number in fault item {item!r}") from exc
    if arg < 0:
        raise FaultSpecError(f"argument must be >= 0 in {item!r}")
    return arg


def _parse_counted(kind: str, route: str, rest: str, item: str) -> CountedFault:
    if kind not in COUNTED_KINDS:
        raise FaultSpecError(
            f"fault kind {kind!r} cannot be counted in {item!r}; "
            f"KIND@ROUTE kinds are {', '.join(COUNTED_KINDS)}"
        )
    if route not in ROUTES:
        raise FaultSpecError(f"unknown route {route!r} in {item!r}; routes are {', '.join(ROUTES)}")
    count_text, _, arg_text = rest.partition(":")
    count_text = count_text.strip()
    count: int | None
    if count_text == "*":
        count = None
    elif count_text.isdigit() and count_text.isascii():
        count = int(count_text)
    else:
        raise FaultSpecError(
            f"count must be a non-negative integer or '*' in {item!r}, not {count_text!r}"
        )
    return CountedFault(kind, route, count, _parse_arg(kind, arg_text, item))


def parse_spec(spec: str) -> FaultSpec:
    """Parse a spec such as ``429=0.3:2,500@upload=2,cut=1``; raises FaultSpecError."""
    shares: dict[str, Fault] = {}
    counted: list[CountedFault] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        head, sep, rest = item.partition("=")
        kind, at, route = head.partition("@")
        kind = kind.strip().lower()
        if not sep:
            raise FaultSpecError(f"bad fault item {item!r}: expected KIND=SHARE or KIND@ROUTE=N")
        if at:
            counted.append(_parse_counted(kind, route.strip().lower(), rest, item))
            continue
        if kind in AFTER_KINDS and kind not in KINDS:
            raise FaultSpecError(f"{kind} is only a counted fault ({kind}@ROUTE=N) in {item!r}")
        if kind not in KINDS:
            raise FaultSpecError(f"bad fault item {item!r}; kinds are {', '.join(KINDS)}")
        share_text, _, arg_text = rest.partition(":")
        try:
            share = float(share_text)
        except ValueError as exc:
            raise FaultSpecError(f"bad number in fault item {item!r}") from exc
        arg = _parse_arg(kind, arg_text, item)
        if not 0.0 <= share <= 1.0:
            raise FaultSpecError(f"share must be in [0, 1] and argument >= 0 in {item!r}")
        if kind == "cut" and arg > 1:
            raise FaultSpecError(f"cut argument is a share of the body (0..1) in {item!r}")
        shares[kind] = Fault(kind, share, arg)
    if sum(f.share for k, f in shares.items() if k in STATUS_KINDS) > 1.0 + 1e-9:
        raise FaultSpecError("shares of 429/500/503/529/quota add up to more than 1")
    return FaultSpec(shares, tuple(counted))


def parse_faults(spec: str) -> dict[str, Fault]:
    """The probabilistic faults of a spec by kind (counted items are checked, not returned).

    Raises FaultSpecError; see parse_spec for the counted items too.
    """
    return parse_spec(spec).shares


@dataclass
class Decision:
    """The faults chosen for one call."""

    status: int | None = None
    quota: bool = False
    retry_after: float | None = None
    delay: float = 0.0
    cut_share: float | None = None
    after_status: int | None = None  # run the handler, then answer this status anyway


class FaultPlan:
    """Draws seeded fault decisions, a fixed number of draws per call, and counts route calls."""

    def __init__(self, spec: str, seed: int) -> None:
        self._lock = threading.Lock()
        self.set(spec, seed)

    def set(self, spec: str, seed: int) -> None:
        """Replace the spec, restart the seeded sequence and zero the route counters."""
        parsed = parse_spec(spec)
        with self._lock:
            self._faults = parsed.shares
            self._counted = parsed.counted
            self._rng = random.Random(f"faults:{seed}")
            self._calls = dict.fromkeys(ROUTES, 0)
            self._faulted = dict.fromkeys(ROUTES, 0)

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return bool(self._faults or self._counted)

    def route_calls(self) -> dict[str, int]:
        """Calls each route received since the spec was set, faulted or not."""
        with self._lock:
            return dict(self._calls)

    def route_faults(self) -> dict[str, int]:
        """Calls to each route since the spec was set that were answered with an injected fault."""
        with self._lock:
            return dict(self._faulted)

    def record_fault(self, route: str | None) -> None:
        """Note that a call to ``route`` was answered with an injected fault."""
        if route is None:
            return
        with self._lock:
            self._faulted[route] += 1

    def _counted_fault(self, route: str, index: int) -> CountedFault | None:
        start = 0
        for fault in self._counted:
            if fault.route != route:
                continue
            if fault.count is None or index < start + fault.count:
                return fault
            start += fault.count
        return None

    def decide(
        self, *, overloaded: int, is_create: bool, is_download: bool, route: str | None = None
    ) -> Decision:
        """Choose the faults for one call (``route``: its counted-fault route, if any).

        ``overloaded`` is the status a 529 fault answers with on the called provider's paths
        (529 where the provider has it, else 503).
        """
        with self._lock:
            faults = self._faults
            counted = None
            if route is not None:
                counted = self._counted_fault(route, self._calls[route])
                self._calls[route] += 1
            if not faults and counted is None:
                return Decision()
            draws = [self._rng.random() for _ in range(4)] if faults else [1.0] * 4
        u_status, u_slow, u_cut, u_after = draws
        decision = Decision()
        if counted is not None:
            self._apply_counted(decision, counted, overloaded)
        else:
            self._apply_status(decision, faults, u_status, overloaded)
            after = faults.get("500after")
            if is_create and after is not None and u_after < after.share:
                decision.after_status = 500
        slow = faults.get("slow")
        if slow is not None and u_slow < slow.share:
            decision.delay = slow.arg
        cut = faults.get("cut")
        if is_download and cut is not None and u_cut < cut.share:
            decision.cut_share = cut.arg
        return decision

    @staticmethod
    def _apply_counted(decision: Decision, fault: CountedFault, overloaded: int) -> None:
        if fault.kind in AFTER_KINDS:
            status = int(fault.kind.removesuffix("after"))
            decision.after_status = overloaded if status == 529 else status
            return
        _set_status(decision, fault.kind, fault.arg, overloaded)

    @staticmethod
    def _apply_status(
        decision: Decision, faults: dict[str, Fault], u_status: float, overloaded: int
    ) -> None:
        edge = 0.0
        for kind in STATUS_KINDS:
            fault = faults.get(kind)
            if fault is None:
                continue
            edge += fault.share
            if u_status < edge:
                _set_status(decision, kind, fault.arg, overloaded)
                return


def _set_status(decision: Decision, kind: str, arg: float, overloaded: int) -> None:
    decision.quota = kind == "quota"
    status = 429 if decision.quota else int(kind)
    decision.status = overloaded if status == 529 else status
    if kind == "429":
        decision.retry_after = arg
