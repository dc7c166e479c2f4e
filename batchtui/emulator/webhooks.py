"""The emulator's webhook sender: signed events when jobs end, as the providers send them.

Written from providers.md (§1.10, §9) alone — it shares no code with batchtui's receiver, so
the two judge each other. Standard Webhooks signing: headers ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64>``, the signature
being base64 HMAC-SHA256 over ``"{id}.{timestamp}.{body}"`` keyed with the base64-decoded part
of the ``whsec_`` secret.

Job state is lazy (computed from the clock on each request), so a watcher thread looks at the
halves' unannounced jobs every ``interval`` seconds and queues an event for each job that has
ended; a second thread POSTs them. Neither holds the app's lock while talking to the network,
so the emulator's server never waits for a receiver. A failed delivery (refused, cut, timed
out) is counted and dropped. The URL may hold ``{provider}``, replaced by the half's name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import queue
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp

SEND_TIMEOUT_S = 5.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""No proxy from the environment: events go straight to the receiver."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (its base64 part decoded); other text as bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("webhook secret: the part after 'whsec_' is not base64") from None
    if not secret:
        raise ValueError("webhook secret is empty")
    return secret.encode()


def signed_headers(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery."""
    message = webhook_id.encode() + b"." + str(timestamp).encode() + b"." + body
    signature = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{signature}",
        "content-type": "application/json",
    }


@dataclass
class WebhookStats:
    """Deliveries so far: answered 2xx, failed (non-2xx or no answer), still queued."""

    sent: int = 0
    failed: int = 0
    queued: int = 0
    last_error: str | None = None
    sent_ids: list[str] = field(default_factory=list)


class WebhookSender:
    """Watches an app's jobs and delivers one signed event per ended job to ``url``."""

    def __init__(self, app: EmulatorApp, url: str, secret: str, interval: float = 0.05) -> None:
        self.app = app
        self.url = url
        self._key = secret_key(secret)
        self.interval = interval
        self.stats = WebhookStats()
        self._announced: set[tuple[str, str]] = set()
        self._queue: queue.Queue[tuple[str, str, bytes] | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> WebhookSender:
        if not self._threads:
            self._stop.clear()
            for target, name in ((self._watch, "watch"), (self._send_loop, "send")):
                thread = threading.Thread(target=target, daemon=True, name=f"webhooks-{name}")
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop both threads (events still queued are dropped)."""
        self._stop.set()
        self._queue.put(None)
        for thread in self._threads:
            thread.join(SEND_TIMEOUT_S + 1)
        self._threads = []

    def check(self) -> int:
        """Queue an event for every job that has ended since the last look; how many."""
        found: list[tuple[str, str, bytes]] = []
        with self.app.lock:
            now = self.app.now()
            for half in self.app.halves.values():
                for job in list(half.jobs.values()):
                    key = (half.name, job.id)
                    if key in self._announced:
                        continue
                    event = half.webhook_event(job, now)
                    if event is None:
                        continue
                    self._announced.add(key)
                    webhook_id = str(event.get("id") or f"msg_{half.name}_{len(self._announced)}")
                    body = json.dumps(event, separators=(",", ":")).encode()
                    found.append((half.name, webhook_id, body))
        for item in found:
            self.stats.queued += 1
            self._queue.put(item)
        return len(found)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception as exc:  # never let the watcher die
                self.stats.last_error = f"watch: {exc}"

    def _send_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._stop.is_set():
                return
            self.deliver(*item)

    def deliver(self, provider: str, webhook_id: str, body: bytes) -> bool:
        """POST one event now; True on a 2xx answer (counted either way)."""
        self.stats.queued = max(0, self.stats.queued - 1)
        timestamp = int(self.app.now())
        headers = signed_headers(self._key, webhook_id, timestamp, body)
        url = self.url.replace("{provider}", provider)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=SEND_TIMEOUT_S) as answer:
                answer.read()
                ok = 200 <= answer.status < 300
        except urllib.error.HTTPError as exc:
            ok = False
            self.stats.last_error = f"{url}: HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            ok = False
            self.stats.last_error = f"{url}: {exc}"
        if ok:
            self.stats.sent += 1
            self.stats.sent_ids.append(webhook_id)
        else:
            self.stats.failed += 1
        return ok


def event_summary(sender: WebhookSender | None) -> dict[str, Any]:
    """The sender's counters as JSON-able values (empty without a sender)."""
    if sender is None:
        return {}
    s = sender.stats
    return {"sent": s.sent, "failed": s.failed, "queued": s.queued, "last_error": s.last_error}
