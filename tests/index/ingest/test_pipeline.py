"""The ingest pipeline: incremental runs, duplicates, interruptions, bad input, derived-data refresh."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers.archives import hostile_folder, record, write_jsonl, write_text
from helpers.stores import StoreUnderTest

from index import store
from index.ingest import pipeline, readers
from index.tokenize import tokenize


@pytest.fixture
def db_path(store: StoreUnderTest) -> Path | str:
    """The tests that take ``db_path`` run on both backends: a SQLite file, then a PostgreSQL database."""
    return store.locator


def rows(db: Path | str, sql: str, args: tuple = ()) -> list[tuple]:
    """One query's rows, on either backend (``?`` placeholders)."""
    kind = "postgresql" if isinstance(db, str) and db.startswith("postgresql://") else "sqlite"
    return StoreUnderTest(kind, db).rows(sql, args)


def count(db: Path | str, table: str, where: str = "TRUE") -> int:
    return rows(db, f"SELECT count(*) FROM {table} WHERE {where}")[0][0]


def run(paths: list[Path], db: Path, **kw: object) -> pipeline.RunSummary:
    kw.setdefault("progress", False)
    kw.setdefault("workers", 0)
    return pipeline.ingest([str(p) for p in paths], db, **kw)  # type: ignore[arg-type]


def this_checkout() -> dict[str, str]:
    """The environment for a child Python that must import this checkout's ``index`` (not an installed copy)."""
    root = str(Path(__file__).resolve().parents[3])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}


def consistent(db: Path | str) -> None:
    """Invariants that must hold after any run, finished or not."""
    if not isinstance(db, str):  # SQLite's own checks (PostgreSQL enforces foreign keys on every write)
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]
        assert rows(db, "PRAGMA foreign_key_check") == []
    # duplicates point at originals and have no passages; every original has passages
    assert count(db, "articles a JOIN articles o ON o.id = a.duplicate_of", "o.duplicate_of IS NOT NULL") == 0
    assert count(db, "passages p JOIN articles a ON a.id = p.article_id", "a.duplicate_of IS NOT NULL") == 0
    assert (
        count(db, "articles a", "duplicate_of IS NULL AND NOT EXISTS (SELECT 1 FROM passages WHERE article_id = a.id)")
        == 0
    )


# --- incremental runs -------------------------------------------------------------------------------------------


