"""Two bot processes' worth of shards on one store: each serves its own servers, and both follow every change."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from helpers.bot_harness import (
    CHANNEL_ID,
    GUILD_ID,
    TOKEN,
    Recorder,
    check_limits,
    guild_payload,
    mention_message,
    settle,
    slash,
)

from bot.bot import NewsBot, ShardedNewsBot, make_bot
from bot.config import Settings, parse_shards
from bot.store import AsyncStore
from index.ingest.update import update_index

SHARDS = 2
WAIT = 30.0  # seconds a stage may take before the test gives up (a bound on failure, never a pause)
MANAGE_GUILD = 1 << 5
AT = datetime(2024, 3, 10, tzinfo=UTC)
# A second server whose id puts it on the other shard: Discord's formula is (guild_id >> 22) % shard_count.
OTHER_GUILD_ID = GUILD_ID + (1 << 22)
OTHER_GUILD_CHANNEL = CHANNEL_ID + 5000
ZEPPELIN = {
    "id": "new-9",
    "title": "Zeppelin museum opens downtown",
    "text": "A zeppelin museum opened downtown on Saturday with a full-size gondola on display.",
    "source": "Springfield Gazette",
    "date": "2024-03-08",
    "url": "https://gazette.example/zeppelin",
}


def discord_shard(guild_id: int) -> int:
    """Discord's documented rule, restated here so the tests check the bot against it, not against itself."""
    return (guild_id >> 22) % SHARDS


def server(guild_id: int) -> dict[str, Any]:
    """GUILD_CREATE for the test server, or for the second one (same shape, its own id and channels)."""
    data = guild_payload()
    if guild_id == GUILD_ID:
        return data
    data = json.loads(json.dumps(data).replace(str(GUILD_ID), str(guild_id)))
    data["channels"] = [dict(c, id=str(OTHER_GUILD_CHANNEL + i)) for i, c in enumerate(data["channels"])]
    return data


def in_server(payload: dict[str, Any], guild_id: int) -> dict[str, Any]:
    """An interaction payload moved to ``guild_id`` (and its first channel there)."""
    if guild_id == GUILD_ID:
        return payload
    moved = json.loads(json.dumps(payload).replace(str(GUILD_ID), str(guild_id)).replace(
        str(CHANNEL_ID), str(OTHER_GUILD_CHANNEL)))  # fmt: skip
    moved["id"], moved["token"] = payload["id"], payload["token"]
    return moved


@pytest.fixture(params=["sqlite", "postgresql"])
def cluster_db(request: pytest.FixtureRequest) -> Path | str:
    """The one store both processes share, with its index: a SQLite file, or a PostgreSQL database."""
    return request.getfixturevalue("news_db" if request.param == "sqlite" else "pg_news_db")


@pytest_asyncio.fixture
async def cluster(
    recorder: Recorder, settings_for: Callable[..., Settings], cluster_db: Path
) -> AsyncIterator[dict[int, NewsBot]]:
    """Shard 0's process and shard 1's, logged in through discord.py, each with the servers its shard receives."""
    bots: dict[int, NewsBot] = {}
    for shard in range(SHARDS):
        count, ids = parse_shards(str(SHARDS), str(shard))  # what `--shards 2 --shard-ids N` gives the bot
        bot = make_bot(settings_for(cluster_db, shard_count=count, shard_ids=ids, sync_seconds=3600.0))
        await bot.login(TOKEN)
        for guild_id in (GUILD_ID, OTHER_GUILD_ID):
            if discord_shard(guild_id) == shard:  # the gateway sends GUILD_CREATE only on the server's shard
                bot._connection._add_guild_from_data(server(guild_id))
        bots[shard] = bot
    yield bots
    for bot in bots.values():
        await bot.close()


