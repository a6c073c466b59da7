"""Acme Voice for callstatus: the vendor table, registered through the ``callstatus.adapters`` entry point."""

from __future__ import annotations

from importlib import resources

import callstatus

__all__ = ["adapter"]


def adapter() -> callstatus.Adapter:
    """The compiled Acme Voice table; callstatus calls this when it builds its default registry."""
    return callstatus.load_table(resources.files(__name__) / "acme.toml")
