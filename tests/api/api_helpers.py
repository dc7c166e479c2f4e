"""Helpers of the Python API tests: an emulator over loopback and a config pointing at it.

The emulator's clock is a FixedClock that starts at the real time (so the store's create
windows and the emulator's ``created_at`` agree) and moves only when a test advances it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchtui.core.clock import FixedClock
from batchtui.core.config import Config, Profile
from batchtui.emulator import EmulatorServer

KINDS = ("openai", "anthropic")
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
KEY_ENV = {"openai": "BATCHTUI_API_TEST_OPENAI_KEY", "anthropic": "BATCHTUI_API_TEST_ANTHROPIC_KEY"}
JOB_SECONDS = 10.0


@dataclass
class Setup:
    """An emulator, a data dir and a config with one profile per provider pointing at it."""

    emulator: EmulatorServer
    home: Path
    work: Path

    @property
    def clock(self) -> FixedClock:
        clock = self.emulator.clock
        assert isinstance(clock, FixedClock)
        return clock

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def config(self, **profile_options: Any) -> Config:
        """Both profiles at the emulator, each with ``profile_options`` (e.g. max_in_flight)."""
        profiles = {
            kind: Profile(
                name=kind,
                provider=kind,
                base_url=(
                    self.emulator.openai_base_url
                    if kind == "openai"
                    else self.emulator.anthropic_base_url
                ),
                api_key_env=KEY_ENV[kind],
                **profile_options,
            )
            for kind in KINDS
        }
        return Config(profiles=profiles, default_profile="openai")


def request(kind: str, custom_id: str, n: int = 0, **extra: Any) -> dict[str, Any]:
    """One neutral request for a provider's model."""
    record: dict[str, Any] = {
        "custom_id": custom_id,
        "model": MODELS[kind],
        "messages": [{"role": "user", "content": f"Say something about {n}."}],
        "max_tokens": 64,
    }
    record.update(extra)
    return record
