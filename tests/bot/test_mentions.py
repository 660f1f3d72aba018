"""Mentions and DMs: answered like /ask as a reply; never to bots or itself; only in enabled channels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.bot_harness import (
    APP_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    check_limits,
    custom_ids,
    mention_message,
    settle,
)

MARCH = datetime(2024, 3, 10, tzinfo=UTC)


async def post(bot, payload):
    bot._connection.parse_message_create(payload)
    await settle()


@pytest.mark.asyncio
async def test_mention_is_answered_as_a_reply(newsbot, recorder):
    msg = mention_message("what budget did the council approve for the library?", at=MARCH)
    await post(newsbot, msg)
    sent = recorder.of("send")
    assert len(sent) == 1
    reply = sent[0]
    check_limits(reply)
    assert reply.url.endswith(f"/channels/{CHANNEL_ID}/messages")
    assert reply.json["message_reference"]["message_id"] == int(msg["id"])
    assert reply.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert "Council approves budget" in reply.json["embeds"][0]["fields"][0]["name"]
    assert custom_ids(reply)[0] == f"nb:more:{msg['id']}"
    await newsbot.store.flush()
    row = await newsbot.store.query(int(msg["id"]))
    assert row["surface"] == "mention" and row["as_of"] == MARCH.isoformat()
    assert row["query"] == "what budget did the council approve for the library?"


@pytest.mark.asyncio
async def test_dm_is_answered_without_a_mention(newsbot, recorder):
    await post(newsbot, mention_message("storm coastal highway", guild=False, at=MARCH))
    sent = recorder.of("send")
    assert len(sent) == 1 and "Storm closes coastal highway" in sent[0].json["embeds"][0]["fields"][0]["name"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda: mention_message("library budget", bot_author=True), id="other bot"),
        pytest.param(lambda: mention_message("library budget", author_id=APP_ID, bot_author=True), id="itself"),
        pytest.param(lambda: mention_message("library budget", mention_bot=False), id="no mention"),
    ],
)
async def test_not_answered(newsbot, recorder, payload):
    await post(newsbot, payload())
    assert recorder.of("send") == []


@pytest.mark.asyncio
async def test_only_enabled_channels_are_answered(newsbot, recorder):
    await newsbot.store.set_guild_settings(GUILD_ID, answer_channels=[OTHER_CHANNEL_ID])
    await post(newsbot, mention_message("library budget", channel_id=CHANNEL_ID))
    assert recorder.of("send") == []
    await post(newsbot, mention_message("library budget", channel_id=OTHER_CHANNEL_ID, at=MARCH))
    assert len(recorder.of("send")) == 1


@pytest.mark.asyncio
async def test_empty_mention_gets_a_hint(newsbot, recorder):
    await post(newsbot, mention_message(""))
    sent = recorder.of("send")
    assert len(sent) == 1 and "Ask me a question" in sent[0].json["embeds"][0]["description"]


@pytest.mark.asyncio
async def test_mention_cooldown(make_bot, news_db, recorder):
    bot = await make_bot(news_db, cooldown_seconds=60)
    await post(bot, mention_message("library budget", at=MARCH))
    await post(bot, mention_message("storm highway", at=MARCH))
    sent = recorder.of("send")
    assert len(sent) == 2 and "you can ask again in" in sent[1].json["content"]
    check_limits(sent[1])
