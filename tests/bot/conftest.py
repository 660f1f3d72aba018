"""Fixtures for the bot tests: a recorded Discord HTTP layer and a logged-in NewsBot over a small real index."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from helpers.bot_articles import ARTICLES, ENORMOUS
from helpers.bot_harness import TOKEN, Recorder, build_db, guild_payload, install

from bot.bot import NewsBot
from bot.config import Secret, Settings
from bot.engine import Engine


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    install(monkeypatch, rec)
    return rec


@pytest.fixture
def news_db(tmp_path: Path) -> Path:
    """A small real store and postings index built from the articles above."""
    path = tmp_path / "news.db"
    build_db(path, ARTICLES, raw_passages=ENORMOUS)
    return path


@pytest.fixture
def pg_news_db(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The same store and index as ``news_db``, in a PostgreSQL database (its index under the working folder)."""
    monkeypatch.chdir(tmp_path)
    build_db(pg_url, ARTICLES, raw_passages=ENORMOUS)
    return pg_url


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    def make(db: Path, **overrides: Any) -> Settings:
        # Searches in threads: the same code paths, without starting worker processes for every test.
        values: dict[str, Any] = {"token": Secret(TOKEN), "db": db, "cooldown_seconds": 0.0, "search_workers": 0}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest_asyncio.fixture
async def make_bot(recorder: Recorder, settings_for: Callable[..., Settings]) -> AsyncIterator[Callable[..., Any]]:
    """Start NewsBots through discord.py's own login (HTTP recorded); closes them afterwards."""
    bots: list[NewsBot] = []

    async def start(db: Path, *, engine: Engine | None = None, **overrides: Any) -> NewsBot:
        bot = NewsBot(settings_for(db, **overrides), engine=engine)
        await bot.login(TOKEN)
        bot._connection._add_guild_from_data(guild_payload())  # what the gateway's GUILD_CREATE would cache
        bots.append(bot)
        return bot

    yield start
    for bot in bots:
        await bot.close()


@pytest_asyncio.fixture
async def newsbot(make_bot: Callable[..., Any], news_db: Path) -> NewsBot:
    return await make_bot(news_db)
