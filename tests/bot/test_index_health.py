"""A damaged index never stops the bot: it answers from an intact older generation, or says so, and rebuilds."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.bot_harness import mention_message, settle, slash

from bot import search_worker
from bot.engine import Engine
from bot.errors import IndexDamaged, IndexRepairing
from index.search.build import rebuild
from index.search.generations import MANIFEST_FILE, current_generation, index_dir
from index.search.health import check

MARCH = datetime(2024, 3, 10, tzinfo=UTC)


def private_message(calls) -> str:
    for call in reversed(calls):
        if call.kind in ("callback", "followup") and call.body.get("content"):
            assert call.body.get("flags", 0) & 64, call.body
            return call.body["content"]
    raise AssertionError(f"no private message in {[c.kind for c in calls]}")


def truncate_docs(db: Path, name: str) -> None:
    docs = index_dir(db) / name / "docs.npy"
    with open(docs, "r+b") as fh:
        fh.truncate(docs.stat().st_size - 8)


class Gate:
    """A repair that waits until the test lets it run, so the test sees the bot while the rebuild is under way."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.calls = 0

    def __call__(self, db: Path) -> object:
        self.calls += 1
        assert self.go.wait(60), "the test never released the repair"
        return rebuild(db, progress=False)


async def ask(bot, recorder, question: str = "library budget"):
    payload = slash("ask", {"question": question}, at=MARCH)
    bot._connection.parse_interaction_create(payload)
    await settle()
    return recorder.for_interaction(payload)


def answered(calls) -> bool:
    return any(
        c.kind == "followup" and c.body.get("embeds") and "Council approves budget" in str(c.body["embeds"])
        for c in calls
    )


@pytest.mark.asyncio
async def test_damaged_index_with_nothing_intact_bot_starts_and_says_so(make_bot, news_db, recorder, caplog):
    truncate_docs(news_db, "gen-000001")
    with caplog.at_level(logging.WARNING, logger="bot"):
        bot = await make_bot(news_db, engine=Engine(news_db, workers=0, repair=None))  # start-up completes
    assert not bot.engine.ready
    assert "search index gen-000001 is damaged (docs.npy: " in caplog.text
    assert private_message(await ask(bot, recorder)) == IndexDamaged.user_message
    assert "the bot's owner can run /reindex" in IndexDamaged.user_message

    bot._connection.parse_message_create(mention_message("library budget"))
    await settle()
    assert "search index is damaged" in recorder.of("send")[-1].json["content"]


@pytest.mark.asyncio
async def test_damaged_current_bot_answers_from_the_previous_generation_while_it_rebuilds(
    make_bot, news_db, recorder, caplog
):
    rebuild(news_db, progress=False)
    truncate_docs(news_db, "gen-000002")
    gate = Gate()
    with caplog.at_level(logging.WARNING, logger="bot"):
        bot = await make_bot(news_db, engine=Engine(news_db, workers=0, repair=gate))
    try:
        assert bot.engine.generation == "gen-000001"
        assert bot.engine.repairing and gate.calls == 1
        assert "gen-000002 is damaged" in caplog.text and "answering from gen-000001 meanwhile" in caplog.text
        assert answered(await ask(bot, recorder))
    finally:
        gate.go.set()
    await bot.engine.settled()
    assert bot.engine.generation == "gen-000003" == current_generation(news_db)
    assert check(news_db).ok
    assert answered(await ask(bot, recorder))


@pytest.mark.asyncio
async def test_damaged_index_bot_says_it_is_rebuilding_then_answers(make_bot, news_db, recorder):
    truncate_docs(news_db, "gen-000001")
    gate = Gate()
    bot = await make_bot(news_db, engine=Engine(news_db, workers=0, repair=gate))
    try:
        assert not bot.engine.ready and bot.engine.repairing
        assert private_message(await ask(bot, recorder)) == IndexRepairing.user_message
    finally:
        gate.go.set()
    await bot.engine.settled()
    assert bot.engine.generation == "gen-000002"
    assert answered(await ask(bot, recorder))


@pytest.mark.asyncio
async def test_a_failed_repair_is_not_retried_in_a_loop(make_bot, news_db, recorder, caplog):
    truncate_docs(news_db, "gen-000001")
    calls = []

    def broken(db: Path) -> None:
        calls.append(db)
        raise OSError("disk full")

    with caplog.at_level(logging.ERROR, logger="bot"):
        bot = await make_bot(news_db, engine=Engine(news_db, workers=0, repair=broken))
        await bot.engine.settled()
    assert "rebuilding the damaged search index" in caplog.text
    assert private_message(await ask(bot, recorder)) == IndexDamaged.user_message
    await bot.engine.reload()
    await bot.engine.settled()
    assert len(calls) == 1


@pytest.mark.asyncio
async def test_background_checksums_move_the_bot_off_a_silently_damaged_generation(make_bot, news_db, recorder):
    rebuild(news_db, progress=False)
    story = index_dir(news_db) / "gen-000002" / "art_story.npy"
    with open(story, "r+b") as fh:  # sizes and structure still fine: only the checksum can tell
        fh.seek(story.stat().st_size - 8)
        fh.write(b"\x01" * 8)
    assert check(news_db, checksums=False).ok and not check(news_db).ok
    bot = await make_bot(news_db, engine=Engine(news_db, workers=0, repair=None))
    await bot.engine.settled()
    assert bot.engine.generation == "gen-000001"
    assert bot.engine.health is not None and bot.engine.health.problem == "art_story.npy: checksum mismatch"
    assert answered(await ask(bot, recorder))


def test_search_worker_opens_the_generation_the_engine_picked(news_db, monkeypatch):
    rebuild(news_db, progress=False)
    truncate_docs(news_db, "gen-000002")
    monkeypatch.setattr(search_worker, "_searcher", None)
    got = search_worker.call(str(news_db), "gen-000001", lambda s: s.generation)
    assert got == "gen-000001"


def test_old_generation_without_manifest_serves_the_bot(news_db):
    (index_dir(news_db) / "gen-000001" / MANIFEST_FILE).unlink()
    health = check(news_db)
    assert health.ok and health.serve == "gen-000001"
