"""The README's example runs as written, and its Quick start commands are the ones CI runs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_ten_line_example_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = re.findall(r"## In ten lines\n\n```python\n(.*?)```", README, re.S)
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    assert "CALL-1737000000123-xyz789" in capsys.readouterr().out


def test_quick_start_has_two_commands_and_ci_runs_the_second() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick, re.S)
    assert commands == [
        "pip install . && callstatus normalize examples/payloads/*",
        "pip install -e '.[test]' && python -m pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].replace("pip ", "python3 -m pip ").replace("python -m pytest", "python3 -m pytest") in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_the_quick_tour_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    section = README.split("## Receive, keep, export", 1)[1].split("\n## ", 1)[0]
    (shell,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert "callstatus serve --db calls.db" in shell and "callstatus export --db calls.db" in shell
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    namespace["app"].state.tracker.close()  # type: ignore[attr-defined]
    assert capsys.readouterr().out == "{}\n"  # nothing received yet: no counts
    assert (tmp_path / "calls.csv").read_text(encoding="utf-8").startswith("vendor,call_id,status,")
