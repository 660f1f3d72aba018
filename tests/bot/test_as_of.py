"""The as-of moment in Discord: every search runs as of the interaction's or message's timestamp."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from helpers.bot_harness import mention_message, settle, slash

from index.search.searcher import Searcher

AT = datetime(2024, 3, 10, 12, 30, 5, tzinfo=UTC)


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword options of every Searcher.search call the bot makes (the real search still runs)."""
    seen: list[dict[str, Any]] = []
    real = Searcher.search

    def spy(self: Searcher, query: Any, k: int = 10, **options: Any) -> Any:
        seen.append(options)
        return real(self, query, k, **options)

    monkeypatch.setattr(Searcher, "search", spy)
    return seen


@pytest.mark.asyncio
@pytest.mark.parametrize("surface", ["ask", "search", "mention"])
async def test_search_is_as_of_the_interaction_or_message_timestamp(newsbot, recorder, searches, surface):
    if surface == "mention":
        newsbot._connection.parse_message_create(mention_message("library budget", at=AT))
    else:
        option = "question" if surface == "ask" else "query"
        newsbot._connection.parse_interaction_create(slash(surface, {option: "library budget"}, at=AT))
    await settle()
    assert searches, "the bot ran no search"
    assert all(options["as_of"] == AT for options in searches)


@pytest.mark.asyncio
async def test_time_words_are_read_against_the_interaction_date(newsbot, recorder):
    # Asked on 10 March 2024: "this week" is 4-10 March, and the storm story (20 February) is well before it.
    payload = slash("ask", {"question": "storm coastal highway this week"}, at=AT)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    embed = next(c for c in recorder.for_interaction(payload) if c.kind == "followup").embeds[0]
    first_line = embed["description"].splitlines()[0]
    assert first_line == "**The closest match is from 20 February 2024, well before this week.**"
    assert "Storm closes coastal highway" in embed["fields"][0]["name"]
    assert "20 Feb 2024 (2 weeks earlier)" in embed["fields"][0]["value"]

    # The same question about a story inside the window gets no such warning.
    payload = slash("ask", {"question": "library budget this week"}, at=AT)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    embed = next(c for c in recorder.for_interaction(payload) if c.kind == "followup").embeds[0]
    assert embed["description"].startswith("> ")
