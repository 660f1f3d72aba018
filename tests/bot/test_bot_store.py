"""The bot's store: its own tables and migrations, the upgrade of older databases, and reads off the event loop."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

import index.store
from bot import store as botstore
from bot.bot import COMMANDS_HASH_KEY
from bot.store import AsyncStore, QueryLogEntry
from index import store

# What the store's migration 1 created before the bot owned these tables, verbatim.
OLD_STORE_TABLES = """
CREATE TABLE query_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    surface     TEXT NOT NULL,           -- cli | slash | mention | dm | ...
    guild_id    INTEGER,
    channel_id  INTEGER,
    user_id     INTEGER,
    query       TEXT NOT NULL,
    as_of       TEXT,
    took_ms     REAL,
    n_results   INTEGER,
    results     TEXT NOT NULL DEFAULT '[]'  -- JSON list of passage ids shown
);
CREATE TABLE feedback (
    id        INTEGER PRIMARY KEY,
    query_id  INTEGER NOT NULL REFERENCES query_log(id) ON DELETE CASCADE,
    user_id   INTEGER,
    value     INTEGER NOT NULL,          -- +1 | -1
    at        TEXT NOT NULL,
    UNIQUE (query_id, user_id)
);
CREATE TABLE guild_settings (
    guild_id         INTEGER PRIMARY KEY,
    answer_channels  TEXT NOT NULL DEFAULT '[]',  -- JSON list of channel ids; [] = mentions everywhere
    private_default  INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT NOT NULL
);
"""


def _old_database(path: Path) -> None:
    """A database as an older newsbot left it: the bot's tables made by the store's migration 1, with data."""
    conn = store.connect(path)
    conn.executescript(OLD_STORE_TABLES)
    conn.executescript(
        """
        INSERT INTO guild_settings VALUES (7, '[11, 12]', 1, '2026-01-01T00:00:00+00:00');
        INSERT INTO query_log(id, at, surface, guild_id, query, results)
            VALUES (1001, '2026-01-01T00:00:00+00:00', 'slash', 7, 'library budget', '[3, 4]');
        INSERT INTO feedback(query_id, user_id, value, at) VALUES (1001, 42, -1, '2026-01-01T00:00:01+00:00');
        INSERT INTO meta(key, value) VALUES ('discord_commands_hash', 'abc123');
        """
    )
    conn.close()


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_bot_store_creates_its_own_tables_on_a_fresh_database(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    st = await AsyncStore.open(db)
    try:
        await st.set_guild_settings(5, answer_channels=[9], private_default=True)
        st.log_query(QueryLogEntry(id=77, surface="slash", query="storm", guild_id=5))
        await st.add_feedback(77, 42, 1)
        assert await st.feedback(77) == {42: 1}
        await st.set_meta(COMMANDS_HASH_KEY, "h")
    finally:
        await st.close()
    assert {"query_log", "feedback", "guild_settings", "bot_meta"} <= _tables(db)
    conn = store.connect(db)
    assert conn.execute("SELECT value FROM bot_meta WHERE key = 'schema'").fetchone()[0] == str(
        botstore.BOT_SCHEMA_VERSION
    )
    assert store.get_meta(conn, COMMANDS_HASH_KEY) is None  # the bot's values stay in its own table
    conn.close()
    st = await AsyncStore.open(db)  # opening again applies nothing and keeps everything
    try:
        assert st.guild_settings(5).answer_channels == (9,) and st.guild_settings(5).private_default
        assert (await st.query(77))["query"] == "storm"
        assert await st.get_meta(COMMANDS_HASH_KEY) == "h"
    finally:
        await st.close()


@pytest.mark.asyncio
async def test_database_from_before_the_move_keeps_settings_logs_and_feedback(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _old_database(db)
    st = await AsyncStore.open(db)
    try:
        settings = st.guild_settings(7)
        assert (settings.answer_channels, settings.private_default) == ((11, 12), True)
        row = await st.query(1001)
        assert row is not None and (row["query"], row["results"]) == ("library budget", "[3, 4]")
        assert await st.feedback(1001) == {42: -1}
        # The command-sync hash moved with the rest, so an unchanged command tree is still not synced again.
        assert await st.get_meta(COMMANDS_HASH_KEY) == "abc123"
        # And the old tables take new rows as before.
        await st.add_feedback(1001, 43, 1)
        st.log_query(QueryLogEntry(id=1002, surface="mention", query="storm"))
        await st.flush()
        assert await st.feedback(1001) == {42: -1, 43: 1}
        assert (await st.query(1002))["surface"] == "mention"
    finally:
        await st.close()
    conn = store.connect(db)
    assert store.get_meta(conn, "discord_commands_hash") is None
    conn.close()


def test_bot_migrations_refuse_tables_from_a_newer_newsbot(tmp_path: Path) -> None:
    conn = store.connect(tmp_path / "new.db")
    botstore.migrate(conn)
    conn.execute("UPDATE bot_meta SET value = ? WHERE key = 'schema'", (str(botstore.BOT_SCHEMA_VERSION + 1),))
    with pytest.raises(RuntimeError, match="upgrade newsbot"):
        botstore.migrate(conn)
    conn.close()


@pytest.mark.asyncio
async def test_archive_reads_run_the_store_functions_off_the_event_loop(
    news_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []

    def spy(name: str):
        real = getattr(index.store, name)

        def call(*args, **kwargs):
            threads.append(threading.current_thread().name)
            return real(*args, **kwargs)

        monkeypatch.setattr(index.store, name, call)

    for name in ("stats", "outlet_stats", "read_article", "find_headlines"):
        spy(name)
    st = await AsyncStore.open(news_db)
    try:
        stats = await st.stats()
        sources = await st.sources()
        found = await st.find_articles("council")
        article = await st.get_article(found[0].id)
    finally:
        await st.close()
    assert stats.articles == sum(s.articles for s in sources) == 8
    assert article is not None and article.title == found[0].title and article.passages > 0
    assert len(threads) == 4 and all(t.startswith("newsbot-store-read") for t in threads)
    assert threading.main_thread().name not in threads
