"""Shared fixtures: a started provider emulator on a free loopback port, driven by a FixedClock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from batchtui.core.clock import FixedClock
from batchtui.emulator import EmulatorConfig, EmulatorServer


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., EmulatorServer]]:
    """Factory: make_emulator(**EmulatorConfig kwargs) -> started server; all stopped at teardown.

    Defaults: seed 7, job_seconds 10, a FixedClock (reach it as ``server.clock``), no faults;
    pass ``clock=SystemClock()`` for real time. Any EmulatorConfig field can be given.
    """
    servers: list[EmulatorServer] = []

    def factory(**kwargs: Any) -> EmulatorServer:
        kwargs.setdefault("seed", 7)
        kwargs.setdefault("job_seconds", 10.0)
        kwargs.setdefault("clock", FixedClock())
        server = EmulatorServer(EmulatorConfig(**kwargs)).start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.close()


@pytest.fixture
def emulator(make_emulator: Callable[..., EmulatorServer]) -> EmulatorServer:
    """A started emulator: seed 7, job_seconds 10, FixedClock at ``emulator.clock``, no faults."""
    return make_emulator()
