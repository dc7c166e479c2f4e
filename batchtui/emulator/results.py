"""Deterministic per-request outcomes shared by every provider half.

Everything a request yields (when it finishes inside the job, success or failure, reply text and
length, id material) is a pure function of (seed, custom_id, request), so a seed reproduces every
result. Each provider half turns these into its own result lines (``<half>/results.py``).

The markers a request carries (batchtui.emulator.facts) decide refusals, filtered and cut
replies and forced failures; besides them, ``fail_rate`` makes that share of requests fail, and
``failure_pick`` chooses which of a half's realistic failures each one gets.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from batchtui.emulator.facts import Facts
from batchtui.emulator.ids import BASE62

WORDS = (  # noqa: SIM905 - one readable line of words
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu batch token "
    "result window queue answer model prompt"
).split()

REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
HTTP_ERROR_MESSAGE = "The emulator was asked to fail this request ([[http_error]] marker)."


def time_share(seed: int, custom_id: str) -> float:
    """Where in the run (0 < share <= 1) this request finishes."""
    return 1.0 - int.from_bytes(_key(seed, custom_id)[:8], "big") / 2**64


def randomly_failed(seed: int, custom_id: str, fail_rate: float) -> bool:
    """Whether fail_rate picks this request to fail."""
    if fail_rate <= 0:
        return False
    return int.from_bytes(_key(seed, custom_id)[8:16], "big") / 2**64 < fail_rate


def succeeded(seed: int, facts: Facts, fail_rate: float) -> bool:
    """Whether the request ends with a 2xx answer (refusals and truncations included)."""
    return facts.marker != "http_error" and not randomly_failed(seed, facts.custom_id, fail_rate)


@dataclass(frozen=True)
class Reply:
    """The deterministic reply to one request."""

    text: str
    output_tokens: int
    stop: str  # "stop" | "length" | "refuse" | "filter"


def reply(seed: int, facts: Facts) -> Reply:
    """The reply text and output tokens for a request."""
    h = _key(seed, facts.custom_id)
    natural = 6 + h[17] % 40
    words = [WORDS[b % len(WORDS)] for b in h[18 : 18 + natural]]
    if facts.marker == "refuse":
        return Reply(REFUSAL_TEXT, len(REFUSAL_TEXT.split()), "refuse")
    if facts.marker == "filter":
        return Reply(" ".join(words[:3]), 3, "filter")
    if facts.max_tokens is not None and facts.max_tokens < natural:
        n = max(facts.max_tokens, 0)
        return Reply(" ".join(words[:n]), n, "length")
    return Reply(" ".join(words).capitalize() + ".", natural, "stop")


@functools.lru_cache(maxsize=1 << 18)
def _key(seed: int, custom_id: str) -> bytes:
    """64 seeded bytes per request: [0:8] time, [8:16] failure, [16] failure kind,
    [17] reply length, [18:64] reply words."""
    return hashlib.sha512(f"{seed}\x00{custom_id}".encode()).digest()


@functools.lru_cache(maxsize=1 << 18)
def _id_bytes(seed: int, custom_id: str) -> bytes:
    return hashlib.sha512(f"{seed}\x00ids\x00{custom_id}".encode()).digest()


def id_b62(seed: int, custom_id: str, start: int, n: int) -> str:
    """n base62 characters of the request's id material from offset start (start + n <= 64)."""
    return "".join(BASE62[b % 62] for b in _id_bytes(seed, custom_id)[start : start + n])


def id_hex(seed: int, custom_id: str, start: int) -> str:
    """32 hex characters of the request's id material (start in 0..96)."""
    return _id_bytes(seed, custom_id).hex()[start : start + 32]


def failure_pick(seed: int, custom_id: str, kinds: int) -> int:
    """Which of a half's ``kinds`` failures a randomly failed request gets (0 <= pick < kinds)."""
    return _key(seed, custom_id)[16] % kinds
