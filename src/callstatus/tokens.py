"""Pre-normalisation of vendor tokens, so that spelling variants of one value look alike.

``no-answer``, ``NO ANSWER``, ``noAnswer`` and ``no_answer`` all become ``no_answer``; ``cancelled`` becomes
``canceled`` and ``complete`` becomes ``completed``. Tables are keyed by these tokens, and so are lookups.
"""

from __future__ import annotations

import re

__all__ = ["MAX_TOKEN_CHARS", "token"]

MAX_TOKEN_CHARS = 256
"""A raw vendor value longer than this is unknown without being tokenised, matched or cached: no vendor
documents a value this long, and a hostile one must stay cheap."""

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s_-]+")
_EDGE = re.compile(r"^_+|_+$")
_SYNONYMS = {"cancelled": "canceled", "complete": "completed"}
_SYNONYM = re.compile(r"(?<![a-z0-9])(" + "|".join(_SYNONYMS) + r")(?![a-z0-9])")


def _synonym(match: re.Match[str]) -> str:
    return _SYNONYMS[match.group(1)]


def token(raw: str) -> str:
    """The canonical spelling of a vendor token: lower snake case, one separator, US spelling.

    Idempotent: ``token(token(x)) == token(x)``.
    """
    text = _SEPARATORS.sub("_", _CAMEL.sub("_", raw.strip()).lower())
    return _SYNONYM.sub(_synonym, _EDGE.sub("", text))
