"""A ``Report`` as one self-contained HTML page: inline CSS and SVG bar charts, no script, no URL to fetch.

Every figure is also text in a table cell marked ``data-group``, ``data-vendor``, ``data-key``, ``data-metric``
and ``data-value``, so a reader (or a test) finds it without parsing the charts. Every id from the data is
escaped: agent ids come from vendor payloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from html import escape

from . import __version__
from .report import DASH, DEFINITIONS, GROUPS, RATE_LABELS, Group, Report, Row, label, percent, seconds

__all__ = ["CHART_ROWS", "page"]

CHART_ROWS = 30
"""Charts show this many rows with the most calls; the tables show every row."""

_TITLES: dict[Group, str] = {"vendor": "By vendor", "agent": "By agent", "campaign": "By campaign"}
_FIRST_HEADERS: dict[str, str] = {"vendor": "vendor", "agent": "agent (vendor)", "campaign": "campaign (vendor)"}
_SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("reached_person", "reached a person", "#2e7d32"),
    ("no_answer_only", "no answer (not voicemail)", "#f9a825"),
    ("voicemail", "voicemail", "#8d6e63"),
    ("busy", "busy", "#ef6c00"),
    ("failed", "failed", "#c62828"),
    ("canceled", "canceled", "#78909c"),
)
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"
_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2327; margin: 24px;
  max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
.meta { color: #5f6b73; margin: 0 0 16px; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.summary dt { color: #5f6b73; } dl.summary dd { margin: 0; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; margin: 8px 0 4px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #dde3e8; padding: 4px 10px; text-align: right; vertical-align: top;
  white-space: nowrap; }
th { background: #f3f6f8; font-weight: 600; white-space: normal; }
th.name, td.name { text-align: left; min-width: 10em; max-width: 26em; white-space: normal;
  overflow-wrap: anywhere; }
td.reasons { text-align: left; } td.reasons ol { margin: 0; padding-left: 1.2em; }
figure { margin: 8px 0; } figcaption { color: #5f6b73; font-size: 12px; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
dl.definitions dt { font-weight: 600; margin-top: 8px; } dl.definitions dd { margin-left: 16px; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2327; }
"""


def page(report: Report, *, generated: datetime | None = None) -> str:
    """The report as one HTML document (text); ``generated`` is shown when given."""
    return "".join(_page(report, generated))


def _page(report: Report, generated: datetime | None) -> Iterator[str]:
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    yield f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
    yield '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    yield f"<title>Call report</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
    when = f" on {escape(generated.isoformat(timespec='seconds'))}" if generated is not None else ""
    yield f'<h1>Call report</h1>\n<p class="meta">callstatus {escape(__version__)}{when}</p>\n'
    yield from _summary(report)
    for group in GROUPS:
        yield from _group(report, group)
    yield '<section id="definitions">\n<h2>Definitions</h2>\n<dl class="definitions">\n'
    for term, text in DEFINITIONS:
        yield f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>\n"
    yield "</dl>\n</section>\n</body>\n</html>\n"


def _summary(report: Report) -> Iterator[str]:
    items = [
        ("records", "records read", f"{report.records:,}"),
        ("calls", "calls (records of one call folded into one)", f"{report.calls:,}"),
        ("rejected", "records that failed to normalise (not counted)", f"{report.rejected:,}"),
        ("terminal", "terminal calls", f"{report.total.terminal:,}"),
    ]
    yield '<section id="summary">\n<h2>Summary</h2>\n<dl class="summary">\n'
    for name, text, value in items:
        yield f'<dt>{escape(text)}</dt><dd id="summary-{name}" data-value="{value.replace(",", "")}">{value}</dd>\n'
    if report.sources:
        shown = ", ".join(escape(label(source)) for source in report.sources)
        yield f'<dt>read from</dt><dd id="summary-sources">{shown}</dd>\n'
    yield "</dl>\n"
    yield from _table("all", (report.total,), report.top)
    yield "</section>\n"


