"""Per-channel sources: /config limits a channel's answers to some outlets, and the answer says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.bot_harness import (
    CHANNEL_ID,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    channel_payload,
    mention_message,
    run,
    settle,
    slash,
)

MARCH = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
MANAGE_GUILD = 1 << 5


async def configure(bot, recorder, options, *, channel=None):
    payload = slash("config", options, permissions=MANAGE_GUILD)
    if channel is not None:
        payload["data"]["resolved"] = {"channels": {str(channel): {**channel_payload(channel), "permissions": "0"}}}
        for opt in payload["data"]["options"]:
            if opt["name"] == "sources_in":
                opt["type"] = 7
    return await run(bot, recorder, payload)


@pytest.mark.asyncio
async def test_channel_limited_to_outlets_answers_only_from_them(newsbot, recorder):
    calls = await configure(newsbot, recorder, {"sources": "Springfield Gazette, Coast Herald"})
    text = calls[-1].body["content"]
    assert f"<#{CHANNEL_ID}>: Springfield Gazette, Coast Herald" in text
    assert newsbot.store.guild_settings(GUILD_ID).sources_in(CHANNEL_ID) == ("Springfield Gazette", "Coast Herald")

    calls = await run(newsbot, recorder, slash("ask", {"question": "What budget did the council approve?"}, at=MARCH))
    embed = next(c for c in calls if c.kind == "followup").embeds[0]
    assert embed["description"].startswith(
        "-# This channel's answers come only from: Springfield Gazette, Coast Herald (set with /config)."
    )
    assert all("Springfield Gazette" in f["value"] or "Coast Herald" in f["value"] for f in embed["fields"])
    calls = await run(newsbot, recorder, slash("ask", {"question": "What did Kim say about sanctions?"}, at=MARCH))
    assert "Kim says sanctions" not in str(next(c for c in calls if c.kind == "followup").embeds)

    # With the limit lifted, every outlet answers again.
    await newsbot.store.set_guild_settings(GUILD_ID, channel_sources=(CHANNEL_ID, []))
    calls = await run(newsbot, recorder, slash("ask", {"question": "What did Kim say about sanctions?"}, at=MARCH))
    assert "Kim says sanctions" in next(c for c in calls if c.kind == "followup").embeds[0]["fields"][0]["name"]


@pytest.mark.asyncio
async def test_source_outside_the_channel_limit_is_refused(newsbot, recorder):
    await newsbot.store.set_guild_settings(GUILD_ID, channel_sources=(CHANNEL_ID, ["Coast Herald"]))
    calls = await run(newsbot, recorder, slash("ask", {"question": "sanctions", "source": "Example Wire"}, at=MARCH))
    assert "This channel answers only from Coast Herald" in calls[-1].body["content"]


@pytest.mark.asyncio
async def test_mentions_and_other_channels_and_lifting_the_limit(newsbot, recorder):
    await configure(
        newsbot, recorder, {"sources": "Coast Herald", "sources_in": str(OTHER_CHANNEL_ID)}, channel=OTHER_CHANNEL_ID
    )
    assert newsbot.store.guild_settings(GUILD_ID).sources_in(OTHER_CHANNEL_ID) == ("Coast Herald",)
    assert newsbot.store.guild_settings(GUILD_ID).sources_in(CHANNEL_ID) == ()
    question = "Why did the storm close the coastal highway?"
    newsbot._connection.parse_message_create(mention_message(question, channel_id=OTHER_CHANNEL_ID, at=MARCH))
    await settle()
    embed = recorder.of("send")[-1].json["embeds"][0]
    assert "come only from: Coast Herald" in embed["description"]
    assert all("Coast Herald" in f["value"] for f in embed["fields"])

    calls = await configure(
        newsbot, recorder, {"all_sources": True, "sources_in": str(OTHER_CHANNEL_ID)}, channel=OTHER_CHANNEL_ID
    )
    assert "Every channel is answered from every outlet." in calls[-1].body["content"]
    assert newsbot.store.guild_settings(GUILD_ID).channel_sources == {}


@pytest.mark.asyncio
async def test_channel_sources_survive_a_restart(make_bot, news_db, recorder):
    first = await make_bot(news_db)
    await first.store.set_guild_settings(GUILD_ID, channel_sources=(CHANNEL_ID, ["Coast Herald"]))
    await first.close()
    second = await make_bot(news_db)
    assert second.store.guild_settings(GUILD_ID).sources_in(CHANNEL_ID) == ("Coast Herald",)
    # A thread under the channel is limited like its parent.
    assert second.store.guild_settings(GUILD_ID).sources_in(123, parent_id=CHANNEL_ID) == ("Coast Herald",)
