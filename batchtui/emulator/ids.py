"""Identifiers and seeded per-request randomness for the emulator.

The provider halves build their ids from these (``batch_`` + 32 hex, ``msgbatch_01`` + 22
base62, ...); one generator serves every half, so a seed and a call order give the same ids.
"""

from __future__ import annotations

import hashlib
import random
import threading

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def digest(*parts: object) -> bytes:
    """A stable 32-byte digest of the parts (seeded per-request facts come from this)."""
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()


class IdGen:
    """Seeded random characters for object ids, drawn from one sequence under a lock."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"ids:{seed}")
        self._lock = threading.Lock()

    def b62(self, n: int) -> str:
        """n seeded base62 characters."""
        with self._lock:
            return "".join(self._rng.choice(BASE62) for _ in range(n))

    def hex(self, n: int) -> str:
        """n seeded lowercase hex digits."""
        with self._lock:
            return f"{self._rng.getrandbits(4 * n):0{n}x}"
