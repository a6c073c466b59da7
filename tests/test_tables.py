"""The table loader is strict: every problem is a TableError naming file, TOML path and value."""

from __future__ import annotations

import json
import tomllib
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from table_samples import ACME_TABLE

import callstatus
from callstatus import CallStatus, TableError, load_table
from callstatus.registry import builtin_tables
from callstatus.schemas import SCHEMAS
from callstatus.tables import compile_table, parse_table

ADAPTERS = Path(__file__).resolve().parents[1] / "adapters"

MINIMAL = ACME_TABLE


def _load(text: str) -> callstatus.Adapter:
    return compile_table(parse_table(text, "acme.toml"), "acme.toml")


def test_a_minimal_table_compiles_and_normalizes() -> None:
    adapter = _load(MINIMAL)
    record = adapter.normalize({"uuid": "u1", "state": "done", "to": "+15551234567", "length_ms": 1500})
    assert (record.vendor, record.status, record.duration_seconds) == ("acme", CallStatus.COMPLETED, 1.5)


@pytest.mark.parametrize("path", sorted(ADAPTERS.glob("*.toml")), ids=lambda path: path.stem)
def test_builtin_tables_validate_against_the_published_schema(path: Path) -> None:
    # as an editor's TOML schema check sees it: dates become RFC 3339 strings
    data = json.loads(json.dumps(tomllib.loads(path.read_text(encoding="utf-8")), default=str))
    jsonschema.Draft202012Validator(SCHEMAS["adapter.schema.json"]()).validate(data)
    assert load_table(path).id == path.stem


def test_builtin_tables_are_the_repository_adapters() -> None:
    assert sorted(Path(str(table)).stem for table in builtin_tables()) == sorted(
        p.stem for p in ADAPTERS.glob("*.toml")
    )


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (('Busy = "busy"', 'Busy = "bussy"'), "status.state.map.Busy", ""),
        (('"Busy"]', '"Busy", "Gone"]'), "status.state.values", "documented value has no mapping"),
        (
            ('Busy = "busy" }', 'Busy = "busy", Ringing = "ringing" }'),
            "status.state.map.Ringing",
            "not in the documented",
        ),
        (('Busy = "busy" }', 'Busy = "busy", BUSY = "busy" }'), "status.state.map", "pre-normalisation"),
        (('unit = "ms"', 'unit = "hours"'), "fields.duration_seconds", ""),
        (('to_number = ["to"]', 'to_number = { paths = ["to"], unit = "s" }'), "fields.to_number", "does not apply"),
        (('to_number = ["to"]', 'to_number = { paths = ["to"], offset = 1 }'), "fields.to_number", "does not apply"),
        (('id = "acme"', 'id = "Acme Voice"'), "vendor.id", ""),
        (('name = "call"', 'name = "call"\nsurprise = 1'), "shapes.0.surprise", "Extra inputs"),
        (('all = ["uuid", "state"]', 'match = { state = "(" }'), "shapes[0].match.state", "regular expression"),
        (("checked = 2026-11-01", 'checked = 2026-11-01\ntimezone = "Mars/Olympus"'), "vendor.timezone", "time zone"),
        (('call_id = ["uuid"]', 'call_id = ["uuid.."]'), "fields.call_id.paths[0]", "dotted key path"),
    ],
)
def test_bad_tables_are_rejected_with_the_place_named(change: tuple[str, str], path: str, message: str) -> None:
    old, new = change
    assert old in MINIMAL
    with pytest.raises(TableError) as info:
        _load(MINIMAL.replace(old, new))
    assert info.value.source == "acme.toml"
    assert info.value.path.startswith(path), info.value.path
    assert message in str(info.value)


def test_a_reason_cannot_make_a_terminal_status_non_terminal() -> None:
    text = MINIMAL.replace('Busy = "busy" }', 'Busy = { status = "busy", by_reason = { no_answer = "ringing" } } }')
    with pytest.raises(TableError, match="non-terminal") as info:
        _load(text)
    assert info.value.path == "status.state.map.Busy.by_reason.no_answer"


def test_a_rule_that_repeats_its_status_is_rejected() -> None:
    text = MINIMAL.replace('Busy = "busy" }', 'Busy = { status = "busy", by_reason = { busy = "busy" } } }')
    with pytest.raises(TableError, match="repeats"):
        _load(text)


def test_not_toml() -> None:
    with pytest.raises(TableError, match="not valid TOML"):
        _load("[vendor\nid=")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="cannot read"):
        load_table(tmp_path / "missing.toml")


