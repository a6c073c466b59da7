"""What the per-vendor table tests share: the default registry, each vendor's table and its documented fixtures.

Every fixture is ``{source, payload, expected}``; ``test_seed_payloads.py`` already checks each one normalises to its
expected fields and is detected as its vendor, so the table tests read fixtures only for what is vendor-specific.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import phonenumbers
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, Error, Registry
from callstatus.canonical import to_row

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REGISTRY = callstatus.default_registry()  # every table of adapters/


def table(vendor: str) -> Path:
    """The vendor's table file under ``adapters/``."""
    return ROOT / "adapters" / f"{vendor}.toml"


def fixtures(vendor: str) -> list[Path]:
    """The vendor's documented fixture files, in name order."""
    return sorted((FIXTURES / vendor).glob("*.json"))


def names(vendor: str) -> list[str]:
    """The names (file stems) of the vendor's documented fixtures, in order."""
    return [path.stem for path in fixtures(vendor)]


def load(path: Path) -> dict[str, Any]:
    """One fixture file as read: its source, payload and expected fields (a fresh copy on each call)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def fixture(vendor: str, name: str) -> dict[str, Any]:
    """The vendor's fixture called ``name``."""
    return load(FIXTURES / vendor / f"{name}.json")


def payload_of(vendor: str, name: str) -> dict[str, Any]:
    """The payload of the vendor's fixture called ``name``, free for a test to change."""
    data: dict[str, Any] = fixture(vendor, name)["payload"]
    return data


def webhook_fixtures(*vendors: str) -> list[Path]:
    """The named vendors' fixtures that are webhook or callback deliveries (``webhook_*``, ``callback_*``)."""
    return [path for vendor in vendors for path in fixtures(vendor) if path.stem.startswith(("webhook_", "callback_"))]


def fields(record: CallRecord, expected: dict[str, Any]) -> dict[str, Any]:
    """The record's fields that ``expected`` names, dumped as JSON, to compare with a fixture's expectations."""
    dumped = record.model_dump(mode="json")
    return {key: dumped[key] for key in expected}


def comparable(row: dict[str, Any]) -> dict[str, Any]:
    """An export-layout row with its JSON text parsed and timestamps in one form, to compare a bulk path's row
    with ``normalize()``'s."""
    out = {}
    for key, value in row.items():
        if key in ("raw", "analysis") and isinstance(value, str):
            value = json.loads(value)
        elif isinstance(value, datetime):
            value = value.isoformat().replace("+00:00", "Z")
        out[key] = value
    return out


def expected_row(payload: Any, vendor: str | None) -> dict[str, Any] | None:
    """``normalize()``'s record of ``payload`` as a comparable row, None where it refuses the payload."""
    try:
        return comparable(to_row(callstatus.normalize(payload, vendor)))
    except Error:
        return None


def expected_rows(payload: Any, vendor: str | None, registry: Registry | None = None) -> list[dict[str, Any] | None]:
    """What ``normalize_many`` makes of ``payload`` as one NDJSON line: a comparable row per record (an array or a
    list response holds several), None for each one it refuses."""
    line = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    results = callstatus.normalize_each([line], vendor, registry=registry)
    return [None if isinstance(result, Error) else comparable(to_row(result)) for result in results]


def unknown_statuses(items: list[Any], vendor: str, batch: Any) -> None:
    """Give each payload of ``items`` a status its table does not know, drawn from ``batch`` (where the status
    sits one key inside the record)."""
    from callstatus.testing import unknown_tokens

    adapter = callstatus.get_adapter(vendor)
    getter = adapter.statuses[0].getters[0]
    for item in items:
        found = adapter.locate(item)
        if found is not None and not getter.from_root and len(getter.keys) == 1:
            found[1][getter.keys[0]] = batch.draw(unknown_tokens(vendor))


def nested_twice() -> list[bytes]:
    """DialNexa webhooks giving a key twice inside the objects the select reads into (``payload.call.id``, and
    ``payload.call`` itself: the call ids ``twice`` and ``other`` when the last one counts), and the same webhook
    once."""
    webhook = payload_of("dialnexa", "webhook_call_ended_completed")
    call = webhook["payload"]["call"]
    call.update(from_number="+12137771234", to_number="+12137771235")  # E.164: the SQL path decides the webhook
    whole = orjson.dumps(webhook)
    twice = orjson.dumps(call)[:-1] + b', "id": "twice"}'
    envelope = b'{"event_type": "call_ended", "payload": {"call": %s, "call": %s}}'
    return [
        whole.replace(orjson.dumps(call), twice),
        envelope % (orjson.dumps(call), orjson.dumps(dict(call, id="other"))),
        whole,
    ]


