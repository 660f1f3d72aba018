"""/timeline through discord.py: deferred, chart uploaded with alt text and shown in the embed, peaks linked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from helpers.bot_harness import run, slash
from helpers.searchdb import Doc, make_store

from index.search.build import rebuild

MARCH = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def decade_db(tmp_path: Path) -> Path:
    """Bridge stories every quarter for ten years, with a burst in March 2019."""
    docs = []
    day = date(2014, 1, 6)
    while day < date(2024, 1, 1):
        docs.append(Doc(f"Bridge inspection report {day}", [f"The bridge was inspected on {day}."], published=str(day)))
        day += timedelta(days=91)
    for i in range(6):
        docs.append(
            Doc(
                f"Bridge collapse inquiry day {i}",
                ["The bridge collapse inquiry heard engineers."],
                published=f"2019-03-{10 + i:02d}",
                url=f"https://news.example/collapse-{i}",
            )
        )
    docs.append(Doc("Library opens", ["The new library opened."], published="2020-05-05"))
    path = tmp_path / "decade.db"
    make_store(path, docs)
    rebuild(path, progress=False)
    return path


@pytest.mark.asyncio
async def test_timeline_over_ten_years_is_charted_per_month(make_bot, decade_db, recorder):
    bot = await make_bot(decade_db)
    calls = await run(bot, recorder, slash("timeline", {"query": "bridge"}, at=MARCH))
    assert calls[0].kind == "callback" and calls[0].json["type"] == 5  # acknowledged before counting and drawing
    sent = next(c for c in calls if c.kind == "followup")
    assert len(sent.files) == 1 and sent.files[0]["filename"] == "timeline.png"
    assert sent.files[0]["data"].startswith(PNG) and len(sent.files[0]["data"]) < 200_000
    alt = sent.body["attachments"][0]["description"]
    assert alt.startswith("Bar chart of articles per month about bridge.") and "47 articles" in alt
    embed = sent.embeds[0]
    assert embed["image"]["url"] == "attachment://timeline.png"
    assert embed["title"] == "Timeline: bridge"
    desc = embed["description"]
    assert desc.startswith("47 articles about bridge from Jan 2014 to Dec 2023, counted per month over 120 months.")
    assert "Busiest: Mar 2019 (6)." in desc  # lone articles elsewhere are no peaks
    assert (
        "• Mar 2019 — 6 articles: [Bridge collapse inquiry day" in desc and "(<https://news.example/collapse-" in desc
    )
    assert sent.body["allowed_mentions"] == {"parse": []}


@pytest.mark.asyncio
async def test_timeline_of_one_day(newsbot, recorder):
    calls = await run(newsbot, recorder, slash("timeline", {"query": "storm highway"}, at=MARCH))
    sent = next(c for c in calls if c.kind == "followup")
    assert len(sent.files) == 1
    desc = sent.embeds[0]["description"]
    assert desc.startswith("1 article about storm highway, all on 20 Feb 2024.")
    assert "**Top story:**" in desc and "Storm closes coastal highway for two days" in desc


@pytest.mark.asyncio
async def test_timeline_with_no_matches_says_what_to_try(newsbot, recorder):
    calls = await run(newsbot, recorder, slash("timeline", {"query": "zeppelin airship"}, at=MARCH))
    sent = next(c for c in calls if c.kind == "followup")
    assert sent.files == [] and "image" not in sent.embeds[0]
    assert "No dated article mentions all of those words" in sent.embeds[0]["description"]


@pytest.mark.asyncio
async def test_timeline_respects_dates_and_as_of(newsbot, recorder):
    # "library" is in two March articles and one in June: asked in March, June's is not yet published.
    calls = await run(newsbot, recorder, slash("timeline", {"query": "library", "after": "2024-03"}, at=MARCH))
    desc = next(c for c in calls if c.kind == "followup").embeds[0]["description"]
    assert "reverses" not in desc and desc.startswith("2 articles about library from 4 Mar 2024 to 5 Mar 2024")


@pytest.mark.asyncio
async def test_timeline_of_a_long_query_stays_within_limits(make_bot, decade_db, recorder):
    bot = await make_bot(decade_db)
    query = ("bridge " * 43).strip()[:300]
    calls = await run(bot, recorder, slash("timeline", {"query": query}, at=MARCH))  # run() checks every limit
    sent = next(c for c in calls if c.kind == "followup")
    assert len(sent.embeds[0]["title"]) <= 256 and len(sent.body["attachments"][0]["description"]) <= 1024
