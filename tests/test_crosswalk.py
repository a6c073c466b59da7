"""The crosswalk: docs/crosswalk.md is what the tables say, it lists every documented value, and any table
(a third party's too) renders its own section as well-formed Markdown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callstatus import Registry, load_table
from callstatus.crosswalk import COMMAND, main, render, write
from callstatus.tables import compile_table, parse_table

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "docs" / "crosswalk.md"
TABLES = sorted((ROOT / "adapters").glob("*.toml"))

ZETA_TABLE = """
[vendor]
id = "zeta"
name = "Zeta Calls"
docs = ["https://example.com/zeta", "https://example.com/<internal> | mirror"]
checked = 2026-10-01
note = "Made up for the crosswalk test."

[[shapes]]
name = "call"
all = ["ref", "phase"]

[fields]
call_id = ["ref"]
direction = { paths = ["way"], map = { OUT = "outbound", IN = "inbound" }, note = "Upper case only." }

[status.phase]
paths = ["phase"]
docs = "https://example.com/zeta#phases"
values = ["WAITING", "TALKING", "ON|HOLD", "OVER", "NOBODY"]
note = "Phases of a call."

[status.phase.map]
WAITING = "queued"
TALKING = "in_progress"
"ON|HOLD" = { status = "in_progress", note = "A | in the value\\nand a line break in the note." }
OVER = "completed"
NOBODY = { status = "no_answer", vendor_retries = true, by_reason = { invalid_number = "failed" } }

[reason.why]
paths = ["why"]
docs = "https://example.com/zeta#why"
values = ["HUNG_UP", "NUMBER_BAD", "Carrier said: number is bad"]

[reason.why.map]
HUNG_UP = { reason = "customer_hangup", ended_by = "customer", note = "The callee <b>hung up</b>." }
NUMBER_BAD = "invalid_number"

[[reason.why.patterns]]
match = "(.+_)?number_is_bad"
reason = "invalid_number"
note = "Free-text carrier messages."

[webhook.event]
paths = ["kind"]
docs = "https://example.com/zeta#webhooks"
values = ["phase.changed", "call.over"]

[webhook.event.map]
"phase.changed" = "call_started"
"call.over" = { event = "call_ended", note = "Last one." }
"""


def _sections(text: str) -> dict[str, str]:
    """Each vendor's section, by the vendor id in its heading."""
    found = {}
    for section in text.split("\n## ")[1:]:
        match = re.match(r".* \(`([a-z0-9_]+)`\)\n", section)
        assert match, section[:80]
        found[match.group(1)] = section
    return found


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def test_committed_crosswalk_is_up_to_date() -> None:
    assert COMMITTED.is_file(), f"docs/crosswalk.md is missing: run `{COMMAND}`"
    assert COMMITTED.read_text(encoding="utf-8") == render(), f"docs/crosswalk.md is stale: run `{COMMAND}`"


def test_the_header_says_it_is_generated_and_how() -> None:
    first = render().splitlines()[0]
    assert first.startswith("<!--") and "Generated" in first and COMMAND in first


def test_every_documented_status_reason_and_event_value_of_every_table_has_a_row() -> None:
    sections = _sections(COMMITTED.read_text(encoding="utf-8"))
    assert sorted(sections) == [path.stem for path in TABLES]
    for path in TABLES:
        spec = parse_table(path.read_text(encoding="utf-8"), str(path))
        section = sections[spec.vendor.id]
        documented = [value for vocabulary in spec.status.values() for value in vocabulary.values]
        documented += [value for vocabulary in spec.reason.values() for value in vocabulary.values]
        documented += spec.webhook.event.values if spec.webhook is not None else []
        assert documented
        for value in documented:
            assert f"\n| `{value}` | " in section, f"{spec.vendor.id}: no row for {value!r}"
        for link in spec.vendor.docs:
            assert f"- {link}" in section