def answer_of(recorder: Recorder, payload: dict[str, Any]) -> dict[str, Any]:
    """The one answer embed an /ask got (asserting it was answered, not refused)."""
    followups = [c for c in recorder.for_interaction(payload) if c.kind == "followup"]
    assert len(followups) == 1, [c.kind for c in recorder.for_interaction(payload)]
    check_limits(followups[0])
    assert followups[0].embeds, followups[0].body.get("content")
    return followups[0].embeds[0]


def test_the_two_servers_are_on_different_shards() -> None:
    assert {discord_shard(GUILD_ID), discord_shard(OTHER_GUILD_ID)} == {0, 1}


@pytest.mark.asyncio
async def test_each_process_answers_its_own_servers(cluster, recorder):
    for shard, bot in cluster.items():
        assert isinstance(bot, ShardedNewsBot) and bot.shard_count == SHARDS and bot.shard_ids == [shard]
    asked = {}
    for guild_id in (GUILD_ID, OTHER_GUILD_ID):
        owner = cluster[discord_shard(guild_id)]
        other = cluster[1 - discord_shard(guild_id)]
        assert owner.serves_guild(guild_id) and not other.serves_guild(guild_id)
        assert owner.get_guild(guild_id).shard_id == discord_shard(guild_id)  # discord.py agrees
        payload = in_server(slash("ask", {"question": "library budget"}, at=AT), guild_id)
        owner._connection.parse_interaction_create(payload)
        asked[guild_id] = payload
    await settle(timeout=WAIT)
    for payload in asked.values():
        assert "library" in answer_of(recorder, payload)["description"].lower()


@pytest.mark.asyncio
async def test_dms_and_cluster_jobs_are_shard_zeros_process(cluster, recorder):
    assert cluster[0].serves_guild(None) and not cluster[1].serves_guild(None)
    cluster[0]._connection.parse_message_create(mention_message("library budget", guild=False, at=AT))
    await settle(timeout=WAIT)
    sent = [c for c in recorder.calls if c.kind == "send"]
    assert len(sent) == 1 and "library" in str(sent[0].embeds).lower()
    # The cluster-wide jobs are shard 0's process's: polling the feeds, rebuilding a damaged shared index.
    assert cluster[0].feed_poller._task is not None and cluster[1].feed_poller._task is None
    assert cluster[0].engine._repair is not None and cluster[1].engine._repair is None


@pytest.mark.asyncio
async def test_a_config_change_is_seen_by_the_other_process(cluster, recorder):
    owner, other = cluster[discord_shard(GUILD_ID)], cluster[1 - discord_shard(GUILD_ID)]
    config = slash("config", {"private": True}, permissions=MANAGE_GUILD)
    owner._connection.parse_interaction_create(config)
    await settle(timeout=WAIT)
    assert owner.store.guild_settings(GUILD_ID).private_default
    assert not other.store.guild_settings(GUILD_ID).private_default  # not read yet
    tick = await other.cluster.tick()
    assert tick.settings_changed == 1 and other.store.guild_settings(GUILD_ID).private_default
    # And back: the change the other process saves (after its server moved there) starts from the store's row.
    await other.store.set_guild_settings(GUILD_ID, answer_channels=[CHANNEL_ID])
    assert (await owner.cluster.tick()).settings_changed == 1
    assert owner.store.guild_settings(GUILD_ID).answer_channels == (CHANNEL_ID,)
    assert owner.store.guild_settings(GUILD_ID).private_default


@pytest.mark.asyncio
async def test_the_sync_loop_picks_up_a_change_within_its_interval(cluster):
    other = cluster[1 - discord_shard(GUILD_ID)]
    other.cluster.interval = 0.05
    await other.cluster.stop()
    other.cluster.start()
    await cluster[discord_shard(GUILD_ID)].store.set_guild_settings(GUILD_ID, private_default=True)

    async def seen() -> None:
        while not other.store.guild_settings(GUILD_ID).private_default:
            other.cluster.ticked.clear()
            await other.cluster.ticked.wait()

    await asyncio.wait_for(seen(), timeout=WAIT)


