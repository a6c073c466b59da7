"""Registry: explicit, refuses duplicates, and finds third-party adapters through entry points."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

import pytest
from table_samples import ACME_TABLE

import callstatus
from callstatus import Registry, UnknownVendorError, load_table
from callstatus import registry as registry_module


@pytest.fixture
def acme_table(tmp_path: Path) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(ACME_TABLE, encoding="utf-8")
    return path


def test_a_registry_of_our_own(acme_table: Path) -> None:
    registry = Registry()
    registry.register(acme_table)
    assert registry.vendors() == ["acme"] and "acme" in registry and len(registry) == 1
    record = callstatus.normalize({"uuid": "u1", "state": "Busy"}, registry=registry)
    assert record.vendor == "acme" and record.status == "busy"
    assert "acme" not in callstatus.vendors()


def test_duplicate_vendor_ids_are_refused_unless_replacing(acme_table: Path) -> None:
    registry = Registry()
    first = registry.register(acme_table)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(load_table(acme_table))
    second = registry.register(load_table(acme_table), replace=True)
    assert registry.get("acme") is second is not first


def test_unknown_vendor_is_a_normalization_error() -> None:
    with pytest.raises(UnknownVendorError):
        Registry().get("nobody")


class _EntryPoint:
    def __init__(self, name: str, value: Any, dist: str) -> None:
        self.name = name
        self._value = value
        self.dist = type("Dist", (), {"name": dist})()

    def load(self) -> Any:
        if isinstance(self._value, Exception):
            raise self._value
        return self._value


def test_entry_points_add_adapters_and_a_broken_one_is_skipped_with_a_warning(
    acme_table: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    points = [
        _EntryPoint("acme", lambda: load_table(acme_table), "callstatus-acme"),
        _EntryPoint("broken", ImportError("no module named callstatus_broken"), "callstatus-broken"),
        _EntryPoint("dialnexa", lambda: load_table(acme_table).__class__, "callstatus-evil"),
    ]
    monkeypatch.setattr(
        importlib.metadata, "entry_points", lambda group: points if group == "callstatus.adapters" else []
    )
    registry = Registry()
    with pytest.warns(RuntimeWarning) as caught:
        registry_module._entry_point_adapters(registry)
    messages = " ".join(str(w.message) for w in caught)
    assert "callstatus-broken" in messages and "no module named" in messages
    assert "callstatus-evil" in messages
    assert registry.vendors() == ["acme"]


def test_register_at_run_time_reaches_normalize(acme_table: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = Registry()
    for table in registry_module.builtin_tables():
        registry.register(table)
    monkeypatch.setattr(registry_module, "_default", registry)
    callstatus.register(acme_table)
    assert "acme" in callstatus.vendors()
    assert callstatus.get_adapter("acme").name == "Acme Voice"
    assert callstatus.detect_vendor({"uuid": "u1", "state": "Done"}) == "acme"
