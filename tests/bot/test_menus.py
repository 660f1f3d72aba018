"""Message context menus: "Ask newsbot" and "Find coverage", on text, on embeds only, and on nothing searchable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.bot_harness import (
    USER_ID,
    custom_ids,
    message_menu,
    message_payload,
    run,
    snowflake,
    user_payload,
)

MARCH = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
SOMEONE = user_payload(USER_ID + 7, "someone")


def posted(**kw):
    return message_payload(snowflake(MARCH), author=SOMEONE, **kw)


@pytest.mark.asyncio
async def test_ask_newsbot_answers_the_message_text_privately(newsbot, recorder):
    msg = posted(content="What budget did the council approve for the library? @everyone <@123456789012345678>")
    payload = message_menu("Ask newsbot", msg, at=MARCH)
    calls = await run(newsbot, recorder, payload)
    assert calls[0].json == {"type": 5, "data": {"flags": 64}}  # deferred, private
    answer = next(c for c in calls if c.kind == "followup")
    assert answer.body["flags"] & 64
    embed = answer.embeds[0]
    assert embed["title"].startswith("What budget did the council approve for the library?")
    assert "<@123" not in embed["title"]  # the mention token is not part of the question
    assert embed["fields"][0]["name"].startswith("[1] Council approves budget")
    assert custom_ids(answer)[0].startswith("nb:more:")
    assert custom_ids(answer)[-1].startswith("nb:share:")  # a private answer can be shared
    await newsbot.store.flush()
    row = await newsbot.store.query(int(payload["id"]))
    assert row["surface"] == "menu" and row["query"].startswith("What budget did the council approve")


@pytest.mark.asyncio
async def test_ask_newsbot_on_a_message_with_embeds_only(newsbot, recorder):
    embed = {
        "type": "rich",
        "title": "Storm closes the coastal highway",
        "description": "Waves washed sand onto the road.",
    }
    msg = posted(content="", embeds=[embed])
    calls = await run(newsbot, recorder, message_menu("Ask newsbot", msg, at=MARCH))
    answer = next(c for c in calls if c.kind == "followup")
    assert answer.embeds[0]["fields"][0]["name"].startswith("[1] Storm closes coastal highway")


@pytest.mark.asyncio
async def test_menus_on_a_message_with_nothing_to_search(newsbot, recorder):
    msg = posted(content="<@123456789012345678> https://example.com/x.png")
    for name in ("Ask newsbot", "Find coverage"):
        calls = await run(newsbot, recorder, message_menu(name, msg, at=MARCH))
        assert calls[0].json["type"] == 5
        assert "no text I can search" in calls[-1].body["content"] and calls[-1].body["flags"] & 64


@pytest.mark.asyncio
async def test_long_message_is_searched_by_its_key_words(newsbot, recorder):
    text = (
        "Everyone at work keeps talking about it and I wonder what really happened there, because I heard that the "
        "winter storm closed the coastal highway for two days and that waves washed sand and rocks onto the road, "
        "so is that true and when did the crews reopen it?"
    )
    calls = await run(newsbot, recorder, message_menu("Ask newsbot", posted(content=text), at=MARCH))
    embed = next(c for c in calls if c.kind == "followup").embeds[0]
    assert embed["description"].startswith("-# A long message: searched for its key words:")
    assert "highway" in embed["description"].split("\n")[0]


@pytest.mark.asyncio
async def test_find_coverage_lists_articles_about_the_message(newsbot, recorder):
    msg = posted(content="Did you see **Kim** say the sanctions won't stop the missile tests? https://x.example/a")
    calls = await run(newsbot, recorder, message_menu("Find coverage", msg, at=MARCH))
    assert calls[0].json == {"type": 5, "data": {"flags": 64}}
    shown = next(c for c in calls if c.kind == "followup")
    embed = shown.embeds[0]
    assert embed["title"].startswith("Coverage: ")
    lines = embed["description"].split("\n")
    assert lines[0].startswith("-# Articles about [this message](<https://discord.com/channels/")
    assert "Kim says sanctions will not stop missile tests" in lines[1] and "Example Wire" in lines[1]
    assert "1 Mar 2024" in lines[1]


@pytest.mark.asyncio
async def test_find_coverage_on_embeds_only(newsbot, recorder):
    msg = posted(content="", embeds=[{"type": "rich", "title": "New central library budget approved"}])
    calls = await run(newsbot, recorder, message_menu("Find coverage", msg, at=MARCH))
    embed = next(c for c in calls if c.kind == "followup").embeds[0]
    assert "Council approves budget for a new central library" in embed["description"]


@pytest.mark.asyncio
async def test_find_coverage_keeps_to_the_channel_sources(newsbot, recorder):
    from helpers.bot_harness import CHANNEL_ID, GUILD_ID

    await newsbot.store.set_guild_settings(GUILD_ID, channel_sources=(CHANNEL_ID, ["Coast Herald"]))
    msg = posted(content="Kim said the sanctions won't stop the missile tests")
    calls = await run(newsbot, recorder, message_menu("Find coverage", msg, at=MARCH))
    embed = next(c for c in calls if c.kind == "followup").embeds[0]
    assert "Kim says sanctions" not in embed["description"]
    assert embed["footer"]["text"].endswith("this channel's sources only: Coast Herald")
