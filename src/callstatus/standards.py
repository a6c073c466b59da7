"""Shared reason vocabularies (``adapters/standards/``): telecom standards any vendor table can use by name.

Q.850 causes and SIP final responses mean the same whoever reports them, so they are written once; a table's
reason vocabulary says ``standard = "q850"`` and adds only what its vendor spells differently.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pydantic

from .errors import TableError
from .spec import StandardSpec

__all__ = ["standard", "standards_folder"]


def standards_folder() -> Traversable:
    """Where the shared vocabularies are: beside the packaged tables, or the repository's ``adapters/standards``."""
    packaged = resources.files("callstatus") / "_tables" / "standards"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "adapters" / "standards"


@functools.cache
def standard(name: str) -> StandardSpec:
    """The shared vocabulary of that name, read and checked once; ``TableError`` when there is none."""
    path = standards_folder() / f"{name}.toml"
    if not name.isidentifier() or not path.is_file():
        raise TableError("no such shared vocabulary in adapters/standards/", source=str(path), value=name)
    try:
        spec = StandardSpec.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, pydantic.ValidationError) as exc:
        raise TableError(f"invalid shared vocabulary: {exc}", source=str(path)) from None
    if spec.standard.id != name:
        raise TableError("the file's id is not its name", source=str(path), path="standard.id", value=spec.standard.id)
    return spec