@pytest.mark.asyncio
async def test_after_an_index_run_both_switch_with_no_failed_question(cluster, recorder, cluster_db, tmp_path):
    old = cluster[0].engine.generation
    assert old and cluster[1].engine.generation == old
    for bot in cluster.values():
        bot.cluster.interval = 0.05
        await bot.cluster.stop()
        bot.cluster.start()
    (tmp_path / "incoming").mkdir()
    (tmp_path / "incoming" / "zeppelin.jsonl").write_text(json.dumps(ZEPPELIN) + "\n")
    done = threading.Event()
    questions: list[dict[str, Any]] = []

    def index_run() -> None:  # what `newsbot index` does on any machine that reaches the store
        update_index([tmp_path / "incoming"], cluster_db, progress=False, workers=0)
        done.set()

    async def ask_everywhere() -> None:
        for guild_id in (GUILD_ID, OTHER_GUILD_ID):
            payload = in_server(slash("ask", {"question": "zeppelin museum gondola"}, at=AT), guild_id)
            questions.append(payload)
            cluster[discord_shard(guild_id)]._connection.parse_interaction_create(payload)
        await settle(timeout=WAIT)

    runner = asyncio.create_task(asyncio.to_thread(index_run))
    while not done.is_set():  # questions keep arriving while the index run stores and builds
        await ask_everywhere()
    await runner

    async def switched() -> None:
        while any(bot.engine.generation == old for bot in cluster.values()):
            await ask_everywhere()
            waits = [asyncio.ensure_future(b.cluster.ticked.wait()) for b in cluster.values()]
            for b in cluster.values():
                b.cluster.ticked.clear()
            await asyncio.wait(waits, return_when=asyncio.ALL_COMPLETED)

    await asyncio.wait_for(switched(), timeout=WAIT)
    new = cluster[0].engine.generation
    assert new != old and cluster[1].engine.generation == new
    await ask_everywhere()
    for payload in questions:  # every question answered, from a whole generation
        embed = answer_of(recorder, payload)
        generation = re.search(r"index (\S+)", embed["footer"]["text"]).group(1)
        assert generation in (old, new)
        assert ("Zeppelin museum opens downtown" in str(embed)) == (generation == new), generation
    assert "Zeppelin" in str(answer_of(recorder, questions[-1])) and "Zeppelin" in str(
        answer_of(recorder, questions[-2])
    )


@pytest.mark.asyncio
async def test_follows_are_posted_by_the_process_whose_shard_has_the_server(cluster, recorder, cluster_db, tmp_path):
    owner = cluster[discord_shard(OTHER_GUILD_ID)]
    other = cluster[1 - discord_shard(OTHER_GUILD_ID)]
    _, status = await owner.store.add_follow(OTHER_GUILD_ID, OTHER_GUILD_CHANNEL, "zeppelin museum", None, 25)
    assert status == "added"
    (tmp_path / "incoming").mkdir()
    (tmp_path / "incoming" / "zeppelin.jsonl").write_text(json.dumps(ZEPPELIN) + "\n")
    await asyncio.to_thread(update_index, [tmp_path / "incoming"], cluster_db, progress=False, workers=0)
    for bot in cluster.values():
        await bot.engine.reload()
    assert await other.follows.on_update("test") == 0
    assert await owner.follows.on_update("test") == 1
    sent = [c for c in recorder.calls if c.kind == "send"]
    assert len(sent) == 1 and str(OTHER_GUILD_CHANNEL) in sent[0].url and "Zeppelin" in str(sent[0].embeds)


@pytest.mark.asyncio
async def test_an_unsharded_bot_reads_no_settings_in_its_sync_pass(make_bot, news_db):
    bot = await make_bot(news_db)
    other = await AsyncStore.open(news_db)  # what only another process of a cluster could do
    try:
        await other.set_guild_settings(GUILD_ID, private_default=True)
    finally:
        await other.close()
    assert (await bot.cluster.tick()).settings_changed == 0
    assert bot.store.guild_settings(GUILD_ID).private_default is False
