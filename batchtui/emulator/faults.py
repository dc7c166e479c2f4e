"""Seeded fault injection for the emulator.

Fault spec grammar (a comma-separated list; empty means no faults)::

    SPEC  := ITEM ("," ITEM)*
    ITEM  := KIND "=" SHARE [":" ARG]
    KIND  := "429" | "500" | "503" | "529" | "slow" | "cut" | "500after"
    SHARE := probability in [0, 1] that a call gets this fault

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
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

STATUS_KINDS = ("429", "500", "503", "529", "quota")
KINDS = (*STATUS_KINDS, "slow", "cut", "500after")
DEFAULT_ARGS = {"429": 1.0, "529": 0.0, "503": 0.0, "500": 0.0, "slow": 1.0, "cut": 0.5}


class FaultSpecError(ValueError):
    """The fault spec string does not follow the grammar."""


@dataclass(frozen=True)
class Fault:
    """One kind of fault with its share of calls and its argument."""

    kind: str
    share: float
    arg: float = 0.0


def parse_faults(spec: str) -> dict[str, Fault]:
    """Parse a spec such as ``429=0.3:2,slow=0.2:1.5,cut=1``; raises FaultSpecError."""
    faults: dict[str, Fault] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        kind, sep, rest = item.partition("=")
        kind = kind.strip().lower()
        if not sep or kind not in KINDS:
            raise FaultSpecError(f"bad fault item {item!r}; kinds are {', '.join(KINDS)}")
        share_text, _, arg_text = rest.partition(":")
        try:
            share = float(share_text)
            arg = float(arg_text) if arg_text else DEFAULT_ARGS.get(kind, 0.0)
        except ValueError as exc:
            raise FaultSpecError(f"bad number in fault item {item!r}") from exc
        if not 0.0 <= share <= 1.0 or arg < 0:
            raise FaultSpecError(f"share must be in [0, 1] and argument >= 0 in {item!r}")
        if kind == "cut" and arg > 1:
            raise FaultSpecError(f"cut argument is a share of the body (0..1) in {item!r}")
        faults[kind] = Fault(kind, share, arg)
    if sum(f.share for k, f in faults.items() if k in STATUS_KINDS) > 1.0 + 1e-9:
        raise FaultSpecError("shares of 429/500/503/529/quota add up to more than 1")
    return faults


@dataclass
class Decision:
    """The faults chosen for one call."""

    status: int | None = None
    quota: bool = False
    retry_after: float | None = None
    delay: float = 0.0
    cut_share: float | None = None
    error_after_create: bool = False


class FaultPlan:
    """Draws seeded fault decisions, a fixed number of draws per call."""

    def __init__(self, spec: str, seed: int) -> None:
        self._lock = threading.Lock()
        self.set(spec, seed)

    def set(self, spec: str, seed: int) -> None:
        """Replace the spec and restart the seeded sequence."""
        faults = parse_faults(spec)
        with self._lock:
            self._faults = faults
            self._rng = random.Random(f"faults:{seed}")

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return bool(self._faults)

    def decide(self, *, anthropic: bool, is_create: bool, is_download: bool) -> Decision:
        """Choose the faults for one call."""
        with self._lock:
            faults = self._faults
            if not faults:
                return Decision()
            u_status, u_slow, u_cut, u_after = (self._rng.random() for _ in range(4))
        decision = Decision()
        edge = 0.0
        for kind in STATUS_KINDS:
            fault = faults.get(kind)
            if fault is None:
                continue
            edge += fault.share
            if u_status < edge:
                decision.quota = kind == "quota"
                status = 429 if decision.quota else int(kind)
                if status == 529 and not anthropic:
                    status = 503
                decision.status = status
                if kind == "429":
                    decision.retry_after = fault.arg
                break
        slow = faults.get("slow")
        if slow is not None and u_slow < slow.share:
            decision.delay = slow.arg
        cut = faults.get("cut")
        if is_download and cut is not None and u_cut < cut.share:
            decision.cut_share = cut.arg
        after = faults.get("500after")
        if is_create and after is not None and u_after < after.share:
            decision.error_after_create = True
        return decision
