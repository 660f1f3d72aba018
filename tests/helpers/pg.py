"""A throwaway PostgreSQL server for the tests: started by `.ci/run` (or by the fixture), one database per test."""

# One home for starting and stopping it: `.ci/run` calls `python tests/helpers/pg.py start DIR` and exports the URL
# it prints as NEWSBOT_TEST_PG; a developer running pytest without it gets a server the session starts itself from
# the machine's PostgreSQL binaries. The server listens on 127.0.0.1 only, trusts local connections (it holds
# nothing but test data), and lives in DIR, which `stop` removes.

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

URL_ENV = "NEWSBOT_TEST_PG"  # postgresql://… of a server the tests may create and drop databases on
REQUIRE_ENV = "NEWSBOT_REQUIRE_PG"  # "1" in CI: no PostgreSQL is a failure there, not a skip
# initdb and postgres refuse to run as root; the Debian packages' service account runs them instead.
SERVICE_USER = "postgres"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_service_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", SERVICE_USER, "--", *cmd]


def _run(cmd: list[str]) -> None:
    done = subprocess.run(_as_service_user(cmd), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")


def start(folder: Path) -> str:
    """Create a cluster in ``folder``, start it on a free loopback port and return its URL."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin)")
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, SERVICE_USER, SERVICE_USER)
    data, port = folder / "data", _free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "newsbot", "--auth=trust", "-E", "UTF8", "--no-sync"])
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "start"])
    return f"postgresql://newsbot@127.0.0.1:{port}/postgres"


def stop(folder: Path) -> None:
    """Stop the server in ``folder`` (immediately: its data is thrown away) and remove the folder."""
    bin_dir = binaries()
    if bin_dir is not None and (folder / "data" / "postmaster.pid").exists():
        _run([str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "-w", "stop"])
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def server() -> Iterator[str]:
    """The URL of a server for this test session: NEWSBOT_TEST_PG's, or one started here and stopped after."""
    given = os.environ.get(URL_ENV, "").strip()
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    try:
        yield start(folder)
    finally:
        stop(folder)


def with_database(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``."""
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@contextlib.contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new, empty database on the server at ``url`` for one test; dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(url, name)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    """`pg.py start DIR` prints the URL of a new server in DIR; `pg.py stop DIR` stops it and removes DIR."""
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        sys.stderr.write("usage: pg.py start|stop DIR\n")
        return 2
    folder = Path(argv[1]).resolve()
    if argv[0] == "start":
        sys.stdout.write(start(folder) + "\n")
    else:
        stop(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