def test_table_errors_name_file_path_and_value(tmp_path: Path) -> None:
    table = tmp_path / "acme.toml"
    table.write_text(MINIMAL.replace('Busy = "busy"', 'Busy = "bussy"'), encoding="utf-8")
    with pytest.raises(TableError) as info:
        load_table(table)
    assert str(table) in str(info.value) and "bussy" in str(info.value)


def test_generated_code_is_kept_for_inspection() -> None:
    adapter = _load(MINIMAL)
    assert "def extract(rec, root, bad):" in adapter.shapes[0].source
    assert "def fast(rec, root):" in adapter.shapes[0].source
    assert "def locate(root):" in adapter.locate_source


WITH_REASONS = (
    MINIMAL.replace('Done = "completed"', "Done = DONE")
    + """
[reason.why]
paths = ["why.code", "why"]
docs = "https://example.com/docs#why"
values = ["hung up", "nobody", "Network trouble: try later"]
map = { "hung up" = "customer_hangup", nobody = "no_answer" }
patterns = [{ match = "network.*", reason = "telephony_error" }]
"""
)


def _with(done: str = '"completed"', **replacements: str) -> callstatus.Adapter:
    text = WITH_REASONS.replace("DONE", done)
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return _load(text)


def test_an_override_that_breaks_a_law_is_refused_naming_the_pair() -> None:
    with pytest.raises(TableError) as info:
        _with('{ status = "completed", by_reason = { no_answer = "failed" } }')
    assert info.value.path == "status.state.map.Done"
    assert "reason 'nobody'" in str(info.value) and "law 4" in str(info.value)


def test_an_override_that_repeats_the_laws_is_refused() -> None:
    with pytest.raises(TableError, match="repeats what the outcome laws decide") as info:
        _with('{ status = "completed", by_reason = { no_answer = "no_answer" } }')
    assert info.value.path == "status.state.map.Done.by_reason.no_answer"


def test_an_override_that_never_applies_is_refused() -> None:
    with pytest.raises(TableError, match="never applies"):
        _with('{ status = "completed", by_reason = { busy = "failed" } }')


def test_a_lawful_override_applies() -> None:
    busy = '{ status = "busy", by_reason = { telephony_error = "failed" } }'
    adapter = _with(**{'Busy = "busy" }': f"Busy = {busy} }}"})
    record = adapter.normalize({"uuid": "u", "state": "Busy", "why": "Network trouble: try later"})
    assert (record.status, record.end_reason) == ("failed", "telephony_error")
    assert adapter.normalize({"uuid": "u", "state": "Busy", "why": "nobody"}).status == "no_answer"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("network(?=x).*", "lookaround"), ("(net)work\\\\1.*", "backreference"), ("(?>network).*", "atomic group")],
)
def test_a_pattern_re2_cannot_run_is_refused(pattern: str, message: str) -> None:
    with pytest.raises(TableError, match=message) as info:
        _with(**{'match = "network.*"': f'match = "{pattern}"'})
    assert info.value.path == "reason.why.patterns[0].match"


def test_a_pattern_that_claims_no_documented_value_is_refused() -> None:
    rules = '[{ match = "network.*", reason = "telephony_error" }, { match = "network_trouble.*", reason = "unknown" }]'
    with pytest.raises(TableError, match="matches no documented value") as info:
        _with(**{'[{ match = "network.*", reason = "telephony_error" }]': rules})
    assert info.value.path == "reason.why.patterns[1]"
    with pytest.raises(TableError, match="documented value has no mapping"):
        _with(**{'"Network trouble: try later"]': '"Network trouble: try later", "mystery"]'})


def test_patterns_are_tried_after_the_map_and_full_match_the_token() -> None:
    adapter = _with()
    seen: list[callstatus.Unmapped] = []
    assert adapter.normalize({"uuid": "u", "state": "Done", "why": "NETWORK-trouble again"}).end_reason == (
        "telephony_error"
    )
    record = adapter.normalize({"uuid": "u", "state": "Done", "why": "no network"}, on_unmapped=seen.append)
    assert record.end_reason == "unknown" and [item.field for item in seen] == ["end_reason"]
    assert adapter.normalize({"uuid": "u", "state": "Done", "why": {"code": "nobody"}}).status == "no_answer"


def test_shape_patterns_are_full_matched() -> None:
    adapter = _load(
        MINIMAL.replace('all = ["uuid", "state"]', 'all = ["uuid", "state"]\nmatch = { state = "[A-Z][a-z]+" }')
    )
    assert adapter.locate({"uuid": "u", "state": "Done"}) is not None
    assert adapter.locate({"uuid": "u", "state": "Done\n"}) is None
    assert adapter.locate({"uuid": "u", "state": "Done!"}) is None


