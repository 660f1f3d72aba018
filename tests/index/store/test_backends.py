"""Choosing the backend by the locator, where a server database's index lives, and both backends answering alike."""

from __future__ import annotations

import contextlib
import json
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from index import store
from index.cli import main
from index.ingest import feeds
from index.search import generations

ROOT = Path(__file__).resolve().parents[3]


def test_a_url_names_postgresql_and_anything_else_a_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://news:secret@db.example:6543/archive"
    assert store.locate(url) == url and store.is_url(store.locate(url))  # kept whole: a Path would fold its "//"
    assert store.locate("postgres://db.example/archive") == "postgres://db.example/archive"
    assert store.locate("data/news.db") == Path("data/news.db")
    assert store.locate(Path("postgresql:")) == Path("postgresql:")  # a path is a path, whatever its name
    monkeypatch.setenv("NEWSBOT_DB", url)
    assert store.db_path_from_env() == url
    assert store.db_path_from_env("x.db") == Path("x.db")
    monkeypatch.delenv("NEWSBOT_DB")
    assert store.db_path_from_env() == Path("data/newsbot.db")


def test_messages_show_a_url_without_its_password() -> None:
    assert store.display("postgresql://news:secret@db.example:6543/archive") == (
        "postgresql://news:***@db.example:6543/archive"
    )
    assert store.display("postgresql://db.example/archive") == "postgresql://db.example/archive"
    assert (
        store.display("postgresql://news@db.example/archive?password=secret") == "postgresql://news@db.example/archive"
    )
    assert store.display(Path("data/news.db")) == "data/news.db"


def test_a_server_database_keeps_its_index_and_feed_spool_under_the_working_folder() -> None:
    url = "postgresql://news:secret@db.example:6543/archive"
    assert generations.index_dir(url) == Path("data/index/db.example-6543-archive")
    assert feeds.spool_dir(url) == Path("data/index/db.example-6543-archive.feeds")
    assert generations.index_dir("postgresql://localhost/a b") == Path("data/index/localhost-5432-a_b")
    # A SQLite file keeps them beside it, as before.
    assert generations.index_dir(Path("/srv/news.db")) == Path("/srv/news.db.index")
    assert feeds.spool_dir(Path("/srv/news.db")) == Path("/srv/news.db.feeds")


def test_an_unreachable_server_is_one_line_with_the_next_step() -> None:
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://news:secret@127.0.0.1:{port}/archive?connect_timeout=5"
    import psycopg

    with pytest.raises(psycopg.OperationalError) as caught:
        store.connect(url)
    message = store.describe_error(caught.value, url)
    assert message is not None and "cannot reach PostgreSQL" in message and "server is running" in message
    assert "secret" not in message and f"127.0.0.1:{port}" in message


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_the_sample_corpus_answers_the_same_from_both_backends(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the server database's index folder goes under the working folder
    monkeypatch.delenv("NEWSBOT_DB", raising=False)
    lite = str(tmp_path / "news.db")
    corpus = str(ROOT / "corpus" / "articles")
    indexed = {db: _json(capsys, "index", corpus, "--db", db, "--json", "--workers", "0") for db in (lite, pg_url)}
    for key in ("added", "duplicates", "passages", "failed"):
        assert indexed[lite][key] == indexed[pg_url][key], key
    assert Path("data/index").is_dir() and generations.current_generation(pg_url) == "gen-000001"
    for query in ("tanner street bridge", '"power" -football after:2026-11-01', "title:stadium cost"):
        found = {
            db: _json(capsys, "search", query, "--db", db, "--json", "--as-of", "2026-11-29") for db in (lite, pg_url)
        }
        assert found[lite]["results"], query
        for hits in found.values():
            for hit in hits["results"]:
                hit.pop("took_ms", None)
        assert found[lite]["results"] == found[pg_url]["results"], query
        assert found[lite]["total"] == found[pg_url]["total"]
    stats = {db: _json(capsys, "stats", "--db", db, "--json") for db in (lite, pg_url)}
    for key in ("articles", "duplicates", "passages", "first_date", "last_date", "outlets", "files"):
        assert stats[lite][key] == stats[pg_url][key], key
    assert stats[pg_url]["db"] == pg_url and stats[pg_url]["db_bytes"] > 0


def test_a_role_that_may_only_read_can_read_but_not_index(pg_url: str, tmp_path: Path) -> None:
    import psycopg
    from helpers.archives import write_text

    from index.ingest import pipeline

    write_text(tmp_path / "in" / "a.txt", 1)
    pipeline.ingest([str(tmp_path / "in")], pg_url, progress=False, workers=0)
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    parts = urlsplit(pg_url)  # the same server and database, as the new role (the test server trusts local logins)
    reader_url = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
    try:
        conn = store.connect_for_reading(reader_url)  # already migrated: opening needs no write
        assert store.stats(conn).articles == 1
        conn.close()
        write_text(tmp_path / "in" / "b.txt", 2)
        with pytest.raises(psycopg.Error) as caught:
            pipeline.ingest([str(tmp_path / "in")], reader_url, progress=False, workers=0)
        message = store.describe_error(caught.value, reader_url)
        assert message is not None and "cannot be written with this role" in message
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_a_database_missing_on_the_server_says_to_create_it(pg_server: str) -> None:
    url = pg_server.rpartition("/")[0] + f"/missing_{uuid.uuid4().hex[:8]}"
    import psycopg

    with pytest.raises(psycopg.OperationalError) as caught:
        store.connect(url)
    message = store.describe_error(caught.value, url)
    assert message is not None and "does not exist on that server: create it" in message


def test_the_store_reads_through_a_connection_the_bot_opened_its_own_way(pg_url: str, tmp_path: Path) -> None:
    import psycopg
    from helpers.archives import write_text
    from psycopg.rows import dict_row

    from index.ingest import pipeline

    write_text(tmp_path / "in" / "a.txt", 1)
    pipeline.ingest([str(tmp_path / "in")], pg_url, progress=False, workers=0)
    # Another row factory (dicts) and its own transaction handling: the store's functions read their rows their way.
    with psycopg.connect(pg_url, row_factory=dict_row) as conn:
        stats = store.stats(conn)
        assert stats.articles == 1 and stats.outlets[0].articles == 1
        [ref] = store.find_headlines(conn, "")
        article = store.read_article(conn, ref.id)
        assert article is not None and article.title == ref.title and article.passages > 0
        assert store.find_articles(conn, str(ref.id)) == [article]
        assert [p["ordinal"] for p in store.article_passages(conn, ref.id)] == list(range(article.passages))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_runner_up_rows_are_the_passage_fields_of_the_hit_rows(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from helpers.archives import write_text

    from index.ingest import pipeline

    db = str(tmp_path / "news.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    write_text(tmp_path / "in" / "a.txt", 3)
    pipeline.ingest([str(tmp_path / "in")], db, progress=False, workers=0)
    with contextlib.closing(store.connect(db)) as conn:
        ids = [p["id"] for ref in store.find_headlines(conn, "") for p in store.article_passages(conn, ref.id)]
    conn = store.search_connection(db, mmap_bytes=0)
    try:
        assert ids
        hits = {r["id"]: r for r in store.hit_rows(conn, [*ids, 10**9], with_body=False)}
        rows = {r[0]: r for r in store.passage_rows(conn, [*ids, 10**9])}  # an id no longer stored is skipped
        assert sorted(rows) == sorted(hits) == sorted(ids)
        for pid, row in rows.items():
            h = hits[pid]
            assert tuple(row) == (h["id"], h["article_id"], h["paragraph"], h["paragraph_end"], h["text"])
    finally:
        conn.close()