def test_ingest_folder_then_repeat_changes_nothing(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "news"
    for n in range(6):
        write_text(folder / f"sec{n % 2}" / f"{n}.txt", n)
    first = run([folder], db_path)
    assert (first.files_seen, first.files_read, first.added, first.failed) == (6, 6, 6, 0)
    assert first.passages == count(db_path, "passages") > 0
    assert first.status == "ok"
    consistent(db_path)

    second = run([folder], db_path)
    assert (second.files_read, second.files_unchanged, second.unchanged, second.added, second.updated) == (
        0,
        6,
        6,
        0,
        0,
    )
    assert not second.changed
    assert count(db_path, "articles") == 6
    assert rows(db_path, "SELECT status FROM ingest_runs ORDER BY id") == [("ok",), ("ok",)]


def test_ingest_changed_file_is_updated_in_place(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "news"
    for n in range(3):
        write_text(folder / f"{n}.txt", n)
    run([folder], db_path)
    before = dict(rows(db_path, "SELECT source_id, id FROM articles"))
    target = write_text(folder / "1.txt", 41, paragraphs=5)  # new text, same file
    summary = run([folder], db_path)
    assert (summary.files_read, summary.updated, summary.unchanged, summary.added) == (1, 1, 2, 0)
    after = dict(rows(db_path, "SELECT source_id, id FROM articles"))
    assert after == before  # same row ids: citations stay valid
    body = rows(db_path, "SELECT body FROM articles WHERE source_id = ?", (str(target.resolve()),))[0][0]
    assert "district 41" in body
    texts = [
        t for (t,) in rows(db_path, "SELECT text FROM passages WHERE article_id = ?", (after[str(target.resolve())],))
    ]
    assert texts and all("district 41" in t for t in texts)
    consistent(db_path)


def test_ingest_touched_but_unchanged_file_is_not_read(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_text(tmp_path / "a.txt", 1)
    run([path], db_path)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))

    def fail(*_: object) -> None:
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr(readers, "read_path", fail)
    summary = run([path], db_path)
    assert (summary.files_unchanged, summary.unchanged, summary.files_read) == (1, 1, 0)
    # the new modification time is recorded, so the next run does not even hash it
    assert rows(db_path, "SELECT mtime_ns FROM files")[0][0] == path.stat().st_mtime_ns


def test_ingest_deleted_file_kept_until_prune(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "news"
    for n in range(3):
        write_text(folder / f"{n}.txt", n)
    run([folder], db_path)
    (folder / "2.txt").unlink()
    kept = run([folder], db_path)
    assert kept.removed == 0 and count(db_path, "articles") == 3
    pruned = run([folder], db_path, prune=True)
    assert (pruned.removed, pruned.files_removed) == (1, 1)
    assert count(db_path, "articles") == 2
    assert count(db_path, "files") == 2
    assert count(db_path, "passages p", "NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = p.article_id)") == 0
    consistent(db_path)


def test_prune_removes_only_what_lay_under_the_given_paths(tmp_path: Path, db_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for n in range(3):
        write_text(a / f"{n}.txt", n)
        write_text(b / f"{n}.txt", 10 + n)
    run([a, b], db_path)
    (a / "2.txt").unlink()
    (b / "2.txt").unlink()  # gone too, but b is not being indexed now: its articles stay
    pruned = run([a], db_path, prune=True)
    assert (pruned.removed, pruned.files_removed) == (1, 1)
    assert count(db_path, "files", f"path LIKE '{b}%'") == 3
    # A single file given with --prune removes nothing of the folder around it, nor of other folders.
    pruned = run([a / "0.txt"], db_path, prune=True)
    assert pruned.removed == 0 and count(db_path, "articles") == 5
    # A folder whose name merely starts like another's is not under it.
    write_text(tmp_path / "a2" / "x.txt", 30)
    run([tmp_path / "a2"], db_path)
    (tmp_path / "a2" / "x.txt").unlink()
    assert run([a], db_path, prune=True).removed == 0
    consistent(db_path)


def test_ingest_within_a_folder_reads_nothing_outside_it_links_included(tmp_path: Path, db_path: Path) -> None:
    archive, private = tmp_path / "archive", tmp_path / "private"
    write_text(archive / "ok.txt", 1)
    write_text(private / "secret.txt", 2)
    (archive / "link.txt").symlink_to(private / "secret.txt")
    (archive / "folder").symlink_to(private, target_is_directory=True)
    summary = run([archive, private / "secret.txt"], db_path, within=archive)
    assert count(db_path, "articles") == 1
    assert [r[0] for r in rows(db_path, "SELECT path FROM files")] == [str((archive / "ok.txt").resolve())]
    reasons = {Path(p.path).name: p.reason for p in summary.problems}
    assert "outside the archive" in reasons["link.txt"] and "outside the archive" in reasons["secret.txt"]
    # The problem never names where a link points.
    assert all(str(private) not in p.reason for p in summary.problems)


def test_ingest_jsonl_records_updated_added_and_removed_by_id(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    write_jsonl(path, [record(n) for n in range(5)])
    first = run([path], db_path)
    assert first.added == 5
    ids = dict(rows(db_path, "SELECT source_id, id FROM articles"))
    assert set(ids) == {f"rec-{n}" for n in range(5)}
    assert rows(db_path, "SELECT origin_line, url FROM articles WHERE source_id = 'rec-3'") == [
        (4, "https://example.org/news/3")
    ]
    # rec-1 dropped, rec-2 retitled, rec-9 new, the rest as they were (in a new order)
    write_jsonl(path, [record(4), record(0), record(2, title="A new headline"), record(3), record(9)])
    second = run([path], db_path)
    # rec-4 and rec-0 moved lines, rec-2 has a new title; rec-3 is still on line 4
    assert (second.added, second.updated, second.unchanged, second.removed) == (1, 3, 1, 1)
    after = dict(rows(db_path, "SELECT source_id, id FROM articles"))
    assert set(after) == {"rec-0", "rec-2", "rec-3", "rec-4", "rec-9"}
    assert all(after[k] == ids[k] for k in ("rec-0", "rec-2", "rec-3", "rec-4"))
    assert rows(db_path, "SELECT title FROM articles WHERE source_id = 'rec-2'") == [("A new headline",)]
    consistent(db_path)
    third = run([path], db_path)
    assert (third.files_read, third.unchanged) == (0, 5)


def test_ingest_repeated_and_clashing_ids_are_all_kept(tmp_path: Path, db_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [record(1), record(2, id="rec-1")])  # same id twice in one file
    b = write_jsonl(tmp_path / "b.jsonl", [record(3, id="rec-1")])  # and again in another file
    summary = run([a, b], db_path)
    assert summary.added == 3
    assert count(db_path, "articles") == 3
    assert count(db_path, "ingest_log", "level = 'info' AND reason LIKE '%is taken%'") == 2
    again = run([a, b], db_path)
    assert again.unchanged == 3 and count(db_path, "articles") == 3


# --- duplicates ---------------------------------------------------------------------------------------------------


def test_ingest_duplicates_recorded_once_and_promoted_when_original_goes(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "news"
    original = write_text(folder / "a.txt", 7)
    (folder / "b.txt").write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "c.txt").write_text(original.read_text(encoding="utf-8").upper(), encoding="utf-8")  # same, normalised
    write_text(folder / "d.txt", 8)
    summary = run([folder], db_path)
    assert (summary.added, summary.duplicates, summary.duplicate_groups) == (2, 2, 1)
    assert [d["path"] for d in summary.duplicate_list] == [str((folder / n).resolve()) for n in ("b.txt", "c.txt")]
    logged = rows(db_path, "SELECT path, level FROM ingest_log WHERE level = 'duplicate' ORDER BY id")
    assert [Path(p).name for p, _ in logged] == ["b.txt", "c.txt"]
    a_id = rows(db_path, "SELECT id FROM articles WHERE source_id = ?", (str(original.resolve()),))[0][0]
    assert count(db_path, "articles", f"duplicate_of = {a_id}") == 2
    consistent(db_path)

    original.unlink()
    pruned = run([folder], db_path, prune=True)
    assert pruned.removed == 1
    b_id = rows(db_path, "SELECT id FROM articles WHERE source_id = ?", (str((folder / "b.txt").resolve()),))[0][0]
    assert rows(db_path, "SELECT duplicate_of FROM articles WHERE id = ?", (b_id,)) == [(None,)]
    assert count(db_path, "passages", f"article_id = {b_id}") > 0
    assert count(db_path, "articles", f"duplicate_of = {b_id}") == 1
    consistent(db_path)


def test_ingest_original_whose_text_changes_hands_over_to_its_duplicate(tmp_path: Path, db_path: Path) -> None:
    a = write_text(tmp_path / "a.txt", 3)
    b = tmp_path / "b.txt"
    b.write_text(a.read_text(encoding="utf-8"), encoding="utf-8")
    run([a, b], db_path)
    write_text(a, 30)
    summary = run([a, b], db_path)
    assert summary.updated == 1
    assert count(db_path, "articles", "duplicate_of IS NOT NULL") == 0
    consistent(db_path)


# --- interruptions ------------------------------------------------------------------------------------------------


def _interrupt_on(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """Make the nth article write raise KeyboardInterrupt, inside a batch transaction."""
    original = pipeline._Run.write_article
    calls = {"n": 0}

    def write_article(self: pipeline._Run, state: pipeline._FileState, prep: pipeline._Prepared) -> None:
        calls["n"] += 1
        if calls["n"] == nth:
            raise KeyboardInterrupt
        original(self, state, prep)

    monkeypatch.setattr(pipeline._Run, "write_article", write_article)


def test_ingest_interrupted_run_is_consistent_and_next_run_finishes(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "news"
    for n in range(7):
        write_text(folder / f"{n}.txt", n)
    monkeypatch.setattr(pipeline, "BATCH_FILES", 3)
    _interrupt_on(monkeypatch, 5)  # in the middle of the second batch
    with pytest.raises(pipeline.IngestInterrupted) as stop:
        run([folder], db_path)
    assert stop.value.summary.status == "interrupted"
    assert stop.value.summary.files_read == 3
    # only the first, whole batch is stored; the second was rolled back entirely
    assert count(db_path, "articles") == 3
    assert count(db_path, "files") == 3
    assert rows(db_path, "SELECT status FROM ingest_runs") == [("interrupted",)]
    consistent(db_path)

    monkeypatch.undo()
    summary = run([folder], db_path)
    assert (summary.added, summary.unchanged, summary.files_read) == (4, 3, 4)
    assert count(db_path, "articles") == 7
    consistent(db_path)


def test_ingest_interrupted_big_jsonl_is_read_again(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "big.jsonl.gz", [record(n) for n in range(10)])
    monkeypatch.setattr(pipeline, "CHUNK_FILE_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_LINES", 3)
    _interrupt_on(monkeypatch, 8)  # third chunk
    with pytest.raises(pipeline.IngestInterrupted):
        run([path], db_path)
    assert count(db_path, "articles") == 6
    # the file is not marked done, so the next run reads it again
    assert rows(db_path, "SELECT status, file_hash FROM files") == [("pending", "")]
    consistent(db_path)
    first_ids = dict(rows(db_path, "SELECT source_id, id FROM articles"))

    monkeypatch.undo()
    monkeypatch.setattr(pipeline, "CHUNK_FILE_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_LINES", 3)
    summary = run([path], db_path)
    assert (summary.added, summary.unchanged) == (4, 6)
    assert rows(db_path, "SELECT status FROM files") == [("ok",)]
    ids = dict(rows(db_path, "SELECT source_id, id FROM articles"))
    assert len(ids) == 10 and all(ids[k] == v for k, v in first_ids.items())
    consistent(db_path)


def test_ingest_sigterm_is_handled_like_ctrl_c(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "news"
    for n in range(6):
        write_text(folder / f"{n}.txt", n)
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, signal, sys
            from index.ingest import pipeline

            pipeline.BATCH_FILES = 2
            original = pipeline._Run.write_whole
            calls = []

            def write_whole(self, results):
                calls.append(1)
                if len(calls) == 2:
                    os.kill(os.getpid(), signal.SIGTERM)
                return original(self, results)

            pipeline._Run.write_whole = write_whole
            try:
                pipeline.ingest([sys.argv[1]], sys.argv[2], progress=False, workers=0)
            except pipeline.IngestInterrupted as stop:
                print("interrupted after", stop.summary.files_read, "files")
                sys.exit(130)
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script), str(folder), str(db_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=this_checkout(),
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted after 2 files" in done.stdout
    assert rows(db_path, "SELECT status FROM ingest_runs") == [("interrupted",)]
    assert count(db_path, "articles") == 2
    consistent(db_path)
    summary = run([folder], db_path)
    assert (summary.added, summary.unchanged) == (4, 2)


def test_ingest_killed_mid_batch_leaves_a_consistent_database(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "news"
    for n in range(7):
        write_text(folder / f"{n}.txt", n)
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, signal, sys
            from index.ingest import pipeline

            pipeline.BATCH_FILES = 3
            original = pipeline._Run.write_article
            calls = []

            def write_article(self, state, prep):
                calls.append(1)
                if len(calls) == 5:  # inside the second batch's open transaction
                    os.kill(os.getpid(), signal.SIGKILL)
                return original(self, state, prep)

            pipeline._Run.write_article = write_article
            pipeline.ingest([sys.argv[1]], sys.argv[2], progress=False, workers=0)
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script), str(folder), str(db_path)], capture_output=True, timeout=120, env=this_checkout()
    )
    assert done.returncode == -9
    consistent(db_path)
    assert count(db_path, "articles") == 3
    assert rows(db_path, "SELECT status FROM ingest_runs") == [("running",)]
    summary = run([folder], db_path)
    assert (summary.added, summary.unchanged) == (4, 3)
    # the killed run is no longer shown as running
    assert rows(db_path, "SELECT status FROM ingest_runs ORDER BY id") == [("interrupted",), ("ok",)]
    consistent(db_path)


def test_ingest_refuses_a_second_writer(tmp_path: Path, db_path: Path) -> None:
    path = write_text(tmp_path / "a.txt", 1)
    # Another process's ingest holds the lock: a file lock beside a SQLite file, an advisory lock on a server.
    with store.ingest_lock(db_path) as got:
        assert got
        with pytest.raises(pipeline.IngestError, match="another `newsbot index`"):
            run([path], db_path)
    assert run([path], db_path).added == 1


# --- bad input ----------------------------------------------------------------------------------------------------


def test_ingest_hostile_folder_reports_every_problem_and_keeps_every_good_article(
    tmp_path: Path, db_path: Path
) -> None:
    files = hostile_folder(tmp_path / "in")
    summary = run([tmp_path / "in"], db_path)
    assert summary.status == "failed"
    assert summary.failed > 0
    problem_paths = {Path(p.path).name for p in summary.problems}
    for key in ("png", "binary_txt", "empty", "huge", "broken", "truncated", "docx"):
        assert files[key].name in problem_paths, key
    assert ".hidden.txt" not in problem_paths
    broken_lines = {p.line for p in summary.problems if p.path.endswith("broken.jsonl")}
    assert {3, 4, 5, 6} <= broken_lines
    # every problem is in the log too, with file and line
    logged = rows(db_path, "SELECT path, line, level, reason FROM ingest_log WHERE level IN ('error', 'skip')")
    assert len(logged) == summary.failed + summary.skipped
    stored = {sid for (sid,) in rows(db_path, "SELECT source_id FROM articles")}
    for key in ("good1", "good2", "latin1"):
        assert str(files[key].resolve()) in stored, key
    assert {"rec-10", "rec-11", "rec-12"} <= stored
    truncated_kept = {s for s in stored if s.startswith("rec-") and 20 <= int(s[4:]) < 60}
    assert truncated_kept  # lines before the cut are kept
    assert not any("hidden" in s for s in stored)
    consistent(db_path)

    # a later good run keeps everything from before
    write_text(tmp_path / "in" / "good3.txt", 99)
    before = count(db_path, "articles")
    later = run([tmp_path / "in"], db_path)
    assert later.added == 1 and later.failed == 0
    assert count(db_path, "articles") == before + 1


def test_ingest_bad_new_version_of_a_file_keeps_what_was_indexed(tmp_path: Path, db_path: Path) -> None:
    text = write_text(tmp_path / "a.txt", 1)
    feed = write_jsonl(tmp_path / "feed.jsonl.gz", [record(n) for n in range(10)])
    run([tmp_path], db_path)
    assert count(db_path, "articles") == 11
    text.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)  # overwritten by junk
    data = "".join(json.dumps(record(n)) + "\n" for n in range(10)).encode("utf-8")
    feed.write_bytes(gzip.compress(data)[:-300])  # a cut-off download of the same export
    summary = run([tmp_path], db_path)
    assert summary.failed == 2 and summary.removed == 0
    assert count(db_path, "articles") == 11
    kept = rows(db_path, "SELECT count(*) FROM ingest_log WHERE level = 'info' AND reason LIKE 'kept %'")[0][0]
    assert kept == 2
    consistent(db_path)
    # once the file reads cleanly again, records that are really gone are removed
    write_jsonl(feed, [record(n) for n in range(5)])
    summary = run([feed], db_path)
    assert summary.removed == 5 and summary.failed == 0
    assert count(db_path, "articles") == 6


def test_big_jsonl_read_in_chunks_matches_a_whole_read(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an over-long line, a line in cp1252 and a broken line, all inside chunks of two lines
    path = tmp_path / "feed.jsonl"
    latin = json.dumps({**record(3), "title": "Café prices"}, ensure_ascii=False).encode("cp1252")
    body = b"".join(json.dumps(record(n)).encode() + b"\n" for n in (1, 2))
    body += b'{"id": "long", "text": "' + b"x" * 3000 + b'"}\n' + latin + b"\n{broken\n"
    body += json.dumps(record(4)).encode() + b"\n"
    path.write_bytes(body)
    monkeypatch.setattr(readers, "MAX_JSONL_LINE", 2000)
    sql = "SELECT source_id, origin_line, title, extra FROM articles ORDER BY origin_line"
    whole = run([path], tmp_path / "whole.db")
    whole_rows = rows(tmp_path / "whole.db", sql)
    monkeypatch.setattr(pipeline, "CHUNK_FILE_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_LINES", 2)
    chunked = run([path], db_path)
    assert rows(db_path, sql) == whole_rows
    assert [(p.line, p.reason) for p in chunked.problems] == [(p.line, p.reason) for p in whole.problems]
    assert [r[1] for r in whole_rows] == [1, 2, 4, 6]
    assert json.loads(whole_rows[2][3])["encoding"].startswith("cp125")  # the guess is a single-byte Latin code
    assert [p.line for p in whole.problems] == [3, 5]


# --- worker processes ---------------------------------------------------------------------------------------------


def test_ingest_with_worker_processes_matches_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    for n in range(5):
        write_text(folder / f"{n}.txt", n)
    write_jsonl(folder / "feed.jsonl.gz", [record(n) for n in range(100, 130)], lines=["{broken\n"])
    monkeypatch.setattr(pipeline, "CHUNK_FILE_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_LINES", 4)
    monkeypatch.setattr(pipeline, "BATCH_FILES", 2)
    a = run([folder], tmp_path / "a.db", workers=2)
    b = run([folder], tmp_path / "b.db", workers=0)
    assert (a.added, a.failed, a.passages) == (b.added, b.failed, b.passages) == (35, 1, b.passages)
    sql = "SELECT source_id, title, body, origin_line, content_hash FROM articles ORDER BY id"
    assert rows(tmp_path / "a.db", sql) == rows(tmp_path / "b.db", sql)
    sql = "SELECT article_id, ordinal, text, tokens FROM passages ORDER BY id"
    assert rows(tmp_path / "a.db", sql) == rows(tmp_path / "b.db", sql)


# --- derived data ---------------------------------------------------------------------------------------------------


def test_ingest_retokenizes_stored_passages_when_the_tokenizer_changes(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    for n in range(3):
        write_text(folder / f"{n}.txt", n)
    run([folder], db_path)
    conn = store.connect(db_path)
    with store.transaction(conn):
        store.set_meta(conn, pipeline.META_TOKENIZER, "0")
        conn.execute("UPDATE passages SET tokens = 'stale'")
        conn.execute("UPDATE articles SET title_tokens = 'stale'")
    conn.close()

    def fail(*_: object) -> None:
        raise AssertionError("re-tokenizing must not read input files")

    monkeypatch.setattr(readers, "read_path", fail)
    summary = run([folder], db_path)
    assert summary.retokenized == count(db_path, "passages") > 0
    assert summary.changed
    for text, tokens in rows(db_path, "SELECT text, tokens FROM passages"):
        assert tokens.split() == tokenize(text)
    assert count(db_path, "articles", "title_tokens = 'stale'") == 0
    assert rows(db_path, "SELECT value FROM meta WHERE key = ?", (pipeline.META_TOKENIZER,)) == [
        (str(pipeline.TOKENIZER_VERSION),)
    ]
    assert pipeline.postings_outdated(store.connect(db_path))


def test_ingest_resplits_stored_bodies_when_the_splitter_changes(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    write_text(folder / "a.txt", 1, paragraphs=12)
    run([folder], db_path)
    expected = rows(db_path, "SELECT ordinal, text, tokens FROM passages ORDER BY id")
    conn = store.connect(db_path)
    with store.transaction(conn):
        store.set_meta(conn, pipeline.META_SPLIT, "0")
        conn.execute("DELETE FROM passages WHERE ordinal > 0")
    conn.close()
    summary = run([folder], db_path, progress=True)
    assert summary.resplit == 1
    assert rows(db_path, "SELECT ordinal, text, tokens FROM passages ORDER BY id") == expected
    # redoing a whole archive in one process can take minutes: it shows its own progress
    assert "re-splitting" in capsys.readouterr().err


def test_ingest_skips_its_own_database_and_hidden_entries(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_text(folder / "a.txt", 1)
    write_text(folder / ".cache" / "b.txt", 2)
    db = folder / "news.db"
    first = run([folder], db)
    second = run([folder], db)
    assert first.files_seen == second.files_seen == 1
    assert first.failed == second.failed == 0


def test_prune_of_a_folder_that_is_missing_removes_nothing(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "archive"
    for n in range(3):
        write_text(folder / f"{n}.txt", n)
    run([folder], db_path)
    folder.rename(tmp_path / "unmounted")  # the disk is not there today
    summary = run([folder], db_path, prune=True)
    assert summary.removed == 0 and count(db_path, "articles") == 3
    assert any("no such file or folder" in p.reason for p in summary.problems)
