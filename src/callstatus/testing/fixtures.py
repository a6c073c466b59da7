"""pytest fixtures serving the fake vendor APIs: add ``pytest_plugins = ["callstatus.testing.fixtures"]`` to a
``conftest.py``. Each fixture is a started server (100 calls, seed 0, API key ``test-api-key``), stopped after the
test; build your own ``DialNexaServer(calls=..., seed=...)`` for other histories."""

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
