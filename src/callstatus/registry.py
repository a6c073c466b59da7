"""Registry of vendor adapters: the packaged tables, third-party entry points, and vendor detection.

The default registry is built on first use from the tables shipped in the package (``callstatus/_tables``,
or the repository's ``adapters/`` in an editable install) and the ``callstatus.adapters`` entry points.
Tests and applications can build their own ``Registry``.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Mapping
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from .adapter import Adapter, Shape
from .errors import TableError, UnknownVendorError, UsageError
from .tables import load_table

__all__ = ["ENTRY_POINT_GROUP", "Registry", "builtin_tables", "default_registry"]

ENTRY_POINT_GROUP = "callstatus.adapters"


class Registry:
    """Adapters by vendor id. Refuses a second adapter with the same id unless asked to replace it."""

    def __init__(self, adapters: Mapping[str, Adapter] | None = None) -> None:
        self._adapters: dict[str, Adapter] = {}
        for adapter in (adapters or {}).values():
            self.register(adapter)

    def register(self, adapter: Adapter | str | Path | Traversable, *, replace: bool = False) -> Adapter:
        """Add an adapter, or the table file at a path; returns the adapter."""
        if not isinstance(adapter, Adapter):
            adapter = load_table(adapter if isinstance(adapter, Traversable) else Path(adapter))
        existing = self._adapters.get(adapter.id)
        if existing is not None and not replace:
            raise UsageError(f"vendor {adapter.id!r} is already registered (from {existing.source})")
        self._adapters[adapter.id] = adapter
        return adapter

    def get(self, vendor: str) -> Adapter:
        """The adapter of a vendor id; ``UnknownVendorError`` when there is none."""
        try:
            return self._adapters[vendor]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self._adapters))
            raise UnknownVendorError(
                f"no adapter for this vendor (known: {known})", vendor=None, value=vendor
            ) from None

    def vendors(self) -> list[str]:
        """The registered vendor ids, sorted."""
        return sorted(self._adapters)

    def __iter__(self) -> Iterator[Adapter]:
        return iter(list(self._adapters.values()))

    def __len__(self) -> int:
        return len(self._adapters)

    def __contains__(self, vendor: object) -> bool:
        return vendor in self._adapters

    def match(self, payload: Mapping[str, Any]) -> tuple[Adapter, Shape, Mapping[str, Any]]:
        """The one adapter whose shapes fit a payload best, with the shape and the record object it found."""
        fits = []
        for adapter in self._adapters.values():
            found = adapter.locate(payload)
            if found is not None:
                fits.append((adapter, *found))
        if len(fits) == 1:
            return fits[0]
        if not fits:
            raise UnknownVendorError("no vendor's payload shape matches", path="$", value=_keys(payload))
        scored = sorted(((shape.score(record, payload), (adapter, shape, record)) for adapter, shape, record in fits),
                        key=lambda item: -item[0])  # fmt: skip
        if scored[0][0] == scored[1][0]:
            tied = ", ".join(sorted(fit[0].id for score, fit in scored if score == scored[0][0]))
            raise UnknownVendorError(
                f"payload is ambiguous between vendors {tied}; pass vendor=", path="$", value=_keys(payload)
            )
        return scored[0][1]

    def detect(self, payload: Mapping[str, Any]) -> str:
        """The vendor id of a payload."""
        return self.match(payload)[0].id


def _keys(payload: Mapping[str, Any]) -> list[str]:
    return sorted(str(key) for key in payload)[:20]


def builtin_tables() -> list[Traversable]:
    """The vendor tables shipped with the package, or the repository's ``adapters/`` in an editable install."""
    packaged = resources.files("callstatus") / "_tables"
    if packaged.is_dir():
        folder: Traversable = packaged
    else:
        folder = Path(__file__).resolve().parents[2] / "adapters"
    if not folder.is_dir():
        raise TableError("callstatus is installed without its vendor tables", source=str(folder))
    return sorted((item for item in folder.iterdir() if item.name.endswith(".toml")), key=lambda item: item.name)


def _entry_point_adapters(registry: Registry) -> None:
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(entry_point.dist, "name", None) or "unknown distribution"
        try:
            loaded = entry_point.load()
            candidate = loaded() if callable(loaded) and not isinstance(loaded, Adapter) else loaded
            adapter = registry.register(candidate)
        except Exception as exc:  # a third-party adapter must not break the built-in ones
            warnings.warn(
                f"callstatus: skipping adapter {entry_point.name!r} from {dist}: {exc}", RuntimeWarning, stacklevel=2
            )
            continue
        if adapter.id != entry_point.name:
            warnings.warn(
                f"callstatus: adapter {adapter.id!r} from {dist} is registered under entry point {entry_point.name!r}",
                RuntimeWarning,
                stacklevel=2,
            )


_default: Registry | None = None
_lock = threading.Lock()


def default_registry() -> Registry:
    """The registry ``normalize`` uses: built on first use. A bad built-in table raises ``TableError``."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                registry = Registry()
                for table in builtin_tables():
                    registry.register(load_table(table))
                _entry_point_adapters(registry)
                _default = registry
    return _default
