"""Hostile and odd questions and articles: every reply stays within Discord's limits and pings nobody."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from helpers.bot_harness import check_limits, mention_message, settle, slash

MARCH = datetime(2024, 3, 10, tzinfo=UTC)

QUESTIONS = {
    "2000 characters": ("What did the council decide about the library budget and the road repairs? " * 40)[:2000],
    "markdown and mentions": "@everyone @here <@123456789012345678> **library** __budget__ [x](https://evil.example) "
    "`code` > quote ||spoiler|| ~~strike~~ # header",
    "japanese": "東京で桜の開花はいつ発表されましたか",
    "arabic": "متى افتتحت المكتبة الجديدة في المدينة",
    "empty": " ",
    "stopwords only": "what is the",
    "enormous passages": "glacier retreated valley researchers measured ice supercalifragilisticexpialidocious",
}


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", list(QUESTIONS))
async def test_slash_answers_within_every_limit(newsbot, recorder, kind):
    payload = slash("ask", {"question": QUESTIONS[kind]}, at=MARCH)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    calls = recorder.for_interaction(payload)
    assert calls[0].kind == "callback" and calls[0].json["type"] == 5
    sent = [c for c in calls if c.kind == "followup"]
    assert len(sent) == 1, [c.kind for c in calls]
    for call in calls:
        check_limits(call)
    text = json.dumps(sent[0].embeds, ensure_ascii=False)
    assert "@everyone" not in text.replace("@\u200beveryone", "")  # escaped wherever it is shown
    assert "](https://evil.example)" not in text  # no masked link from a question or an article


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", list(QUESTIONS))
async def test_mention_answers_within_every_limit(newsbot, recorder, kind):
    newsbot._connection.parse_message_create(mention_message(QUESTIONS[kind], at=MARCH))
    await settle()
    sent = recorder.of("send")
    assert len(sent) == 1
    check_limits(sent[0])


@pytest.mark.asyncio
async def test_enormous_passages_are_cut_at_words_with_an_ellipsis(newsbot, recorder):
    payload = slash("ask", {"question": "glacier retreated valley researchers"}, at=MARCH)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    answer = next(c for c in recorder.for_interaction(payload) if c.kind == "followup")
    check_limits(answer)
    embed = answer.embeds[0]
    assert embed["fields"], embed
    for field in embed["fields"]:
        excerpt = field["value"].split("\n")[0]
        assert "…" in excerpt
        before = excerpt.split("…")[0].rstrip("*").rstrip()
        # The cut falls after a whole word of the passage.
        assert before.split()[-1].strip("*") in {
            "the",
            "glacier",
            "retreated",
            "further",
            "up",
            "valley",
            "while",
            "researchers",
            "measured",
            "ice",
            "Glacier",
        } | {"supercalifragilisticexpialidocious" * 3}
        assert excerpt.count("**") % 2 == 0


@pytest.mark.asyncio
async def test_hostile_article_text_is_escaped(newsbot, recorder):
    payload = slash("ask", {"question": "library fans visit"}, at=MARCH)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    answer = next(c for c in recorder.for_interaction(payload) if c.kind == "followup")
    check_limits(answer)
    text = json.dumps(answer.embeds, ensure_ascii=False)
    assert "@\u200beveryone" in text  # shown, but cannot ping (and allowed_mentions parses nothing)
    assert "`https://evil.example/phish`" in text  # a bare link from article text is shown as code, not a link
    assert "\\<@\u200b123456789012345678>" in text
