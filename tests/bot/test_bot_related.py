"""/related: the articles most like one article, picked by autocomplete, itself left out, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.bot_harness import autocomplete, run, slash

JULY = datetime(2024, 7, 1, tzinfo=UTC)


@pytest.mark.asyncio
async def test_related_lists_like_articles_oldest_first(newsbot, recorder):
    ac = await run(newsbot, recorder, autocomplete("related", {"article": "Council approves"}, "article"))
    choices = ac[0].json["data"]["choices"]
    assert 0 < len(choices) <= 25 and choices[0]["name"].startswith("Council approves budget")
    calls = await run(newsbot, recorder, slash("related", {"article": choices[0]["value"]}, at=JULY))
    assert calls[0].json["type"] == 5  # deferred before the search
    embed = next(c for c in calls if c.kind == "followup").embeds[0]
    assert embed["title"] == "Related: Council approves budget for a new central library"
    lines = embed["description"].split("\n")
    assert lines[0].startswith("-# Most like [Council approves budget for a new central library](<https://gazette")
    listed = "\n".join(lines[1:])
    assert "Council approves budget" not in listed  # the article itself is left out
    assert "Council reverses library budget decision" in listed and "1 Jun 2024" in listed
    days = [line.split(" · ")[-1] for line in lines[1:]]
    assert days == sorted(days, key=lambda d: datetime.strptime(d.split(" (")[0], "%d %b %Y"))  # oldest first


@pytest.mark.asyncio
async def test_related_by_typed_headline_and_unknown(newsbot, recorder):
    calls = await run(newsbot, recorder, slash("related", {"article": "storm closes"}, at=JULY))
    assert next(c for c in calls if c.kind == "followup").embeds[0]["title"].startswith("Related: Storm closes")
    calls = await run(newsbot, recorder, slash("related", {"article": "no such headline"}, at=JULY))
    assert "No headline contains" in calls[-1].body["content"]
