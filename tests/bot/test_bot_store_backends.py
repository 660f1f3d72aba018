"""The bot store's behaviour on both backends, SQLite and PostgreSQL: the same operations give the same results."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from helpers import botstore
from helpers.botstore import add_articles, execute, schema_version

from bot import store as botstore_module
from bot.cli import main as newsbot
from bot.store import AsyncStore, Conversation, QueryLogEntry, StoreBusy, is_postgres
from index import store

AT = "2026-01-01T00:00:00+00:00"


@pytest.fixture(params=botstore.KINDS)
def locator(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind: a SQLite file's path, or a PostgreSQL URL."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "bot.db")


@pytest_asyncio.fixture
async def st(locator: str) -> AsyncIterator[AsyncStore]:
    """The bot store open on ``locator``."""
    opened = await AsyncStore.open(locator)
    try:
        yield opened
    finally:
        await opened.close()


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


@pytest.mark.asyncio
async def test_fresh_database_gets_the_tables_at_the_latest_schema_and_keeps_them(locator: str) -> None:
    st = await AsyncStore.open(locator)
    try:
        await st.set_guild_settings(5, answer_channels=[9], private_default=True, channel_sources=(9, ["a", "b"]))
        st.log_query(QueryLogEntry(id=77, surface="slash", query="storm", guild_id=5, took_ms=1.5, results=[3, 4]))
        await st.add_feedback(77, 42, 1)
        await st.set_meta("discord_commands_hash", "h")
    finally:
        await st.close()
    assert schema_version(locator) == botstore_module.BOT_SCHEMA_VERSION
    st = await AsyncStore.open(locator)  # opening again applies nothing and keeps everything
    try:
        settings = st.guild_settings(5)
        assert (settings.answer_channels, settings.private_default) == ((9,), True)
        assert settings.channel_sources == {9: ("a", "b")}
        row = await st.query(77)
        assert row is not None
        assert (row["query"], row["surface"], row["guild_id"], row["took_ms"], row["results"]) == (
            "storm",
            "slash",
            5,
            1.5,
            "[3, 4]",
        )
        assert await st.feedback(77) == {42: 1}
        assert await st.get_meta("discord_commands_hash") == "h"
        assert await st.get_meta("missing") is None
    finally:
        await st.close()
    assert schema_version(locator) == botstore_module.BOT_SCHEMA_VERSION


@pytest.mark.asyncio
async def test_tables_from_a_newer_newsbot_are_refused(locator: str) -> None:
    await (await AsyncStore.open(locator)).close()
    execute(locator, "UPDATE bot_meta SET value = ? WHERE key = 'schema'", (str(99),))
    with pytest.raises(RuntimeError, match="upgrade newsbot"):
        await AsyncStore.open(locator)


@pytest.mark.asyncio
async def test_query_log_retention_takes_feedback_with_it(st: AsyncStore, locator: str) -> None:
    for qid in (1, 2, 3):
        st.log_query(QueryLogEntry(id=qid, surface="slash", query=f"question {qid}"))
    st.log_query(QueryLogEntry(id=3, surface="slash", query="logged twice"))  # a retried row is skipped
    await st.flush()
    await st.add_feedback(1, 42, 1)
    execute(locator, "UPDATE query_log SET at = ? WHERE id = ?", (_ago(45), 1))
    execute(locator, "UPDATE query_log SET at = ? WHERE id = ?", (_ago(29), 2))
    removed = await st.trim_logs()
    assert removed["query_log"] == 1
    assert await st.query(1) is None and await st.feedback(1) == {}
    assert (await st.query(2)) is not None and (await st.query(3))["query"] == "question 3"


@pytest.mark.asyncio
async def test_zero_days_logs_nothing(locator: str) -> None:
    st = await AsyncStore.open(locator, query_log_days=0)
    try:
        st.log_query(QueryLogEntry(id=9, surface="slash", query="private question"))
        await st.flush()
        assert await st.query(9) is None
    finally:
        await st.close()


@pytest.mark.asyncio
async def test_feedback_replaces_votes_and_keeps_a_reason_for_the_same_vote(st: AsyncStore) -> None:
    st.log_query(QueryLogEntry(id=5, surface="slash", query="bridge vote", guild_id=1, channel_id=2))
    await st.add_feedback(5, 42, -1, reason="outdated", comment="old news")
    await st.add_feedback(5, 42, -1)  # the same vote without a reason keeps the reason
    await st.add_feedback(5, 43, 1)
    rows = await st.feedback_rows()
    assert {(r["value"], r["reason"], r["comment"]) for r in rows} == {(-1, "outdated", "old news"), (1, None, None)}
    await st.add_feedback(5, 42, 1)  # a changed vote drops it
    assert await st.feedback(5) == {42: 1, 43: 1}
    assert all(r["reason"] is None for r in await st.feedback_rows())
    await st.add_feedback(5, 43, -1, reason="wrong")
    [down] = await st.feedback_rows(down_only=True)
    assert (down["query"], down["surface"], down["guild_id"], down["channel_id"], down["query_id"]) == (
        "bridge vote",
        "slash",
        1,
        2,
        5,
    )
    assert len(await st.feedback_rows(days=1)) == 2
    with pytest.raises(LookupError):
        await st.add_feedback(404, 42, 1)
    with pytest.raises(ValueError):
        await st.add_feedback(5, 42, 0)


@pytest.mark.asyncio
async def test_settings_changed_by_another_process_are_seen_after_a_reload(st: AsyncStore, locator: str) -> None:
    other = await AsyncStore.open(locator)  # another bot process on the same database
    try:
        await other.set_guild_settings(7, answer_channels=[1, 2, 1], private_default=True)
        await other.set_guild_settings(7, channel_sources=(1, ["gazette.example"]))
    finally:
        await other.close()
    assert st.guild_settings(7).answer_channels == ()  # this process's cache is as it was loaded
    assert await st.reload_settings() == 1  # one server's settings changed
    assert (st.guild_settings(7).answer_channels, st.guild_settings(7).private_default) == ((1, 2), True)
    assert st.guild_settings(7).sources_in(1) == ("gazette.example",)
    new = await st.set_guild_settings(7, channel_sources=(1, []))  # an empty list lifts the limit
    assert new.channel_sources == {} and new.answer_channels == (1, 2)
    other = await AsyncStore.open(locator)
    try:
        await other.set_guild_settings(7, private_default=False)
        await other.set_guild_settings(8, answer_channels=[3])
    finally:
        await other.close()
    await st.reload_settings(7)  # one server's settings only
    assert st.guild_settings(7).private_default is False and st.guild_settings(8).answer_channels == ()
    await st.reload_settings(8)
    assert st.guild_settings(8).answer_channels == (3,)
    execute(locator, "DELETE FROM guild_settings WHERE guild_id = ?", (8,))
    await st.reload_settings(8)
    assert st.guild_settings(8) == botstore_module.GuildSettings(8)


@pytest.mark.asyncio
async def test_conversations_are_kept_under_each_anchor_and_expire(st: AsyncStore) -> None:
    convo = Conversation(query_id=1, question="Who won?", topic=("mayor", "election"), sources=("a",), guild_id=3)
    kept = await st.save_conversation(convo, [100, 101])
    assert kept.expires and await st.conversation(100) == kept == await st.conversation(101)
    await st.save_conversation(Conversation(query_id=2, question="Old?", at=_ago(2)), [102])
    assert await st.conversation(999) is None
    assert (await st.trim_logs())["conversation"] == 1
    assert await st.conversation(102) is None and await st.conversation(100) == kept


@pytest.mark.asyncio
async def test_queued_contexts_and_log_rows_are_written_in_one_batch(
    st: AsyncStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[tuple[int, int]] = []
    write = st._backend.write

    async def counting(fn: Any, *args: Any) -> Any:
        if fn is st._ops.write_queued:
            batches.append((len(args[0]), len(args[1])))
        return await write(fn, *args)

    monkeypatch.setattr(st._backend, "write", counting)
    for qid in (1, 2, 3):
        st.log_query(QueryLogEntry(id=qid, surface="slash", query=f"question {qid}"))
    kept = st.keep_conversation(Conversation(query_id=1, question="Who won?", topic=("mayor",)), [200, 201])
    assert kept.expires
    assert await st.conversation(201) == kept == await st.conversation(200)  # a read waits for what is queued
    assert batches == [(3, 1)]
    assert (await st.query(3) or {})["query"] == "question 3"


@pytest.mark.asyncio
async def test_follows_start_at_the_newest_article_and_post_each_article_once(st: AsyncStore, locator: str) -> None:
    old = add_articles(locator, ["2026-01-01"])
    follow, status = await st.add_follow(1, 10, "harbour bridge", 42, limit=2)
    assert status == "added" and follow is not None and follow.last_article_id == old[-1]
    assert (await st.add_follow(1, 10, "harbour bridge", 43, limit=2))[1] == "exists"
    assert (await st.add_follow(1, 11, "storm", 42, limit=2))[1] == "added"
    assert await st.add_follow(1, 12, "council", 42, limit=2) == (None, "full")
    new = add_articles(locator, ["2026-01-02", "2026-01-03", "2026-01-04"], duplicate_of={1: 0})
    assert await st.max_article_id() == new[-1]
    assert await st.new_articles(follow.last_article_id, new[-1]) == [(new[0], "2026-01-02"), (new[2], "2026-01-04")]
    assert await st.reserve_posts(follow.id, [new[2], new[0], new[2]], AT) == [new[2], new[0]]
    assert await st.reserve_posts(follow.id, [new[0]], AT) == []  # reserved already: not sent twice
    await st.release_posts(follow.id, [new[2]])  # its message could not be sent
    assert await st.posted_articles(follow.id, [new[0], new[2]]) == {new[0]}
    await st.confirm_posts(follow.id, [new[0]], 555, new[-1], AT)
    await st.release_posts(follow.id, [new[0]])  # a sent post is never released
    assert await st.posted_articles(follow.id, new) == {new[0]}
    assert await st.follow_messages_since(follow.id, "2025-12-31") == 1
    await st.advance_follow(follow.id, old[0])  # the high-water mark never goes back
    [stored, other] = await st.follows(1)
    assert (stored.last_article_id, stored.last_post_at) == (new[-1], AT)
    await st.disable_follow(other.id, "the channel was deleted")
    assert [f.id for f in await st.follows(active=True)] == [follow.id]
    assert (await st.follows(1))[1].disabled_reason == "the channel was deleted"
    assert await st.remove_follow(2, follow.id) is None  # another server's follow
    assert (await st.remove_follow(1, follow.id)) == stored
    assert await st.posted_articles(follow.id, new) == set()  # its post records went with it


@pytest.mark.asyncio
async def test_prune_logs_and_feedback_commands(st: AsyncStore, locator: str, capsys: pytest.CaptureFixture) -> None:
    st.log_query(QueryLogEntry(id=1, surface="slash", query="old question"))
    st.log_query(QueryLogEntry(id=2, surface="mention", query="new question"))
    await st.flush()
    await st.add_feedback(2, 42, -1, reason="missing", comment="nothing on the ferry")
    execute(locator, "UPDATE query_log SET at = ? WHERE id = ?", (_ago(10), 1))
    assert newsbot(["prune-logs", "--db", locator, "--query-log-days", "7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"removed": {"query_log": 1, "ingest_log": 0}, "query_log_days": 7, "ingest_log_days": 90}
    assert newsbot(["feedback", "--db", locator, "--down"]) == 0
    out = capsys.readouterr().out
    assert "-1 missing  [mention] new question" in out and "nothing on the ferry" in out


def test_commands_say_when_postgresql_cannot_be_reached(capsys: pytest.CaptureFixture) -> None:
    url = "postgresql://newsbot:secret@127.0.0.1:1/nowhere"  # nothing listens on port 1
    assert newsbot(["feedback", "--db", url]) == 1
    err = capsys.readouterr().err
    assert "cannot reach postgresql://newsbot:***@127.0.0.1:1/nowhere" in err and "secret" not in err


@pytest.mark.asyncio
async def test_an_unreachable_server_is_a_store_busy_error() -> None:
    with pytest.raises(StoreBusy, match="cannot reach"):
        await AsyncStore.open("postgres://127.0.0.1:1/nowhere")


# --- Several processes on one database ------------------------------------------------------------------------------


def _collect(procs: list, results, count: int) -> list[tuple[str, object]]:
    """Every process's report (each waits on the queue, never on a clock), after the processes end."""
    reports = [results.get(timeout=120) for _ in range(count)]
    for p in procs:
        p.join(timeout=60)
    return reports


