"""/search, /article (with autocomplete), /sources, /stats, /config, and command sync."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from helpers.archives import record, write_jsonl
from helpers.bot_harness import (
    CHANNEL_ID,
    GUILD_ID,
    OTHER_USER_ID,
    autocomplete,
    channel_payload,
    component,
    custom_ids,
    run,
    slash,
)

MARCH = datetime(2024, 3, 10, tzinfo=UTC)
MANAGE_GUILD = 1 << 5


@pytest.mark.asyncio
async def test_search_lists_articles_and_pages_with_buttons(newsbot, recorder, monkeypatch):
    from bot.exts import search

    monkeypatch.setattr(search, "PAGE", 2)
    payload = slash("search", {"query": "library OR council OR storm OR sanctions", "sort": "newest"}, at=MARCH)
    calls = await run(newsbot, recorder, payload)
    assert calls[0].json["type"] == 5
    first = next(c for c in calls if c.kind == "followup")
    embed = first.embeds[0]
    assert embed["title"].startswith("Search: library")
    lines = embed["description"].split("\n")
    assert lines[0].startswith("**1.** ") and " — " in lines[0] and "2024" in lines[0]
    assert "](<https://" in embed["description"]  # headlines link to their articles
    assert custom_ids(first) == [f"nb:prev:{payload['id']}", f"nb:next:{payload['id']}"]
    buttons = first.body["components"][0]["components"]
    assert buttons[0]["disabled"] and not buttons[1].get("disabled")

    msg = recorder.messages[max(recorder.messages)]
    nxt = component(f"nb:next:{payload['id']}", msg)
    paged = await run(newsbot, recorder, nxt)
    assert paged[0].json["type"] == 6
    edit = next(c for c in paged if c.kind == "edit_original")
    assert edit.embeds[0]["description"].startswith("**3.**")

    # Someone else is told which command gets them pages of their own.
    refused = await run(newsbot, recorder, component(f"nb:next:{payload['id']}", msg, user_id=OTHER_USER_ID))
    assert "run /search to get your own" in refused[0].json["data"]["content"]


@pytest.mark.asyncio
async def test_search_offers_next_only_when_another_article_exists(newsbot, recorder, monkeypatch):
    from bot.exts import search

    # Two passages match, both in one article: one article per line means there is no second page.
    monkeypatch.setattr(search, "PAGE", 1)
    calls = await run(newsbot, recorder, slash("search", {"query": "glacier"}, at=MARCH))
    first = next(c for c in calls if c.kind == "followup")
    assert first.embeds[0]["description"].startswith("**1.** ")
    assert custom_ids(first) == []


@pytest.mark.asyncio
async def test_search_with_nothing_found_says_what_to_try(newsbot, recorder):
    calls = await run(newsbot, recorder, slash("search", {"query": "zeppelin"}, at=MARCH))
    text = next(c for c in calls if c.kind == "followup").embeds[0]["description"]
    assert "Try" in text


@pytest.mark.asyncio
async def test_search_bad_date_option(newsbot, recorder):
    calls = await run(newsbot, recorder, slash("search", {"query": "library", "after": "last tuesday-ish"}))
    assert calls[0].json["type"] == 4 and calls[0].json["data"]["flags"] == 64
    assert "YYYY-MM-DD" in calls[0].json["data"]["content"]


@pytest.mark.asyncio
async def test_article_autocomplete_within_limits(newsbot, recorder):
    calls = await run(newsbot, recorder, autocomplete("article", {"article": "lib"}, "article"))
    assert len(calls) == 1 and calls[0].json["type"] == 8  # autocomplete result
    choices = calls[0].json["data"]["choices"]
    assert 0 < len(choices) <= 25
    assert choices[0]["name"].startswith("Council")  # headlines containing "lib"
    for c in choices:
        assert len(c["name"]) <= 100 and len(c["value"]) <= 100 and c["value"].isdigit()
    everything = await run(newsbot, recorder, autocomplete("article", {"article": ""}, "article"))
    assert len(everything[0].json["data"]["choices"]) == 8


@pytest.mark.asyncio
async def test_source_autocomplete(newsbot, recorder):
    calls = await run(newsbot, recorder, autocomplete("ask", {"question": "x", "source": "gaz"}, "source"))
    assert calls[0].json["data"]["choices"] == [{"name": "Springfield Gazette", "value": "Springfield Gazette"}]


@pytest.mark.asyncio
async def test_article_shows_metadata_and_pages_long_bodies(newsbot, recorder):
    ac = await run(newsbot, recorder, autocomplete("article", {"article": "Glacier"}, "article"))
    glacier_id = ac[0].json["data"]["choices"][0]["value"]
    calls = await run(newsbot, recorder, slash("article", {"article": glacier_id}))
    shown = next(c for c in calls if c.kind == "followup")
    embed = shown.embeds[0]
    assert embed["title"] == "Glacier retreat measured across the range"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Outlet"] == "Mountain Report" and fields["Passages"] == "2"
    assert fields["Link"] == "https://mountain.example/glacier"
    assert embed["footer"]["text"].startswith("Page 1 of")
    assert custom_ids(shown)[1].startswith("nb:next:art")

    by_text = await run(newsbot, recorder, slash("article", {"article": "storm closes"}))
    assert next(c for c in by_text if c.kind == "followup").embeds[0]["title"].startswith("Storm closes")
    missing = await run(newsbot, recorder, slash("article", {"article": "no such headline"}))
    assert "No headline contains" in missing[-1].body["content"]


@pytest.mark.asyncio
async def test_sources_and_stats(newsbot, recorder):
    calls = await run(newsbot, recorder, slash("sources"))
    embed = next(c for c in calls if c.kind == "followup").embeds[0]
    assert "**Springfield Gazette** — 2 articles, 2024-03-04 → 2024-06-01" in embed["description"]
    calls = await run(newsbot, recorder, slash("stats"))
    fields = {f["name"]: f["value"] for f in next(c for c in calls if c.kind == "followup").embeds[0]["fields"]}
    assert fields["Articles"] == "8" and int(fields["Passages"].replace(",", "")) >= 8
    assert fields["Index generation"] == newsbot.engine.generation


@pytest.mark.asyncio
async def test_stats_counts_match_the_command_line(make_bot, recorder, tmp_path, capsys, monkeypatch):
    from index.cli import main

    monkeypatch.delenv("NEWSBOT_DB", raising=False)
    db = tmp_path / "dups.db"
    # Five records, two of them the same text as an earlier one: three stories, two folded duplicates.
    records = [record(1), record(2), record(3), record(4, text=record(1)["text"]), record(5, text=record(2)["text"])]
    assert main(["index", str(write_jsonl(tmp_path / "feed.jsonl", records)), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["stats", "--db", str(db), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert (cli["articles"], cli["duplicates"]) == (3, 2) and cli["passages"] >= 3

    bot = await make_bot(db)
    calls = await run(bot, recorder, slash("stats"))
    embed = next(c for c in calls if c.kind == "followup").embeds[0]
    fields = {f["name"]: int(f["value"].replace(",", "")) for f in embed["fields"] if f["value"][0].isdigit()}
    assert fields == {"Articles": cli["articles"], "Duplicates folded": cli["duplicates"], "Passages": cli["passages"]}
    assert "distinct stories" in embed["footer"]["text"]
    calls = await run(bot, recorder, slash("sources"))
    footer = next(c for c in calls if c.kind == "followup").embeds[0]["footer"]["text"]
    assert footer == f"1 outlets · {cli['articles']} articles" and cli["outlets"][0]["articles"] == cli["articles"]


@pytest.mark.asyncio
async def test_config_sets_channels_and_privacy(newsbot, recorder):
    resolved = {"channels": {str(CHANNEL_ID): {**channel_payload(), "permissions": "0"}}}
    payload = slash(
        "config", {"answer_in": str(CHANNEL_ID), "private": True}, permissions=MANAGE_GUILD, resolved=resolved
    )
    payload["data"]["options"][0]["type"] = 7  # a channel option
    calls = await run(newsbot, recorder, payload)
    assert calls[0].json == {"type": 5, "data": {"flags": 64}}
    text = calls[-1].body["content"]
    assert f"<#{CHANNEL_ID}>" in text and "private" in text
    settings = newsbot.store.guild_settings(GUILD_ID)
    assert settings.answer_channels == (CHANNEL_ID,) and settings.private_default

    calls = await run(newsbot, recorder, slash("config", {"everywhere": True}, permissions=MANAGE_GUILD))
    assert "every channel" in calls[-1].body["content"]
    assert newsbot.store.guild_settings(GUILD_ID).answer_channels == ()


FOLLOW_COMMANDS = {"follow", "unfollow", "follows"}


@pytest.mark.asyncio
async def test_commands_sync_globally_only_when_changed(make_bot, news_db, recorder):
    await make_bot(news_db)
    syncs = recorder.of("sync")
    assert len(syncs) == 1 and syncs[0].path == "/applications/{application_id}/commands"
    names = {c["name"] for c in syncs[0].json}
    assert (
        names
        == {
            "ask",
            "search",
            "article",
            "sources",
            "stats",
            "reindex",
            "config",
            "feeds",
            "Ask newsbot",
            "Find coverage",
            "related",
            "timeline",
        }
        | FOLLOW_COMMANDS
    )
    for command in syncs[0].json:  # every option has a description (context menus have none)
        assert command.get("type") == 3 or command["description"]
        for option in command.get("options", []):
            assert option["description"], (command["name"], option["name"])
    admin = {c["name"]: c for c in syncs[0].json}
    assert int(admin["reindex"]["default_member_permissions"]) == MANAGE_GUILD

    await make_bot(news_db)  # same tree: no second global sync
    assert len(recorder.of("sync")) == 1


@pytest.mark.asyncio
async def test_dev_guild_sync_is_immediate(make_bot, news_db, recorder):
    await make_bot(news_db, dev_guild_id=GUILD_ID)
    syncs = recorder.of("sync")
    assert len(syncs) == 1 and syncs[0].path == "/applications/{application_id}/guilds/{guild_id}/commands"
    assert json.dumps(syncs[0].json)


@pytest.mark.asyncio
@pytest.mark.parametrize("typed", ["2024", "99999999999999999999", "²"])
async def test_article_typed_number_that_is_no_id_searches_headlines(newsbot, recorder, typed):
    # A number typed without picking a choice is an id only if such an article exists; otherwise it is headline text.
    calls = await run(newsbot, recorder, slash("article", {"article": typed}))
    assert "No headline contains" in calls[-1].body["content"], calls[-1].body
