"""/feeds for the bot's owner (and admins only by opt-in), and the background poller feeding the archive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers.bot_harness import OTHER_USER_ID, TOKEN, USER_ID, settle, slash
from helpers.newsserver import NewsServer, Route, article_page, rss

from bot.config import ConfigError, load_settings
from bot.exts.admin import FEEDS_UPDATING
from index.ingest import feeds
from index.ingest.fetch import FetchPolicy

MANAGE_GUILD = 1 << 5
STORY = (
    "Zeppelin hangar becomes a concert hall",
    [
        "The old zeppelin hangar at the edge of town reopened on Friday as a concert hall with three thousand seats.",
        "The conversion took four years and kept the hangar's steel arches, which now carry the stage lighting.",
        "The first concert, by the city orchestra, sold out within an hour.",
    ],
)


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with NewsServer().running() as running:
        running.routes["/news/hangar.html"] = Route(article_page(*STORY))
        items = [{"title": STORY[0], "link": running.url("/news/hangar.html")}]
        running.routes["/feed.xml"] = Route(rss("Town Crier", items), content_type="application/rss+xml")
        yield running


def feeds_command(action: str, options: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    """A /feeds subcommand's payload: the subcommand is an option of type 1 holding its own options."""
    payload = slash("feeds", **kwargs)
    inner = [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]
    payload["data"]["options"] = [{"name": action, "type": 1, "options": inner}]
    return payload


