"""/follow, /unfollow, /follows, and the posting of new matching articles, through discord.py's real objects."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from helpers.bot_harness import (
    CHANNEL_ID,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    TOKEN,
    Call,
    autocomplete,
    channel_payload,
    check_limits,
    settle,
    slash,
)
from helpers.searchdb import write_articles

from bot.config import ConfigError, load_settings
from bot.exts import follow as follow_ext
from bot.store import migrate
from index.ingest.feeds import CycleReport
from index.models import Article
from index.search.build import rebuild

MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
_n = 0


def lighthouse(title: str, *paragraphs: str, outlet: str = "Harbour Times", url: str | None = None) -> Article:
    global _n
    _n += 1
    text = list(paragraphs) or [f"The lighthouse restoration on the north pier reached stage {_n} this week."]
    return Article(
        source_id=f"follow-{_n}",
        title=title,
        paragraphs=text,
        outlet=outlet,
        published="2026-11-20",
        url=url or f"https://harbour.example/{_n}",
    )


async def add_articles(bot, *articles: Article) -> list[int]:
    """Store articles and build a new index generation, as a watch cycle or `newsbot index` does."""
    ids = write_articles(bot.settings.db, [(a, None, None, None) for a in articles])
    rebuild(bot.settings.db, progress=False)
    await bot.engine.reload()
    return ids


async def run(bot, recorder, payload: dict[str, Any]) -> dict[str, Any]:
    bot._connection.parse_interaction_create(payload)
    await settle()
    calls = recorder.for_interaction(payload)
    return [c for c in calls if c.kind == "followup"][-1].body


SEE_AND_SEND = (1 << 10) | (1 << 11)  # View Channel, Send Messages


async def follow(
    bot,
    recorder,
    query: str,
    *,
    channel: int | None = None,
    permissions: int = MANAGE_CHANNELS,
    channel_permissions: int = SEE_AND_SEND,
) -> str:
    options: dict[str, Any] = {"query": query}
    resolved = None
    if channel is not None:
        options["channel"] = str(channel)
        resolved = {"channels": {str(channel): {**channel_payload(channel), "permissions": str(channel_permissions)}}}
    payload = slash("follow", options, permissions=permissions, resolved=resolved)
    if channel is not None:
        payload["data"]["options"][1]["type"] = 7  # a channel option
    body = await run(bot, recorder, payload)
    assert body["flags"] & 64 and body["allowed_mentions"] == {"parse": []}
    return body["content"]


def posts(recorder, channel: int = CHANNEL_ID) -> list[Call]:
    return [c for c in recorder.of("send") if f"/channels/{channel}/messages" in c.url]


def titles(call: Call) -> list[str]:
    return [e["title"] for e in call.embeds]


@pytest.mark.asyncio
async def test_three_new_matching_articles_are_posted_once_grouped_and_never_again(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    said = await follow(bot, recorder, "lighthouse restoration -football")
    assert said.startswith("Following **lighthouse restoration -football** in <#") and "#1" in said
    assert await bot.follows.on_update("test") == 0  # the archive's past is not posted

    await add_articles(
        bot,
        lighthouse("Lighthouse restoration begins"),
        lighthouse("Lighthouse restoration: scaffolding goes up"),
        lighthouse("Council funds the lighthouse restoration"),
        lighthouse("Football club wins the lighthouse restoration cup"),  # excluded by -football
        lighthouse("Ferry timetable changes", "The winter ferry timetable starts on Monday with fewer crossings."),
    )
    assert await bot.follows.on_update("test") == 1
    [post] = posts(recorder)
    check_limits(post)
    assert post.body["allowed_mentions"] == {"parse": []}
    assert sorted(titles(post)) == sorted(
        ["Lighthouse restoration begins", "Lighthouse restoration: scaffolding goes up",
         "Council funds the lighthouse restoration"]
    )  # fmt: skip
    embed = post.embeds[0]
    assert embed["url"].startswith("https://harbour.example/") and "**lighthouse restoration**" in embed["description"]
    assert "Harbour Times · 20 Nov 2026" in embed["description"]
    assert post.body["content"].startswith("**3 new articles** for the followed topic **lighthouse restoration")

    assert await bot.follows.on_update("again") == 0  # nothing new: nothing posted twice
    restarted = await make_bot(news_db)  # a new bot on the same database
    assert await restarted.follows.on_update("restart") == 0
    assert len(posts(recorder)) == 1


@pytest.mark.asyncio
async def test_feed_cycles_and_reindex_trigger_posting(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    await follow(bot, recorder, "lighthouse")
    await add_articles(bot, lighthouse("Lighthouse keeper retires"))
    await bot.feed_poller._notify(CycleReport())  # what the poller calls after a cycle that stored something
    assert titles(posts(recorder)[-1]) == ["Lighthouse keeper retires"]

    await add_articles(bot, lighthouse("Lighthouse lamp relit"))
    bot.dispatch("archive_updated", "reindex")  # what /reindex sends once its new index is in service
    await settle()
    assert titles(posts(recorder)[-1]) == ["Lighthouse lamp relit"]
    assert len(posts(recorder)) == 2


@pytest.mark.asyncio
async def test_an_index_built_outside_the_bot_is_noticed_at_the_next_check(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    await follow(bot, recorder, "lighthouse")
    assert await bot.follows.check_index() == 0  # nothing new: no pass at all
    # `newsbot index` from a terminal: the store and a new generation change, and the bot is not told.
    write_articles(news_db, [(lighthouse("Lighthouse open to visitors"), None, None, None)])
    rebuild(news_db, progress=False)
    assert await bot.follows.check_index() == 1
    assert titles(posts(recorder)[-1]) == ["Lighthouse open to visitors"]
    assert await bot.follows.check_index() == 0


@pytest.mark.asyncio
async def test_a_burst_beyond_one_message_is_summarised(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    await follow(bot, recorder, "lighthouse")
    await add_articles(bot, *[lighthouse(f"Lighthouse story {i}") for i in range(8)])
    assert await bot.follows.on_update() == 1
    [post] = posts(recorder)
    check_limits(post)
    assert len(post.embeds) == follow_ext.PER_MESSAGE
    assert "…and 3 more: `/search` with the same query" in post.body["content"]
    assert await bot.follows.on_update() == 0  # the summarised ones are not posted later


@pytest.mark.asyncio
async def test_the_hourly_cap_holds_and_what_waits_is_posted_after_the_hour(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    bot.follows.clock = lambda: now
    await follow(bot, recorder, "lighthouse")
    for i in range(follow_ext.HOURLY_CAP):
        await add_articles(bot, lighthouse(f"Lighthouse update {i}"))
        assert await bot.follows.on_update() == 1
        now += timedelta(minutes=5)
    await add_articles(bot, lighthouse("Lighthouse update past the cap"))
    assert await bot.follows.on_update() == 0  # the cap: the article waits
    assert len(posts(recorder)) == follow_ext.HOURLY_CAP
    now += timedelta(minutes=35)  # the first post is now over an hour old
    assert await bot.follows.on_update() == 1
    assert titles(posts(recorder)[-1]) == ["Lighthouse update past the cap"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (404, 10003, "the channel was deleted"),
        (403, 50013, "I may not post there"),
        (403, 50001, "I may not post"),
        (400, 50083, "the thread is archived or locked"),
        (400, 160005, "the thread is archived or locked"),
    ],
)
async def test_a_deleted_channel_or_missing_permission_disables_the_follow(
    make_bot, news_db, recorder, caplog, status, code, reason
) -> None:
    bot = await make_bot(news_db)
    await follow(bot, recorder, "lighthouse", channel=OTHER_CHANNEL_ID)
    recorder.fail("POST", f"/channels/{OTHER_CHANNEL_ID}/messages", status, code=code, times=100)
    await add_articles(bot, lighthouse("Lighthouse gets a new lens"))
    with caplog.at_level(logging.WARNING, logger="bot.exts.follow"):
        assert await bot.follows.on_update() == 0
    assert any("disabled" in r.getMessage() and reason in r.getMessage() for r in caplog.records)
    [stored] = await bot.store.follows(GUILD_ID)
    assert stored.disabled_reason.startswith(reason)

    await add_articles(bot, lighthouse("Lighthouse lens installed"))
    assert await bot.follows.on_update() == 0
    assert len(posts(recorder, OTHER_CHANNEL_ID)) == 1  # no second attempt: no crash loop
    listed = (await run(bot, recorder, slash("follows")))["embeds"][0]["description"]
    assert "disabled" in listed and reason in listed


@pytest.mark.asyncio
async def test_other_errors_are_retried_at_the_next_update(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    await follow(bot, recorder, "lighthouse")
    recorder.fail("POST", f"/channels/{CHANNEL_ID}/messages", 500)
    await add_articles(bot, lighthouse("Lighthouse closed for a storm"))
    assert await bot.follows.on_update() == 0
    assert await bot.follows.on_update() == 1
    assert [titles(c) for c in posts(recorder)] == [["Lighthouse closed for a storm"]] * 2  # failed, then sent
    [stored] = await bot.store.follows(GUILD_ID)
    assert stored.disabled_reason is None and stored.last_post_at


@pytest.mark.asyncio
async def test_who_may_follow(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    refused = await follow(bot, recorder, "lighthouse", permissions=0)
    assert refused.startswith("Following topics in this server needs the Manage Channels permission")
    payload = slash("unfollow", {"follow": "1"}, permissions=MANAGE_GUILD)
    assert (await run(bot, recorder, payload))["content"].startswith("Following topics in this server needs")
    assert await bot.store.follows(GUILD_ID) == []

    strict = await make_bot(news_db, follow_permission="manage_guild")
    said = await follow(strict, recorder, "lighthouse", permissions=MANAGE_CHANNELS)
    assert "Manage Server" in said
    assert (await follow(strict, recorder, "lighthouse", permissions=MANAGE_GUILD)).startswith("Following")

    open_ = await make_bot(news_db, follow_permission="everyone")
    assert (await follow(open_, recorder, "harbour", permissions=0)).startswith("Following")

    # Discord hides the commands from members without the permission (none is needed to list follows).
    synced = {c["name"]: c for c in recorder.of("sync")[0].json}
    assert int(synced["follow"]["default_member_permissions"]) == MANAGE_CHANNELS
    assert int(synced["unfollow"]["default_member_permissions"]) == MANAGE_CHANNELS
    assert synced["follows"].get("default_member_permissions") is None


@pytest.mark.asyncio
async def test_queries_are_checked_and_follows_capped(newsbot, recorder) -> None:
    refused = await follow(newsbot, recorder, "-football -cricket")
    assert refused.startswith("Tell me at least one word") and "/follow query:" in refused
    assert (await follow(newsbot, recorder, "lighthouse")).startswith("Following")
    assert "already follows" in await follow(newsbot, recorder, "lighthouse")
    newsbot.follows.max_follows = 2
    assert (await follow(newsbot, recorder, "harbour")).startswith("Following")
    full = await follow(newsbot, recorder, "ferry")
    assert full.startswith("This server follows 2 topics already") and "/unfollow" in full


@pytest.mark.asyncio
async def test_follows_lists_and_unfollow_stops(newsbot, recorder) -> None:
    empty = await run(newsbot, recorder, slash("follows"))
    assert empty["content"].startswith("This server follows no topic yet")
    await follow(newsbot, recorder, "lighthouse @everyone")
    await follow(newsbot, recorder, '"city council" budget', channel=OTHER_CHANNEL_ID)
    body = await run(newsbot, recorder, slash("follows"))
    assert body["embeds"][0]["title"] == "Followed topics: 2 of at most 25" and body["flags"] & 64
    listed = body["embeds"][0]["description"]
    assert f"<#{OTHER_CHANNEL_ID}>" in listed and "nothing posted yet" in listed
    assert "@\u200beveryone" in listed and "<t:" in listed

    newsbot._connection.parse_interaction_create(autocomplete("unfollow", {"follow": "council"}, "follow"))
    await settle()
    [choices] = [c.json["data"]["choices"] for c in recorder.of("callback") if c.json.get("type") == 8][-1:]
    assert [c["value"] for c in choices] == ["2"] and choices[0]["name"].startswith('#2 "city council" budget')

    stopped = await run(newsbot, recorder, slash("unfollow", {"follow": "2"}, permissions=MANAGE_CHANNELS))
    assert stopped["content"].startswith('Stopped following **"city council" budget**')
    missing = await run(newsbot, recorder, slash("unfollow", {"follow": "2"}, permissions=MANAGE_CHANNELS))
    assert missing["content"].startswith("No such follow in this server")
    assert [f.id for f in await newsbot.store.follows(GUILD_ID)] == [1]


@pytest.mark.asyncio
async def test_a_full_list_of_long_follows_stays_within_limits(newsbot, recorder) -> None:
    forbidden = discord.Forbidden(SimpleNamespace(status=403, reason="Forbidden"), {"code": 50013, "message": "no"})
    for i in range(25):
        query = f"topic{i} " + "lengthy " * 40
        await newsbot.store.add_follow(GUILD_ID, CHANNEL_ID, query, None, 25)
        [last] = (await newsbot.store.follows(GUILD_ID))[-1:]
        await newsbot.store.disable_follow(last.id, follow_ext.disabling_reason(forbidden) or "")
    payload = slash("follows")
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    [answer] = [c for c in recorder.for_interaction(payload) if c.kind == "followup"]
    check_limits(answer)
    description = answer.embeds[0]["description"]
    shown = description.count("**#")
    assert 0 < shown < 25 and description.endswith(f"…and {25 - shown} more: the `/unfollow` list shows them all.")


@pytest.mark.asyncio
async def test_hostile_and_enormous_articles_are_posted_escaped_within_limits(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    await follow(bot, recorder, "lighthouse")
    huge = " ".join(["the lighthouse beam swept across the bay while keepers logged every ship"] * 80)
    await add_articles(
        bot,
        lighthouse("**Lighthouse** @everyone [click](https://evil.example) " + "x" * 300, huge),
        lighthouse("Lighthouse <@123456789012345678> party", "Lighthouse fans @here see https://evil.example/x now."),
    )
    assert await bot.follows.on_update() == 1
    [post] = posts(recorder)
    check_limits(post)
    text = str(post.embeds) + post.body["content"]
    assert "@everyone" not in text and "@here" not in text and "<@123" not in text
    assert "[click](" not in text


def test_the_follow_tables_record_posts_with_a_unique_key(news_db: Path) -> None:
    conn = sqlite3.connect(news_db, isolation_level=None)
    migrate(conn)
    conn.execute("INSERT INTO follows(guild_id, channel_id, query, created_at) VALUES (1, 2, 'x', 'now')")
    conn.execute("INSERT INTO follow_posts(follow_id, article_id, posted_at) VALUES (1, 5, 'now')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO follow_posts(follow_id, article_id, posted_at) VALUES (1, 5, 'later')")
    conn.close()


@pytest.mark.parametrize(("value", "expected"), [(None, "manage_channels"), ("Manage_Guild", "manage_guild")])
def test_follow_permission_setting(value, expected) -> None:
    env = {"DISCORD_TOKEN": TOKEN} | ({"NEWSBOT_FOLLOW_PERMISSION": value} if value else {})
    assert load_settings(env=env, dotenv_path=None).follow_permission == expected


def test_a_bad_follow_permission_says_what_is_allowed() -> None:
    with pytest.raises(ConfigError, match="manage_channels, manage_guild, everyone"):
        load_settings(env={"DISCORD_TOKEN": TOKEN, "NEWSBOT_FOLLOW_PERMISSION": "admins"}, dotenv_path=None)


@pytest.mark.asyncio
async def test_articles_stored_before_the_index_covers_them_are_matched_once_it_does(
    make_bot, news_db, recorder
) -> None:
    bot = await make_bot(news_db)
    await follow(bot, recorder, "lighthouse")
    # An index run has stored the article but not yet built the generation that covers it.
    write_articles(news_db, [(lighthouse("Lighthouse keeper's cottage restored"), None, None, None)])
    assert await bot.follows.on_update("a pass while the index is still building") == 0
    assert not posts(recorder)
    rebuild(news_db, progress=False)  # the run finishes: now it is searchable, and posted
    assert await bot.follows.check_index() == 1
    assert titles(posts(recorder)[-1]) == ["Lighthouse keeper's cottage restored"]


@pytest.mark.asyncio
async def test_a_member_cannot_follow_into_a_channel_they_cannot_see(make_bot, news_db, recorder) -> None:
    bot = await make_bot(news_db)
    said = await follow(bot, recorder, "lighthouse", channel=OTHER_CHANNEL_ID, channel_permissions=0)
    assert "where you can see and send messages" in said
    assert await bot.store.follows() == []