@pytest.mark.parametrize("work", ["migrate_together", "open_together"])
def test_processes_starting_together_migrate_once(locator: str, work: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    count = 4
    if not is_postgres(locator):
        # The archive the bot's tables go beside, indexed before the bot starts. (Creating the archive's own tables
        # from several processes at once is index.store's migration, not the bot's.)
        store.connect(locator).close()
    barrier, results = ctx.Barrier(count), ctx.Queue()
    target = getattr(botstore, work)
    procs = [ctx.Process(target=target, args=(locator, barrier, results)) for _ in range(count)]
    for p in procs:
        p.start()
    reports = _collect(procs, results, count)
    assert reports == [("ok", botstore_module.BOT_SCHEMA_VERSION)] * count, reports
    assert all(p.exitcode == 0 for p in procs)


def test_processes_writing_at_once_post_each_article_exactly_once(locator: str) -> None:
    async def setup() -> int:
        st = await AsyncStore.open(locator)
        try:
            st.log_query(QueryLogEntry(id=1, surface="slash", query="shared question"))
            await st.flush()
            follow, _ = await st.add_follow(1, 10, "harbour", None, limit=5)
            assert follow is not None
            return follow.id
        finally:
            await st.close()

    follow_id = asyncio.run(setup())
    articles = list(range(1000, 1200))
    ctx = multiprocessing.get_context("spawn")
    count = 3
    barrier, results = ctx.Barrier(count), ctx.Queue()
    procs = [
        ctx.Process(target=botstore.write_together, args=(locator, w, follow_id, articles, barrier, results))
        for w in range(count)
    ]
    for p in procs:
        p.start()
    reports = _collect(procs, results, count)
    assert all(kind == "ok" for kind, _ in reports), reports
    reserved = [a for _, mine in reports for a in mine]  # type: ignore[union-attr]
    assert sorted(reserved) == articles  # every article reserved, by exactly one process
    [(votes,)] = execute(locator, "SELECT COUNT(*) FROM feedback WHERE query_id = 1")
    assert votes == count * len(range(0, len(articles), 10))
    rows = execute(locator, "SELECT guild_id, answer_channels FROM guild_settings ORDER BY guild_id")
    assert [(g, json.loads(c)) for g, c in rows] == [(w, [190]) for w in range(count)]


@pytest.mark.asyncio
async def test_postgresql_migration_waits_for_the_advisory_lock(pg_url: str) -> None:
    import psycopg

    from bot.store.postgres import MIGRATION_LOCK

    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", MIGRATION_LOCK)  # another process is migrating
        opening = asyncio.create_task(AsyncStore.open(pg_url))
        for _ in range(3000):  # until the open is seen waiting for the lock (the server says so)
            waiting = holder.execute(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s",
                (MIGRATION_LOCK[0],),
            ).fetchone()
            if waiting and waiting[0]:
                break
            assert not opening.done(), opening.exception()
            await asyncio.sleep(0.01)  # polls the server's view; the outcome is decided by the lock, not the wait
        else:
            pytest.fail("the store never waited for the migration lock")
        assert execute(pg_url, "SELECT to_regclass('bot_meta') IS NULL") == [(True,)]  # nothing applied meanwhile
        holder.execute("SELECT pg_advisory_unlock(%s, %s)", MIGRATION_LOCK)
        st = await opening
    await st.close()
    assert schema_version(pg_url) == botstore_module.BOT_SCHEMA_VERSION


@pytest.mark.asyncio
async def test_postgresql_lock_wait_past_the_timeout_is_busy_and_told_as_busy(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from bot import errors
    from bot.store import is_locked, postgres

    monkeypatch.setattr(postgres, "LOCK_TIMEOUT_MS", 50)  # the pool's connections are configured at open
    st = await AsyncStore.open(pg_url)
    try:
        with psycopg.connect(pg_url) as holder:  # another process holds the table in a long transaction
            holder.execute("LOCK TABLE guild_settings IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(StoreBusy) as caught:
                await st.set_guild_settings(1, private_default=True)
            holder.rollback()
        assert is_locked(caught.value)
        assert errors.describe(caught.value) == (
            "The archive is busy (probably being re-indexed) — try again in a minute.",
            True,
        )
        assert st.guild_settings(1).private_default is False  # not cached as saved
        await st.set_guild_settings(1, private_default=True)  # and the next try goes through
    finally:
        await st.close()


@pytest.mark.asyncio
async def test_postgresql_archive_reads_run_on_their_own_thread(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import psycopg

    import index.store

    seen: list[tuple[str, type]] = []

    def fake_stats(conn: object) -> str:
        seen.append((threading.current_thread().name, type(conn)))
        return "stats"

    monkeypatch.setattr(index.store, "stats", fake_stats)
    st = await AsyncStore.open(pg_url)
    try:
        assert await st.stats() == "stats"
    finally:
        await st.close()
    [(thread, kind)] = seen
    assert thread.startswith("newsbot-store-archive") and issubclass(kind, psycopg.Connection)
