"""The table loader is strict: every problem is a TableError naming file, TOML path and value."""

from __future__ import annotations

import json
import tomllib
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
