"""Several writers on one PostgreSQL archive: ingests take turns, other writers never wait for them, migrations once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.archives import write_text
from helpers.stores import StoreUnderTest

from index import store
from index.ingest import pipeline
from index.models import Article


def _ingest(folder: Path, url: str) -> pipeline.RunSummary:
    return pipeline.ingest([str(folder)], url, progress=False, workers=0)


def _folder(root: Path, name: str, first: int, n: int) -> Path:
    for i in range(first, first + n):
        write_text(root / name / f"{i}.txt", i)
    return root / name


def test_two_ingests_at_once_take_turns(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = _folder(tmp_path, "one", 0, 4), _folder(tmp_path, "two", 10, 3)
    inside, release = threading.Event(), threading.Event()
    original = pipeline._Run.write_article

    def held(self: pipeline._Run, state: pipeline._FileState, prep: pipeline._Prepared) -> None:
        if threading.current_thread().name == "first":  # the first ingest stops mid-batch, its transaction open
            inside.set()
            assert release.wait(30)
        original(self, state, prep)

    monkeypatch.setattr(pipeline._Run, "write_article", held)
    results: dict[str, pipeline.RunSummary] = {}
    first = threading.Thread(target=lambda: results.update(first=_ingest(one, pg_url)), name="first")
    first.start()
    try:
        assert inside.wait(30)
        # A second `newsbot index` (another process or machine) is refused while the first holds the advisory lock,
        # and says what to do; it writes nothing.
        with pytest.raises(pipeline.IngestError, match="another `newsbot index` is writing postgresql://"):
            _ingest(two, pg_url)
    finally:
        release.set()
        first.join(30)
    assert results["first"].status == "ok" and results["first"].added == 4
    # Once the first is done the lock is free again: the second runs, and both runs' articles are there.
    assert _ingest(two, pg_url).added == 3
    db = StoreUnderTest("postgresql", pg_url)
    assert db.count("articles") == 7
    assert db.rows("SELECT status FROM ingest_runs ORDER BY id") == [("ok",), ("ok",)]
    assert db.count("passages p JOIN articles a ON a.id = p.article_id", "a.duplicate_of IS NOT NULL") == 0


def test_other_writers_do_not_wait_for_an_open_ingest_batch(pg_url: str) -> None:
    ingest, other = store.connect(pg_url), store.connect(pg_url)
    # Waiting on a lock would be a failure here, not a hang: row locks only, never the whole database.
    other.execute("SET lock_timeout = '5s'")
    article = Article(source_id="a", title="Harbour", paragraphs=["The harbour reopened on Monday."])
    with store.transaction(ingest):
        store.insert_article(ingest, article, file_id=None, content_hash=article.content_hash, title_tokens="harbour")
        # Meanwhile a bot or a feed watch writes and reads: it neither waits nor sees the uncommitted article.
        feed, added = store.add_feed(other, "https://news.example/rss", "News")
        assert added and feed["name"] == "News"
        with store.transaction(other):
            store.set_meta(other, "bot_note", "written meanwhile")
        assert store.stats(other).articles == 0
    assert store.stats(other).articles == 1
    assert store.get_meta(ingest, "bot_note") == "written meanwhile"
    ingest.close()
    other.close()


def test_adding_the_same_feed_twice_at_once_stores_it_once(pg_url: str) -> None:
    conns = [store.connect(pg_url) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: store.add_feed(c, "https://news.example/rss", None), conns))
    assert sum(added for _, added in results) == 1
    assert len(store.list_feeds(conns[0])) == 1
    for conn in conns:
        conn.close()


def test_processes_opening_a_new_database_at_once_migrate_it_once(pg_url: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        conns = list(pool.map(lambda _: store.connect(pg_url), range(4)))
    db = StoreUnderTest("postgresql", pg_url)
    assert db.schema_version() == store.backend(pg_url).SCHEMA_VERSION
    assert db.rows("SELECT count(*) FROM store_schema") == [(1,)]
    for conn in conns:
        conn.close()
