"""Hostile values stay cheap and bounded: caches hold no large value, and any valid table compiles.

Time is measured by ``benchmarks/hostile.py`` (every 10 MB value answered in under 100 ms), not here.
"""

from __future__ import annotations

import gc
import logging
import tracemalloc
from collections.abc import Iterator

import pytest

import callstatus
from callstatus import CallStatus, NormalizationError
from callstatus.convert import _parse_phone
from callstatus.tables import compile_table, parse_table

MB = 1 << 20


@pytest.fixture
def quiet() -> Iterator[None]:
    """Unknown values are warned about once each; 10,000 of them are not the point here."""
    logger = logging.getLogger("callstatus")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def _bodies(count: int) -> Iterator[bytes]:
    """DialNexa calls each carrying one distinct 1 MB value, in turn in every kind of field."""
    fields = [b"status", b"end_reason", b"direction", b"to_phone_number", b"created_at", b"duration_seconds"]
    filler = b"aB" * (MB // 2)
    for i in range(count):
        field = fields[i % len(fields)]
        value = b"%06d" % i + filler
        extra = b"" if field == b"status" else b', "status": "completed"'
        yield b'{"id": "c%d", "agent_id": "a"%s, "%s": "%s"}' % (i, extra, field, value)


def test_memory_stays_flat_after_10000_distinct_1mb_values(quiet: None) -> None:
    adapter = callstatus.get_adapter("dialnexa")
    for body in _bodies(60):  # warm up: every code path and dispatcher once
        callstatus.normalize(body, "dialnexa")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for body in _bodies(10_000):
            record = callstatus.normalize(body, "dialnexa")
            assert record.call_id.startswith("c")
        del record, body
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < 50 * MB, f"{growth / MB:.1f} MB"
    assert all(len(raw) <= 256 for vocabulary in adapter.statuses + adapter.reasons for raw in vocabulary.cache)


def test_an_oversized_token_is_unknown_without_being_cached(quiet: None) -> None:
    status = "aB" * (5 * MB)
    vocabulary = callstatus.get_adapter("atoms").statuses[0]
    record = callstatus.normalize({"callId": "c", "status": status, "agentId": "a"}, "atoms")
    assert record.status is CallStatus.UNKNOWN and record.raw_status == status
    assert status not in vocabulary.cache
    with pytest.raises(NormalizationError) as info:
        callstatus.normalize({"callId": "c", "status": status, "agentId": "a"}, "atoms", strict=True)
    assert len(str(info.value)) < 400


def test_an_oversized_phone_number_never_reaches_the_phone_parser(quiet: None) -> None:
    number = "1" * (10 * MB)
    before = _parse_phone.cache_info()
    record = callstatus.normalize({"id": "c", "status": "completed", "agent_id": "a", "to_number": number}, "dialnexa")
    assert record.to_number is None and record.raw["to_number"] == number
    assert _parse_phone.cache_info() == before


def test_payload_keys_too_long_to_keep_get_the_generic_hot_path(quiet: None) -> None:
    adapter = callstatus.get_adapter("dialnexa")
    for i in range(20):
        record = callstatus.normalize({"id": "c", "status": "busy", "agent_id": "a", f"{i}" + "k" * MB: 1}, "dialnexa")
        assert record.status is CallStatus.BUSY
    assert sum(len(key) for keys in adapter.dispatchers if keys for key in keys) < 256 * 4096


def _wide_table(paths: int, vocabularies: int) -> str:
    lines = [
        "[vendor]", 'id = "wide"', 'name = "Wide"', 'docs = ["https://example.com"]', "checked = 2026-11-01",
        "[[shapes]]", 'name = "call"', 'all = ["uuid"]',
        "[fields]", 'call_id = ["uuid"]',
        "to_number = [" + ", ".join(f'"to{i}"' for i in range(paths)) + "]",
    ]  # fmt: skip
    for v in range(vocabularies):
        lines += [
            f"[status.s{v}]",
            f'paths = ["state{v}"]',
            'docs = "d"',
            'values = ["done"]',
            'map = { done = "completed" }',
        ]
    return "\n".join(lines)


def test_a_field_with_150_paths_and_120_vocabularies_compiles_and_reads_the_last() -> None:
    adapter = compile_table(parse_table(_wide_table(150, 120)), "wide.toml")
    payload = {"uuid": "u1", "to149": "+15551234567", "state119": "done"}
    record = adapter.normalize(payload)
    assert (record.to_number, record.status, record.raw_status) == ("+15551234567", "completed", "done")
    shape, found = adapter.locate(payload)  # type: ignore[misc]
    assert adapter.careful(shape, found, payload) == record


@pytest.mark.parametrize("path", ["a.b\n", "a\n"])
def test_the_loaders_own_checks_refuse_a_trailing_newline(path: str) -> None:
    text = _wide_table(1, 1).replace('call_id = ["uuid"]', f"call_id = [{path!r}]".replace("'", '"'))
    with pytest.raises(callstatus.TableError, match="dotted key path"):
        compile_table(parse_table(text), "wide.toml")