RETRYING = (
    WITH_REASONS.replace("DONE", '"completed"')
    .replace('Busy = "busy" }', 'Busy = { status = "busy", vendor_retries = true } }')
    .replace('to_number = ["to"]', 'to_number = ["to"]\nattempt = ["try"]\ncampaign_id = ["batch"]')
    + """
[retries]
docs = "https://example.com/docs#retries"
max_attempts = 3
delays = { busy = 120 }
requires = ["campaign_id"]
"""
)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({"batch": "b", "try": 1}, True), ({"batch": "b", "try": 3}, False), ({"batch": "b"}, True), ({"try": 1}, None)],
)
def test_vendor_may_retry_stops_at_the_documented_attempts_and_needs_a_batch(
    extra: dict[str, object], expected: bool | None
) -> None:
    adapter = _load(RETRYING)
    payload = {"uuid": "u", "state": "Busy", **extra}
    shape, record = adapter.locate(payload)  # type: ignore[misc]
    assert adapter.normalize(payload).vendor_may_retry is expected
    assert adapter.careful(shape, record, payload).vendor_may_retry is expected
    assert adapter.retries is not None and adapter.retries.delays == {"busy": timedelta(minutes=2)}


# A record kind that carries no status (a call detail record) names the one it stands for.
CDR_SHAPE = """
[[shapes]]
name = "cdr"
all = ["cdr_id"]
status = STATUS
"""


def _with_cdr(status: str) -> callstatus.Adapter:
    text = WITH_REASONS.replace("DONE", '"completed"').replace(
        "[fields]", CDR_SHAPE.replace("STATUS", status) + "\n[fields]"
    )
    return _load(text.replace('call_id = ["uuid"]', 'call_id = ["uuid", "cdr_id"]'))


def test_a_shape_status_stands_in_for_a_missing_status_and_its_reason_decides() -> None:
    adapter = _with_cdr('{ status = "ended", by_reason = { telephony_error = "failed" } }')
    assert adapter.normalize({"cdr_id": "c", "why": "nobody"}).status == "no_answer"
    failed = adapter.normalize({"cdr_id": "c", "why": "Network trouble: try later"})
    assert (failed.status, failed.end_reason, failed.raw_status) == ("failed", "telephony_error", None)
    assert adapter.normalize({"cdr_id": "c"}).status == "ended"
    assert adapter.normalize({"cdr_id": "c", "state": "Busy"}).status == "busy"  # a status given wins
    with pytest.raises(callstatus.NormalizationError, match="no status"):
        adapter.normalize({"uuid": "u", "why": "nobody"}, strict=True)  # the other shape has no stand-in


def test_a_shape_status_is_held_to_the_outcome_laws() -> None:
    with pytest.raises(TableError, match="law") as info:
        _with_cdr('{ status = "ended", by_reason = { no_answer = "completed" } }')
    assert info.value.path == "shapes[1].status"


def test_an_event_name_is_read_only_beside_the_paths_it_requires() -> None:
    webhook = """
[webhook]
default_event = { event = "other", requires = ["uuid"] }

[webhook.event]
paths = ["state"]
docs = "https://example.com/docs#events"
values = ["Done"]
requires = ["account"]
map = { Done = "call_ended" }
"""
    adapter = _load(MINIMAL + webhook)
    registry = callstatus.Registry({"acme": adapter})

    def event(body: dict[str, str]) -> str:
        parsed = callstatus.parse_webhook(json.dumps(body).encode(), {}, allow_unsigned=True, registry=registry)
        return str(parsed.event_type)

    assert event({"uuid": "u", "state": "Done"}) == "other"
    assert event({"uuid": "u", "state": "Done", "account": "a"}) == "call_ended"


def test_a_default_region_reads_national_numbers_and_an_unknown_one_is_refused() -> None:
    adapter = _load(MINIMAL.replace("checked = 2026-11-01", 'checked = 2026-11-01\ndefault_region = "GB"'))
    national = adapter.normalize({"uuid": "u", "state": "Done", "to": "07911 123456"}, strict=True)
    international = adapter.normalize({"uuid": "u", "state": "Done", "to": "14155550100"}, strict=True)
    assert (national.to_number, international.to_number) == ("+447911123456", "+14155550100")
    assert _load(MINIMAL).normalize({"uuid": "u", "state": "Done", "to": "07911 123456"}).to_number != "+447911123456"
    with pytest.raises(TableError, match="region") as info:
        _load(MINIMAL.replace("checked = 2026-11-01", 'checked = 2026-11-01\ndefault_region = "ZZ"'))
    assert info.value.path == "vendor.default_region"
