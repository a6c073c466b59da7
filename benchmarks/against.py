"""normalize() of this tree against an earlier git revision, in one process, interleaved with the baseline.

On a shared machine, two benchmark runs minutes apart differ by more than most changes do; timing both
versions in the same process, in turns, leaves only the difference. The revision's package and tables are
extracted with ``git archive`` into a temporary folder and imported as ``callstatus_then``.

    python benchmarks/against.py REV [--rounds N]

Prints µs per record for the hand-written baseline (benchmarks/normalize.py), the revision and this tree, and the
ratio now/then per vendor. A change to the hot path should keep it at 1.00 within the run-to-run spread.
"""

from __future__ import annotations

import argparse
import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from normalize import BASELINES, PAYLOADS, per_call  # noqa: E402

import callstatus  # noqa: E402


def load_revision(rev: str, into: Path) -> Any:
    """Import the package as it was at ``rev``, under the name ``callstatus_then``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src/callstatus", "adapters"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "src" / "callstatus").rename(into / "src" / "callstatus_then")  # its tables: src/../adapters
    sys.path.insert(0, str(into / "src"))
    return importlib.import_module("callstatus_then")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="a git revision, e.g. HEAD~3 or a commit id")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best of each kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        then = load_revision(args.rev, Path(folder))
        header = ("vendor", "baseline µs", "then µs", "now µs", "then x", "now x", "now/then")
        print("{:<9} {:>11} {:>9} {:>8} {:>7} {:>7} {:>9}".format(*header))
        for vendor, body in PAYLOADS.items():
            rows = {
                "baseline": lambda vendor=vendor, body=body: BASELINES[vendor](body),
                "then": lambda vendor=vendor, body=body: then.normalize(body, vendor),
                "now": lambda vendor=vendor, body=body: callstatus.normalize(body, vendor),
            }
            best = dict.fromkeys(rows, float("inf"))
            for _ in range(args.rounds):
                for name, func in rows.items():
                    func()
                    best[name] = min(best[name], per_call(func, 20_000, 5))
            base = best["baseline"]
            print(
                f"{vendor:<9} {base * 1e6:>11.2f} {best['then'] * 1e6:>9.2f} {best['now'] * 1e6:>8.2f} "
                f"{best['then'] / base:>6.2f}x {best['now'] / base:>6.2f}x {best['now'] / best['then']:>9.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
