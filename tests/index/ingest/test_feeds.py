"""Watch cycles against a local news site: new items stored once, conditional requests, failures, safety rules."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.newsserver import NewsServer, Route, article_page, rss

from index import store
from index.ingest import feeds
from index.ingest.fetch import Fetcher, FetchPolicy, blocked_ip
from index.search.searcher import Searcher

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
RSS = "application/rss+xml"
STORIES = {
    "ferry": (
        "Island ferry returns after engine repairs",
        [
            "The island ferry returned to service on Tuesday after two weeks of engine repairs at the harbour yard.",
            "Commuters had relied on a smaller water taxi, which carried about a third of the usual passengers.",
            "The operator said the new engine would cut fuel use by a fifth and make the crossing quieter.",
        ],
    ),
    "lighthouse": (
        "Volunteers repaint the old lighthouse on Gull Point",
        [
            "Forty volunteers spent the weekend repainting the lighthouse on Gull Point in its red and white bands.",
            "The lighthouse has not guided ships since 1987 but remains the town's best-known landmark.",
            "Paint and scaffolding were paid for by a grant from the coastal heritage fund.",
        ],
    ),
    "orchard": (
        "Apple orchard opens its gates for a cider festival",
        [
            "The hillside apple orchard opened its gates on Saturday for the first cider festival in a decade.",
            "Growers said the warm autumn produced the sweetest harvest they could remember.",
            "The festival raised money for the village school's new library.",
        ],
    ),
}


def options(**policy: object) -> feeds.WatchOptions:
    values: dict[str, object] = {"allow_private": True, "host_delay": 0.0, "timeout": 2.0}
    values.update(policy)
    return feeds.WatchOptions(policy=FetchPolicy(**values))  # type: ignore[arg-type]


def item(server: NewsServer, key: str, **extra: object) -> dict[str, object]:
    title, _ = STORIES[key]
    return {"title": title, "link": server.url(f"/news/{key}.html"), "description": title, **extra}


def serve_story(server: NewsServer, key: str) -> None:
    title, paragraphs = STORIES[key]
    server.routes[f"/news/{key}.html"] = Route(article_page(title, paragraphs))


def serve_feed(server: NewsServer, path: str, items: list[dict[str, object]], *, etag: str = '"v1"') -> None:
    server.routes[path] = Route(
        rss("Harbour Times", items), content_type=RSS, etag=etag, last_modified="Wed, 02 Dec 2026 08:00:00 GMT"
    )


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with NewsServer().running() as running:
        yield running


def search_titles(db_path: Path, query: str) -> list[str]:
    searcher = Searcher.open(db_path)
    try:
        return [hit.title for hit in searcher.search(query, as_of=NOW + timedelta(days=1)).hits]
    finally:
        searcher.close()


def test_watch_stores_new_items_then_sends_conditional_requests_and_fetches_nothing_again(
    server: NewsServer, db_path: Path
) -> None:
    for key in ("ferry", "lighthouse"):
        serve_story(server, key)
    serve_feed(server, "/feed.xml", [item(server, "ferry", date=NOW), item(server, "lighthouse", date=NOW)])
    feeds.add_feed(db_path, server.url("/feed.xml"), "Harbour Times", allow_private=True)

    first = feeds.watch_once(db_path, options(), now=NOW)
    assert first.failures == []
    assert len(first.new_ids) == 2 and first.updated_ids == []
    assert "/news/ferry.html" in server.paths() and "/news/lighthouse.html" in server.paths()
    assert search_titles(db_path, "ferry engine repairs")[0] == STORIES["ferry"][0]
    conn = store.connect(db_path)
    row = conn.execute("SELECT outlet, url, source_id FROM articles WHERE id = ?", (first.new_ids[0],)).fetchone()
    conn.close()
    assert row["outlet"] == "Harbour Times" and row["source_id"] == row["url"]

    server.clear()
    second = feeds.watch_once(db_path, options(), now=NOW + timedelta(minutes=15))
    feed_requests = [r for r in server.requests if r.path == "/feed.xml"]
    assert feed_requests[0].headers.get("If-None-Match") == '"v1"'
    assert feed_requests[0].headers.get("If-Modified-Since") == "Wed, 02 Dec 2026 08:00:00 GMT"
    assert [f.status for f in second.feeds] == ["not modified"]
    assert not any(p.startswith("/news/") for p in server.paths())
    assert second.new_ids == [] and second.updated_ids == [] and second.failures == []


def test_an_item_added_to_the_feed_is_searchable_after_the_next_cycle(server: NewsServer, db_path: Path) -> None:
    for key in STORIES:
        serve_story(server, key)
    serve_feed(server, "/feed.xml", [item(server, "ferry")])
    feeds.add_feed(db_path, server.url("/feed.xml"), allow_private=True)
    feeds.watch_once(db_path, options(), now=NOW)
    assert search_titles(db_path, "cider festival orchard") == []

    serve_feed(server, "/feed.xml", [item(server, "orchard"), item(server, "ferry")], etag='"v2"')
    server.clear()
    report = feeds.watch_once(db_path, options(), now=NOW + timedelta(minutes=15))
    assert len(report.new_ids) == 1 and report.failures == []
    assert [p for p in server.paths() if p.startswith("/news/")] == ["/news/orchard.html"]  # the ferry page: not again
    assert search_titles(db_path, "cider festival orchard")[0] == STORIES["orchard"][0]
    # The feed's own title names the outlet when no --name was given.
    assert report.feeds[0].name == "Harbour Times"


def test_a_changed_entry_is_read_again_and_counted_as_updated(server: NewsServer, db_path: Path) -> None:
    serve_story(server, "ferry")
    serve_feed(server, "/feed.xml", [item(server, "ferry")])
    feeds.add_feed(db_path, server.url("/feed.xml"), allow_private=True)
    first = feeds.watch_once(db_path, options(), now=NOW)
    title, paragraphs = STORIES["ferry"]
    server.routes["/news/ferry.html"] = Route(article_page(title, [*paragraphs, "Update: fares stay the same."]))
    serve_feed(server, "/feed.xml", [item(server, "ferry", description="Updated story")], etag='"v2"')
    second = feeds.watch_once(db_path, options(), now=NOW + timedelta(minutes=15))
    assert second.new_ids == [] and second.updated_ids == first.new_ids


def test_full_text_in_the_feed_is_used_without_fetching_the_page(server: NewsServer, db_path: Path) -> None:
    long_text = "".join(f"<p>{p}</p>" for p in STORIES["lighthouse"][1] * 6)
    serve_feed(server, "/feed.xml", [item(server, "lighthouse", content=long_text)])
    feeds.add_feed(db_path, server.url("/feed.xml"), allow_private=True)
    report = feeds.watch_once(db_path, options(), now=NOW)
    assert len(report.new_ids) == 1
    assert "/news/lighthouse.html" not in server.paths()


def test_bad_pages_and_feeds_are_reported_and_skipped_while_other_feeds_work(server: NewsServer, db_path: Path) -> None:
    serve_story(server, "ferry")
    server.routes["/news/slow.html"] = Route(hang=True)
    server.routes["/news/huge.html"] = Route(stream=20 * 1024 * 1024)
    server.routes["/news/report.pdf"] = Route(b"%PDF-1.4", content_type="application/pdf")
    bad_items = [
        {"title": "Missing page", "link": server.url("/news/missing.html")},
        {"title": "Slow page", "link": server.url("/news/slow.html")},
        {"title": "Huge page", "link": server.url("/news/huge.html")},
        {"title": "A PDF", "link": server.url("/news/report.pdf")},
    ]
    serve_feed(server, "/bad-items.xml", bad_items)
    serve_feed(server, "/good.xml", [item(server, "ferry")])
    server.routes["/broken.xml"] = Route(b"<?xml version='1.0'?><rss><channel><title>Broken</chan", content_type=RSS)
    server.routes["/hanging.xml"] = Route(hang=True)
    for path in ("/bad-items.xml", "/broken.xml", "/hanging.xml", "/gone.xml", "/good.xml"):
        feeds.add_feed(db_path, server.url(path), allow_private=True)

    report = feeds.watch_once(db_path, options(timeout=0.5), now=NOW)
    by_url = {f.url.rsplit("/", 1)[-1]: f for f in report.feeds}
    assert by_url["good.xml"].status == "ok" and len(report.new_ids) == 1
    assert by_url["broken.xml"].status == "failed" and "not a readable RSS/Atom feed" in by_url["broken.xml"].reason
    assert by_url["hanging.xml"].status == "failed" and "timed out" in by_url["hanging.xml"].reason
    assert by_url["gone.xml"].reason == "not found (404)"
    reasons = {i["url"].rsplit("/", 1)[-1]: i["reason"] for i in by_url["bad-items.xml"].items_failed}
    assert reasons["missing.html"] == "not found (404)"
    assert "timed out" in reasons["slow.html"]
    assert reasons["huge.html"].startswith("too large")
    assert reasons["report.pdf"] == "not an HTML page (application/pdf)"
    assert len(report.failures) == 7
    assert search_titles(db_path, "ferry engine")[0] == STORIES["ferry"][0]

    # Failed feeds and items wait (backoff) before they are tried again; the good feed is checked as usual.
    server.clear()
    soon = feeds.watch_once(db_path, options(timeout=0.5), now=NOW + timedelta(minutes=1))
    assert {f.url.rsplit("/", 1)[-1]: f.status for f in soon.feeds}["broken.xml"] == "waiting"
    assert not any(p.startswith(("/news/missing", "/broken")) for p in server.paths())
    later = feeds.watch_once(db_path, options(timeout=0.5), now=NOW + timedelta(hours=1))
    assert "/broken.xml" in server.paths() and "/news/missing.html" in server.paths()
    assert any("not found (404)" in line for line in later.failures)
    listed = {row["url"].rsplit("/", 1)[-1]: row for row in feeds.list_feeds(db_path)}
    assert (
        listed["broken.xml"]["failures"] == 2
        and listed["broken.xml"]["next_attempt_at"] > listed["broken.xml"]["last_checked"]
    )


def test_a_private_address_is_refused_without_the_setting_with_a_message_that_says_why(
    server: NewsServer, db_path: Path
) -> None:
    serve_story(server, "ferry")
    serve_feed(server, "/feed.xml", [item(server, "ferry")])
    with pytest.raises(feeds.FeedError) as refused:
        feeds.add_feed(db_path, server.url("/feed.xml"))
    assert "private" in str(refused.value) and "NEWSBOT_FETCH_ALLOW_PRIVATE=1" in str(refused.value)
    # A feed stored while it was allowed, or a host name that resolves to a private address, is refused at fetch
    # time, on the address actually connected to.
    for url in (server.url("/feed.xml"), f"http://localhost:{server.port}/feed.xml"):
        feeds.add_feed(db_path, url, allow_private=True)
    report = feeds.watch_once(db_path, options(allow_private=False), now=NOW)
    assert [f.status for f in report.feeds] == ["failed", "failed"]
    assert all("private" in f.reason and "NEWSBOT_FETCH_ALLOW_PRIVATE=1" in f.reason for f in report.feeds)
    assert server.requests == []


def test_robots_txt_is_respected(server: NewsServer, db_path: Path) -> None:
    serve_story(server, "ferry")
    server.routes["/private/lighthouse.html"] = Route(article_page(*STORIES["lighthouse"]))
    server.routes["/robots.txt"] = Route(b"User-agent: newsbot\nDisallow: /private/\n", content_type="text/plain")
    lighthouse = {"title": "Lighthouse", "link": server.url("/private/lighthouse.html")}
    serve_feed(server, "/feed.xml", [item(server, "ferry"), lighthouse])
    feeds.add_feed(db_path, server.url("/feed.xml"), allow_private=True)
    report = feeds.watch_once(db_path, options(), now=NOW)
    assert len(report.new_ids) == 1
    assert "robots.txt" in report.feeds[0].items_failed[0]["reason"]
    assert "/private/lighthouse.html" not in server.paths()
    assert server.paths().count("/robots.txt") == 1  # once per host and cycle
    assert all(r.headers["User-Agent"].startswith("newsbot/") for r in server.requests)


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (503, False)])
def test_robots_txt_that_is_missing_allows_and_one_that_errs_disallows(
    server: NewsServer, db_path: Path, status: int, allowed: bool
) -> None:
    serve_feed(server, "/feed.xml", [])
    server.routes["/robots.txt"] = Route(b"", status=status)
    feeds.add_feed(db_path, server.url("/feed.xml"), allow_private=True)
    report = feeds.watch_once(db_path, options(), now=NOW)
    assert (report.feeds[0].status == "ok") is allowed
    assert ("/feed.xml" in server.paths()) is allowed


def test_robots_txt_that_cannot_be_fetched_disallows(server: NewsServer, db_path: Path) -> None:
    # RFC 9309: a robots.txt unreachable through a network or server error means complete disallow.
    serve_feed(server, "/feed.xml", [])
    server.routes["/robots.txt"] = Route(b"", hang=True)
    feeds.add_feed(db_path, server.url("/feed.xml"), allow_private=True)
    report = feeds.watch_once(db_path, options(), now=NOW)
    assert report.feeds[0].status != "ok" and "/feed.xml" not in server.paths()


def test_redirects_are_followed_up_to_the_limit_and_each_hop_is_checked(server: NewsServer, db_path: Path) -> None:
    serve_story(server, "ferry")
    serve_feed(server, "/feed.xml", [item(server, "ferry")])
    server.routes["/moved.xml"] = Route(redirect=server.url("/feed.xml"))
    for n in range(7):
        server.routes[f"/loop{n}.xml"] = Route(redirect=f"/loop{n + 1}.xml")
    server.routes["/to-file.xml"] = Route(redirect="file:///etc/passwd")
    for path in ("/moved.xml", "/loop0.xml", "/to-file.xml"):
        feeds.add_feed(db_path, server.url(path), allow_private=True)
    report = feeds.watch_once(db_path, options(), now=NOW)
    by_url = {f.url.rsplit("/", 1)[-1]: f for f in report.feeds}
    assert by_url["moved.xml"].status == "ok" and by_url["moved.xml"].new == 1
    assert "more than 5 redirects" in by_url["loop0.xml"].reason
    assert "/loop6.xml" not in server.paths()
    assert "only http and https" in by_url["to-file.xml"].reason


@pytest.mark.parametrize(
    "url", ["ftp://example.com/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "example.com/feed", "http://"]
)
def test_only_http_and_https_urls_can_be_added(db_path: Path, url: str) -> None:
    with pytest.raises(feeds.FeedError) as refused:
        feeds.add_feed(db_path, url, allow_private=True)
    assert "http" in str(refused.value) or "host" in str(refused.value)
    assert feeds.list_feeds(db_path) == []


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("fc00::1", True),
        ("::ffff:127.0.0.1", True),
        ("2002:7f00:1::", True),  # 6to4 around 127.0.0.1
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
    ],
)
def test_blocked_ip(address: str, blocked: bool) -> None:
    assert blocked_ip(address) is blocked


def test_spool_records_are_json_files_beside_the_database(server: NewsServer, db_path: Path) -> None:
    serve_story(server, "ferry")
    serve_feed(server, "/feed.xml", [item(server, "ferry", date=NOW)])
    feeds.add_feed(db_path, server.url("/feed.xml"), "Harbour Times", allow_private=True)
    feeds.watch_once(db_path, options(), now=NOW)
    (path,) = feeds.spool_dir(db_path).rglob("*.json")
    record = json.loads(path.read_text())
    assert record["id"] == record["url"] == server.url("/news/ferry.html")
    assert record["source"] == "Harbour Times" and record["date"].startswith("2026-12-03")
    assert "engine repairs" in record["text"] and record["title"] == STORIES["ferry"][0]


def test_a_failed_item_is_stored_once_its_page_is_back_even_when_the_feed_is_not_modified(
    server: NewsServer, db_path: Path
) -> None:
    serve_feed(server, "/feed.xml", [item(server, "orchard")])
    feeds.add_feed(db_path, server.url("/feed.xml"), allow_private=True)
    first = feeds.watch_once(db_path, options(), now=NOW)
    assert first.feeds[0].items_failed[0]["reason"] == "not found (404)"
    serve_story(server, "orchard")
    later = feeds.watch_once(db_path, options(), now=NOW + timedelta(hours=1))
    assert later.feeds[0].status == "not modified" and len(later.new_ids) == 1 and later.failures == []
    assert search_titles(db_path, "cider festival")[0] == STORIES["orchard"][0]


@pytest.mark.asyncio
async def test_requests_to_one_host_are_spaced_by_the_host_delay(server: NewsServer) -> None:
    serve_story(server, "ferry")
    serve_story(server, "orchard")
    async with Fetcher(FetchPolicy(allow_private=True, host_delay=0.3, timeout=5)) as fetcher:
        started = time.monotonic()
        for key in ("ferry", "orchard"):
            await fetcher.get(server.url(f"/news/{key}.html"))
        elapsed = time.monotonic() - started
    # robots.txt, then two pages: two gaps of at least the delay (a lower bound, whatever the machine's speed).
    assert server.paths() == ["/robots.txt", "/news/ferry.html", "/news/orchard.html"]
    assert elapsed >= 0.6