async def run(bot, recorder, action: str, options: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    payload = feeds_command(action, options, **kwargs)
    bot._connection.parse_interaction_create(payload)
    await settle()
    calls = recorder.for_interaction(payload)
    answers = [c for c in calls if c.kind == "followup"] or [c for c in calls if c.kind == "callback"]
    return answers[-1].body


@pytest.mark.asyncio
async def test_the_owner_adds_lists_and_removes_feeds(make_bot, news_db, recorder, server) -> None:
    bot = await make_bot(news_db, fetch_allow_private=True)
    url = server.url("/feed.xml")
    added = await run(bot, recorder, "add", {"url": url, "name": "Town @everyone Crier"})
    assert added["content"].startswith(f"Added `{url}` as **Town @\u200beveryone Crier**")
    assert added["allowed_mentions"] == {"parse": []} and added["flags"] & 64
    again = await run(bot, recorder, "add", {"url": url})
    assert again["content"].startswith("Already polled")
    listed = await run(bot, recorder, "list")
    assert url in listed["content"] and "not checked yet" in listed["content"]
    removed = await run(bot, recorder, "remove", {"url": url})
    assert removed["content"].startswith(f"Removed `{url}`") and "stay in the archive" in removed["content"]
    assert feeds.list_feeds(news_db) == []
    missing = await run(bot, recorder, "remove", {"url": url})
    assert missing["content"].startswith("No such feed")


@pytest.mark.asyncio
async def test_a_private_address_is_refused_unless_the_owner_allows_it(make_bot, news_db, recorder, server) -> None:
    bot = await make_bot(news_db)
    reply = await run(bot, recorder, "add", {"url": server.url("/feed.xml")})
    assert reply["content"].startswith("Feed not added:")
    assert "private" in reply["content"] and "NEWSBOT\\_FETCH\\_ALLOW\\_PRIVATE=1" in reply["content"]
    ftp = await run(bot, recorder, "add", {"url": "ftp://example.com/feed.xml"})
    assert "only http and https" in ftp["content"]
    assert feeds.list_feeds(news_db) == []


@pytest.mark.asyncio
async def test_server_admins_manage_feeds_only_when_the_owner_allows_it(make_bot, news_db, recorder, server) -> None:
    url = server.url("/feed.xml")
    bot = await make_bot(news_db, fetch_allow_private=True)
    refused = await run(bot, recorder, "add", {"url": url}, user_id=OTHER_USER_ID, permissions=MANAGE_GUILD)
    assert refused["content"].startswith("Only the bot's owner can change the feeds")
    assert "NEWSBOT_ADMINS_MANAGE_ARCHIVE=1" in refused["content"] and refused["flags"] & 64
    assert feeds.list_feeds(news_db) == []

    opted = await make_bot(news_db, fetch_allow_private=True, admins_manage_archive=True)
    member = await run(opted, recorder, "add", {"url": url}, user_id=OTHER_USER_ID, permissions=0)
    assert member["content"].startswith("Only the bot's owner")
    admin = await run(opted, recorder, "add", {"url": url}, user_id=OTHER_USER_ID, permissions=MANAGE_GUILD)
    assert admin["content"].startswith("Added")


@pytest.mark.asyncio
async def test_the_poller_stores_new_articles_reloads_the_index_and_tells_its_listeners(
    make_bot, news_db, recorder, server
) -> None:
    bot = await make_bot(news_db, fetch_allow_private=True)
    poller = bot.feed_poller
    poller.options = feeds.WatchOptions(policy=FetchPolicy(allow_private=True, host_delay=0, timeout=5))
    assert await poller.run_once() is None  # no feeds: nothing fetched
    feeds.add_feed(news_db, server.url("/feed.xml"), allow_private=True)
    heard: list[list[int]] = []

    async def listener(report: feeds.CycleReport) -> None:
        heard.append(report.new_ids)

    poller.listeners.append(listener)
    old = bot.engine.generation
    report = await poller.run_once()
    assert report is not None and report.failures == [] and len(report.new_ids) == 1
    assert heard == [report.new_ids]
    assert bot.engine.generation != old

    q = slash("search", {"query": "zeppelin hangar concert"}, at=datetime(2030, 1, 1, tzinfo=UTC))
    bot._connection.parse_interaction_create(q)
    await settle()
    shown = str([c.json for c in recorder.for_interaction(q)])
    assert STORY[0] in shown

    again = await poller.run_once()
    assert again is not None and again.new_ids == [] and len(heard) == 1  # nothing new: listeners not called


@pytest.mark.asyncio
async def test_the_poller_updates_the_archive_only_under_the_lock_that_reindex_takes(
    make_bot, news_db, recorder, server, monkeypatch
) -> None:
    bot = await make_bot(news_db, fetch_allow_private=True, archive=Path(news_db).parent)
    feeds.add_feed(news_db, server.url("/feed.xml"), allow_private=True)
    held: list[bool] = []
    monkeypatch.setattr(feeds, "store_spooled", lambda db, report: held.append(bot.archive_lock.locked()))
    await bot.feed_poller.run_once()
    assert held == [True]

    # While the poller holds it, /reindex says so instead of writing beside it.
    await bot.archive_lock.acquire()
    try:
        ran: list[Any] = []
        bot.get_cog("Admin").work = lambda *a, **k: ran.append(a)
        payload = slash("reindex", {}, user_id=USER_ID, permissions=MANAGE_GUILD)
        bot._connection.parse_interaction_create(payload)
        await settle()
        reply = recorder.for_interaction(payload)[0].json["data"]
        assert reply["content"] == FEEDS_UPDATING and ran == []
    finally:
        bot.archive_lock.release()


@pytest.mark.asyncio
async def test_polling_waits_for_the_connection_and_stops_with_the_bot(make_bot, news_db) -> None:
    bot = await make_bot(news_db)
    task = bot.feed_poller._task
    assert task is not None and not task.done()  # waiting until the bot is ready: no fetch in tests
    await bot.feed_poller.stop()
    assert task.cancelled()
    off = await make_bot(news_db, feed_interval=0)
    assert off.feed_poller._task is None


def test_feed_settings_are_read_when_the_bot_starts() -> None:
    env = {"DISCORD_TOKEN": TOKEN, "NEWSBOT_FEED_INTERVAL": "120", "NEWSBOT_FETCH_ALLOW_PRIVATE": "1"}
    settings = load_settings(env=env, dotenv_path=None)
    assert settings.feed_interval == 120.0 and settings.fetch_allow_private is True
    defaults = load_settings(env={"DISCORD_TOKEN": TOKEN}, dotenv_path=None)
    assert defaults.feed_interval == 900.0 and defaults.fetch_allow_private is False
    with pytest.raises(ConfigError, match="NEWSBOT_FEED_INTERVAL"):
        load_settings(env={"DISCORD_TOKEN": TOKEN, "NEWSBOT_FEED_INTERVAL": "soon"}, dotenv_path=None)
