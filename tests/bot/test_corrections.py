"""A misspelt word the archive does not know is searched as a near one, and the answer says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.bot_harness import check_limits, settle, slash


@pytest.mark.asyncio
async def test_the_answer_says_what_it_searched_for_instead(newsbot, recorder) -> None:
    q = slash("ask", {"question": "council libary budget"}, at=datetime(2024, 3, 10, tzinfo=UTC))
    newsbot._connection.parse_interaction_create(q)
    await settle()
    answer = next(c for c in recorder.for_interaction(q) if c.kind == "followup")
    check_limits(answer)
    embed = answer.embeds[0]
    assert "Searched for “library” instead of “libary”" in embed["description"]
    assert "Council approves budget" in str(embed["fields"])
