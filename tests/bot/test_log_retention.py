"""Log retention: the query log (what users typed) and the ingest log are trimmed, by the bot and by the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main as newsbot
from bot.store import AsyncStore, QueryLogEntry
from index import store


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


def _age_rows(db: Path, table: str, ids: dict[int, float]) -> None:
    conn = store.connect(db)
    with store.transaction(conn):
        for row_id, days in ids.items():
            conn.execute(f"UPDATE {table} SET at = ? WHERE id = ?", (_ago(days), row_id))
    conn.close()


def _ids(db: Path, table: str) -> set[int]:
    conn = store.connect(db)
    try:
        return {r[0] for r in conn.execute(f"SELECT id FROM {table}")}
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_query_log_keeps_only_its_retention_and_feedback_goes_with_it(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    st = await AsyncStore.open(db, query_log_days=30)
    try:
        for qid in (1, 2, 3):
            st.log_query(QueryLogEntry(id=qid, surface="slash", query=f"question {qid}"))
        await st.flush()
        await st.add_feedback(1, 42, 1)
        _age_rows(db, "query_log", {1: 45, 2: 29})
        removed = await st.trim_logs()
        assert removed["query_log"] == 1
        assert _ids(db, "query_log") == {2, 3} and await st.feedback(1) == {}
    finally:
        await st.close()


def test_ingest_log_keeps_the_latest_run_and_open_problems(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    conn = store.connect(db)
    with store.transaction(conn):
        store.upsert_file(conn, "/a", size=1, mtime_ns=1, file_hash="h", reader="text", status="ok")
        store.upsert_file(conn, "/b", size=1, mtime_ns=1, file_hash="h", reader="text", status="failed")
    old = store.start_run(conn, ["/x"])
    new = store.start_run(conn, ["/x"])
    with store.transaction(conn):
        for run, path in ((old, "/a"), (old, "/b"), (new, "/a")):
            conn.execute(
                "INSERT INTO ingest_log(run_id, path, line, level, reason, at) VALUES (?, ?, NULL, 'error', 'bad', ?)",
                (run, path, _ago(200)),
            )
    removed = store.trim_ingest_log(conn, keep_days=90)
    left = [(r[0], r[1]) for r in conn.execute("SELECT run_id, path FROM ingest_log ORDER BY id")]
    conn.close()
    assert removed == 1
    assert left == [(old, "/b"), (new, "/a")]  # a failed file's problem, and the newest run's log


def test_prune_logs_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.db"
    conn = store.connect(db)
    conn.close()
    assert newsbot(["prune-logs", "--db", str(db), "--query-log-days", "7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"removed": {"query_log": 0, "ingest_log": 0}, "query_log_days": 7, "ingest_log_days": 90}
    assert newsbot(["prune-logs", "--db", str(tmp_path / "missing.db")]) == 1
