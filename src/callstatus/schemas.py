"""The JSON Schemas callstatus publishes, generated from the models so they cannot drift from the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .events import call_event_schema
from .export import row_schema
from .record import CallRecord
from .spec import StandardSpec, TableSpec

__all__ = ["SCHEMAS", "render", "write_schemas"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _call_record() -> dict[str, Any]:
    return {"$schema": _DRAFT, **CallRecord.model_json_schema(mode="validation")}


def _adapter_table() -> dict[str, Any]:
    return {"$schema": _DRAFT, **TableSpec.model_json_schema(mode="validation")}


def _standard() -> dict[str, Any]:
    return {"$schema": _DRAFT, **StandardSpec.model_json_schema(mode="validation")}


SCHEMAS = {
    "call-record.schema.json": _call_record,
    "call-event.schema.json": call_event_schema,
    "adapter.schema.json": _adapter_table,
    "export-row.schema.json": row_schema,
    "standard.schema.json": _standard,
}
"""File name -> function building that schema."""


def render(name: str) -> str:
    """The text of one schema file, as committed in ``schemas/``."""
    return json.dumps(SCHEMAS[name](), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: str | Path) -> list[Path]:
    """Write every schema into a directory; returns the paths written."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMAS:
        path = folder / name
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written
