"""A real PostgreSQL server for the tests: initdb into a temporary folder, started on a free loopback port.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` system user. Skips (with the
reason) only where no PostgreSQL server binary exists.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["bindir", "postgres_server"]


def bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres are: pg_config's answer, Debian's folders, or the PATH."""
    found = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        found.append(out)
    found += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("initdb"):
        found.append(str(Path(shutil.which("initdb") or "").parent))
    for folder in found:
        if folder and all((Path(folder) / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yields a ``postgresql://postgres:<password>@127.0.0.1:<port>/postgres`` URL."""
    binaries = bindir()
    if binaries is None:
        import pytest

        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on this machine")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="callstatus-pg-"))
    password = secrets.token_hex(12)
    (folder / "pw").write_text(password)
    if as_root:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        os.chown(folder / "pw", owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run([*prefix, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
                    f"--pwfile={folder / 'pw'}", "-E", "UTF8", "--no-sync"], **run)  # type: ignore[call-overload]  # fmt: skip
    port = 0
    for _attempt in range(5):  # a free port may be taken between asking and binding: try another
        port = _free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=60"
        started = subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60",
                                  "-l", str(folder / "log"), "start"], check=False, capture_output=True, text=True,
                                 timeout=120)  # fmt: skip
        if started.returncode == 0:
            break
    else:
        raise RuntimeError(f"PostgreSQL did not start: {(folder / 'log').read_text(errors='replace')[-2000:]}")
    try:
        yield f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       check=False, capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
