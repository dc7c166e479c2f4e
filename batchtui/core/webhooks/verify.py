"""Standard Webhooks signature verification (provider-neutral; stdlib only).

The scheme: headers ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (space-separated ``v1,<base64>`` entries, any one may match); the signed
content is ``"{id}.{timestamp}.{raw body}"``; the signature is base64 of HMAC-SHA256 keyed with
the secret — the base64-decoded part after ``whsec_``; a timestamp more than the tolerance
(300 s) from now, either way, is refused; signatures are compared in constant time. A
``webhook-id`` already accepted within the tolerance window is a replay and refused.

Nothing here logs, stores or prints the secret; a `Rejected` names what was wrong, never the
secret or a signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from batchtui.core.clock import Clock, SystemClock

DEFAULT_TOLERANCE_S = 300.0
SECRET_PREFIX = "whsec_"
MAX_SIGNATURES = 20
"""At most this many ``v1,`` entries are tried (a header of thousands is an attack, not a key
rotation)."""


class SecretError(ValueError):
    """A webhook secret that cannot be used (empty, or ``whsec_`` with bad base64)."""


class Rejected(Exception):
    """A webhook event refused: ``status`` is the HTTP answer, ``reason`` a short word for
    logs and tests (``missing_headers``, ``bad_timestamp``, ``stale``, ``future``,
    ``bad_signature``, ``replayed``, ...), ``message`` one readable line."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a secret: base64 after ``whsec_``; any other text is used as its bytes.

    Raises `SecretError` (never quoting the secret) for an empty secret or bad base64.
    """
    text = secret.strip()
    if text.startswith(SECRET_PREFIX):
        encoded = text[len(SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise SecretError("the webhook secret after 'whsec_' is not valid base64") from None
    else:
        key = text.encode("utf-8")
    if not key:
        raise SecretError("the webhook secret is empty")
    return key


def sign(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    """The base64 HMAC-SHA256 signature of one event (without the ``v1,`` label)."""
    content = f"{webhook_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode("ascii")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict with other capitalisation
        for key, found in headers.items():
            if key.lower() == name:
                value = found
                break
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass
class Verifier:
    """Verifies events signed with one secret, remembering accepted ids for the window."""

    secret: str = field(repr=False)
    clock: Clock = field(default_factory=SystemClock)
    tolerance_s: float = DEFAULT_TOLERANCE_S
    _key: bytes = field(init=False, repr=False)
    _seen: dict[str, float] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._key = decode_secret(self.secret)
        self.secret = ""  # the decoded key is all that is kept

    def check(self, headers: Mapping[str, str], body: bytes) -> str:
        """The event's ``webhook-id`` when its signature and timestamp are good and it is not a
        replay; raises `Rejected` otherwise. Does not remember the id (see `accept`)."""
        webhook_id = _header(headers, "webhook-id")
        timestamp = _header(headers, "webhook-timestamp")
        signatures = _header(headers, "webhook-signature")
        missing = [
            name
            for name, value in (
                ("webhook-id", webhook_id),
                ("webhook-timestamp", timestamp),
                ("webhook-signature", signatures),
            )
            if value is None
        ]
        if missing:
            raise Rejected(400, "missing_headers", f"missing header(s): {', '.join(missing)}")
        assert webhook_id is not None and timestamp is not None and signatures is not None
        try:
            sent = int(timestamp)
        except ValueError:
            raise Rejected(400, "bad_timestamp", "webhook-timestamp is not Unix seconds") from None
        now = self.clock.time()
        if sent < now - self.tolerance_s:
            raise Rejected(
                401, "stale", f"timestamp {now - sent:.0f} s old (limit {self.tolerance_s:g} s)"
            )
        if sent > now + self.tolerance_s:
            raise Rejected(
                401, "future", f"timestamp {sent - now:.0f} s ahead (limit {self.tolerance_s:g} s)"
            )
        expected = sign(self._key, webhook_id, timestamp, body).encode("ascii")
        matched = False
        for entry in signatures.split()[:MAX_SIGNATURES]:
            version, _, value = entry.partition(",")
            if version != "v1" or not value:
                continue
            # compare every entry (no early exit) in constant time
            matched |= hmac.compare_digest(value.encode("ascii", "replace"), expected)
        if not matched:
            raise Rejected(401, "bad_signature", "no webhook-signature entry matches")
        self._prune(now)
        if webhook_id in self._seen:
            raise Rejected(409, "replayed", f"webhook-id {webhook_id!r} was already accepted")
        return webhook_id

    def accept(self, webhook_id: str) -> None:
        """Remember an accepted event's id for the tolerance window (a second copy is a replay)."""
        self._seen[webhook_id] = self.clock.time()

    def verify(self, headers: Mapping[str, str], body: bytes) -> str:
        """`check` then `accept`: the id of a good, new event; `Rejected` otherwise."""
        webhook_id = self.check(headers, body)
        self.accept(webhook_id)
        return webhook_id

    def _prune(self, now: float) -> None:
        # An id older than twice the window can no longer come with an acceptable timestamp.
        horizon = now - 2 * self.tolerance_s
        for old in [i for i, t in self._seen.items() if t < horizon]:
            del self._seen[old]
