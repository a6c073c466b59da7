"""callstatus report: the figures on hand-made calls, their laws on any records, the command on every input it
takes, and the HTML page as headless Chromium renders it (a screenshot is kept as a test artifact)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, CallTracker
from callstatus.cli import main
from callstatus.errors import UsageError
from callstatus.export import write
from callstatus.report import DASH, RATES, Report, percent, percentile, summarize
from callstatus.reportpage import CHART_ROWS, page
from callstatus.testing import call_records
from callstatus.trackercli import DATABASE_URL

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "payloads").iterdir())
FIXTURES = ROOT / "tests" / "fixtures"
HOSTILE = "<script>alert(\"agent\")</script> & 'x'"


def call(call_id: str, status: str, **fields: Any) -> CallRecord:
    return CallRecord(
        vendor=fields.pop("vendor", "dialnexa"), call_id=call_id, status=status, raw={"id": call_id}, **fields
    )


def known_calls() -> list[CallRecord]:
    """Ten calls whose figures are worked out by hand in the tests below."""
    return [
        call("c1", "completed", end_reason="customer_hangup", answered_by="human", agent_id="a1", campaign_id="k1",
             duration_seconds=60),
        call("c2", "completed", end_reason="normal_clearing", answered_by="machine", agent_id="a1",
             duration_seconds=20),
        call("c3", "no_answer", end_reason="voicemail", answered_by="machine", agent_id="a1", duration_seconds=15),
        call("c4", "no_answer", end_reason="no_answer", agent_id="a2", campaign_id="k1", duration_seconds=0),
        call("c5", "busy", end_reason="busy", agent_id="a2", campaign_id="k1"),
        call("c6", "failed", end_reason="telephony_error", agent_id="a2"),
        call("c7", "canceled", end_reason="canceled"),
        call("c8", "ringing", agent_id="a1", duration_seconds=999),
        call("c9", "unknown", raw_status="teleported", agent_id="a1"),
        call("c10", "completed", end_reason="normal_clearing", answered_by="fax", vendor="twilio", duration_seconds=30),
    ]  # fmt: skip


def row(report: Report, group: str, key: str | None, vendor: str = "dialnexa") -> Any:
    (found,) = [r for r in report.rows(group) if r.key == key and r.vendor == vendor]  # type: ignore[arg-type]
    return found


# --- the figures, by hand -----------------------------------------------------------------------------------------


def test_rates_are_over_terminal_calls_as_defined() -> None:
    report = summarize(known_calls())
    total = report.total
    assert (report.records, report.calls, total.terminal, total.unknown) == (10, 10, 8, 1)
    assert [percent(total.rate(name)) for name in RATES] == ["12.5%", "50.0%", "25.0%", "12.5%", "12.5%", "12.5%",
                                                             "10.0%"]  # fmt: skip
    assert (total.reached_person, total.no_answer, total.voicemail) == (1, 4, 2)  # c2 machine, c10 fax: no person


def test_durations_are_the_median_and_linear_p90_of_terminal_calls_with_one() -> None:
    total = summarize(known_calls()).total
    assert total.timed == 5  # 60, 20, 15, 0, 30; not the ringing call's 999
    assert total.median_seconds == 20
    assert total.p90_seconds == pytest.approx(48.0)  # 30 + 0.6 * (60 - 30)


def test_top_end_reasons_are_most_frequent_first_then_by_name() -> None:
    report = summarize(known_calls(), top=3)
    assert [(reason.value, count) for reason, count in report.total.end_reasons] == [
        ("normal_clearing", 2),
        ("busy", 1),
        ("canceled", 1),
    ]
    assert len(summarize(known_calls(), top=10).total.end_reasons) == 7


def test_groups_are_per_vendor_agent_and_campaign_with_none_rows() -> None:
    report = summarize(known_calls())
    assert [(r.key, r.calls) for r in report.vendor] == [("dialnexa", 9), ("twilio", 1)]
    a1 = row(report, "agent", "a1")
    assert (a1.calls, a1.terminal, a1.reached_person, a1.no_answer, a1.voicemail, a1.unknown) == (5, 3, 1, 2, 2, 1)
    a2 = row(report, "agent", "a2")
    assert [percent(a2.rate(name)) for name in ("no_answer", "busy", "failed")] == ["33.3%", "33.3%", "33.3%"]
    assert row(report, "agent", None).calls == 1 and row(report, "agent", None, "twilio").calls == 1
    assert row(report, "campaign", "k1").calls == 3 and row(report, "campaign", None).calls == 6


def test_a_row_without_terminal_calls_shows_a_dash_not_a_division_error() -> None:
    report = summarize([call("r1", "ringing", agent_id="a9"), call("r2", "in_progress", agent_id="a9")])
    a9 = row(report, "agent", "a9")
    assert a9.terminal == 0 and all(a9.rate(name) is None for name in RATES if name != "unknown")
    assert percent(a9.rate("busy")) == DASH and a9.median_seconds is None and a9.end_reasons == ()
    assert a9.rate("unknown") == 0


def test_the_webhooks_of_one_call_count_once() -> None:
    observations = [
        call("w1", "ringing", agent_id="a1"),
        call("w1", "in_progress", agent_id="a1"),
        call("w1", "completed", end_reason="customer_hangup", duration_seconds=42),
        call("w1", "in_progress", agent_id="a1"),  # a late redelivery: terminal is absorbing
    ]
    report = summarize(observations)
    assert (report.records, report.calls, report.total.reached_person) == (4, 1, 1)
    assert report.agent[0].key == "a1"  # the call's fields are joined over every observation


def test_percentile_is_linear_between_closest_ranks() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert percentile([5], 0.9) == 5 and percentile([], 0.5) is None
    with pytest.raises(UsageError):
        percentile([1], 90)


def test_top_must_be_positive() -> None:
    with pytest.raises(UsageError, match="top"):
        summarize([], top=0)


# --- laws over any records ----------------------------------------------------------------------------------------

few_calls = st.builds(
    lambda record, vendor, call_id: record.model_copy(update={"vendor": vendor, "call_id": call_id}),
    call_records(),
    st.sampled_from(["dialnexa", "acme"]),
    st.sampled_from(["a", "b", "c"]),
)


@settings(max_examples=60)
@given(st.lists(call_records(), max_size=15))
def test_counts_add_up_and_rates_are_fractions(records: list[CallRecord]) -> None:
    report = summarize(records)
    assert report.records == len(records) and report.calls <= len(records)
    for group in ("vendor", "agent", "campaign"):
        assert sum(r.calls for r in report.rows(group)) == report.calls
        assert sum(r.terminal for r in report.rows(group)) == report.total.terminal
    for r in (report.total, *report.vendor, *report.agent, *report.campaign):
        assert r.reached_person + r.no_answer + r.busy + r.failed + r.canceled == r.terminal
        assert r.voicemail <= r.no_answer and r.terminal + r.unknown <= r.calls
        assert all(r.rate(name) is None or 0 <= r.rate(name) <= 1 for name in RATES)  # type: ignore[operator]
        assert r.timed <= r.terminal and sum(count for _, count in r.end_reasons) <= r.terminal
        if r.timed:
            assert r.median_seconds is not None and r.p90_seconds is not None
            assert r.median_seconds <= r.p90_seconds


@settings(max_examples=60)
@given(st.lists(few_calls, min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_folding_observations_in_any_order_with_duplicates_gives_the_same_report(
    records: list[CallRecord], rng: Any
) -> None:
    shuffled = [*records, *rng.sample(records, k=len(records) // 2)]
    rng.shuffle(shuffled)
    once, again = summarize(records), summarize(shuffled)
    assert again.calls == once.calls == len({(r.vendor, r.call_id) for r in records})
    assert (again.total, again.vendor, again.agent, again.campaign) == (once.total, once.vendor, once.agent,
                                                                        once.campaign)  # fmt: skip


@given(st.lists(st.floats(0, 1e5, allow_nan=False), min_size=2, max_size=40))
def test_percentile_agrees_with_statistics(values: list[float]) -> None:
    ordered = sorted(values)
    assert percentile(ordered, 0.5) == pytest.approx(statistics.median(values))
    assert percentile(ordered, 0.9) == pytest.approx(statistics.quantiles(values, n=10, method="inclusive")[8])


# --- the page ------------------------------------------------------------------------------------------------------


class _Figures(HTMLParser):
    """The figures of a report page: table cells by (group, vendor, key, metric), summary values by name."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str | None, str, str], str] = {}
        self.summary: dict[str, str] = {}
        self.links: list[str] = []
        self._open: tuple[str, str | None, str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.links += [value or "" for name, value in attrs if name in ("src", "href", "xlink:href", "action")]
        if tag == "td" and "data-metric" in found:
            key = (found["data-group"] or "", found.get("data-vendor"), found["data-key"] or "", found["data-metric"])
            self._open, self._text = key, []  # type: ignore[assignment]
        if tag == "dd" and "data-value" in found and (found.get("id") or "").startswith("summary-"):
            self.summary[(found["id"] or "")[8:]] = found.get("data-value") or ""

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._open is not None:
            self.cells[self._open] = " ".join(" ".join(self._text).split())
            self._open = None


def figures(html: str) -> _Figures:
    parser = _Figures()
    parser.feed(html)
    parser.close()
    return parser


def test_the_page_holds_every_figure_as_text_and_states_its_definitions() -> None:
    html = page(summarize(known_calls(), sources=["calls.ndjson"]))
    found = figures(html)
    assert found.summary == {"records": "10", "calls": "10", "rejected": "0", "terminal": "8"}
    assert found.cells[("all", None, "all", "reached_person")] == "12.5%"
    assert found.cells[("vendor", None, "dialnexa", "calls")] == "9"
    assert found.cells[("agent", "dialnexa", "a2", "busy")] == "33.3%"
    assert found.cells[("agent", "dialnexa", "(none)", "canceled")] == "100.0%"  # c7
    assert found.cells[("all", None, "all", "p90_seconds")] == "48.0 s"
    assert found.cells[("all", None, "all", "end_reasons")] == "normal_clearing 2 busy 1 canceled 1"
    for phrase in ("Definitions", "completed and not answered by a machine", "Includes voicemail",
                   "linear interpolation"):  # fmt: skip
        assert phrase in html
    assert "<script" not in html and "http://" not in html and "https://" not in html and not found.links
    assert "default-src 'none'" in html  # the browser itself refuses any fetch


def test_hostile_ids_are_escaped_on_the_page() -> None:
    records = [
        call("h1", "completed", agent_id=HOSTILE, campaign_id='"><img src=x onerror=alert(1)>'),
        call("h2", "busy", end_reason="busy", vendor="<b>acme</b>"),
    ]
    html = page(summarize(records, sources=["<i>calls</i>.ndjson"]))
    assert "<script>" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&quot;agent&quot;)&lt;/script&gt; &amp; &#x27;x&#x27;" in html
    found = figures(html)
    assert found.cells[("agent", "dialnexa", HOSTILE, "calls")] == "1"  # the attribute reads back exactly
    assert found.cells[("vendor", None, "<b>acme</b>", "busy")] == "100.0%"
    assert not found.links


