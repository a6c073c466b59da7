"""Loading vendor tables: TOML -> validated ``TableSpec`` -> semantic checks -> compiled ``Adapter``.

Strict by design: any problem raises ``TableError`` naming the file, the TOML path and the value. The work is
done once per table; ``Adapter.normalize`` then only does dict lookups.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import UTC, timedelta, tzinfo
from importlib.resources.abc import Traversable
from pathlib import Path
from re import _constants as _re_constants  # type: ignore[attr-defined]
from re import _parser as _re_parser  # type: ignore[attr-defined]
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import phonenumbers
import pydantic

from ._codegen import (
    FieldPlan,
    Getter,
    Matcher,
    ReadPlan,
    ShapePlan,
    generate_dispatch,
    generate_extract,
    generate_fast,
    generate_locate,
)
from .adapter import Adapter, Shape
from .apitable import compile_api
from .errors import TableError
from .events import EventType
from .laws import LAWS, violations
from .meanings import CONNECTED_STATES, Outcome, ReasonMeaning, Retries, StatusMeaning, Vocabulary, decide
from .spec import (
    ENUM_FIELDS,
    DefaultEventSpec,
    EventEntry,
    FieldSpec,
    PathSpec,
    ReasonEntry,
    ReasonVocabularySpec,
    RetriesSpec,
    ShapeSpec,
    StatusEntry,
    TableSpec,
    TimeSpec,
    WebhookSpec,
)
from .standards import standard
from .tokens import token
from .vocabulary import CallStatus, EndReason
from .webhooktable import EventMeaning, Signature, WebhookTable

__all__ = ["compile_table", "load_table", "parse_table"]

_KINDS = {
    "call_id": "text",
    "from_number": "phone",
    "to_number": "phone",
    "contact_number": "phone",
    "agent_id": "text",
    "campaign_id": "text",
    "contact_id": "text",
    "attempt": "integer",
    "created_at": "time",
    "started_at": "time",
    "ended_at": "time",
    "duration_seconds": "duration",
    "recording_url": "text",
    "cost": "number",
    "connected": "connected",
    "direction": "raw",
    "ended_by": "raw",
    "answered_by": "raw",
}
_PATH = re.compile(r"(\$\.)?[^.\s]+(\.[^.\s]+)*")
_HEADER = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_OPCODE = _re_constants._NamedIntConstant
_NOT_RE2 = {
    _re_constants.ASSERT: "lookaround",
    _re_constants.ASSERT_NOT: "lookaround",
    _re_constants.GROUPREF: "a backreference",
    _re_constants.GROUPREF_EXISTS: "a conditional group",
    _re_constants.ATOMIC_GROUP: "an atomic group",
    _re_constants.POSSESSIVE_REPEAT: "a possessive repeat",
}


def load_table(path: str | Path | Traversable) -> Adapter:
    """Load, check and compile one vendor table file."""
    if isinstance(path, str):
        path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TableError(f"cannot read table: {exc}", source=source) from None
    return compile_table(parse_table(text, source), source)


def parse_table(text: str, source: str = "<table>") -> TableSpec:
    """Parse and validate a table's TOML text against the table format."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TableError(f"not valid TOML: {exc}", source=source) from None
    try:
        return TableSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise TableError(first["msg"], source=source, path=where, value=first.get("input")) from None


def _getter(path: str | PathSpec, source: str, where: str) -> Getter:
    spec = path if isinstance(path, PathSpec) else PathSpec(path=path)
    if not _PATH.fullmatch(spec.path) or spec.path == "$":
        raise TableError("not a dotted key path", source=source, path=where, value=spec.path)
    from_root = spec.path.startswith("$.")
    keys = tuple((spec.path[2:] if from_root else spec.path).split("."))
    return Getter(keys=keys, from_root=from_root, unit=spec.unit, format=spec.format)


def _getters(paths: Iterable[str | PathSpec], source: str, where: str) -> tuple[Getter, ...]:
    return tuple(_getter(path, source, f"{where}[{i}]") for i, path in enumerate(paths))