def test_rows_carry_joint_rules_patterns_and_connected_reasons() -> None:
    sections = _sections(COMMITTED.read_text(encoding="utf-8"))
    missed = next(line for line in sections["dialgen"].splitlines() if line.startswith("| `MISSED` |"))
    assert _cells(missed)[:5] == [
        "`MISSED`",
        "`no_answer`",
        "`no_answer`",
        "`invalid_number` → `failed`, `telephony_error` → `failed`, `insufficient_funds` → `failed`",
        "yes",
    ]
    busy = next(line for line in sections["dialgen"].splitlines() if line.startswith("| `Line is busy` |"))
    assert _cells(busy)[:5] == ["`Line is busy`", "`busy`", "`not_connected`", "yes", "by pattern 2"]
    timeout = next(line for line in sections["atoms"].splitlines() if line.startswith("| `timeout` |"))
    assert _cells(timeout)[1:5] == ["`unknown`", "`unknown`", "", "if connected: `max_duration`"]
    assert "Ring timeout or call timeout" in timeout


def test_every_markdown_table_row_has_as_many_cells_as_its_header() -> None:
    registry = Registry({"zeta": compile_table(parse_table(ZETA_TABLE, "zeta.toml"), "zeta.toml")})
    for text in (COMMITTED.read_text(encoding="utf-8"), render(registry)):
        width = 0
        for line in text.splitlines():
            if not line.startswith("|"):
                width = 0
                continue
            cells = _cells(line)
            width = width or len(cells)
            assert len(cells) == width, line


def test_a_third_party_table_renders_its_own_section_with_its_notes(tmp_path: Path) -> None:
    path = tmp_path / "zeta.toml"
    path.write_text(ZETA_TABLE, encoding="utf-8")
    registry = Registry()
    registry.register(load_table(path))
    text = render(registry)
    assert list(_sections(text)) == ["zeta"]
    section = _sections(text)["zeta"]
    assert section.startswith("Zeta Calls (`zeta`)\n\nTable: `zeta.toml`. Documented values checked")
    assert "2026-10-01" in section and "Made up for the crosswalk test." in section
    assert "- https://example.com/&lt;internal> \\| mirror" in section
    assert "Read from `phase`. Documented at: https://example.com/zeta#phases." in section
    assert "| `ON\\|HOLD` | `in_progress` |" in section
    assert "A \\| in the value and a line break in the note." in section
    assert "| `NOBODY` | `no_answer` | `no_answer` | `invalid_number` → `failed` | yes |" in section
    assert (
        "| `HUNG_UP` | `customer_hangup` | `connected` |  | ended by `customer` | The callee &lt;b>hung up&lt;/b>. |"
        in (section)
    )
    assert "| `Carrier said: number is bad` | `invalid_number` | `not_connected` |  | by pattern 1 |" in section
    assert "| 1 | `(.+_)?number_is_bad` | `invalid_number` |" in section
    assert "| `call.over` | `call_ended` |  | Last one. |" in section
    assert "| `direction` | `OUT` | `outbound` | Upper case only. |" in section


def test_a_table_without_a_file_renders_without_its_notes() -> None:
    registry = Registry({"zeta": compile_table(parse_table(ZETA_TABLE), "<table>")})
    section = _sections(render(registry))["zeta"]
    assert "| `ON\\|HOLD` | `in_progress` |" in section and "| `phase.changed` | `call_started` |" in section
    assert "line break" not in section and "Documented at" not in section


def test_render_is_deterministic_and_sorted_by_vendor_id() -> None:
    text = render()
    assert text == render()
    assert list(_sections(text)) == sorted(path.stem for path in TABLES)


def test_write_and_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "docs" / "crosswalk.md"
    assert write(target) is True and write(target) is False
    assert target.read_text(encoding="utf-8") == render()
    assert main([str(target), "--check"]) == 0
    target.write_text("stale\n", encoding="utf-8")
    assert main([str(target), "--check"]) == 1
    assert COMMAND in capsys.readouterr().err
    assert main([str(target)]) == 0 and main([str(target), "--check"]) == 0
    assert main([]) == 0 and capsys.readouterr().out == render()
