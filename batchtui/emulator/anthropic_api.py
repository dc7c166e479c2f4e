"""Anthropic Message Batches endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp


class AnthropicApi:
    """Routes under /v1/messages/batches."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.jobs: dict[str, Any] = {}
