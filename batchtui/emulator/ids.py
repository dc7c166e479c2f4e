"""Identifiers and seeded per-request randomness for the emulator."""

from __future__ import annotations

import hashlib
import random
import threading
import uuid

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def digest(*parts: object) -> bytes:
    """A stable 32-byte digest of the parts (seeded per-request facts come from this)."""
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()


def request_id(anthropic: bool) -> str:
    """A fresh request id in the provider's style."""
    if anthropic:
        n = uuid.uuid4().int
        return "req_011C" + "".join(BASE62[(n >> (6 * i)) % 62] for i in range(20))
    return "req_" + uuid.uuid4().hex


class IdGen:
    """Seeded object ids: batch_ + 32 hex, file- + 22 base62, msgbatch_01 + 22 base62."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"ids:{seed}")
        self._lock = threading.Lock()

    def _b62(self, n: int) -> str:
        with self._lock:
            return "".join(self._rng.choice(BASE62) for _ in range(n))

    def _hex(self, n: int) -> str:
        with self._lock:
            return f"{self._rng.getrandbits(4 * n):0{n}x}"

    def batch(self) -> str:
        """An OpenAI batch id."""
        return "batch_" + self._hex(32)

    def file(self) -> str:
        """An OpenAI file id."""
        return "file-" + self._b62(22)

    def message_batch(self) -> str:
        """An Anthropic message batch id."""
        return "msgbatch_01" + self._b62(22)