def _group(report: Report, group: Group) -> Iterator[str]:
    rows = report.rows(group)
    yield f'<section id="group-{group}">\n<h2>{_TITLES[group]}</h2>\n'
    if not rows:
        yield "<p>No calls.</p>\n</section>\n"
        return
    yield from _outcome_chart(group, rows)
    yield from _duration_chart(group, rows)
    yield from _table(group, rows, report.top)
    yield "</section>\n"


def _name(group: str, row: Row) -> str:
    if group == "all":
        return "all calls"
    if group == "vendor":
        return label(row.key)
    return f"{label(row.key)} ({label(row.vendor)})"


def _attributes(group: str, row: Row, metric: str | None = None) -> str:
    found = [f'data-group="{group}"']
    if row.vendor is not None and group != "vendor":
        found.append(f'data-vendor="{escape(row.vendor)}"')
    found.append(f'data-key="{escape(label(row.key)) if group != "all" else "all"}"')
    if metric is not None:
        found.append(f'data-metric="{metric}"')
    return " ".join(found)


def _cell(group: str, row: Row, metric: str, text: str, value: float | int | None) -> str:
    shown = "" if value is None else repr(value) if isinstance(value, float) else str(value)
    return f'<td {_attributes(group, row, metric)} data-value="{shown}">{escape(text)}</td>'


def _table(group: str, rows: tuple[Row, ...], top: int) -> Iterator[str]:
    first = _FIRST_HEADERS.get(group, "")
    headers = ["calls", "terminal", *(RATE_LABELS[name] for name in RATE_LABELS), "median", "p90"]
    yield f'<table id="table-{group}">\n<thead><tr><th class="name">{first}</th>'
    yield "".join(f"<th>{escape(text)}</th>" for text in headers)
    yield f'<th class="name">top {top} end reasons</th></tr></thead>\n<tbody>\n'
    for row in rows:
        yield f'<tr {_attributes(group, row)}><td class="name">{escape(_name(group, row))}</td>'
        yield _cell(group, row, "calls", f"{row.calls:,}", row.calls)
        yield _cell(group, row, "terminal", f"{row.terminal:,}", row.terminal)
        for name in RATE_LABELS:
            yield _cell(group, row, name, percent(row.rate(name)), row.rate(name))
        yield _cell(group, row, "median_seconds", seconds(row.median_seconds), row.median_seconds)
        yield _cell(group, row, "p90_seconds", seconds(row.p90_seconds), row.p90_seconds)
        reasons = "".join(
            f'<li data-reason="{reason.value}" data-count="{count}">{reason.value} {count:,}</li>'
            for reason, count in row.end_reasons
        )
        yield f'<td class="reasons" {_attributes(group, row, "end_reasons")}>'
        yield f"<ol>{reasons}</ol></td>" if reasons else f"{DASH}</td>"
        yield "</tr>\n"
    yield "</tbody>\n</table>\n"


def _chart_rows(rows: tuple[Row, ...]) -> tuple[tuple[Row, ...], str]:
    shown = rows[:CHART_ROWS]
    if len(rows) == len(shown):
        return shown, ""
    return shown, f" The {len(shown)} rows with the most calls of {len(rows)}; the table has them all."


_LABEL_WIDTH, _BAR_WIDTH, _NOTE_WIDTH, _ROW_HEIGHT = 260, 600, 220, 24


