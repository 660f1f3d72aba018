"""A database on read-only media: the bot starts and answers; what it would save says it cannot."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from helpers.bot_harness import check_limits, settle, slash

from index import store

MANAGE_GUILD = 1 << 5


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening for writing fails as it does on a read-only mount; read-only opens still work."""
    real = store.connect

    def connect(path, *, readonly: bool = False):
        if not readonly:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real(path, readonly=True)

    monkeypatch.setattr(store, "connect", connect)


@pytest.mark.asyncio
async def test_the_bot_answers_from_a_read_only_database(make_bot, news_db, recorder, read_only) -> None:
    bot = await make_bot(news_db)
    assert bot.store.read_only
    q = slash("ask", {"question": "library budget council"}, at=datetime(2024, 3, 10, tzinfo=UTC))
    bot._connection.parse_interaction_create(q)
    await settle()
    answer = next(c for c in recorder.for_interaction(q) if c.kind == "followup")
    check_limits(answer)
    assert "Council approves budget" in str(answer.embeds)
    await bot.store.flush()
    assert await bot.store.query(int(q["id"])) is None  # nothing logged


@pytest.mark.asyncio
async def test_saving_settings_on_a_read_only_database_says_why_it_cannot(
    make_bot, news_db, recorder, read_only
) -> None:
    bot = await make_bot(news_db)
    payload = slash("config", {"private": True}, permissions=MANAGE_GUILD)
    bot._connection.parse_interaction_create(payload)
    await settle()
    said = " ".join(str(c.json) for c in recorder.for_interaction(payload))
    assert "read-only" in said and "Something went wrong" not in said
