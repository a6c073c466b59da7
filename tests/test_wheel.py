"""The built wheel carries the vendor tables: install it into a fresh virtual environment and use it there."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDORS = sorted(path.stem for path in (ROOT / "adapters").glob("*.toml"))
TABLES = sorted(path.stem for path in (ROOT / "adapters").rglob("*.toml"))  # the vendors, and standards/


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, cwd=cwd, check=False)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out, ROOT)
    (built,) = out.glob("callstatus-*.whl")
    return built


def test_wheel_holds_the_tables_and_nothing_stray(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(Path(n).stem for n in names if n.startswith("callstatus/_tables/")) == TABLES
    assert "callstatus/py.typed" in names
    assert not [n for n in names if n.startswith(("adapters/", "tests/", "src/")) or "__pycache__" in n]


def test_installed_wheel_normalizes_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel)
    # The wheel's dependencies come from this interpreter's site-packages, appended after the venv's own, so
    # the callstatus imported is the wheel's, not the checkout's.
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_callstatus_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    script = (
        "import callstatus, json;"
        "print(callstatus.__file__);"
        "print(json.dumps(callstatus.vendors()));"
        'r = callstatus.normalize(b\'{"callId":"c1","status":"MISSED","error":"BUSY",'
        '"phoneNumber":"+15551234567","contactId":"k"}\');'
        "print(r.vendor, r.status.value, r.end_reason.value)"
    )
    location, vendors, record = _run(python, "-c", script, cwd=tmp_path).splitlines()
    assert location.startswith(str(venv)), location
    assert json.loads(vendors) == VENDORS
    assert record == "dialgen busy busy"
    assert "dialnexa" in _run(venv / "bin" / "callstatus", "vendors", cwd=tmp_path)


def test_wheel_declares_exactly_the_runtime_dependencies_it_imports(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    lines = archive.read(metadata).decode().splitlines()
    required = {
        line.split(":", 1)[1].strip().split(";")[0].split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()
        for line in lines
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    }
    # tzdata is not imported by name: zoneinfo reads it where the machine has no time zone files (slim images)
    assert required == {"pydantic", "attrs", "phonenumbers", "orjson", "httpx", "tzdata"}
    assert {"receiver", "postgres", "export", "test"} <= {
        line.split(":", 1)[1].strip() for line in lines if line.startswith("Provides-Extra:")
    }
