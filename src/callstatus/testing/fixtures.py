"""pytest fixtures serving the fake vendor APIs: add ``pytest_plugins = ["callstatus.testing.fixtures"]`` to a
``conftest.py``. Each fixture is a started server (100 calls, seed 0, API key ``test-api-key``), stopped after the
test; build your own ``DialNexaServer(calls=..., seed=..., now=...)`` for other histories.

The fixtures' ids are the same every run (they come from the seed), but their ``now`` is the current time, so
their timestamps move with the clock (the clients judge a Dialgen call's age by the real clock, so a pinned past
``now`` would make every call look stale to them). A test that needs identical timestamps every run builds its own
server with ``now`` pinned."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .servers import AtomsServer, DialgenServer, DialNexaServer

__all__ = ["atoms_server", "dialgen_server", "dialnexa_server"]


@pytest.fixture
def dialgen_server() -> Iterator[DialgenServer]:
    """A fake Dialgen API on 127.0.0.1 (user id ``test-user``)."""
    with DialgenServer() as server:
        yield server


@pytest.fixture
def dialnexa_server() -> Iterator[DialNexaServer]:
    """A fake DialNexa API on 127.0.0.1."""
    with DialNexaServer() as server:
        yield server


@pytest.fixture
def atoms_server() -> Iterator[AtomsServer]:
    """A fake Smallest.ai Atoms API on 127.0.0.1."""
    with AtomsServer() as server:
        yield server
