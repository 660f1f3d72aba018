"""The store: migrations, article and passage writes, duplicate promotion, lookups and stats."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers.stores import StoreUnderTest

from index import store as _store
from index.ingest.split import split_article
from index.models import Article
from index.tokenize import tokenize, tokens_to_text


def _article(sid: str, body: str, **kw: object) -> Article:
    return Article(source_id=sid, title=kw.pop("title", f"Title {sid}"), paragraphs=body.split("\n\n"), **kw)  # type: ignore[arg-type]


def _add(conn: Any, article: Article, file_id: int | None = None) -> int:
    original = _store.find_original(conn, article.content_hash)
    article_id = _store.insert_article(
        conn,
        article,
        file_id=file_id,
        content_hash=article.content_hash,
        title_tokens=tokens_to_text(tokenize(article.title)),
        duplicate_of=original["id"] if original else None,
    )
    if original is None:
        passages = split_article(article)
        _store.replace_passages(conn, article_id, passages, [tokens_to_text(tokenize(p.text)) for p in passages])
    return article_id


def test_migrate_fresh_database_reaches_current_version(store: StoreUnderTest) -> None:
    conn = store.connect()
    assert store.schema_version() == store.module.SCHEMA_VERSION
    if store.kind == "sqlite":
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"articles", "passages", "files", "ingest_runs", "ingest_log", "meta"} <= store.tables()
    # opening again applies nothing and keeps the data
    with store.transaction(conn):
        store.set_meta(conn, "k", "v")
    conn.close()
    conn = store.connect()
    assert store.get_meta(conn, "k") == "v"


def test_migrate_old_database_applies_pending_steps_in_order(
    store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database made by an older newsbot (schema 1 only) ...
    monkeypatch.setattr(store.module, "MIGRATIONS", store.module.MIGRATIONS[:1])
    monkeypatch.setattr(store.module, "SCHEMA_VERSION", 1)
    conn = store.connect()
    with store.transaction(conn):
        _add(conn, _article("a", "Some text that is stored before the upgrade."))
    conn.close()
    # ... opened by a newer one with two more steps.
    steps = [
        *store.module.MIGRATIONS[:1],
        (2, "CREATE TABLE upgrade_probe (x INTEGER);"),
        (3, "ALTER TABLE upgrade_probe ADD COLUMN y TEXT; INSERT INTO upgrade_probe(x, y) VALUES (1, 'done');"),
    ]
    monkeypatch.setattr(store.module, "MIGRATIONS", steps)
    monkeypatch.setattr(store.module, "SCHEMA_VERSION", 3)
    conn = store.connect()
    assert store.schema_version() == 3
    assert tuple(conn.execute("SELECT x, y FROM upgrade_probe").fetchone()) == (1, "done")
    assert store.get_article_by_source_id(conn, "a") is not None


def test_migrate_failed_step_leaves_no_half_schema(store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    store.connect().close()
    bad = [
        *store.module.MIGRATIONS,
        (store.module.SCHEMA_VERSION + 1, "CREATE TABLE half (x INTEGER); SELECT * FROM nowhere;"),
    ]
    monkeypatch.setattr(store.module, "MIGRATIONS", bad)
    monkeypatch.setattr(store.module, "SCHEMA_VERSION", store.module.SCHEMA_VERSION + 1)
    with pytest.raises(store.db_errors()):
        store.connect()
    assert store.schema_version() == store.module.SCHEMA_VERSION - 1
    assert "half" not in store.tables()


def test_connections_opening_a_new_database_at_once_migrate_it_once(store: StoreUnderTest) -> None:
    together = threading.Barrier(6)

    def open_one(_: int) -> Any:
        together.wait()
        return store.connect()

    with ThreadPoolExecutor(6) as pool:
        conns = list(pool.map(open_one, range(6)))
    assert store.schema_version() == store.module.SCHEMA_VERSION
    for conn in conns:
        with store.transaction(conn):  # no transaction was left open on any of them
            store.set_meta(conn, "opened", "yes")
        conn.close()


def test_migrate_refuses_a_newer_database(store: StoreUnderTest) -> None:
    store.connect().close()
    store.set_schema_version(store.module.SCHEMA_VERSION + 5)
    with pytest.raises(RuntimeError, match="upgrade newsbot"):
        store.connect()


def test_articles_passages_and_lookups(store: StoreUnderTest, tmp_path: Path) -> None:
    conn = store.connect()
    path = str(tmp_path / "feed.jsonl")
    body = "The council approved the budget on Tuesday.\n\nSpending on parks rises by a tenth."
    with store.transaction(conn):
        file_id = store.upsert_file(conn, path, size=10, mtime_ns=1, file_hash="h", reader="jsonl", status="ok")
        article = _article(
            "rec-1",
            body,
            url="https://news.example/budget",
            outlet="Example Times",
            published="2024-03-05",
            authors=["A. Writer"],
            origin_path=path,
            origin_line=1,
            reader="jsonl",
            extra={"category": "local"},
        )
        aid = _add(conn, article, file_id)
    row = store.get_article(conn, aid)
    assert row["body"] == body
    assert row["title_tokens"] == tokens_to_text(tokenize("Title rec-1"))
    assert store.same_article(store.article_for_update(conn, "rec-1"), article)
    passages = store.article_passages(conn, aid)
    assert len(passages) == 1
    assert passages[0]["text"] == body[passages[0]["char_start"] : passages[0]["char_end"]]
    assert passages[0]["tokens"].split() == tokenize(passages[0]["text"])
    assert (passages[0]["paragraph"], passages[0]["paragraph_end"]) == (1, 2)
    # one article, found by every kind of reference
    for ref in (str(aid), "rec-1", "https://news.example/budget", path):
        assert [a.id for a in store.find_articles(conn, ref)] == [aid]
    assert store.find_articles(conn, "nothing-like-it") == []
    assert store.find_articles(conn, "9" * 25) == []  # digits past a 64-bit row id name no row
    assert store.find_articles(conn, "  ") == []
    stored = store.read_article(conn, aid)
    assert stored == store.find_articles(conn, "rec-1")[0]
    assert (stored.title, stored.body, stored.outlet, stored.url) == ("Title rec-1", body, "Example Times", article.url)
    assert (stored.authors, stored.extra, stored.passages, stored.duplicate_of) == (
        ["A. Writer"],
        {"category": "local"},
        1,
        None,
    )
    assert (stored.file_id, stored.origin_path, stored.origin_line, stored.reader) == (file_id, path, 1, "jsonl")
    assert stored.paragraphs == body.split("\n\n")
    assert store.read_article(conn, aid + 100) is None
    assert store.file_article_ids(conn, file_id) == {"rec-1": aid}


def test_same_article_reads_extra_back_as_written(store: StoreUnderTest) -> None:
    conn = store.connect()
    # keys out of order, non-ASCII text and a value JSON cannot hold: all must compare equal after the round trip
    extra = {"section": "Économie", "charset": "cp1252", "seen": date(2024, 3, 5)}
    with store.transaction(conn):
        _add(conn, _article("x", "Prices rose again in March.", extra=extra))
    row = store.article_for_update(conn, "x")
    assert store.same_article(row, _article("x", "Prices rose again in March.", extra=dict(reversed(extra.items()))))
    assert not store.same_article(row, _article("x", "Prices rose again in March.", extra={**extra, "seen": "x"}))


def test_duplicates_have_no_passages_and_promotion_on_delete(store: StoreUnderTest) -> None:
    conn = store.connect()
    text = "Floods closed the coastal road overnight.\n\nCrews expect to reopen it by noon."
    with store.transaction(conn):
        first = _add(conn, _article("one", text))
        # same story, different case and spacing: same normalised text
        second = _add(conn, _article("two", text.upper().replace(" ", "  ")))
        third = _add(conn, _article("three", text))
    assert store.get_article(conn, second)["duplicate_of"] == first
    assert store.get_article(conn, third)["duplicate_of"] == first
    assert store.article_passages(conn, second) == []
    assert [r["id"] for r in store.article_duplicates(conn, first)] == [second, third]
    # A duplicate reads as itself, or, asked for the original, as the story whose passages are indexed.
    assert (store.read_article(conn, second).duplicate_of, store.read_article(conn, second).passages) == (first, 0)
    assert store.read_article(conn, second, original=True).id == first
    assert store.read_article(conn, first).passages == len(store.article_passages(conn, first)) > 0

    with store.transaction(conn):
        promoted = store.delete_articles(conn, [first])
    assert promoted == [second]
    assert store.get_article(conn, first) is None
    assert store.get_article(conn, second)["duplicate_of"] is None
    assert store.get_article(conn, third)["duplicate_of"] == second


def test_delete_original_together_with_its_duplicate_promotes_a_survivor(store: StoreUnderTest) -> None:
    conn = store.connect()
    text = "A bridge inspection found cracks in two supports."
    with store.transaction(conn):
        a = _add(conn, _article("a", text))
        b = _add(conn, _article("b", text))
        c = _add(conn, _article("c", text))
        promoted = store.delete_articles(conn, [b, a])  # the duplicate first, then its original
    assert promoted == [c]
    assert store.get_article(conn, c)["duplicate_of"] is None


def test_stats_runs_and_log(store: StoreUnderTest) -> None:
    conn = store.connect()
    with store.transaction(conn):
        _add(conn, _article("x", "One story about rail fares.", outlet="Daily", published="2023-01-02"))
        _add(conn, _article("y", "Another about bus lanes.", outlet="Daily", published="2023-06-30T10:00:00+00:00"))
        _add(conn, _article("z", "A third, on tram lines.", outlet="Weekly", published=None))
    run_id = store.start_run(conn, ["in/"])
    with store.transaction(conn):
        store.log_entries(conn, run_id, [("in/a.bin", None, "error", "not text"), ("in/b.jsonl", 3, "skip", "empty")])
    store.finish_run(conn, run_id, "failed", {"failed": 1})
    data = store.stats(conn)
    assert (data.articles, data.duplicates) == (3, 0)
    assert data.passages == 3
    assert (data.first_date, data.last_date) == ("2023-01-02", "2023-06-30")
    assert data.outlets[0] == store.OutletStats("Daily", 2, "2023-01-02", "2023-06-30")
    assert data.last_run is not None and data.last_run.status == "failed"
    assert data.last_run.summary == {"failed": 1}
    assert data.db_bytes > 0
    assert data.as_dict()["outlets"][0] == {
        "outlet": "Daily",
        "articles": 2,
        "first_date": "2023-01-02",
        "last_date": "2023-06-30",
    }
    log = store.run_log(conn, run_id, levels=("error",))
    assert [(r["path"], r["reason"]) for r in log] == [("in/a.bin", "not text")]


def test_stats_count_distinct_stories_and_folded_duplicates_apart(store: StoreUnderTest) -> None:
    conn = store.connect()
    with store.transaction(conn):
        _add(conn, _article("x", "One story about rail fares.", outlet="Daily", published="2023-01-02"))
        _add(conn, _article("x2", "One story about rail fares.", outlet="Weekly", published="2020-05-05"))
        _add(conn, _article("y", "Another about bus lanes.", outlet="Daily", published="2023-06-30"))
    data = store.stats(conn)
    assert (data.articles, data.duplicates, data.passages) == (2, 1, 2)
    # Dates and outlets cover the distinct stories, so the outlets add up to the article count.
    assert (data.first_date, data.last_date) == ("2023-01-02", "2023-06-30")
    assert data.outlets == store.outlet_stats(conn) == [store.OutletStats("Daily", 2, "2023-01-02", "2023-06-30")]
    assert sum(o.articles for o in data.outlets) == data.articles


def test_find_headlines_lists_stories_for_autocomplete(store: StoreUnderTest) -> None:
    conn = store.connect()
    with store.transaction(conn):
        old = _add(conn, _article("a", "Rail fares rise.", title="Rail fares rise again", published="2023-01-02"))
        new = _add(conn, _article("b", "Trams return.", title="Trams return; rail 100% back", published="2024-02-01"))
        _add(conn, _article("c", "Rail fares rise.", title="Rail fares rise again (copy)", published="2024-05-05"))
        _add(conn, _article("d", "No headline here.", title=""))
    assert [r.id for r in store.find_headlines(conn, "")] == [new, old]  # newest first; no duplicate, no blank
    assert [r.id for r in store.find_headlines(conn, "RAIL")] == [old, new]  # starts with it, then contains it
    assert [r.id for r in store.find_headlines(conn, "100%")] == [new]  # LIKE wildcards are taken literally
    assert [r.id for r in store.find_headlines(conn, "0%")] == [new]
    assert [r.id for r in store.find_headlines(conn, "_")] == []
    assert store.find_headlines(conn, str(new)) == [
        store.ArticleRef(new, "Trams return; rail 100% back", None, "2024-02-01")
    ]
    assert len(store.find_headlines(conn, "", limit=1)) == 1


def test_store_schema_holds_no_application_tables(store: StoreUnderTest) -> None:
    store.connect().close()
    tables = store.tables()
    # The feeds are part of the archive (what it reads), not of any client of it.
    assert tables == {"meta", "files", "articles", "passages", "ingest_runs", "ingest_log", "feeds", "feed_items"}


def test_close_stale_runs_marks_a_killed_run_interrupted(store: StoreUnderTest) -> None:
    conn = store.connect()
    run_id = store.start_run(conn, ["x"])
    assert store.close_stale_runs(conn) == 1
    assert store.last_run(conn)["status"] == "interrupted"
    assert store.last_run(conn)["id"] == run_id
