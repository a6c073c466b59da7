"""The committed JSON Schemas are exactly what the code generates (the drift check CI relies on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from callstatus.schemas import SCHEMAS, render, write_schemas

COMMITTED = Path(__file__).resolve().parents[1] / "schemas"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_matches_the_code(name: str) -> None:
    committed = (COMMITTED / name).read_text(encoding="utf-8")
    assert committed == render(name), f"schemas/{name} is stale: run `callstatus schema --out schemas`"


def test_write_schemas_writes_every_schema(tmp_path: Path) -> None:
    written = write_schemas(tmp_path / "out")
    assert sorted(path.name for path in written) == sorted(SCHEMAS)
    for path in written:
        assert path.read_text(encoding="utf-8") == render(path.name)


def test_record_schema_describes_every_field_and_forbids_others() -> None:
    schema = SCHEMAS["call-record.schema.json"]()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"vendor", "call_id", "status", "raw"}
    assert len(schema["properties"]) == 24


def test_event_schema_describes_the_event() -> None:
    schema = SCHEMAS["call-event.schema.json"]()
    assert {"vendor", "event_type", "idempotency_key", "call", "raw"} <= set(schema["properties"])
