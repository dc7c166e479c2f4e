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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A PostgreSQL server of this test process (one per xdist worker), started once.

    Skipped when the machine has no PostgreSQL binaries, unless ``BATCHTUI_REQUIRE_PG=1``
    (set by ``.ci/run``, which installs them) makes that a failure.
    """
    import os

    from batchtui.localpg import LocalServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        message = "no PostgreSQL server binaries (apt-get install postgresql)"
        if os.environ.get("BATCHTUI_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    server = LocalServer(bindir).start()
    yield server
    server.close()


@pytest.fixture
def pg_url(pg_server: Any) -> str:
    """The URL of a fresh, empty database on the test server."""
    return str(pg_server.new_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str | None:
    """Each store test runs twice: on the embedded SQLite file (None: the store's own path)
    and on a fresh PostgreSQL database (its URL)."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def open_db(store_url: str | None, tmp_path: Any) -> Iterator[Callable[..., Any]]:
    """Factory: ``open_db(home=tmp_path / "home", clock=None)`` opens a `JobStore` on this
    test's database (the SQLite file ``home/batchtui.db``, or the fresh PostgreSQL database of
    `store_url`); each call is a new connection, as another process would have. All are closed
    at teardown."""
    from batchtui.core.store import open_store

    opened: list[Any] = []

    def factory(home: Any = None, clock: Any = None) -> Any:
        store = open_store(home if home is not None else tmp_path / "home", store_url, clock=clock)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()