def _number_forms(number: str, region: str | None) -> st.SearchStrategy[Any]:
    """``number`` (E.164) written otherwise: without the '+', after '00', spaced; an example number of ``region``
    (or the US) in national and international form; or no number at all (junk, too long, not a string)."""
    digits = number.removeprefix("+")
    example = phonenumbers.example_number(region or "US")
    formats = (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    written = [phonenumbers.format_number(example, kind) for kind in formats]
    fixed = [digits, "00" + digits, f"+{digits[:2]} {digits[2:6]}-{digits[6:]}", f" {number} ", *written]
    fixed += [w.replace(" ", "") for w in written] + ["anonymous", "", "+", "12", "+0123456", "9" * 70, "+1" + "2" * 20]
    return st.sampled_from(fixed) | st.text(max_size=16) | st.integers(0, 10**12) | st.none()


def _rewrite(items: list[Any], vendor: str, getters: Any, draw: Any) -> None:
    """Replace each value of each payload of ``items`` found at one of ``getters`` by ``draw(value, getter)``."""
    adapter = callstatus.get_adapter(vendor)
    for item in items:
        found = adapter.locate(item)
        if found is None:
            continue
        for getter in getters:
            holder: Any = item if getter.from_root else found[1]
            for key in getter.keys[:-1]:
                holder = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(holder, dict) and getter.keys[-1] in holder:
                holder[getter.keys[-1]] = draw(holder[getter.keys[-1]], getter)


def other_numbers(items: list[Any], vendor: str, batch: Any) -> None:
    """Write the phone numbers of each payload of ``items`` otherwise (``_number_forms``), as drawn from ``batch``."""
    adapter = callstatus.get_adapter(vendor)
    getters = [getter for plan in adapter.fields if plan.kind == "phone" for getter in plan.getters]
    _rewrite(
        items,
        vendor,
        getters,
        lambda value, _: batch.draw(_number_forms(value, adapter.region)) if isinstance(value, str) else value,
    )


_ODD_NUMBERS = [
    "",
    " 1",
    "1e9",
    "1_000",
    "1.5",
    "-0",
    "0",
    "+5",
    "00017",
    "253402300799",
    "253402300800",
    "9" * 20,
    "8589934591999",
    "8589934592001",
    "99999999999999",
    "253402300799999",
]
"""Odd text, the last epoch second Python holds and the one after, and epoch milliseconds about 2^33 seconds,
past which dividing by 1000.0 loses microseconds."""


def other_codes(items: list[Any], vendor: str, batch: Any) -> None:
    """Write the epoch times and reason codes of each payload of ``items`` otherwise: digits as a JSON integer or a
    string, another number, or odd text; drawn from ``batch``."""
    adapter = callstatus.get_adapter(vendor)
    getters = [
        getter
        for plan in adapter.fields
        if plan.kind == "time"
        for getter in plan.getters
        if (getter.format or plan.format or "iso8601").startswith("epoch")
    ]
    getters += [getter for vocabulary in adapter.reasons for getter in vocabulary.getters]
    numbers = st.integers(-(10**3), 10**15) | st.integers(-(10**20), 10**20) | st.integers(2**33 * 999, 2**33 * 1001)
    forms = st.sampled_from(_ODD_NUMBERS) | numbers | numbers.map(str) | st.floats(0, 1e13).map(str)

    def draw(value: Any, getter: Any) -> Any:
        if isinstance(value, str) and value.isdigit() and batch.draw(st.booleans()):
            return int(value) if batch.draw(st.booleans()) else value.zfill(len(value) + 1)
        if isinstance(value, int) and batch.draw(st.booleans()):
            return str(value)
        return batch.draw(forms) if batch.draw(st.booleans()) else value

    _rewrite(items, vendor, getters, draw)


def same_calls(items: list[Any], vendor: str, batch: Any, ids: Sequence[str]) -> None:
    """Give each payload of ``items`` a call id drawn from ``ids`` (where its id is a string), so that several
    become observations of one call."""
    adapter = callstatus.get_adapter(vendor)
    getters = [getter for plan in adapter.fields if plan.name == "call_id" for getter in plan.getters]
    _rewrite(
        items, vendor, getters, lambda value, _: batch.draw(st.sampled_from(ids)) if isinstance(value, str) else value
    )


def restatus(item: Any, vendor: str, batch: Any) -> Any:
    """A copy of ``item`` with another of its table's documented statuses (where the status sits one key inside
    the record): another observation of the same call, every other field alike."""
    adapter = callstatus.get_adapter(vendor)
    vocabulary = adapter.statuses[0]
    copy = orjson.loads(orjson.dumps(item))
    found = adapter.locate(copy)
    getter = vocabulary.getters[0]
    if found is not None and not getter.from_root and len(getter.keys) == 1:
        found[1][getter.keys[0]] = batch.draw(st.sampled_from(vocabulary.values))
    return copy


def _camel(text: str) -> str:
    head, *rest = text.replace("-", "_").split("_")
    return head + "".join(part.title() for part in rest)


def other_spellings(items: list[Any], vendor: str, batch: Any) -> None:
    """Write the enum values (direction, ended_by, answered_by), statuses and reasons of each payload of ``items`` in
    another spelling (camelCase, upper case, hyphens, spaces around), as a value one of the table's patterns
    matches, or as text the table does not know, drawn from ``batch``."""
    adapter = callstatus.get_adapter(vendor)
    getters = [getter for plan in adapter.fields if plan.kind == "raw" for getter in plan.getters]
    vocabularies = [*adapter.statuses, *adapter.reasons]
    getters += [getter for vocabulary in vocabularies for getter in vocabulary.getters]
    patterns = [pattern.pattern for vocabulary in vocabularies for pattern, _ in vocabulary.patterns]
    spellings = (_camel, str.upper, str.title, lambda text: text.replace("_", "-"), lambda text: f" {text} ")
    matched = (
        st.sampled_from(patterns).flatmap(lambda p: st.from_regex(p, fullmatch=True)) if patterns else st.nothing()
    )

    def draw(value: Any, getter: Any) -> Any:
        if not isinstance(value, str):
            return value
        respelled = st.sampled_from(spellings).map(lambda spell: spell(value))
        return batch.draw(respelled | matched | st.just(value) | st.text(max_size=12))

    _rewrite(items, vendor, getters, draw)
