"""The one error handler: each failure gives the user a short private message and the log the details."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime

import pytest
from helpers.bot_harness import GUILD_ID, build_db, check_limits, component, mention_message, settle, slash

from bot import store as asyncstore
from bot.engine import Engine
from index import store
from index.search.postings import SearchError
from index.search.searcher import Searcher

MARCH = datetime(2024, 3, 10, tzinfo=UTC)
MANAGE_GUILD = 1 << 5


def private_message(calls) -> str:
    """The text of the private message the user got (a reply or a follow-up), checking it is private."""
    for call in reversed(calls):
        body = call.body
        if call.kind in ("callback", "followup") and body.get("content"):
            assert body.get("flags", 0) & 64, body
            check_limits(call)
            return body["content"]
    raise AssertionError(f"no private message in {[c.kind for c in calls]}")


@pytest.mark.asyncio
async def test_index_missing_bot_starts_and_says_so(make_bot, tmp_path, recorder):
    db = tmp_path / "empty.db"
    store.connect(db).close()
    bot = await make_bot(db)
    assert not bot.engine.ready
    payload = slash("ask", {"question": "library budget"})
    bot._connection.parse_interaction_create(payload)
    await settle()
    text = private_message(recorder.for_interaction(payload))
    assert text == "The archive is not indexed yet — the bot's owner can run /reindex or `newsbot index PATH`."

    bot._connection.parse_message_create(mention_message("library budget"))
    await settle()
    assert "not indexed yet" in recorder.of("send")[-1].json["content"]


@pytest.mark.asyncio
async def test_database_locked(make_bot, news_db, recorder, monkeypatch):
    monkeypatch.setattr(asyncstore, "BUSY_TIMEOUT_MS", 50)
    bot = await make_bot(news_db)
    holder = sqlite3.connect(news_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a re-index holding the write lock
    try:
        payload = slash("config", {"private": True}, permissions=MANAGE_GUILD)
        bot._connection.parse_interaction_create(payload)
        await settle()
    finally:
        holder.rollback()
        holder.close()
    calls = recorder.for_interaction(payload)
    assert calls[0].json == {"type": 5, "data": {"flags": 64}}
    assert "busy" in private_message(calls)
    assert not bot.store.guild_settings(GUILD_ID).private_default


class Flaky:
    """A real searcher whose first ``failures`` searches fail as if its generation's files were swapped away."""

    def __init__(self, inner: Searcher, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.reloads = 0

    @property
    def generation(self) -> str:
        return self.inner.generation

    def reload(self, generation=None) -> bool:
        self.reloads += 1
        return self.inner.reload(generation)

    def search(self, *args, **kwargs):
        if self.failures > 0:
            self.failures -= 1
            raise SearchError("postings file vanished (generation swapped)")
        return self.inner.search(*args, **kwargs)

    def idf(self, terms):
        return self.inner.idf(terms)


@pytest.mark.asyncio
@pytest.mark.parametrize("failures", [1, 2])
async def test_index_mid_swap_retries_once_then_says_try_again(make_bot, news_db, recorder, failures):
    flaky: list[Flaky] = []

    def opener(path, generation=None):
        flaky.append(Flaky(Searcher.open(path, generation=generation), failures))
        return flaky[-1]

    bot = await make_bot(news_db, engine=Engine(news_db, workers=0, opener=opener))
    payload = slash("ask", {"question": "library budget"}, at=MARCH)
    bot._connection.parse_interaction_create(payload)
    await settle()
    calls = recorder.for_interaction(payload)
    assert flaky[0].reloads == 1
    if failures == 1:  # the retry on the reloaded generation answers
        answer = next(c for c in calls if c.kind == "followup")
        assert "Council approves budget" in answer.embeds[0]["fields"][0]["name"]
    else:
        assert "switching to a freshly built index" in private_message(calls)


@pytest.mark.asyncio
async def test_deleted_article(newsbot, news_db, recorder):
    payload = slash("ask", {"question": "library budget"}, at=MARCH)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    msg = recorder.messages[max(recorder.messages)]
    await newsbot.store.flush()
    conn = store.connect(news_db)
    conn.execute("DELETE FROM articles WHERE source_id = 'gazette-1'")  # a re-index with --prune removed it
    conn.close()
    press = component(f"nb:article:{payload['id']}", msg)
    newsbot._connection.parse_interaction_create(press)
    await settle()
    assert "no longer in the archive" in private_message(recorder.for_interaction(press))


@pytest.mark.asyncio
async def test_discord_http_error_on_the_answer(newsbot, recorder, caplog):
    recorder.fail("POST", "/webhooks/", 400, code=50035)  # Discord rejects the answer's follow-up
    payload = slash("ask", {"question": "library budget"}, at=MARCH)
    with caplog.at_level(logging.INFO, logger="bot"):
        newsbot._connection.parse_interaction_create(payload)
        await settle()
    calls = recorder.for_interaction(payload)
    kinds = [c.kind for c in calls]
    assert kinds == ["callback", "followup", "delete_original", "followup"], kinds
    assert "Discord refused my reply (HTTP 400)" in private_message(calls)
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert (
        failed
        and f"interaction={payload['id']}" in failed[0].getMessage()
        and "command=ask" in (failed[0].getMessage())
    )
    assert failed[0].exc_info is not None


@pytest.mark.asyncio
async def test_expired_interaction_token_is_logged_not_raised(newsbot, recorder, caplog):
    recorder.fail("POST", "/callback", 404, code=10062, times=5)  # "Unknown interaction": too late to answer
    payload = slash("ask", {"question": "library budget"}, at=MARCH)
    with caplog.at_level(logging.INFO, logger="bot"):
        newsbot._connection.parse_interaction_create(payload)
        await settle()
    assert any("could not tell the user" in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_admin_commands_need_manage_server(newsbot, recorder):
    payload = slash("config", {"private": True}, permissions=0)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    assert "Manage Server" in private_message(recorder.for_interaction(payload))


def test_build_db_helper_makes_an_index(tmp_path):
    build_db(tmp_path / "x.db", [])
    assert (tmp_path / "x.db").exists()


def test_an_unreadable_option_value_is_quoted_within_the_message_limit():
    from discord import AppCommandOptionType, app_commands

    from bot import errors
    from bot.exts._options import DateOption

    error = app_commands.TransformerError("x" * 6000, AppCommandOptionType.string, DateOption())
    text, expected = errors.describe(error)
    assert expected and len(text) <= 2000 and text.startswith("I couldn't read 'xxx")
