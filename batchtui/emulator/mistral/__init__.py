"""Mistral's half of the emulator: Files and Batch jobs under ``/mistral``."""

from __future__ import annotations

from batchtui.emulator.mistral.api import MistralApi

HALF = MistralApi

__all__ = ["HALF", "MistralApi"]
