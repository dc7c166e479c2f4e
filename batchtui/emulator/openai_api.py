"""OpenAI Files and Batches endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp


class OpenAIApi:
    """Routes under /v1/files and /v1/batches."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.jobs: dict[str, Any] = {}
