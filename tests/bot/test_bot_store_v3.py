"""The bot's migration step 3 (conversations, per-channel sources, reasons on 👎) on a database made at step 1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import store as botstore
from bot.store import sqlite as botsqlite
from index import store


def test_step_3_keeps_settings_and_feedback_made_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = tmp_path / "old.db"
    conn = store.connect(db)
    monkeypatch.setattr(botsqlite, "BOT_MIGRATIONS", botsqlite.BOT_MIGRATIONS[:1])
    monkeypatch.setattr(botsqlite, "BOT_SCHEMA_VERSION", 1)
    assert botstore.migrate(conn) == 1
    conn.execute(
        "INSERT INTO guild_settings(guild_id, answer_channels, private_default, updated_at) VALUES (7, '[5]', 1, 'x')"
    )
    conn.execute("INSERT INTO query_log(id, at, surface, query) VALUES (9, '2026-01-01', 'slash', 'q')")
    conn.execute("INSERT INTO feedback(query_id, user_id, value, at) VALUES (9, 3, -1, '2026-01-01')")
    monkeypatch.undo()
    assert botstore.migrate(conn) == botstore.BOT_SCHEMA_VERSION
    assert tuple(conn.execute("SELECT value, reason, comment FROM feedback").fetchone()) == (-1, None, None)
    conn.close()

    async def check() -> None:
        st = await botstore.AsyncStore.open(db)
        try:
            settings = st.guild_settings(7)
            assert settings.answer_channels == (5,) and settings.private_default and settings.channel_sources == {}
            assert await st.conversation(123) is None
        finally:
            await st.close()

    asyncio.run(check())