def test_charts_show_the_busiest_rows_and_the_tables_all_of_them() -> None:
    records = [call(f"c{i}", "busy", end_reason="busy", agent_id=f"agent-{i:02}") for i in range(CHART_ROWS + 5)]
    html = page(summarize(records))
    chart = html.split('id="chart-agent-outcomes"', 1)[1].split("</figure>", 1)[0]
    assert chart.count('data-segment="busy"') == CHART_ROWS and f"most calls of {CHART_ROWS + 5}" in chart
    assert len([key for key in figures(html).cells if key[0] == "agent" and key[3] == "calls"]) == CHART_ROWS + 5


def test_hostile_ids_stay_text_on_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "calls.ndjson"
    records = [call("t1", "completed", agent_id="[bold red]boss[/]"), call("t2", "busy", agent_id="\x1b[2Jwiped")]
    path.write_text("".join(record.model_dump_json() + "\n" for record in records), encoding="utf-8")
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "[bold red]boss[/]" in out and "\\x1b[2Jwiped" in out and "\x1b" not in out


# --- the command ----------------------------------------------------------------------------------------------------


def fixture_payloads(vendor: str, *names: str) -> list[dict[str, Any]]:
    return [json.loads((FIXTURES / vendor / f"{name}.json").read_text(encoding="utf-8"))["payload"] for name in names]


