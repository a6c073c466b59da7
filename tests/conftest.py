"""Shared test configuration: hypothesis profiles; the default is derandomized and sized for a 2-core machine."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "quick", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
# Derandomized unless asked otherwise: a run on a fresh clone is repeatable (HYPOTHESIS_PROFILE=dev explores).
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = ["callstatus.testing.fixtures"]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """One real PostgreSQL server for the whole run (see tests/pgserver.py)."""
    from pgserver import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> str:
    """A fresh, empty database on the test server, for one test."""
    import psycopg

    name = f"t{next(_DATABASES)}"
    with psycopg.connect(postgres_server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return postgres_server_url.rsplit("/", 1)[0] + "/" + name


_DATABASES = itertools.count()


@pytest.fixture(autouse=True)
def _fresh_unmapped_warnings() -> None:
    """Each test starts with no unmapped value warned yet: the library warns once per value and stops after
    10,000 per process, so a test that generates thousands of unknown values would silence the next one."""
    from callstatus import adapter

    adapter._warned.clear()
