"""Helpers of the webhook tests: a real emulator, a Workspace on it, a real receiver."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchtui.core.provider import SubmitOptions
from batchtui.core.webhooks.receiver import Event
from batchtui.core.webhooks.service import WebhookService, webhook_routes
from batchtui.core.workspace import Workspace
from batchtui.emulator import EmulatorServer
from batchtui.emulator.webhooks import signed_headers

SECRET_ENV = "OPENAI_WEBHOOK_SECRET"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def write_input(path: Path, count: int = 3) -> Path:
    lines = []
    for n in range(count):
        body = {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": f"Count to {n}."}],
            "max_tokens": 20,
        }
        line = {"custom_id": f"r{n}", "method": "POST", "url": "/v1/chat/completions"}
        lines.append(json.dumps(line | {"body": body}))
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Hooks:
    """An emulator, a Workspace on it (profile ``openai``) and, once started, a receiver."""

    server: EmulatorServer
    ws: Workspace
    secret: str
    work: Path
    events: list[Event] = field(default_factory=list)
    service: WebhookService | None = None

    async def close(self) -> None:
        if self.service is not None:
            await self.service.close()
        await self.ws.aclose()

    async def start_receiver(self) -> WebhookService:
        routes, _ = webhook_routes(self.ws)
        self.service = await WebhookService(self.ws, routes, on_accepted=self.events.append).start()
        return self.service

    @property
    def url(self) -> str:
        assert self.service is not None
        return self.service.receiver.url_for("openai")

    async def submit(self, name: str = "in.jsonl", *, raw: str | None = None) -> str:
        """A batch made on the emulator through the adapter (not yet in the store); ``raw``
        is the input file's text instead of three good requests."""
        provider = self.ws.provider("openai")
        path = write_input(self.work / name)
        if raw is not None:
            path.write_text(raw)
        file_id = await provider.upload_input(path)
        job = await provider.create(path, input_file_id=file_id, options=SubmitOptions())
        return job.id

    def post(self, body: bytes, headers: dict[str, str], path: str | None = None) -> int:
        """POST to the receiver with urllib; the HTTP status."""
        url = self.url if path is None else self.url.rsplit("/webhooks/", 1)[0] + path
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=5) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def signed(
        self, event: dict[str, Any], *, webhook_id: str, ts: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """An event signed with the emulator's own signer (the independent side)."""
        from batchtui.emulator.webhooks import secret_key

        body = json.dumps(event).encode()
        stamp = int(self.ws.clock.time()) if ts is None else ts
        return body, signed_headers(secret_key(self.secret), webhook_id, stamp, body)
