"""Hypothesis strategies for vendor payloads, built from the compiled vendor tables.

For users' own test suites as much as for ours: ``payloads("dialnexa")`` draws payloads of every documented
shape with documented values, so a table that gains a value or a shape is exercised the moment it does.
Needs ``hypothesis`` (the ``test`` extra).
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from .._codegen import FieldPlan, Getter
from ..adapter import Adapter, Shape
from ..meanings import Vocabulary
from ..record import CallRecord
from ..registry import Registry, default_registry
from ..tokens import token
from ..vocabulary import AnsweredBy, CallStatus, Direction, EndedBy, EndReason

__all__ = [
    "call_records",
    "json_values",
    "payloads",
    "raw_reasons",
    "raw_statuses",
    "spelling_variants",
    "unknown_tokens",
    "vendors",
]

_ID_ALPHABET = string.ascii_letters + string.digits + "_-"


def _adapter(vendor: str, registry: Registry | None) -> Adapter:
    return (registry or default_registry()).get(vendor)


def vendors(registry: Registry | None = None) -> st.SearchStrategy[str]:
    """A registered vendor id."""
    return st.sampled_from((registry or default_registry()).vendors())


def raw_statuses(vendor: str, *, registry: Registry | None = None) -> st.SearchStrategy[str]:
    """A documented raw status of the vendor, spelled as its docs spell it."""
    adapter = _adapter(vendor, registry)
    return st.sampled_from(sorted({value for vocabulary in adapter.statuses for value in vocabulary.values}))


def raw_reasons(vendor: str, *, registry: Registry | None = None) -> st.SearchStrategy[str]:
    """A documented raw reason or error code of the vendor."""
    adapter = _adapter(vendor, registry)
    values = sorted({value for vocabulary in adapter.reasons for value in vocabulary.values})
    return st.sampled_from(values) if values else st.nothing()


def spelling_variants(raw: str) -> st.SearchStrategy[str]:
    """Spellings a vendor may use for the same value: case, ``-``/space/``_``, camelCase, padding."""
    words = token(raw).split("_")
    camel = words[0] + "".join(word[:1].upper() + word[1:] for word in words[1:])
    forms = {
        raw,
        raw.upper(),
        raw.lower(),
        "_".join(words),
        "-".join(words),
        " ".join(words).upper(),
        camel,
        f" {raw} ",
    }
    return st.sampled_from(sorted(forms))


def unknown_tokens(vendor: str, *, registry: Registry | None = None) -> st.SearchStrategy[str]:
    """A non-empty value that no status or reason vocabulary of the vendor knows, in any spelling."""
    adapter = _adapter(vendor, registry)
    vocabularies: list[Vocabulary[Any]] = [*adapter.statuses, *adapter.reasons]
    known = {key for vocabulary in vocabularies for key in vocabulary.by_token}
    return st.text(alphabet=string.ascii_letters + "_- .", min_size=1, max_size=24).filter(
        lambda text: token(text) != "" and token(text) not in known
    )


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON value: what arbitrary input to ``normalize`` looks like once decoded."""
    scalars = (
        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
    )
    return st.recursive(
        scalars | st.text(max_size=20),
        lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6),
        max_leaves=max_leaves,
    )


_TIMES = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)
)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time_value(fmt: str, moment: datetime) -> Any:
    if fmt in ("epoch_ms",):
        return int(moment.timestamp() * 1000)
    if fmt == "epoch_s":
        return int(moment.timestamp())
    if fmt == "rfc2822":
        return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return _iso(moment)


_E164 = st.from_regex(r"\A\+[1-9][0-9]{7,13}\Z")
_IDS = st.text(alphabet=_ID_ALPHABET, min_size=1, max_size=24)


def _value(draw: st.DrawFn, plan: FieldPlan, getter: Getter, adapter: Adapter, moment: datetime) -> Any:
    if plan.kind == "text":
        return draw(_IDS) if plan.name.endswith("_id") else draw(st.text(min_size=1, max_size=40))
    if plan.kind == "phone":
        return draw(_E164)
    if plan.kind == "time":
        return _time_value(getter.format or plan.format or "iso8601", moment)
    if plan.kind in ("duration", "number"):
        return draw(st.integers(0, 7200) | st.floats(0, 7200, allow_nan=False).map(lambda x: round(x, 3)))
    if plan.kind == "connected":  # a talk time (zero: not connected) or an answer time
        return _iso(moment) if getter.format is not None else draw(st.sampled_from([0, 0.0]) | st.integers(1, 7200))
    if plan.kind == "integer":
        return draw(st.integers(max(0, 1 - plan.offset), 20))
    if plan.kind == "raw":
        return draw(st.sampled_from(sorted(adapter.enums[plan.name].values)))
    raise AssertionError(plan.kind)


