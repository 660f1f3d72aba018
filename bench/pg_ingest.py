"""`newsbot index` into a fresh SQLite file and a fresh PostgreSQL database, in turns: wall time and CPU time."""

# Usage: python bench/pg_ingest.py FILE --pg postgresql://…/postgres [--pg-data DIR] [--rounds 3]
# Each round indexes FILE into a new SQLite file and into a new PostgreSQL database (created on the server at --pg,
# dropped after), alternating so that both see the same machine load, then runs each again with nothing changed.
# CPU time is the client's (the command and its reader processes) plus, with --pg-data (the cluster's data folder,
# on this machine), the PostgreSQL server's: on a shared machine it moves far less than wall time does.

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _server_cpu(data_dir: Path | None) -> float:
    """CPU seconds the cluster's processes used so far: the postmaster, its reaped children and its live ones."""
    if data_dir is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    postmaster = (data_dir / "postmaster.pid").read_text().split()[0]
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = stat.parent.name, fields[1]
        if pid == postmaster or ppid == postmaster:
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def _index(args: argparse.Namespace, db: str, cwd: Path) -> tuple[float, float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = _server_cpu(args.pg_data)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "index", args.file, "--db", db],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"newsbot index failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, client, _server_cpu(args.pg_data) - server, done.stdout.splitlines()[0]


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", help="what to index (e.g. ../shared/data/realtimeqa/articles.jsonl.gz)")
    parser.add_argument("--pg", required=True, help="postgresql://… of a server database to create databases from")
    parser.add_argument("--pg-data", type=Path, help="the cluster's data folder, to count the server's CPU time")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("postgresql", "sqlite"), help="run one backend only")
    args = parser.parse_args(argv)
    runs: dict[str, list[tuple[float, float, float, str]]] = {}
    base = args.pg.rpartition("/")[0]
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="pg-ingest-") as tmp:
            name = f"bench_ingest_{os.getpid()}_{r}"
            _admin(args.pg, f'CREATE DATABASE "{name}"')
            try:
                for kind, db in (("postgresql", f"{base}/{name}"), ("sqlite", str(Path(tmp) / "news.db"))):
                    if args.only not in (None, kind):
                        continue
                    runs.setdefault(kind, []).append(_index(args, db, Path(tmp)))
                    runs.setdefault(f"{kind} repeat", []).append(_index(args, db, Path(tmp)))
                    print(kind, "round", r + 1, *(f"{v:.1f}" for v in runs[kind][-1][:3]), file=sys.stderr)
            finally:
                _admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"`newsbot index {args.file}`, {args.rounds} rounds, backends in turns (min / median):\n")
    print("| store | wall s | client CPU s | server CPU s | first line |")
    print("|---|---|---|---|---|")
    for kind, values in runs.items():
        cells = [f"{min(c):.2f} / {statistics.median(c):.2f}" for c in list(zip(*values, strict=True))[:3]]
        print(f"| {kind} | {' | '.join(cells)} | {values[-1][3]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
