"""The vendor crosswalk: every documented raw value of every vendor table and the canonical meaning it gets.

Rendered as Markdown from the compiled adapters, so it cannot drift from what ``normalize()`` does; the tables'
notes and doc links, which compiling drops, come from each adapter's table file. ``docs/crosswalk.md`` is this
module's output: ``python -m callstatus.crosswalk docs/crosswalk.md`` regenerates it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any

from .adapter import Adapter
from .errors import TableError
from .meanings import ReasonMeaning, StatusMeaning, Vocabulary
from .registry import Registry, builtin_tables, default_registry
from .spec import (
    EventEntry,
    EventVocabularySpec,
    FieldSpec,
    ReasonEntry,
    ReasonVocabularySpec,
    StatusEntry,
    StatusVocabularySpec,
    TableSpec,
)
from .tables import compile_table, parse_table
from .tokens import token
from .webhooktable import EventMeaning

__all__ = ["COMMAND", "main", "render", "write"]

COMMAND = "python -m callstatus.crosswalk docs/crosswalk.md"
"""The command that regenerates the committed crosswalk."""

_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")
_VocabularySpec = StatusVocabularySpec | ReasonVocabularySpec | EventVocabularySpec


def render(registry: Registry | None = None) -> str:
    """The crosswalk of a registry's vendors as Markdown; None: the vendor tables shipped with callstatus (not
    third-party adapters installed beside it, so the committed file does not depend on the machine)."""
    entries = _builtin() if registry is None else [(adapter, _spec(adapter)) for adapter in registry]
    entries.sort(key=lambda entry: entry[0].id)
    out = [
        f"<!-- Generated from the vendor tables by `{COMMAND}`. Do not edit: change the table, then regenerate. -->",
        "",
        "# Vendor crosswalk",
        "",
        "Every documented raw value of every vendor table, and the canonical value `callstatus` maps it to. "
        f"Generated from the compiled tables: run `{COMMAND}` after changing a table.",
        "",
        "Raw values match in any spelling: case, separators and camelCase are pre-normalised (`no-answer`, "
        "`NO ANSWER` and `noAnswer` are one value). A status's *default end reason* is the one a record gets "
        "when the payload gives none; *by reason* lists the joint rules, the status this raw status takes with "
        "that resolved reason; *vendor retries* is the vendor's documented word on retrying the outcome by itself.",
        "",
        _row("Vendor", "Id", "Table", "Raw statuses", "Raw reasons", "Webhook events"),
        _row(*["---"] * 6),
    ]
    for adapter, _ in entries:
        events = adapter.webhook.events.values if adapter.webhook is not None else ()
        out.append(
            _row(
                _text(adapter.name),
                _code(adapter.id),
                _code(PurePath(adapter.source).name),
                str(sum(len(v.values) for v in adapter.statuses)),
                str(sum(len(v.values) for v in adapter.reasons)),
                str(len(events)),
            )
        )
    for adapter, spec in entries:
        out += _vendor(adapter, spec)
    return "\n".join(out) + "\n"


def write(path: str | Path, registry: Registry | None = None) -> bool:
    """Write the crosswalk to a file; returns whether its content changed."""
    target = Path(path)
    text = render(registry)
    try:
        if target.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m callstatus.crosswalk [PATH] [--check] [--installed]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m callstatus.crosswalk", description="Write the vendor crosswalk as Markdown."
    )
    parser.add_argument("path", nargs="?", help="the Markdown file to write (default: standard output)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when PATH is out of date")
    parser.add_argument(
        "--installed", action="store_true", help="include third-party adapters installed through entry points"
    )
    args = parser.parse_args(argv)
    if args.check and args.path is None:
        parser.error("--check needs a PATH")
    try:
        registry = default_registry() if args.installed else None
        if args.path is None:
            sys.stdout.write(render(registry))
        elif args.check:
            target = Path(args.path)
            if not target.is_file() or target.read_text(encoding="utf-8") != render(registry):
                print(f"{args.path} is out of date: run `{COMMAND}`", file=sys.stderr)
                return 1
        else:
            write(args.path, registry)
    except TableError as exc:
        print(f"callstatus.crosswalk: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"callstatus.crosswalk: error: {args.path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def _builtin() -> list[tuple[Adapter, TableSpec | None]]:
    entries: list[tuple[Adapter, TableSpec | None]] = []
    for table in builtin_tables():
        spec = parse_table(table.read_text(encoding="utf-8"), str(table))
        entries.append((compile_table(spec, str(table)), spec))
    return entries


def _spec(adapter: Adapter) -> TableSpec | None:
    """The table an adapter was compiled from, for its notes; None when its source is not a readable table."""
    try:
        spec = parse_table(Path(adapter.source).read_text(encoding="utf-8"), adapter.source)
    except (OSError, UnicodeDecodeError, TableError):
        return None
    return spec if spec.vendor.id == adapter.id else None


def _vendor(adapter: Adapter, spec: TableSpec | None) -> list[str]:
    out = ["", f"## {_text(adapter.name)} ({_code(adapter.id)})", ""]
    table = f"Table: {_code(PurePath(adapter.source).name)}."
    if spec is not None:
        table += f" Documented values checked against the vendor's docs on {spec.vendor.checked.isoformat()}."
    out.append(table)
    if spec is not None and spec.vendor.note:
        out += ["", _text(spec.vendor.note)]
    if adapter.docs:
        out += ["", "Docs:", ""] + [f"- {_text(link)}" for link in adapter.docs]
    for statuses in adapter.statuses:
        out += _statuses(statuses, spec.status.get(statuses.name) if spec is not None else None)
    for reasons in adapter.reasons:
        out += _reasons(reasons, spec.reason.get(reasons.name) if spec is not None else None)
    out += _events(adapter, spec)
    out += _enums(adapter, spec)
    return out


def _statuses(vocabulary: Vocabulary[StatusMeaning], spec: StatusVocabularySpec | None) -> list[str]:
    out = _heading(f"Statuses: {_code(vocabulary.name)}", vocabulary, spec)
    out += [
        _row("Raw status", "Status", "Default end reason", "By reason", "Vendor retries", "Also", "Note"),
        _row(*["---"] * 7),
    ]
    entries = _entries(spec)
    for raw in vocabulary.values:
        meaning = vocabulary.meaning(raw)
        assert meaning is not None  # the loader refuses a documented value without a meaning
        entry = entries.get(token(raw))
        also = [
            *_flags(meaning.ended_by, meaning.answered_by, meaning.deprecated),
            *(["its reason wins"] if meaning.reason_wins else []),
        ]
        out.append(
            _row(
                _code(raw),
                _code(meaning.status),
                _default_reason(meaning),
                ", ".join(f"{_code(reason)} → {_code(status)}" for reason, status in meaning.by_reason.items()),
                _yes_no(meaning.vendor_retries),
                "; ".join(also),
                _note(entry),
            )
        )
    return out


def _reasons(vocabulary: Vocabulary[ReasonMeaning], spec: ReasonVocabularySpec | None) -> list[str]:
    out = _heading(f"Reasons: {_code(vocabulary.name)}", vocabulary, spec)
    out += [
        _row("Raw reason", "End reason", "Group", "Vendor retries", "Also", "Note"),
        _row(*["---"] * 6),
    ]
    entries = _entries(spec)
    rules = spec.patterns if spec is not None else []
    for raw in vocabulary.values:
        meaning = vocabulary.meaning(raw)
        assert meaning is not None  # the loader refuses a documented value without a meaning
        key = token(raw)
        entry: Any = entries.get(key)
        also = _reason_flags(meaning)
        if key not in vocabulary.by_token:
            index = next(i for i, (pattern, _) in enumerate(vocabulary.patterns) if pattern.fullmatch(key))
            also.insert(0, f"by pattern {index + 1}")
            entry = rules[index] if index < len(rules) else None
        out.append(
            _row(
                _code(raw),
                _code(meaning.reason),
                _code(meaning.reason.group),
                _yes_no(meaning.vendor_retries),
                "; ".join(also),
                _note(entry),
            )
        )
    if vocabulary.patterns:
        out += [
            "",
            "Pattern rules, tried in order after the exact values; each is full-matched against the "
            "pre-normalised value (lower snake case):",
            "",
            _row("#", "Pattern", "End reason", "Group", "Vendor retries", "Also", "Note"),
            _row(*["---"] * 7),
        ]
        for i, (pattern, meaning) in enumerate(vocabulary.patterns):
            out.append(
                _row(
                    str(i + 1),
                    _code(pattern.pattern),
                    _code(meaning.reason),
                    _code(meaning.reason.group),
                    _yes_no(meaning.vendor_retries),
                    "; ".join(_reason_flags(meaning)),
                    _note(rules[i] if i < len(rules) else None),
                )
            )
    return out


def _events(adapter: Adapter, spec: TableSpec | None) -> list[str]:
    if adapter.webhook is None:
        return []
    webhook = adapter.webhook
    vocabulary = webhook.events
    event_spec = spec.webhook.event if spec is not None and spec.webhook is not None else None
    out = _heading("Webhook events", vocabulary, event_spec)
    if webhook.pattern is not None:
        out += [
            f"A raw event name is first full-matched against {_code(webhook.pattern.pattern)}; its group "
            f"{_code('type')} names the event.",
            "",
        ]
    if webhook.default_event is not None:
        line = f"A webhook without an event name: {_code(webhook.default_event.event_type)}"
        if webhook.default_requires:
            line += " when " + ", ".join(_code(getter.where("")) for getter in webhook.default_requires)
            line += " hold a value" if len(webhook.default_requires) > 1 else " holds a value"
        default = spec.webhook.default_event if spec is not None and spec.webhook is not None else None
        note = getattr(default, "note", None)
        out += [line + "." + (f" {_text(note)}" if note else ""), ""]
    out += [_row("Raw event", "Event type", "Also", "Note"), _row(*["---"] * 4)]
    entries = _entries(event_spec)
    for raw in vocabulary.values:
        meaning: EventMeaning | None = vocabulary.meaning(raw)
        assert meaning is not None  # the loader refuses a documented value without a meaning
        also = [] if meaning.call is None else ["carries a call" if meaning.call else "carries no call"]
        if meaning.deprecated:
            also.append("deprecated")
        out.append(_row(_code(raw), _code(meaning.event_type), "; ".join(also), _note(entries.get(token(raw)))))
    return out


def _enums(adapter: Adapter, spec: TableSpec | None) -> list[str]:
    if not adapter.enums:
        return []
    out = ["", "### Other fields", "", _row("Field", "Raw value", "Canonical value", "Note"), _row(*["---"] * 4)]
    for name, vocabulary in adapter.enums.items():
        field: FieldSpec | None = getattr(spec.fields, name, None) if spec is not None else None
        note = _text(field.note) if field is not None and field.note else ""
        for raw in vocabulary.values:
            out.append(_row(_code(name), _code(raw), _code(vocabulary.meaning(raw) or "unknown"), note))
            note = ""
    return out


def _default_reason(meaning: StatusMeaning) -> str:
    """The end reason a raw status resolves to when the payload gives none, per connected state if they differ."""
    alone = meaning.by_connected[0] if meaning.by_connected else ()
    reasons = [outcome.reason for outcome in alone]
    if len(set(reasons)) > 1:
        states = ("connection not known", "not connected", "connected")
        return ", ".join(f"{state}: {_code(r) if r else 'none'}" for state, r in zip(states, reasons, strict=True))
    return _code(reasons[0]) if reasons and reasons[0] is not None else ""


def _heading(title: str, vocabulary: Vocabulary[Any], spec: _VocabularySpec | None) -> list[str]:
    paths = ", ".join(_code(getter.where("")) for getter in vocabulary.getters)
    out = ["", f"### {title}", "", f"Read from {paths}."]
    if spec is not None:
        out[-1] += f" Documented at: {_text(spec.docs)}."
        if spec.note:
            out += ["", _text(spec.note)]
    return [*out, ""]


def _entries(spec: _VocabularySpec | None) -> dict[str, Any]:
    """A vocabulary's table entries by pre-normalised raw value, as the compiled vocabulary keys them."""
    return {} if spec is None else {token(raw): entry for raw, entry in spec.map.items()}


def _note(entry: Any) -> str:
    note = entry.note if isinstance(entry, StatusEntry | ReasonEntry | EventEntry) else None
    return _text(note) if note else ""


def _reason_flags(meaning: ReasonMeaning) -> list[str]:
    flags = [f"if connected: {_code(meaning.if_connected)}"] if meaning.if_connected is not None else []
    return flags + _flags(meaning.ended_by, meaning.answered_by, meaning.deprecated)


def _flags(ended_by: Any, answered_by: Any, deprecated: bool) -> list[str]:
    flags = [f"ended by {_code(ended_by)}"] if ended_by is not None else []
    if answered_by is not None:
        flags.append(f"answered by {_code(answered_by)}")
    return flags + (["deprecated"] if deprecated else [])


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _text(value: str) -> str:
    """Prose safe in a table cell or list item: one line, pipes escaped, no HTML tags."""
    return " ".join(value.split()).replace("|", "\\|").replace("<", "&lt;")


def _code(value: object) -> str:
    """A raw or canonical value as inline code, exactly as spelled but for line breaks; pipes escaped."""
    text = _NEWLINES.sub(" ", str(value)).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if not text or text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


if __name__ == "__main__":
    sys.exit(main())
