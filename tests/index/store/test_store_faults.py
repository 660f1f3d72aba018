"""The database's file and disk failing: one clear line with the next step, never a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import store
from index.cli import main


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (sqlite3.OperationalError("database or disk is full"), "is full. Free some space"),
        (OSError(28, "No space left on device"), "is full. Free some space"),
        (sqlite3.OperationalError("database is locked"), "is locked by"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "cannot be written here"),
        (OSError(30, "Read-only file system"), "cannot be written here"),
        (sqlite3.OperationalError("disk I/O error"), "disk I/O error"),
    ],
)
def test_describe_error_says_what_happened_and_what_to_do(error: BaseException, says: str) -> None:
    message = store.describe_error(error, "/data/news.db")
    assert message is not None and says in message and "/data/news.db" in message


def test_an_unrelated_error_is_not_described() -> None:
    assert store.describe_error(sqlite3.OperationalError("no such table: x"), "db") is None


def test_disk_full_while_indexing_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSBOT_DB", raising=False)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Ferry back\n\nThe island ferry service resumed on Friday after repairs.\n")

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "start_run", full)
    code = main(["index", str(folder), "--db", str(tmp_path / "n.db"), "--no-postings"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("newsbot: the disk holding") and "Traceback" not in err


def test_a_write_lock_held_elsewhere_is_seen_and_its_holder_named(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    store.connect(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
            "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        conn = store.connect(db)
        started = time.perf_counter()
        assert store.is_write_locked(conn)
        assert time.perf_counter() - started < 5  # checked without waiting for the lock
        conn.close()
        holders = store.lock_holders(db)
        if Path("/proc/self/fd").is_dir():
            assert any(f"pid {holder.pid} " in h for h in holders), holders
    finally:
        holder.communicate("")
    conn = store.connect(db)
    assert not store.is_write_locked(conn)
    conn.close()


def test_read_only_media_falls_back_to_an_immutable_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "r.db"
    store.connect(db).close()
    real = sqlite3.connect
    opened: list[str] = []

    class Unreadable:
        """A connection on read-only media: SQLite cannot create the -shm file a WAL reader needs."""

        def execute(self, *a: object) -> None:
            raise sqlite3.OperationalError("unable to open database file")

        def close(self) -> None:
            pass

    def on_read_only_media(target: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        opened.append(str(target))
        if "immutable=1" not in str(target):
            return Unreadable()  # type: ignore[return-value]
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", on_read_only_media)
    conn = store.connect(db, readonly=True)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    conn.close()
    assert any("immutable=1" in o for o in opened)
