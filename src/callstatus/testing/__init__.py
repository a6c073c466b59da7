"""Test helpers for users of callstatus: hypothesis strategies for every vendor's payloads, ``sign`` for authentic
webhook deliveries, and fake vendor API servers on 127.0.0.1 (also as pytest fixtures:
``pytest_plugins = ["callstatus.testing.fixtures"]``).

The strategies need the ``test`` extra (``pip install callstatus[test]``); the servers need nothing more.
"""

from typing import Any

from .servers import AtomsServer, DialgenServer, DialNexaServer, FakeVendorServer, Fault, Seen
from .signing import sign

_STRATEGIES = (
    "call_records",
    "json_values",
    "payloads",
    "raw_reasons",
    "raw_statuses",
    "spelling_variants",
    "unknown_tokens",
    "vendors",
)


def __getattr__(name: str) -> Any:
    if name in _STRATEGIES:  # imported on first use, so the servers work without hypothesis installed
        from . import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AtomsServer",
    "DialNexaServer",
    "DialgenServer",
    "FakeVendorServer",
    "Fault",
    "Seen",
    "call_records",
    "json_values",
    "payloads",
    "raw_reasons",
    "raw_statuses",
    "sign",
    "spelling_variants",
    "unknown_tokens",
    "vendors",
]
