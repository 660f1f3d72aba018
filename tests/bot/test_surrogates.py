"""Lone surrogates in what users type (Discord's JSON can carry them) never crash a command or lose a log row."""

from __future__ import annotations

import pytest
from helpers.bot_harness import autocomplete, check_limits, settle, slash


@pytest.mark.asyncio
async def test_article_and_its_autocomplete_take_a_lone_surrogate(newsbot, recorder) -> None:
    command = slash("article", {"article": "library\ud800 budget"})
    newsbot._connection.parse_interaction_create(command)
    typing = autocomplete("article", {"article": "libr\ud800"}, "article")
    newsbot._connection.parse_interaction_create(typing)
    await settle()
    reply = recorder.for_interaction(command)[-1]
    check_limits(reply)
    assert "Something went wrong" not in str(reply.json)
    choices = recorder.for_interaction(typing)
    assert choices and choices[0].json["type"] == 8  # autocomplete answered


@pytest.mark.asyncio
async def test_a_question_with_a_lone_surrogate_is_logged(newsbot, recorder) -> None:
    asked = slash("ask", {"question": "library \ud800 budget"})
    other = slash("ask", {"question": "storm highway"})
    newsbot._connection.parse_interaction_create(asked)
    newsbot._connection.parse_interaction_create(other)
    await settle()
    await newsbot.store.flush()
    row = await newsbot.store.query(int(asked["id"]))
    assert row is not None and row["query"] == "library \ufffd budget"
    assert await newsbot.store.query(int(other["id"])) is not None
