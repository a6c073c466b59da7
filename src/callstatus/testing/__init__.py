"""Test helpers for users of callstatus: hypothesis strategies for every vendor's payloads.

Needs the ``test`` extra (``pip install callstatus[test]``).
"""

from .strategies import (
    call_records,
    json_values,
    payloads,
    raw_reasons,
    raw_statuses,
    spelling_variants,
    unknown_tokens,
    vendors,
)

__all__ = [
    "call_records",
    "json_values",
    "payloads",
    "raw_reasons",
    "raw_statuses",
    "spelling_variants",
    "unknown_tokens",
    "vendors",
]
