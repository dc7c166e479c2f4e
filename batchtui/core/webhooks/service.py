"""Webhooks wired to a Workspace: which profiles take events, and what an event does.

A verified event for a batch the store knows makes the poller fetch that job at once
(`Workspace.poll_now`), so the store and every listener see its end without waiting for the
schedule; an event for a batch the store does not know is refused (404) and changes nothing.
While the receiver runs, each profile it serves is covered (`Poller.cover`): its running jobs
are polled only every ``webhook_poll_s``, as the fallback for a lost event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from batchtui.core.config import Profile, resolve_webhook_secret
from batchtui.core.registry import provider_spec
from batchtui.core.webhooks.receiver import Event, Route, WebhookReceiver
from batchtui.core.webhooks.verify import Rejected, SecretError, Verifier
from batchtui.core.workspace import Workspace


def webhook_routes(
    ws: Workspace, env: Mapping[str, str] | None = None
) -> tuple[dict[str, Route], dict[str, str]]:
    """Routes for every profile whose provider sends webhooks and whose secret is set, and,
    for the profiles left out, why (one line each, never the secret)."""
    routes: dict[str, Route] = {}
    skipped: dict[str, str] = {}
    for name, profile in ws.config.profiles.items():
        spec = provider_spec(profile.provider)
        if spec.webhook_event is None:
            continue
        secret = resolve_webhook_secret(profile, env)
        if secret is None:
            variable = profile.webhook_secret_env or spec.webhook_secret_env
            skipped[name] = (
                f"no webhook secret ({variable} is not set)"
                if variable
                else "no webhook secret (set webhook_secret_env in the profile)"
            )
            continue
        try:
            verifier = Verifier(secret, clock=ws.clock)
        except SecretError as exc:
            skipped[name] = str(exc)
            continue
        routes[name] = Route(verifier=verifier, batch_id=spec.load(spec.webhook_event))
    return routes, skipped


class WebhookService:
    """The receiver for a Workspace: events refresh their jobs through the poller at once."""

    def __init__(
        self,
        ws: Workspace,
        routes: Mapping[str, Route],
        *,
        on_accepted: Callable[[Event], Any] | None = None,
    ) -> None:
        self.ws = ws
        self.receiver = WebhookReceiver(routes, self._on_event)
        self.on_accepted = on_accepted
        self._covered: set[str] = set()

    async def _on_event(self, event: Event) -> None:
        record = self.ws.store.get(event.batch_id, event.profile)
        if record is None or record.profile != event.profile or record.id != event.batch_id:
            raise Rejected(404, "unknown_batch", f"no job {event.batch_id!r} in {event.profile}")
        self.cover()
        poller = self.ws.ctx.poller
        if poller is not None and event.profile in poller.profiles:
            self.ws.poll_now(record.local_id)
        else:  # no poller (yet) for the profile: fetch it here (a failure answers 500)
            await self.ws.refresh(record.local_id)
        if self.on_accepted is not None:
            self.on_accepted(event)

    def cover(self) -> None:
        """Slow the poller's schedule for the profiles served (once the poller exists)."""
        poller = self.ws.ctx.poller
        if poller is None:
            return
        for name in self.receiver.routes:
            if name not in self._covered and name in poller.profiles:
                poller.cover(name, self._interval(self.ws.config.profile(name)))
                self._covered.add(name)

    @staticmethod
    def _interval(profile: Profile) -> float:
        return max(profile.webhook_poll_s, profile.poll_min_s)

    async def cover_when_polling(self, timeout: float = 60.0) -> None:
        """Wait for the Workspace's poller to exist, then cover the profiles served."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.ws.ctx.poller is None and loop.time() < deadline:
            await asyncio.sleep(0.02)
        self.cover()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> WebhookService:
        await self.receiver.start(host, port)
        return self

    async def close(self) -> None:
        poller = self.ws.ctx.poller
        if poller is not None:
            for name in self._covered:
                with contextlib.suppress(KeyError):
                    poller.cover(name, None)
        self._covered.clear()
        await self.receiver.close()
