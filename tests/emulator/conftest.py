"""Fixtures for the emulator tests: plain httpx clients on the shared `emulator`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from batchtui.emulator import EmulatorServer


@pytest.fixture
def oa(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """httpx client on the emulator's OpenAI base URL."""
    with httpx.Client(base_url=emulator.openai_base_url, timeout=10) as client:
        yield client


@pytest.fixture
def an(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """httpx client on the emulator's Anthropic base URL."""
    headers = {"anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=emulator.anthropic_base_url, timeout=10, headers=headers) as client:
        yield client