VAPI_WEBHOOKS = fixture_payloads(
    "vapi",
    "webhook_status_update_ringing",
    "webhook_status_update_forwarding",
    "webhook_status_update_ended_silence",
    "webhook_end_of_call_report",
)


def test_report_on_the_examples_runs_as_a_command(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "callstatus", "report", *map(str, EXAMPLES), "--html", str(out)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    for heading in ("All calls", "By vendor", "By agent", "By campaign", "atoms", "dialgen", "dialnexa"):
        assert heading in text
    expected = summarize(record for path in EXAMPLES for record in callstatus.normalize_many(path))
    found = figures(out.read_text(encoding="utf-8"))
    assert found.summary["calls"] == str(expected.calls)
    for vendor in expected.vendor:
        assert found.cells[("vendor", None, vendor.key or "", "reached_person")] == percent(
            vendor.rate("reached_person")
        )


def test_webhooks_in_a_file_fold_into_one_call_and_a_bad_line_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "webhooks.ndjson"
    lines = [orjson.dumps(payload) for payload in VAPI_WEBHOOKS]
    path.write_bytes(b"\n".join([*lines[:2], b"{not json", *lines[2:]]) + b"\n")
    out = tmp_path / "report.html"
    assert main(["report", str(path), "--html", str(out)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors[0].startswith(f"callstatus: {path}: record 2: not valid JSON") and len(errors) == 2  # + wrote
    found = figures(out.read_text(encoding="utf-8"))
    assert found.summary == {"records": "4", "calls": "1", "rejected": "1", "terminal": "1"}
    assert found.cells[("vendor", None, "vapi", "reached_person")] == "100.0%"


def test_gzip_ndjson_export_rows_and_parquet_read_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = known_calls()
    plain, packed = tmp_path / "calls.ndjson", tmp_path / "calls.ndjson.gz"
    write(records, plain)  # export rows: canonical records, read as they are
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    write(records, tmp_path / "calls.parquet")
    expected = page(summarize(records))
    for name in ("calls.ndjson", "calls.ndjson.gz", "calls.parquet"):
        out = tmp_path / f"{name}.html"
        assert main(["report", str(tmp_path / name), "--html", str(out)]) == 0, capsys.readouterr().err
        assert figures(out.read_text(encoding="utf-8")).cells == figures(expected).cells


def test_report_reads_a_sqlite_tracker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "calls.db"
    with CallTracker(database) as tracker:
        tracker.observe_many([call("c1", "ringing", agent_id="a1"), *known_calls()])  # c1 twice: merged
    out = tmp_path / "report.html"
    assert main(["report", "--db", str(database), "--html", str(out)]) == 0
    found = figures(out.read_text(encoding="utf-8"))
    assert found.summary == {"records": "10", "calls": "10", "rejected": "0", "terminal": "8"}
    assert found.cells[("agent", "dialnexa", "a1", "voicemail")] == "66.7%"
    assert f"tracker {database}" in capsys.readouterr().out
    assert main(["report", "--db", str(database), "--vendor", "twilio", "--html", str(out)]) == 0
    assert figures(out.read_text(encoding="utf-8")).summary["calls"] == "1"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "x.ndjson", "--db", "calls.db"], "give FILEs or --db, not both"),
        (["report"], "nothing to report on"),
        (["report", "missing.ndjson"], "cannot read missing.ndjson: no such file"),
        (["report", "--db", "missing.db"], "no tracker database at missing.db"),
        (["report", "--vendor", "nobody", "x"], "unknown vendor 'nobody'"),
        (["report", "--top", "0", "x"], "must be at least 1"),
        (["report", "--db", "postgresql://u:secret@h/d"], "a database URL on the command line"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(DATABASE_URL, raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("callstatus: error: ") and message in err and "\n" not in err and "secret" not in err


def test_without_rich_the_command_says_which_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich.table", None)
    assert main(["report", str(EXAMPLES[0])]) == 2
    assert "pip install 'callstatus[report]'" in capsys.readouterr().err


# --- the page in a real browser -------------------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium on PATH: .ci/run installs Debian's chromium package")
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)")
    return found


def _browse(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_page_renders_in_headless_chromium_with_its_figures(tmp_path: Path) -> None:
    binary = _chromium()
    records = [*known_calls(), call("h1", "completed", agent_id=HOSTILE, duration_seconds=90), call("r1", "ringing",
               agent_id="a9")]  # fmt: skip
    html = page(summarize(records, sources=["calls.ndjson"]))
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    assert not figures(html).links and "http://" not in html and "https://" not in html

    dumped = _browse(binary, tmp_path / "profile-dom", "--dump-dom", path.as_uri())
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    rendered = figures(dumped.stdout)
    assert rendered.summary == {"records": "12", "calls": "12", "rejected": "0", "terminal": "9"}
    assert rendered.cells[("vendor", None, "dialnexa", "reached_person")] == "25.0%"  # c1 and h1 of 8 terminal
    assert rendered.cells[("agent", "dialnexa", HOSTILE, "median_seconds")] == "90.0 s"
    assert rendered.cells[("agent", "dialnexa", "a1", "voicemail")] == "66.7%"
    assert rendered.cells[("all", None, "all", "unknown")] == "8.3%"
    assert rendered.cells[("agent", "dialnexa", "a9", "reached_person")] == DASH  # no terminal call
    assert rendered.cells == figures(html).cells  # the browser read every cell as written: nothing broke out
    assert "<script" not in dumped.stdout and dumped.stdout.count("<svg") == 6

    artifacts = Path(os.environ.get("CALLSTATUS_ARTIFACTS") or ROOT / "tests" / "artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "report-page.png"
    shot.unlink(missing_ok=True)
    (artifacts / "report-page.html").write_text(html, encoding="utf-8")
    taken = _browse(binary, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2000", path.as_uri())
    assert taken.returncode == 0, taken.stderr[-2000:]
    image = shot.read_bytes()
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 30_000
