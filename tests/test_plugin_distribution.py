"""A third-party adapter distribution (tests/plugin_dist), built and installed for real beside the callstatus wheel
in a fresh virtual environment, is found through its entry point and normalizes its vendor's payloads."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "plugin_dist"
BUILTIN = sorted(path.stem for path in (ROOT / "adapters").glob("*.toml"))


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, cwd=cwd, check=False)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the callstatus wheel and the plugin's wheel, both built offline from this checkout."""
    wheels = tmp_path_factory.mktemp("wheels")
    for project in (ROOT, PLUGIN):
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels, project)
    venv = tmp_path_factory.mktemp("plugin") / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", venv], capture_output=True, text=True, timeout=120)
    if made.returncode != 0 or not (venv / "bin" / "python").exists():
        pytest.skip(f"this machine cannot create a virtual environment: {made.stderr.strip()[-300:]}")
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", *sorted(wheels.glob("*.whl")))
    # As in test_wheel: callstatus's own dependencies come from this interpreter's site-packages, appended after
    # the venv's, so callstatus and callstatus_acme are imported from the installed wheels.
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_callstatus_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return python


def test_installed_plugin_registers_through_its_entry_point(venv_python: Path, tmp_path: Path) -> None:
    script = """
import json, warnings
warnings.simplefilter("error")
import callstatus, callstatus_acme
from importlib.metadata import distribution
record = callstatus.normalize({"uuid": "u1", "state": "Unreached", "to": "+15551234567"})
print(json.dumps({
    "files": [callstatus.__file__, callstatus_acme.__file__],
    "entry_points": [ep.value for ep in distribution("callstatus-acme").entry_points],
    "vendors": callstatus.vendors(),
    "source": callstatus.get_adapter("acme").source,
    "record": [record.vendor, record.status.value, record.end_reason.value, record.raw_status],
    "explicit": callstatus.normalize({"uuid": "u2", "state": "Done", "cause": "caller_hung_up"}, vendor="acme")
        .model_dump(mode="json", include={"status", "end_reason", "ended_by"}),
}))
"""
    seen = json.loads(_run(venv_python, "-c", script, cwd=tmp_path))
    venv = venv_python.parents[1]
    assert all(path.startswith(str(venv)) for path in seen["files"]), seen["files"]
    assert seen["entry_points"] == ["callstatus_acme:adapter"]
    assert seen["vendors"] == sorted([*BUILTIN, "acme"])
    assert seen["source"].startswith(str(venv)) and seen["source"].endswith("acme.toml")
    assert seen["record"] == ["acme", "no_answer", "no_answer", "Unreached"]
    assert seen["explicit"] == {"status": "completed", "end_reason": "customer_hangup", "ended_by": "customer"}


def test_installed_plugin_gets_a_crosswalk_section(venv_python: Path, tmp_path: Path) -> None:
    installed = _run(venv_python, "-m", "callstatus.crosswalk", "--installed", cwd=tmp_path)
    assert "## Acme Voice (`acme`)" in installed and "Table: `acme.toml`." in installed
    assert "| `Unreached` | `no_answer` | `no_answer` |" in installed and "Rang out without an answer." in installed
    shipped = _run(venv_python, "-m", "callstatus.crosswalk", cwd=tmp_path)
    assert "`acme`" not in shipped
