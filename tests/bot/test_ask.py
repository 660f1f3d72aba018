"""/ask end to end through discord.py: deferral, cited answer, buttons, privacy, as-of moment, cooldown."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from helpers.bot_harness import (
    OTHER_USER_ID,
    USER_ID,
    check_limits,
    component,
    custom_ids,
    settle,
    slash,
)

MARCH = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


async def ask(bot, recorder, question, **options):
    options.setdefault("at", MARCH)
    payload = slash("ask", {"question": question, **options.pop("opts", {})}, **options)
    bot._connection.parse_interaction_create(payload)
    await settle()
    return payload, recorder.for_interaction(payload)


@pytest.mark.asyncio
async def test_ask_defers_at_once_then_answers_with_cited_passages(newsbot, recorder):
    payload, calls = await ask(newsbot, recorder, "What budget did the council approve for the library?")
    assert calls[0].kind == "callback" and calls[0].json["type"] == 5  # deferred: "newsbot is thinking…"
    assert "flags" not in (calls[0].json.get("data") or {})  # public by default
    followups = [c for c in calls if c.kind == "followup"]
    assert len(followups) == 1
    answer = followups[0]
    check_limits(answer)
    embed = answer.embeds[0]
    assert embed["title"] == "What budget did the council approve for the library?"
    assert embed["description"].startswith("> ")
    # The quote is the best sentence of the cited passage, matched words in bold.
    assert "**library" in embed["description"] and "7-2" in embed["description"]
    assert (
        "[Council approves budget for a new central library](<https://gazette.example/2024/03/library-budget>)"
        in (embed["description"])
    )
    first = embed["fields"][0]
    assert first["name"].startswith("[1] Council approves budget")
    assert "Springfield Gazette" in first["value"] and "4 Mar 2024" in first["value"] and "¶ 1" in first["value"]
    assert answer.body["allowed_mentions"] == {"parse": []}
    iid = int(payload["id"])
    assert custom_ids(answer) == [f"nb:more:{iid}", f"nb:article:{iid}", f"nb:up:{iid}", f"nb:down:{iid}"]


@pytest.mark.asyncio
async def test_private_answer_is_ephemeral(newsbot, recorder):
    _, calls = await ask(newsbot, recorder, "library budget", opts={"private": True})
    assert calls[0].json == {"type": 5, "data": {"flags": 64}}
    followup = next(c for c in calls if c.kind == "followup")
    assert followup.body["flags"] & 64


@pytest.mark.asyncio
async def test_server_default_private_applies_when_option_absent(newsbot, recorder):
    await newsbot.store.set_guild_settings(int(slash("x")["guild_id"]), private_default=True)
    _, calls = await ask(newsbot, recorder, "library budget")
    assert calls[0].json == {"type": 5, "data": {"flags": 64}}


@pytest.mark.asyncio
async def test_as_of_is_the_interaction_timestamp(newsbot, recorder):
    march = MARCH
    payload, calls = await ask(newsbot, recorder, "council library budget decision reversed", at=march)
    text = json.dumps(next(c for c in calls if c.kind == "followup").embeds)
    assert "reverses library budget" not in text  # published in June: after the question was asked
    await newsbot.store.flush()
    row = await newsbot.store.query(int(payload["id"]))
    assert row["as_of"] == march.isoformat() and row["surface"] == "slash"

    july = datetime(2024, 7, 1, tzinfo=UTC)
    _, calls = await ask(newsbot, recorder, "council library budget decision reversed", at=july)
    assert "reverses library budget" in json.dumps(next(c for c in calls if c.kind == "followup").embeds)


@pytest.mark.asyncio
async def test_cooldown_answers_with_a_friendly_private_wait(make_bot, news_db, recorder):
    bot = await make_bot(news_db, cooldown_seconds=30)
    await ask(bot, recorder, "library budget")
    _, calls = await ask(bot, recorder, "storm highway")
    assert len(calls) == 1 and calls[0].kind == "callback"
    assert calls[0].json["type"] == 4 and calls[0].json["data"]["flags"] == 64
    assert "you can ask again in" in calls[0].json["data"]["content"]
    check_limits(calls[0])


@pytest.mark.asyncio
async def test_more_pages_only_for_the_asker(newsbot, recorder):
    payload, calls = await ask(newsbot, recorder, "council library storm highway sanctions missile")
    answer = next(c for c in calls if c.kind == "followup")
    msg = recorder.messages[max(recorder.messages)]
    more = f"nb:more:{payload['id']}"
    assert more in custom_ids(answer)

    other = component(more, msg, user_id=OTHER_USER_ID)
    newsbot._connection.parse_interaction_create(other)
    await settle()
    refused = recorder.for_interaction(other)
    assert refused[0].json["type"] == 4 and refused[0].json["data"]["flags"] == 64
    assert "Only the person who asked" in refused[0].json["data"]["content"]

    mine = component(more, msg, user_id=USER_ID)
    newsbot._connection.parse_interaction_create(mine)
    await settle()
    paged = recorder.for_interaction(mine)
    assert paged[0].json["type"] == 6  # deferred update of the message the button is on
    edit = next(c for c in paged if c.kind == "edit_original")
    check_limits(edit)
    assert edit.embeds[0]["footer"]["text"].startswith("Results 4–")


@pytest.mark.asyncio
async def test_feedback_is_stored_with_the_question(newsbot, recorder):
    payload, _ = await ask(newsbot, recorder, "library budget")
    msg = recorder.messages[max(recorder.messages)]
    for user, cid in ((USER_ID, "up"), (OTHER_USER_ID, "down"), (USER_ID, "down")):
        press = component(f"nb:{cid}:{payload['id']}", msg, user_id=user)
        newsbot._connection.parse_interaction_create(press)
        await settle()
        calls = recorder.for_interaction(press)
        if cid == "up":
            assert calls[0].json == {"type": 5, "data": {"flags": 64}}
            assert "Thanks" in calls[-1].body["content"]
        else:  # 👎 opens the form asking why (tests/bot/test_feedback.py); the vote counts at once
            assert calls[0].json["type"] == 9
    assert await newsbot.store.feedback(int(payload["id"])) == {USER_ID: -1, OTHER_USER_ID: -1}


@pytest.mark.asyncio
async def test_article_button_shows_the_cited_article_privately(newsbot, recorder):
    payload, _ = await ask(newsbot, recorder, "library budget")
    msg = recorder.messages[max(recorder.messages)]
    press = component(f"nb:article:{payload['id']}", msg, user_id=OTHER_USER_ID)
    newsbot._connection.parse_interaction_create(press)
    await settle()
    calls = recorder.for_interaction(press)
    assert calls[0].json == {"type": 5, "data": {"flags": 64}}
    shown = next(c for c in calls if c.kind == "followup")
    check_limits(shown)
    embed = shown.embeds[0]
    assert embed["title"] == "Council approves budget for a new central library"
    assert embed["url"] == "https://gazette.example/2024/03/library-budget"
    assert {f["name"]: f["value"] for f in embed["fields"]}["Passages"] == "1"


@pytest.mark.asyncio
async def test_buttons_expire_disabled_with_a_note(newsbot, recorder):
    newsbot.view_timeout = 0.2
    await ask(newsbot, recorder, "library budget")
    await recorder.wait_for(lambda: bool(recorder.of("edit_followup")), timeout=5)
    edit = recorder.of("edit_followup")[-1]
    assert "Buttons expired" in edit.body["content"]
    assert all(c.get("disabled") for row in edit.body["components"] for c in row["components"])

    # A press after expiry is answered, not left to fail.
    msg = recorder.messages[max(m for m in recorder.messages)]
    press = component(custom_ids(edit)[0], msg)
    newsbot._connection.parse_interaction_create(press)
    await settle()
    await asyncio.sleep(0)
    calls = recorder.for_interaction(press)
    assert calls and "expired" in calls[0].json["data"]["content"] and calls[0].json["data"]["flags"] == 64


@pytest.mark.asyncio
async def test_more_is_judged_by_articles_not_passages(newsbot):
    from bot import search_worker

    # Four passages match, in three articles: a page shows one passage per article, so no second page exists.
    searcher = newsbot.engine._searcher
    options = {"as_of": MARCH}
    results, _, more = search_worker.search_and_compose(searcher, "glacier storm sanctions", 3, options)
    assert len(results.hits) == 3 and results.total > 3 and not more
    results, _, more = search_worker.search_and_compose(searcher, "glacier storm sanctions", 2, options)
    assert len(results.hits) == 2 and more


def test_the_next_page_starts_after_the_articles_a_page_showed() -> None:
    from bot.exts._answers import AskRequest

    req = AskRequest(question="q", as_of=MARCH, user_id=USER_ID, query_id=1)
    assert req.next_page().offset == 3  # three articles shown
    assert req.next_page(2).next_page(2).offset == 4  # a page that showed one article twice ranked two