def _put(record: dict[str, Any], root: dict[str, Any], getter: Getter, value: Any) -> None:
    target = root if getter.from_root else record
    for key in getter.keys[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[getter.keys[-1]] = value


@st.composite
def _shape_payload(
    draw: st.DrawFn, adapter: Adapter, shape: Shape, status: str | None, reason: str | bool | None
) -> dict[str, Any]:
    root: dict[str, Any] = {}
    record = root
    for key in shape.at:
        record = record.setdefault(key, {})
    moment = draw(_TIMES)
    fields = adapter.fields
    taken: set[tuple[str, ...]] = set()
    for plan in fields:
        if not plan.getters or (plan.name != "call_id" and not draw(st.booleans())):
            continue
        getter = draw(st.sampled_from(plan.getters))
        if plan.name in ("ended_at",):
            moment = moment + timedelta(seconds=draw(st.integers(0, 3600)))
        if getter.keys in taken:
            continue
        taken.add(getter.keys)
        _put(record, root, getter, _value(draw, plan, getter, adapter, moment))
    if status is None:
        vocabulary = draw(st.sampled_from(adapter.statuses))
        status = draw(st.sampled_from(vocabulary.values))
    else:
        vocabulary = next(
            (v for v in adapter.statuses if token(status) in {token(value) for value in v.values}), adapter.statuses[0]
        )
    _put(record, root, draw(st.sampled_from(vocabulary.getters)), status)
    if reason is False:
        # A field may share a reason's path (Twilio's AnsweredBy): leave no reason in.
        for reasons in adapter.reasons:
            for getter in reasons.getters:
                _drop(record, root, getter)
    elif adapter.reasons:
        if reason is None or reason is True:
            reasons = draw(st.sampled_from(adapter.reasons))
            reason = draw(st.sampled_from(reasons.values)) if reason is True or draw(st.booleans()) else None
        else:
            reasons = next(
                (v for v in adapter.reasons if token(reason) in {token(value) for value in v.values}),
                adapter.reasons[0],
            )
        if isinstance(reason, str):
            # Earlier reason vocabularies win when present: leave them out so this one is read.
            for earlier in adapter.reasons[: adapter.reasons.index(reasons)]:
                for getter in earlier.getters:
                    _drop(record, root, getter)
            _put(record, root, draw(st.sampled_from(reasons.getters)), reason)
    vocabularies: list[Vocabulary[Any]] = [*adapter.statuses, *adapter.reasons]
    documented = {g.keys: v.values for v in vocabularies for g in v.getters}
    plans = {g.keys: (plan, g) for plan in fields for g in plan.getters}

    def filler(getter: Getter) -> Any:
        if getter in vocabulary.getters:
            return status
        if getter.keys in documented:
            return draw(st.sampled_from(documented[getter.keys]))
        if getter.keys in plans:
            plan, known = plans[getter.keys]
            return _value(draw, plan, known, adapter, moment)
        return draw(_IDS)

    for getter in shape.all:
        if _missing(record, root, getter):
            _put(record, root, getter, filler(getter))
    if shape.any and all(_missing(record, root, getter) for getter in shape.any):
        reason_keys = {g.keys for v in adapter.reasons for g in v.getters} if reason is False else set()
        chosen = next((g for g in shape.any if g.keys not in reason_keys), shape.any[0])
        _put(record, root, chosen, filler(chosen))
    for getter, matcher in shape.match:
        if _missing(record, root, getter):
            _put(record, root, getter, draw(st.from_regex(matcher.pattern, fullmatch=True).filter(bool)))
    return root


def _drop(record: dict[str, Any], root: dict[str, Any], getter: Getter) -> None:
    holder: Any = root if getter.from_root else record
    for key in getter.keys[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if isinstance(holder, dict):
        holder.pop(getter.keys[-1], None)


def _missing(record: dict[str, Any], root: dict[str, Any], getter: Getter) -> bool:
    value: Any = root if getter.from_root else record
    for key in getter.keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value is None or value == ""


def payloads(
    vendor: str,
    *,
    status: str | None = None,
    reason: str | bool | None = None,
    registry: Registry | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """A payload of one of the vendor's documented shapes that the vendor's adapter accepts.

    ``status`` fixes the raw status (else a documented one is drawn); ``reason`` fixes the raw reason, ``True``
    forces a documented one, ``False`` leaves it out (else it is drawn or left out).
    """
    adapter = _adapter(vendor, registry)

    def accepted(payload: dict[str, Any]) -> bool:
        return adapter.locate(payload) is not None

    shapes: list[st.SearchStrategy[dict[str, Any]]] = [
        _shape_payload(adapter, shape, status, reason).filter(accepted) for shape in adapter.shapes
    ]
    return st.one_of(shapes)


def call_records() -> st.SearchStrategy[CallRecord]:
    """Any valid ``CallRecord``, including combinations no adapter produces (for laws over records)."""
    optional = st.none()
    times = optional | _TIMES
    return st.builds(
        CallRecord,
        vendor=st.sampled_from(["dialgen", "dialnexa", "atoms", "acme"]),
        call_id=_IDS,
        status=st.sampled_from(CallStatus),
        end_reason=optional | st.sampled_from(EndReason),
        ended_by=optional | st.sampled_from(EndedBy),
        answered_by=optional | st.sampled_from(AnsweredBy),
        raw_status=optional | st.text(max_size=20),
        raw_reason=optional | st.text(max_size=20),
        direction=optional | st.sampled_from(Direction),
        from_number=optional | _E164,
        to_number=optional | _E164,
        agent_id=optional | _IDS,
        campaign_id=optional | _IDS,
        contact_id=optional | _IDS,
        attempt=optional | st.integers(1, 10),
        vendor_may_retry=optional | st.booleans(),
        created_at=times,
        started_at=times,
        ended_at=times,
        duration_seconds=optional | st.floats(0, 1e6, allow_nan=False),
        recording_url=optional | st.just("https://example.com/recording.mp3"),
        cost=optional | st.floats(-1e6, 1e6, allow_nan=False),
        analysis=optional | st.dictionaries(st.text(max_size=10), json_values(max_leaves=5), max_size=3),
        raw=st.dictionaries(st.text(max_size=10), json_values(max_leaves=8), max_size=5),
    )
