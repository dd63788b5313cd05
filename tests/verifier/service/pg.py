"""A real PostgreSQL server for the tests, started and stopped by the test itself (Debian's
postgresql package: initdb and pg_ctl from /usr/lib/postgresql/<v>/bin or PATH; run as the
``postgres`` user when the tests run as root, since PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server():
    """Yield a SQLAlchemy URL of a fresh PostgreSQL server on loopback (trust auth, database
    ``zkmargin``); stopped (immediate mode) and removed on exit. Skips when PostgreSQL is not
    installed, except under CI=true, where .ci/setup installs it and a missing server fails."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed (.ci/setup installs Debian's postgresql)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    tmp = Path(tempfile.mkdtemp(prefix="zkmargin-pg-"))  # not under pytest's 0700 root: postgres must reach it
    data = tmp / "pgdata"
    data.mkdir(mode=0o700)
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres"), shutil.chown(data, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    run = lambda *a: subprocess.run([*prefix, *a], check=True, capture_output=True, timeout=120)  # noqa: E731
    run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    run(pg_ctl, "-D", str(data), "-l", str(tmp / "pg.log"), "-w", "-t", "60", "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        run(_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "zkmargin")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/zkmargin"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "-t", "60", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(tmp, ignore_errors=True)
