"""Follow-ups: replies to answers and mentions in a thread opened from one carry (or drop) the earlier context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers.bot_harness import (
    CHANNEL_ID,
    check_limits,
    mention_message,
    reply_message,
    settle,
    slash,
)

from bot.exts._followup import follow_up, names_new_topic, topic_words
from bot.store import Conversation
from index.search.query import parse

MARCH = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
LATER = MARCH + timedelta(minutes=5)


async def ask(bot, recorder, question, **opts):
    payload = slash("ask", {"question": question, **opts}, at=MARCH)
    bot._connection.parse_interaction_create(payload)
    await settle()
    calls = recorder.for_interaction(payload)
    answer = next(c for c in calls if c.kind == "followup")
    shown = [m for m in recorder.messages.values() if m["embeds"]]
    return payload, calls, shown[-1], answer


async def post(bot, recorder, payload):
    before = len(recorder.calls)
    bot._connection.parse_message_create(payload)
    await settle()
    sent = [c for c in recorder.calls[before:] if c.kind == "send"]
    for call in sent:
        check_limits(call)
    return sent


def convo(question: str, topic: tuple[str, ...], **kw) -> Conversation:
    expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    return Conversation(query_id=1, question=question, topic=topic, expires=expires, **kw)


@pytest.mark.parametrize(
    ("text", "carried"),
    [
        ("and how much will it cost?", True),  # points back ("it")
        ("cost?", True),  # too thin to stand alone
        ("When does the bridge reopen?", True),  # names the same topic
        ("What did Kim say about missile tests?", False),  # a name the topic lacks
        ("storm closes coastal highway waves", False),  # enough words of its own
    ],
)
def test_follow_up_carries_thin_questions_and_drops_new_topics(text, carried):
    earlier = convo("When will the Tanner Street Bridge reopen?", ("Tanner", "Street", "Bridge", "reopen"))
    got = follow_up(text, earlier)
    assert got.carried is carried
    if carried:
        assert got.search.startswith(text) and "Tanner" in got.search
    else:
        assert got.search == text


def test_expired_context_is_not_carried():
    old = Conversation(query_id=1, question="bridge", topic=("bridge",), expires="2020-01-01T00:00:00+00:00")
    assert not follow_up("and the cost?", old).carried
    assert not names_new_topic("and the cost?", ("bridge",))


def test_topic_words_are_the_searched_words_as_typed():
    text = "What did the council decide about the library this week? source:gazette"
    q = parse(text, today=MARCH.date())
    assert q.window is not None
    assert topic_words(text, q) == ("council", "decide", "library")


@pytest.mark.asyncio
async def test_reply_to_an_answer_carries_topic_and_filters(newsbot, recorder):
    _, _, msg, _ = await ask(
        newsbot, recorder, "What budget did the council approve for the library?", source="Springfield Gazette"
    )
    await newsbot.store.flush()
    stored = await newsbot.store.conversation(int(msg["id"]))
    assert stored is not None and "library" in stored.topic and stored.sources == ("springfield gazette",)

    sent = await post(newsbot, recorder, reply_message("and when will it open?", msg, at=LATER))
    assert len(sent) == 1
    embed = sent[0].json["embeds"][0]
    assert embed["title"] == "and when will it open?"
    assert embed["description"].startswith("-# Follow-up to “What budget did the council approve for the library?”")
    assert "searched for: and when will it open? budget council approve library" in embed["description"]
    assert embed["fields"][0]["name"].startswith("[1] Council approves budget")
    assert all("Springfield Gazette" in f["value"] for f in embed["fields"])  # the source filter carried over
    assert sent[0].json["allowed_mentions"] == {"parse": [], "replied_user": False}
    # The follow-up's answer continues the conversation in turn.
    reply_id = max(recorder.messages)
    assert (await newsbot.store.conversation(reply_id)).question == "and when will it open?"


@pytest.mark.asyncio
async def test_reply_naming_a_new_topic_starts_afresh(newsbot, recorder):
    _, _, msg, _ = await ask(newsbot, recorder, "What did the council decide about the library?")
    sent = await post(newsbot, recorder, reply_message("What did Kim say about missile tests?", msg, at=LATER))
    embed = sent[0].json["embeds"][0]
    assert embed["description"].startswith("-# A new topic, so this was searched on its own.")
    assert embed["fields"][0]["name"].startswith("[1] Kim says sanctions")


@pytest.mark.asyncio
async def test_expired_context_is_said_and_dropped(newsbot, recorder):
    _, _, msg, _ = await ask(newsbot, recorder, "What did the council decide about the library?")
    old = await newsbot.store.conversation(int(msg["id"]))
    await newsbot.store.save_conversation(
        Conversation(**{**{f: getattr(old, f) for f in old.__slots__}, "expires": "2020-01-01T00:00:00+00:00"}),
        [int(msg["id"])],
    )
    sent = await post(newsbot, recorder, reply_message("and how much will it cost?", msg, at=LATER))
    assert "has expired" in sent[0].json["embeds"][0]["description"]


@pytest.mark.asyncio
async def test_reply_without_ping_or_to_someone_else_is_ignored(newsbot, recorder):
    _, _, msg, _ = await ask(newsbot, recorder, "What did the council decide about the library?")
    assert await post(newsbot, recorder, reply_message("and how much will it cost?", msg, ping=False)) == []
    human = mention_message("hello", mention_bot=False)
    assert await post(newsbot, recorder, reply_message("and how much will it cost?", human)) == []


@pytest.mark.asyncio
async def test_context_survives_a_restart(make_bot, news_db, recorder):
    first = await make_bot(news_db)
    _, _, msg, _ = await ask(first, recorder, "What did the council decide about the library?")
    await first.close()
    second = await make_bot(news_db)
    sent = await post(second, recorder, reply_message("and how much will it cost?", msg, at=LATER))
    assert "Follow-up to" in sent[0].json["embeds"][0]["description"]


@pytest.mark.asyncio
async def test_ask_thread_opens_a_thread_where_mentions_follow_up(newsbot, recorder):
    _, calls, msg, _ = await ask(newsbot, recorder, "What did the council decide about the library?", thread=True)
    assert calls[0].json["type"] == 5  # deferred before any search
    threads = recorder.of("thread")
    assert len(threads) == 1
    assert threads[0].url.endswith(f"/channels/{CHANNEL_ID}/messages/{msg['id']}/threads")
    assert threads[0].json["name"] == "What did the council decide about the library?"
    hint = recorder.of("send")[-1]
    assert hint.url.endswith(f"/channels/{msg['id']}/messages") and "Ask follow-ups here" in hint.json["content"]
    check_limits(hint)

    thread_id = int(msg["id"])
    sent = await post(newsbot, recorder, mention_message("and how much will it cost?", channel_id=thread_id, at=LATER))
    assert len(sent) == 1 and sent[0].url.endswith(f"/channels/{thread_id}/messages")
    assert "Follow-up to" in sent[0].json["embeds"][0]["description"]
    # The thread now holds the follow-up's context: the next mention continues from it.
    assert (await newsbot.store.conversation(thread_id)).question == "and how much will it cost?"


@pytest.mark.asyncio
async def test_private_answer_gets_no_thread_and_says_why(newsbot, recorder):
    _, calls, _, _ = await ask(newsbot, recorder, "library budget", thread=True, private=True)
    assert recorder.of("thread") == []
    note = calls[-1]
    assert (
        note.kind == "followup"
        and note.body["flags"] & 64
        and "private answer can't have a thread" in note.body["content"]
    )


@pytest.mark.asyncio
async def test_thread_refused_by_permissions_is_explained(newsbot, recorder):
    recorder.fail("POST", "/threads", 403)
    _, calls, _, _ = await ask(newsbot, recorder, "library budget", thread=True)
    assert "Create Public Threads" in calls[-1].body["content"] and calls[-1].body["flags"] & 64


def test_carried_window_applies_unless_the_follow_up_has_its_own():
    from datetime import date

    from bot.search_worker import _with_window

    week = (date(2024, 3, 4), date(2024, 3, 11))
    assert _with_window("and the cost?", week, MARCH).window == week
    own = _with_window("and the cost last year?", week, MARCH).window
    assert own is not None and own != week


@pytest.mark.asyncio
async def test_ask_thread_in_a_dm_says_where_threads_work(newsbot, recorder):
    payload = slash("ask", {"question": "library budget", "thread": True}, at=MARCH, guild=False)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    calls = recorder.for_interaction(payload)
    assert recorder.of("thread") == []
    assert "only open a thread from an answer in a server text channel" in calls[-1].body["content"]
    assert calls[-1].body["flags"] & 64


@pytest.mark.asyncio
async def test_thanks_in_reply_is_not_searched(newsbot, recorder):
    _, _, msg, _ = await ask(newsbot, recorder, "What did the council decide about the library?")
    assert await post(newsbot, recorder, reply_message("Thanks, got it!", msg, at=LATER)) == []