def _field_plans(spec: TableSpec, source: str) -> tuple[list[FieldPlan], dict[str, Vocabulary[Any]]]:
    plans: list[FieldPlan] = []
    enums: dict[str, Vocabulary[Any]] = {}
    for name, kind in _KINDS.items():
        value = getattr(spec.fields, name)
        where = f"fields.{name}"
        if value is None:
            plans.append(FieldPlan(name, kind, ()))
            continue
        field = value if isinstance(value, FieldSpec) else FieldSpec(paths=value)
        _check_options(field, kind, where, source)
        getters = _getters(field.paths, source, f"{where}.paths")
        for _getter, path in zip(getters, field.paths, strict=True):
            if isinstance(path, PathSpec) and (
                (path.unit and kind != "duration") or (path.format and kind not in ("time", "connected"))
            ):
                raise TableError(f"this option does not apply to {name}", source=source, path=where, value=path)
        plans.append(FieldPlan(name, kind, getters, unit=field.unit, format=field.format, offset=field.offset or 0))
        if kind == "raw":
            by_token = _enum_map(name, field.map or {}, f"{where}.map", source)
            enums[name] = Vocabulary(name=name, getters=getters, values=tuple(field.map or ()), by_token=by_token)
    return plans, enums


def _check_options(field: FieldSpec, kind: str, where: str, source: str) -> None:
    allowed = {"duration": {"unit"}, "time": {"format"}, "integer": {"offset"}, "raw": {"map"}}.get(kind, set())
    for option in ("unit", "format", "offset", "map"):
        if getattr(field, option) is not None and option not in allowed:
            raise TableError(f"option {option} does not apply to this field", source=source, path=where)
    if kind == "raw" and not field.map:
        raise TableError("an enum field needs a map", source=source, path=where)


def _enum_map(name: str, raw_map: dict[str, str], where: str, source: str) -> dict[str, Any]:
    enum = ENUM_FIELDS[name]
    compiled: dict[str, Any] = {}
    for raw, target in raw_map.items():
        try:
            member = enum(target)
        except ValueError:
            raise TableError(
                f"not a {enum.__name__} value", source=source, path=f"{where}.{raw}", value=target
            ) from None
        _put(compiled, token(raw), member, f"{where}.{raw}", source)
    return compiled


def _put(table: dict[str, Any], key: str, value: Any, where: str, source: str) -> None:
    if key in table:
        raise TableError(f"duplicates another key after pre-normalisation to {key!r}", source=source, path=where)
    table[key] = value


def _status_meaning(entry: Any, where: str, source: str) -> StatusMeaning:
    if not isinstance(entry, StatusEntry):
        return StatusMeaning(status=entry)
    for reason, target in entry.by_reason.items():
        if target == entry.status:
            raise TableError("rule repeats the status it refines", source=source, path=f"{where}.by_reason.{reason}")
        if entry.status.is_terminal and not target.is_terminal:
            raise TableError(
                "a reason cannot make a terminal status non-terminal",
                source=source,
                path=f"{where}.by_reason.{reason}",
                value=target,
            )
    if entry.reason_wins and entry.reason is None:
        raise TableError("reason_wins needs a reason", source=source, path=where)
    return StatusMeaning(**entry.model_dump(exclude={"note"}))


def _resolved(
    meaning: StatusMeaning, reasons: list[tuple[str, ReasonMeaning]], where: str, source: str
) -> StatusMeaning:
    """A status meaning with what it resolves to beside every reason of the table, each connected state, and no
    reason at all; refuses an override that never applies, repeats the laws, or breaks them."""
    base = attrs.evolve(meaning, by_reason={})
    pairs: list[tuple[str, ReasonMeaning | None, bool]] = [
        ("no reason", None, False),
        ("a reason the table does not know", None, True),
        *((f"reason {raw!r}", reason, False) for raw, reason in reasons),
    ]
    lawful: dict[EndReason, set[CallStatus]] = {}
    for _label, reason, unmapped in pairs if meaning.by_reason else ():  # what the laws alone decide, to check rules
        for connected in CONNECTED_STATES:
            outcome = decide(base, reason, connected, unmapped=unmapped)
            if outcome.reason is not None and outcome.reason in meaning.by_reason:
                lawful.setdefault(outcome.reason, set()).add(outcome.status)
    for key, target in meaning.by_reason.items():
        path = f"{where}.by_reason.{key}"
        if key not in lawful:
            raise TableError(
                f"the rule never applies: no reason of this table resolves to {key} here", source=source, path=path
            )
        if lawful[key] == {target}:
            raise TableError("the rule repeats what the outcome laws decide", source=source, path=path, value=target)
    table: list[tuple[Outcome, ...]] = []
    for label, reason, unmapped in pairs:
        triple = tuple(decide(meaning, reason, connected, unmapped=unmapped) for connected in CONNECTED_STATES)
        for connected, outcome in zip(CONNECTED_STATES, triple, strict=True):
            broken = violations(outcome.status, outcome.reason, outcome.ended_by, connected)
            if broken:
                state = {None: "connection not known", False: "not connected", True: "connected"}[connected]
                raise TableError(
                    f"with {label} ({state}) the outcome {outcome.status}/{outcome.reason} breaks law {broken[0]}: "
                    f"{LAWS[broken[0]]}",
                    source=source,
                    path=where,
                    value=meaning.status,
                )
        table.append(triple)
    reachable = frozenset(outcome.status for triple in table for outcome in triple)
    del table[1]  # the unknown reason's outcomes: checked above, decided by the careful path

    def plain(triple: tuple[Outcome, ...]) -> Outcome | None:
        return triple[0] if triple[0] == triple[1] == triple[2] else None

    return attrs.evolve(
        meaning,
        alone=plain(table[0]),
        outcomes=tuple(plain(triple) for triple in table[1:]),
        by_connected=tuple(table),
        reachable=reachable,
    )