def _row_label(group: Group, row: Row, y: int) -> str:
    """A chart row's name, cut short, with the whole name as its tooltip."""
    name = _name(group, row)
    return (
        f'<text x="{_LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(_short(name))}'
        f"<title>{escape(name)}</title></text>\n"
    )


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _outcome_chart(group: Group, rows: tuple[Row, ...]) -> Iterator[str]:
    shown, more = _chart_rows(rows)
    width, height = _LABEL_WIDTH + _BAR_WIDTH + _NOTE_WIDTH, _ROW_HEIGHT * len(shown) + 8
    yield f'<figure id="chart-{group}-outcomes">\n<div class="legend">'
    yield "".join(f'<span><i style="background:{color}"></i>{escape(text)}</span>' for _, text, color in _SEGMENTS)
    yield (
        f'</div>\n<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Outcomes of terminal calls, {_TITLES[group].lower()}">\n'
    )
    for index, row in enumerate(shown):
        y = 4 + index * _ROW_HEIGHT
        name = escape(_name(group, row))
        yield _row_label(group, row, y)
        yield f'<rect x="{_LABEL_WIDTH}" y="{y + 2}" width="{_BAR_WIDTH}" height="{_ROW_HEIGHT - 6}" fill="#eef1f3"/>\n'
        x = float(_LABEL_WIDTH)
        counts = _segments(row)
        for (key, text, color), count in zip(_SEGMENTS, counts, strict=True):
            if not count:
                continue
            part = _BAR_WIDTH * count / row.terminal
            share = percent(count / row.terminal)
            yield (
                f'<rect x="{x:.2f}" y="{y + 2}" width="{part:.2f}" height="{_ROW_HEIGHT - 6}" fill="{color}" '
                f'data-segment="{key}" data-count="{count}"><title>{name}: {escape(text)} {share} '
                f"({count:,} of {row.terminal:,})</title></rect>\n"
            )
            x += part
        note = f"{row.terminal:,} terminal of {row.calls:,}" if row.terminal else f"no terminal call of {row.calls:,}"
        yield f'<text x="{_LABEL_WIDTH + _BAR_WIDTH + 8}" y="{y + 15}">{note}</text>\n'
    yield (
        f"</svg>\n<figcaption>Outcomes of terminal calls, as shares of them (voicemail is part of no answer)."
        f"{escape(more)}</figcaption>\n</figure>\n"
    )


def _segments(row: Row) -> tuple[int, ...]:
    return (row.reached_person, row.no_answer - row.voicemail, row.voicemail, row.busy, row.failed, row.canceled)


def _duration_chart(group: Group, rows: tuple[Row, ...]) -> Iterator[str]:
    shown, more = _chart_rows(rows)
    longest = max((row.p90_seconds or 0.0 for row in shown), default=0.0)
    if longest <= 0:
        yield f'<p id="chart-{group}-durations">No durations to chart.</p>\n'
        return
    width, height = _LABEL_WIDTH + _BAR_WIDTH + _NOTE_WIDTH, _ROW_HEIGHT * len(shown) + 8
    yield (
        f'<figure id="chart-{group}-durations">\n<div class="legend"><span><i style="background:#1565c0"></i>median'
        '</span><span><i style="background:#90caf9"></i>p90</span></div>\n'
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Call durations, {_TITLES[group].lower()}">\n'
    )
    for index, row in enumerate(shown):
        y = 4 + index * _ROW_HEIGHT
        name = escape(_name(group, row))
        yield _row_label(group, row, y)
        for offset, value, color, text in (
            (2, row.p90_seconds, "#90caf9", "p90"),
            (7, row.median_seconds, "#1565c0", "median"),
        ):
            if value is None:
                continue
            part = _BAR_WIDTH * value / longest
            bar_height = _ROW_HEIGHT - 6 if text == "p90" else _ROW_HEIGHT - 16
            yield (
                f'<rect x="{_LABEL_WIDTH}" y="{y + offset}" width="{part:.2f}" height="{bar_height}" fill="{color}" '
                f'data-segment="{text}"><title>{name}: {text} {seconds(value)}</title></rect>\n'
            )
        note = f"median {seconds(row.median_seconds)} · p90 {seconds(row.p90_seconds)}" if row.timed else "no durations"
        yield f'<text x="{_LABEL_WIDTH + _BAR_WIDTH + 8}" y="{y + 15}">{escape(note)}</text>\n'
    yield (
        "</svg>\n<figcaption>Durations of terminal calls that have one: median and p90 (linear interpolation)."
        f"{escape(more)}</figcaption>\n</figure>\n"
    )
