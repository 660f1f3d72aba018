"""`newsbot feeds add|list|remove` and `newsbot watch --once` against a local news site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.newsserver import NewsServer, Route, article_page, rss

from index.cli import build_parser, main

STORY = (
    "Tram line to the university opens a year early",
    [
        "The new tram line to the university opened on Monday, a year earlier than planned and under budget.",
        "Trams run every six minutes at peak times, and the first week of rides is free for everyone.",
        "The city expects about twelve thousand trips a day once term starts.",
    ],
)
WATCH = ("watch", "--once", "--delay", "0", "--timeout", "2")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBOT_DB", raising=False)
    monkeypatch.setenv("NEWSBOT_FETCH_ALLOW_PRIVATE", "1")


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with NewsServer().running() as running:
        running.routes["/news/tram.html"] = Route(article_page(*STORY))
        items = [{"title": STORY[0], "link": running.url("/news/tram.html")}]
        running.routes["/feed.xml"] = Route(rss("City Post", items), content_type="application/rss+xml", etag='"1"')
        yield running


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_feed_commands_have_help_with_an_example() -> None:
    _, sub = build_parser()
    for name in ("feeds", "watch"):
        help_text = sub.choices[name].format_help()
        assert "Example:" in help_text and f"newsbot {name}" in help_text


def test_add_list_remove(capsys: pytest.CaptureFixture[str], server: NewsServer, db_path: Path) -> None:
    url = server.url("/feed.xml")
    code, out, _ = cli(capsys, "feeds", "add", url, "--name", "City Post", "--db", str(db_path))
    assert code == 0 and out.startswith(f"Added {url} as City Post.")
    code, out, _ = cli(capsys, "feeds", "add", url, "--db", str(db_path))
    assert code == 0 and out.startswith("Already there")
    code, out, _ = cli(capsys, "feeds", "list", "--json", "--db", str(db_path))
    (feed,) = json.loads(out)
    assert feed["url"] == url and feed["name"] == "City Post" and feed["last_checked"] is None
    code, out, _ = cli(capsys, "feeds", "list", "--db", str(db_path))
    assert url in out and "never checked" in out
    code, out, _ = cli(capsys, "feeds", "remove", url, "--db", str(db_path))
    assert code == 0 and "stay in the archive" in out
    code, _, err = cli(capsys, "feeds", "remove", url, "--db", str(db_path))
    assert code == 1 and "no such feed" in err


@pytest.mark.parametrize(
    ("url", "why"),
    [("ftp://example.com/feed.xml", "only http and https"), ("file:///etc/passwd", "only http and https")],
)
def test_add_refuses_other_schemes(capsys: pytest.CaptureFixture[str], db_path: Path, url: str, why: str) -> None:
    code, _, err = cli(capsys, "feeds", "add", url, "--db", str(db_path))
    assert code == 2 and why in err


def test_add_refuses_a_private_address_without_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, server: NewsServer, db_path: Path
) -> None:
    monkeypatch.delenv("NEWSBOT_FETCH_ALLOW_PRIVATE")
    code, _, err = cli(capsys, "feeds", "add", server.url("/feed.xml"), "--db", str(db_path))
    assert code == 2
    assert "private" in err and "NEWSBOT_FETCH_ALLOW_PRIVATE=1" in err
    assert server.requests == []


def test_watch_once_stores_the_articles_and_a_second_run_stores_nothing(
    capsys: pytest.CaptureFixture[str], server: NewsServer, db_path: Path
) -> None:
    cli(capsys, "feeds", "add", server.url("/feed.xml"), "--db", str(db_path))
    code, out, _ = cli(capsys, *WATCH, "--db", str(db_path))
    assert code == 0, out
    assert "1 feeds checked" in out and "0 not modified, 1 new, 0 updated, 0 failed" in out
    code, out, _ = cli(capsys, "search", "tram university", "--db", str(db_path), "--json")
    assert code == 0 and STORY[0] in out

    code, out, _ = cli(capsys, *WATCH, "--db", str(db_path), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["not_modified"] == 1 and report["new"] == 0 and report["failed"] == 0
    assert [r.path for r in server.requests].count("/news/tram.html") == 1


def test_watch_once_exits_1_and_lists_each_failure_with_its_reason(
    capsys: pytest.CaptureFixture[str], server: NewsServer, db_path: Path
) -> None:
    cli(capsys, "feeds", "add", server.url("/feed.xml"), "--db", str(db_path))
    cli(capsys, "feeds", "add", server.url("/missing.xml"), "--db", str(db_path))
    code, out, _ = cli(capsys, *WATCH, "--db", str(db_path))
    assert code == 1
    assert "1 new, 0 updated, 1 failed" in out
    assert f"{server.url('/missing.xml')}: not found (404)" in out
    assert "retried in later cycles" in out
    code, out, _ = cli(capsys, "feeds", "list", "--db", str(db_path))
    assert "1 failure in a row" in out


def test_watch_without_feeds_says_how_to_add_one(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, _, err = cli(capsys, *WATCH, "--db", str(db_path))
    assert code == 1 and "newsbot feeds add URL" in err


def test_the_cli_names_the_fetchers_setting_without_loading_the_fetcher() -> None:
    import subprocess
    import sys

    from index.cli import feeds as feeds_cli
    from index.ingest import fetch

    assert feeds_cli.ALLOW_PRIVATE_ENV == fetch.ALLOW_PRIVATE_ENV
    code = "import sys; import index.cli; assert 'aiohttp' not in sys.modules, 'registering commands loads aiohttp'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registering_every_command_loads_no_numpy() -> None:
    import subprocess
    import sys

    code = "import sys; import index.cli; assert 'numpy' not in sys.modules, 'a repeat newsbot index would load numpy'"
    subprocess.run([sys.executable, "-c", code], check=True)