def _reason_meaning(entry: Any, index: int) -> ReasonMeaning:
    if not isinstance(entry, ReasonEntry):
        return ReasonMeaning(reason=EndReason(entry), index=index)
    return ReasonMeaning(**entry.model_dump(exclude={"note", "match"}), index=index)


def _re2(pattern: str, source: str, where: str) -> re.Pattern[str]:
    """Compile a table's regular expression, refusing what RE2 (the engines the bulk path compiles to) lacks."""
    try:
        compiled = re.compile(pattern)
        parsed = _re_parser.parse(pattern)
    except re.error as exc:
        raise TableError(f"bad regular expression: {exc}", source=source, path=where, value=pattern) from None
    stack: list[Any] = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], _OPCODE) and item[0] in _NOT_RE2:
            raise TableError(
                f"not RE2 syntax: {_NOT_RE2[item[0]]} (patterns are full-matched, so anchors are not needed)",
                source=source,
                path=where,
                value=pattern,
            )
        if isinstance(item, tuple | list | _re_parser.SubPattern):
            stack.extend(item)
    return compiled


def _vocabulary(name: str, spec: Any, make: Any, where: str, source: str) -> Vocabulary[Any]:
    by_token: dict[str, Any] = {}
    for raw, entry in spec.map.items():
        _put(by_token, token(raw), make(entry, f"{where}.map.{raw}"), f"{where}.map.{raw}", source)
    patterns = []
    for i, rule in enumerate(getattr(spec, "patterns", ())):
        patterns.append(
            (_re2(rule.match, source, f"{where}.patterns[{i}].match"), make(rule, f"{where}.patterns[{i}]"))
        )
    documented = {token(value): value for value in spec.values}
    unclaimed = {key: value for key, value in documented.items() if key not in by_token}
    for i, (pattern, _meaning) in enumerate(patterns):
        claimed = [key for key in unclaimed if pattern.fullmatch(key)]
        if not claimed:
            raise TableError(
                "the pattern matches no documented value that the map or an earlier pattern does not already",
                source=source,
                path=f"{where}.patterns[{i}]",
                value=pattern.pattern,
            )
        for key in claimed:
            del unclaimed[key]
    if unclaimed:
        raise TableError(
            "documented value has no mapping",
            source=source,
            path=f"{where}.values",
            value=next(iter(unclaimed.values())),
        )
    for raw in spec.map:
        if token(raw) not in documented:
            raise TableError("mapped value is not in the documented values", source=source, path=f"{where}.map.{raw}")
    getters = _getters(spec.paths, source, f"{where}.paths")
    return Vocabulary(
        name=name, getters=getters, values=tuple(spec.values), by_token=by_token, patterns=tuple(patterns)
    )


def _reason_vocabularies(
    spec: TableSpec, source: str
) -> tuple[tuple[Vocabulary[ReasonMeaning], ...], list[tuple[str, ReasonMeaning]]]:
    """The reason vocabularies, each meaning numbered across the table (its place in every outcome matrix), and
    every meaning in that order with a documented value that has it (for messages)."""
    counter = iter(range(1_000_000))
    merged = {name: _with_standard(vocab, f"reason.{name}", source) for name, vocab in spec.reason.items()}
    vocabularies = tuple(
        _vocabulary(name, vocab, lambda entry, where: _reason_meaning(entry, next(counter)), f"reason.{name}", source)
        for name, vocab in merged.items()
    )
    named: dict[int, tuple[str, ReasonMeaning]] = {}
    for vocabulary, vocab in zip(vocabularies, merged.values(), strict=True):
        for raw in vocab.values:
            meaning = vocabulary.meaning(raw)
            if meaning is not None:
                named.setdefault(meaning.index, (raw, meaning))
    return vocabularies, [named[index] for index in sorted(named)]


def _with_standard(vocab: ReasonVocabularySpec, where: str, source: str) -> ReasonVocabularySpec:
    """A reason vocabulary with its shared standard's values, map and patterns folded in (its own win)."""
    if vocab.standard is None:
        if not vocab.values:
            raise TableError("a reason vocabulary needs its documented values", source=source, path=f"{where}.values")
        return vocab
    shared = standard(vocab.standard)
    own = {token(value) for value in vocab.values} | {token(raw) for raw in vocab.map}
    values = [*vocab.values, *(value for value in shared.values if token(value) not in own)]
    mapped = {raw: entry for raw, entry in shared.map.items() if token(raw) not in own} | dict(vocab.map)
    return vocab.model_copy(update={"values": values, "map": mapped, "patterns": [*vocab.patterns, *shared.patterns]})


def _retries(spec: RetriesSpec | None) -> Retries | None:
    if spec is None:
        return None
    return Retries(
        max_attempts=spec.max_attempts,
        delays={reason: timedelta(seconds=seconds) for reason, seconds in spec.delays.items()},
        same_call_id=spec.same_call_id,
        requires=tuple(spec.requires),
    )


def _zone(spec: TableSpec, source: str) -> tzinfo:
    if spec.vendor.timezone == "UTC":
        return UTC
    try:
        return ZoneInfo(spec.vendor.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TableError(
            "unknown time zone", source=source, path="vendor.timezone", value=spec.vendor.timezone
        ) from None


def _region(spec: TableSpec, source: str) -> str | None:
    region = spec.vendor.default_region
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise TableError("unknown phone number region", source=source, path="vendor.default_region", value=region)
    return region


def _shape_plan(shape: ShapeSpec, where: str, source: str) -> ShapePlan:
    at: tuple[str, ...] = ()
    if shape.at != "$":
        getter = _getter(shape.at, source, f"{where}.at")
        if getter.from_root:
            raise TableError("'at' is a path from the payload root, without '$.'", source=source, path=where)
        at = getter.keys
    match = [
        (_getter(path, source, f"{where}.match"), Matcher(_re2(pattern, source, f"{where}.match.{path}")))
        for path, pattern in shape.match.items()
    ]
    return ShapePlan(
        at=at,
        all=_getters(shape.all, source, f"{where}.all"),
        any=_getters(shape.any, source, f"{where}.any"),
        none=_getters(shape.none, source, f"{where}.none"),
        match=tuple(match),
    )


def _shape(shape: ShapeSpec, plan: ShapePlan, read: ReadPlan, zone: tzinfo, status: StatusMeaning | None) -> Shape:
    prefix = "".join(key + "." for key in plan.at)
    extract, careful_source = generate_extract(read, prefix, zone)
    fast, fast_source = generate_fast(read, prefix, zone)
    return Shape(
        name=shape.name,
        at=plan.at,
        all=plan.all,
        any=plan.any,
        none=plan.none,
        match=plan.match,
        status=status,
        extract=extract,
        fast=fast,
        source=careful_source + "\n" + fast_source,
    )


def _event_meaning(entry: Any, where: str, source: str) -> EventMeaning:
    if not isinstance(entry, EventEntry):
        return EventMeaning(event_type=EventType(entry))
    if entry.call and entry.event.carries_no_call:
        raise TableError(f"a {entry.event} event carries no call", source=source, path=f"{where}.call")
    return EventMeaning(event_type=entry.event, call=entry.call, deprecated=entry.deprecated)


def _root_getters(paths: Iterable[str], source: str, where: str) -> tuple[Getter, ...]:
    """Getters of webhook paths: all from the body's root, with or without '$.'."""
    return tuple(attrs.evolve(getter, from_root=True) for getter in _getters(paths, source, where))


def _signature(spec: WebhookSpec, source: str) -> Signature:
    """Compile ``[webhook.signature]``: each scheme takes only its own parameters and needs the ones it uses."""
    timestamped = {"message", "timestamp_header", "timestamp_field", "signature_field", "timestamp_unit", "tolerance"}
    options: dict[str, set[str]] = {
        "hmac-sha256": {"prefix", "encoding"},
        "token": set(),
        "hmac-sha1-url": {"encoding", "body_hash_query"},
        "hmac-sha256-url-nonce": {"encoding", "nonce_header"},
        "hmac-sha256-timestamp": timestamped | {"prefix", "encoding"},
        "ed25519": timestamped | {"encoding"},
        "jwt": {"prefix", "tolerance", "body_claim"},
    }
    body, stamp = "{body}", "{timestamp}"
    if spec.signature is None:
        return Signature(scheme="token")
    sig = spec.signature
    where = "webhook.signature"

    def refuse(message: str, name: str, value: Any = None) -> TableError:
        return TableError(message, source=source, path=f"{where}.{name}", value=value)

    named = [(f"headers[{i}]", header) for i, header in enumerate(sig.headers)]
    for name, header in [*named, ("timestamp_header", sig.timestamp_header), ("nonce_header", sig.nonce_header)]:
        if header is not None and not _HEADER.fullmatch(header):
            raise refuse("not an HTTP header name", name, header)
    allowed = options[sig.scheme]
    for name in sorted(set().union(*options.values())):
        value = getattr(sig, name)
        if value is not None and name not in allowed and not (name == "timestamp_unit" and value == "s"):
            takers = ", ".join(scheme for scheme, names in options.items() if name in names)
            raise refuse(f"{name} does not apply to the {sig.scheme} scheme, only to {takers}", name)
    if sig.scheme != "token" and not sig.headers:
        raise refuse(f"an {sig.scheme} signature needs its headers", "headers")
    if sig.prefix == "":
        raise refuse("an empty prefix: leave it out", "prefix")
    for name in ("timestamp_field", "signature_field", "body_hash_query", "body_claim"):
        if getattr(sig, name) == "":
            raise refuse("empty: name it or leave it out", name)
    message: tuple[str, ...] = ()
    if "message" in allowed:
        if sig.message is None:
            raise refuse(f"an {sig.scheme} signature needs its message, e.g. '{{timestamp}}.{{body}}'", "message")
        message = tuple(part for part in re.split(r"(\{body\}|\{timestamp\})", sig.message) if part)
        if message.count(body) != 1 or message.count(stamp) != 1:
            raise refuse("the message needs {body} and {timestamp}, once each", "message", sig.message)
        if any("{" in part or "}" in part for part in message if part not in (body, stamp)):
            raise refuse("the message knows only the placeholders {body} and {timestamp}", "message", sig.message)
        if (sig.timestamp_header is None) == (sig.timestamp_field is None):
            raise refuse("name one of timestamp_header and timestamp_field", "timestamp_header")
    if (sig.signature_field is None) != (sig.timestamp_field is None):
        raise refuse("timestamp_field and signature_field go together: name both or neither", "signature_field")
    if sig.scheme == "hmac-sha256-url-nonce" and sig.nonce_header is None:
        raise refuse("an hmac-sha256-url-nonce signature needs its nonce_header", "nonce_header")
    if sig.scheme == "jwt" and sig.body_claim is None:
        raise refuse("a jwt signature needs body_claim: without it the body is not authenticated", "body_claim")
    return Signature(
        scheme=sig.scheme,
        headers=tuple(header.lower() for header in sig.headers),
        prefix=sig.prefix.lower() if sig.prefix else None,
        encoding=sig.encoding
        or ("base64" if sig.scheme in ("hmac-sha1-url", "hmac-sha256-url-nonce", "ed25519") else "hex"),
        message=message,
        timestamp_header=sig.timestamp_header.lower() if sig.timestamp_header else None,
        timestamp_field=sig.timestamp_field,
        signature_field=sig.signature_field,
        timestamp_unit=sig.timestamp_unit,
        tolerance=sig.tolerance if sig.tolerance is not None else 300,
        body_hash_query=sig.body_hash_query,
        body_claim=sig.body_claim,
        nonce_header=sig.nonce_header.lower() if sig.nonce_header else None,
    )


def _webhook(spec: WebhookSpec, zone: tzinfo, source: str) -> WebhookTable:
    """Compile the ``[webhook]`` section: the event vocabulary, envelope paths and signature scheme."""
    events = _vocabulary(
        "webhook", spec.event, lambda entry, where: _event_meaning(entry, where, source), "webhook.event", source
    )
    events = attrs.evolve(
        events, getters=tuple(attrs.evolve(getter, from_root=True) for getter in events.getters), cache={}
    )
    pattern = None
    if spec.event.pattern is not None:
        pattern = _re2(spec.event.pattern, source, "webhook.event.pattern")
        if "type" not in pattern.groupindex:
            raise TableError(
                "the pattern needs a named group 'type'",
                source=source,
                path="webhook.event.pattern",
                value=spec.event.pattern,
            )
    default = spec.default_event
    if default is not None and not isinstance(default, DefaultEventSpec):
        default = DefaultEventSpec(event=default)
    times = spec.occurred_at
    if times is not None and not isinstance(times, TimeSpec):
        times = TimeSpec(paths=times)
    occurred_at: tuple[Getter, ...] = ()
    if times is not None:
        occurred_at = tuple(
            attrs.evolve(getter, format=times.format)
            for getter in _root_getters(times.paths, source, "webhook.occurred_at.paths")
        )
    return WebhookTable(
        events=events,
        pattern=pattern,
        default_event=None if default is None else EventMeaning(event_type=default.event),
        default_requires=() if default is None else _root_getters(default.requires, source, "webhook.default_event"),
        event_requires=_root_getters(spec.event.requires, source, "webhook.event.requires"),
        occurred_at=occurred_at,
        batch_id=_root_getters(spec.batch_id, source, "webhook.batch_id"),
        delivery_id=_root_getters(spec.delivery_id, source, "webhook.delivery_id"),
        signature=_signature(spec, source),
        zone=zone,
    )


def compile_table(spec: TableSpec, source: str = "<table>") -> Adapter:
    """Check a validated table for what the schema cannot say, and compile it into an ``Adapter``."""
    plans, enums = _field_plans(spec, source)
    reasons, reason_meanings = _reason_vocabularies(spec, source)

    resolved: dict[str, StatusMeaning] = {}

    def status(entry: Any, where: str) -> StatusMeaning:
        meaning = _status_meaning(entry, where, source)
        key = repr(meaning)  # raw statuses of one meaning (most of them) resolve alike: once each
        if key not in resolved:
            resolved[key] = _resolved(meaning, reason_meanings, where, source)
        return resolved[key]

    statuses = tuple(_vocabulary(name, vocab, status, f"status.{name}", source) for name, vocab in spec.status.items())
    analysis: dict[str, tuple[Getter, ...]] = {}
    if spec.analysis is not None:
        named = spec.analysis.model_dump(exclude={"extra"}, exclude_none=True)
        for key, paths in {**named, **spec.analysis.extra}.items():
            analysis[key] = _getters(paths, source, f"analysis.{key}")
    lists = tuple(() if path == "$" else _getter(path, source, "lists").keys for path in spec.lists)
    call_id_plan = next(plan for plan in plans if plan.name == "call_id")
    zone = _zone(spec, source)
    retries = _retries(spec.retries)
    shape_plans = [_shape_plan(shape, f"shapes[{i}]", source) for i, shape in enumerate(spec.shapes)]
    fast_locate, locate_source = generate_locate(spec.vendor.id, shape_plans)
    read = ReadPlan(
        vendor=spec.vendor.id,
        fields=plans,
        statuses=[v.getters for v in statuses],
        reasons=[v.getters for v in reasons],
        analysis=analysis,
        status_caches=[v.cache for v in statuses],
        reason_caches=[v.cache for v in reasons],
        enum_caches={name: v.cache for name, v in enums.items()},
        max_attempts=None if retries is None else retries.max_attempts,
        retry_requires=() if retries is None else retries.requires,
        region=_region(spec, source),
    )
    shapes = tuple(
        _shape(shape, plan, read, zone, None if shape.status is None else status(shape.status, f"shapes[{i}].status"))
        for i, (shape, plan) in enumerate(zip(spec.shapes, shape_plans, strict=True))
    )

    fasts = [shape.fast for shape in shapes]

    def compile_dispatch(present: frozenset[str] | None) -> Any:
        return generate_dispatch(read, zone, shape_plans, fasts, present)[0]

    return Adapter(
        id=spec.vendor.id,
        name=spec.vendor.name,
        source=source,
        docs=tuple(spec.vendor.docs),
        shapes=shapes,
        lists=lists,
        statuses=statuses,
        reasons=reasons,
        enums=enums,
        fields=tuple(plans),
        call_id_paths=" | ".join(getter.where("") for getter in call_id_plan.getters),
        fast_locate=fast_locate,
        locate_source=locate_source,
        compile_dispatch=compile_dispatch,
        retries=retries,
        webhook=None if spec.webhook is None else _webhook(spec.webhook, zone, source),
        api=None if spec.api is None else compile_api(spec.api, spec.vendor.id, statuses, source),
        analysis=analysis,
        zone=zone,
        region=read.region,
    )
