"""The bot's store: its own tables (query log, feedback, settings, follows) on SQLite or PostgreSQL, archive reads."""

# One module per backend holds the SQL (sqlite.py, postgres.py); both name the same operations, which AsyncStore
# runs through the backend it opened: on SQLite a sync function on a connection's thread, on PostgreSQL a coroutine
# on a pooled async connection. The locator picks the backend: a postgresql:// or postgres:// URL, else a path.

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot import tasks
from bot.store.base import (
    CONVERSATION_MINUTES,
    QUERY_LOG_DAYS,
    Backend,
    ReadOnlyArchive,
    StoreBusy,
    is_locked,
    is_postgres,
    shown,
)
from bot.store.records import Conversation, Follow, GuildSettings, QueryLogEntry
from bot.store.sqlite import (
    BOT_MIGRATIONS,
    BOT_SCHEMA_VERSION,
    BUSY_TIMEOUT_MS,
    SqliteBackend,
    feedback_rows,
    migrate,
    trim_conversations,
    trim_query_log,
)
from index import store
from index.store import ArticleRef, OutletStats, StoredArticle, StoreStats

__all__ = [
    "BOT_MIGRATIONS",
    "BOT_SCHEMA_VERSION",
    "BUSY_TIMEOUT_MS",
    "CONVERSATION_MINUTES",
    "QUERY_LOG_DAYS",
    "ArticleRef",
    "AsyncStore",
    "Conversation",
    "Follow",
    "GuildSettings",
    "OutletStats",
    "QueryLogEntry",
    "ReadOnlyArchive",
    "SourceStats",
    "StoreBusy",
    "StoreStats",
    "StoredArticle",
    "feedback_rows",
    "is_locked",
    "is_postgres",
    "migrate",
    "shown",
    "trim_conversations",
    "trim_query_log",
]

log = logging.getLogger(__name__)

# Queued query-log rows are retried this long while a re-index holds the write lock, then dropped with a warning.
LOG_RETRY_SECONDS = 120.0
# Queued writes (a query-log row and a follow-up context per answer) come in bursts; the writer gathers them this
# long after the first, so that a burst is one commit instead of one or two per answer (a commit syncs the file),
# made mostly after the answers rather than beside them. flush() cuts it short.
LOG_GATHER_SECONDS = 0.25

SourceStats = OutletStats  # the name /sources and its callers knew


def _expiring(convo: Conversation) -> Conversation:
    """``convo`` with its expiry: CONVERSATION_MINUTES after it was made, unless it has one."""
    if convo.expires:
        return convo
    until = datetime.fromisoformat(convo.at) + timedelta(minutes=CONVERSATION_MINUTES)
    return replace(convo, expires=until.isoformat(timespec="seconds"))


class AsyncStore:
    """The bot's access to its database: reads and writes that never block the event loop, a background log writer.

    On SQLite, two connections each on a thread of its own (reads never wait for the indexer: WAL); on PostgreSQL, a
    pool of async connections shared by every process of the bot. The archive's reads are the store's own functions
    (:mod:`index.store`), so the bot and the command line give the same answers. Query-log rows are queued and
    written by one task, so an answer is never delayed by a re-index holding the write lock; feedback and settings
    are written at once so the user learns whether they were saved.
    """

    def __init__(self, backend: Backend, query_log_days: int) -> None:
        self._backend = backend
        self._ops: Any = backend.ops
        self.locator = backend.locator
        self.path = Path(backend.locator) if not is_postgres(backend.locator) else None
        self.query_log_days = query_log_days
        self._queue: asyncio.Queue[QueryLogEntry | tuple[Conversation, list[int]]] = asyncio.Queue()
        self._kept = 0  # follow-up contexts queued and not written yet: a read of one waits for them
        self._writer: asyncio.Task[None] | None = None
        self._flushing = asyncio.Event()  # set while someone waits for the queue: the writer stops gathering
        self._flushers = 0
        self._settings: dict[int, GuildSettings] = {}  # the one per-process cache of server settings
        self._settings_saves = 0  # counts this process's saves, so a concurrent reload cannot undo one

    @classmethod
    async def open(
        cls,
        locator: str | os.PathLike[str],
        *,
        busy_timeout_ms: int | None = None,
        query_log_days: int = QUERY_LOG_DAYS,
    ) -> AsyncStore:
        """Open (creating and migrating if needed) the database at ``locator``.

        Args:
            locator: a SQLite file's path, or a ``postgresql://`` (``postgres://``) URL.
            busy_timeout_ms: SQLite: how long a write waits for another process's write lock (default
                BUSY_TIMEOUT_MS).
            query_log_days: days the query log keeps what users asked (0: nothing is logged).

        Returns:
            The open store; call :meth:`close` when done.

        Raises:
            StoreBusy: PostgreSQL could not be reached (the message names the server, never the password).
        """
        backend: Backend
        if is_postgres(locator):
            from bot.store.postgres import PostgresBackend  # psycopg is an optional extra: imported only for a URL

            backend = await PostgresBackend.open(str(locator))
        else:
            backend = await SqliteBackend.open(Path(locator), busy_timeout_ms)
        self = cls(backend, query_log_days)
        try:
            await self.reload_settings()
        except BaseException:
            await backend.close()
            raise
        if not backend.read_only:
            self._writer = asyncio.create_task(self._write_logs(), name="newsbot-query-log-writer")
        return self

    @property
    def read_only(self) -> bool:
        """True when the database cannot be written (questions are answered, nothing is saved)."""
        return self._backend.read_only

    async def close(self) -> None:
        """Write what is queued (briefly), stop the writer and close the connections."""
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush(), timeout=5)
            await tasks.stop(self._writer)
            self._writer = None
        await self._backend.close()

    # Query log -------------------------------------------------------------------------------------------------

    def log_query(self, entry: QueryLogEntry) -> None:
        """Queue one question for the query log; returns at once (see :meth:`flush`)."""
        if self.query_log_days > 0 and not self.read_only:
            self._queue.put_nowait(entry)

    async def trim_logs(self, *, ingest_log_days: int | None = None) -> dict[str, int]:
        """Apply the retention: query-log rows past ``query_log_days``, old ingest-log rows and expired follow-up
        contexts; returns the counts removed.

        Args:
            ingest_log_days: days of ingest problems kept (default: the store's own retention).
        """
        if self.read_only:
            return {"query_log": 0, "ingest_log": 0, "conversation": 0}
        removed = {"query_log": await self._backend.write(self._ops.trim_query_log, self.query_log_days)}
        removed["ingest_log"] = 0
        if await self._backend.read(self._ops.has_ingest_log):
            days = {} if ingest_log_days is None else {"keep_days": ingest_log_days}
            removed["ingest_log"] = await self._backend.archive(store.trim_ingest_log, **days)
        removed["conversation"] = await self._backend.write(self._ops.trim_conversations)
        if any(removed.values()):
            log.info("log retention removed %d query-log, %d ingest-log and %d conversation rows", *removed.values())
        return removed

    async def flush(self) -> None:
        """Wait until every queued query-log row and follow-up context is written (or given up on)."""
        self._flushers += 1
        self._flushing.set()
        try:
            await self._queue.join()
        finally:
            self._flushers -= 1
            if not self._flushers:
                self._flushing.clear()

    async def _write_logs(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if not self._flushing.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flushing.wait(), LOG_GATHER_SECONDS)
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            rows = [e.row() for e in batch if isinstance(e, QueryLogEntry)]
            kept = [e for e in batch if not isinstance(e, QueryLogEntry)]
            try:
                await self._write_queued(rows, kept)
            except Exception:
                what = f"{len(rows)} query-log rows and {len(kept)} follow-up contexts"
                log.exception("could not write %s; they are dropped", what)
            finally:
                self._kept -= len(kept)
                for _ in batch:
                    self._queue.task_done()

    async def _write_queued(self, rows: list[tuple[Any, ...]], kept: list[tuple[Conversation, list[int]]]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOG_RETRY_SECONDS
        delay = 0.5
        while True:
            try:
                await self._backend.write(self._ops.write_queued, rows, kept)
                return
            except Exception as e:
                if not is_locked(e) or loop.time() + delay > deadline:
                    raise
                log.info("query log waits for the database (%s); retrying in %.1fs", e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def query(self, query_id: int) -> dict[str, Any] | None:
        """One query-log row as a dict, or None."""
        return await self._backend.read(self._ops.query_row, query_id)

    # Feedback --------------------------------------------------------------------------------------------------

    async def add_feedback(
        self, query_id: int, user_id: int, value: int, *, reason: str | None = None, comment: str | None = None
    ) -> None:
        """Store a thumbs up (+1) or down (-1) for a logged question; a user's later vote replaces the earlier.

        ``reason`` (wrong | outdated | missing | other) and ``comment`` say why, for a thumbs down.

        Raises:
            sqlite3.OperationalError: the database stayed locked or busy (:func:`is_locked`); try again later.
            LookupError: the question is not in the query log.
        """
        if value not in (1, -1):
            raise ValueError("feedback is +1 or -1")
        await self.flush()
        await self._backend.write(self._ops.add_feedback, query_id, user_id, value, reason, comment)

    async def feedback(self, query_id: int) -> dict[int, int]:
        """user id -> vote for one question."""
        return await self._backend.read(self._ops.feedback, query_id)

    async def feedback_rows(self, *, days: int | None = None, down_only: bool = False) -> list[dict[str, Any]]:
        """Feedback with its question, newest first: at, value, reason, comment, query, surface, guild and channel ids
        and the question's id.

        Args:
            days: only feedback from the last ``days`` days.
            down_only: only thumbs down.
        """
        return await self._backend.read(self._ops.list_feedback, days, down_only)

    # Conversations (follow-ups) ----------------------------------------------------------------------------------

    async def save_conversation(self, convo: Conversation, anchors: list[int]) -> Conversation:
        """Keep ``convo`` under each anchor (answer message or thread id) for CONVERSATION_MINUTES; returns it stored.

        Raises:
            sqlite3.OperationalError: the database stayed locked or busy (:func:`is_locked`).
        """
        convo = _expiring(convo)
        await self._backend.write(self._ops.save_conversation, convo, anchors)
        return convo

    def keep_conversation(self, convo: Conversation, anchors: list[int]) -> Conversation:
        """Queue ``convo`` to be kept as :meth:`save_conversation` keeps it, written with the query log (a moment
        later, one commit for many answers); returns it as it will be stored. :meth:`conversation` waits for it.
        A database that stays locked only loses it (logged), as it loses query-log rows; on a read-only one nothing
        is kept."""
        convo = _expiring(convo)
        if not self.read_only:
            self._kept += 1
            self._queue.put_nowait((convo, list(anchors)))
        return convo

    async def conversation(self, anchor: int) -> Conversation | None:
        """The context kept under an answer message or thread id (expired or not), or None."""
        if self._kept:  # one may be queued for this anchor
            await self.flush()
        return await self._backend.read(self._ops.conversation, anchor)

    # Server settings -------------------------------------------------------------------------------------------

    def guild_settings(self, guild_id: int | None) -> GuildSettings:
        """A server's settings from memory (loaded at open, updated on every change); defaults when unset."""
        if guild_id is None:
            return GuildSettings(0)
        return self._settings.get(guild_id) or GuildSettings(guild_id)

    async def reload_settings(self, guild_id: int | None = None) -> int:
        """Read server settings from the database into this process's cache, where another bot process may have
        changed them: one server's when ``guild_id`` is given, else every server's.

        Returns:
            How many servers' settings differ from what the cache held (added, changed or removed).
        """
        saves = self._settings_saves
        if guild_id is None:
            fresh = await self._backend.read(self._ops.all_settings)
            if saves != self._settings_saves:  # this process saved meanwhile: what was read may predate it
                return 0
            changed = sum(1 for g in fresh.keys() | self._settings.keys() if fresh.get(g) != self._settings.get(g))
            self._settings = fresh
            return changed
        found = await self._backend.read(self._ops.one_settings, guild_id)
        if saves != self._settings_saves:
            return 0
        before = self._settings.pop(guild_id, None)
        if found is not None:
            self._settings[guild_id] = found
        return int(before != found)

    async def set_guild_settings(
        self,
        guild_id: int,
        *,
        answer_channels: list[int] | tuple[int, ...] | None = None,
        private_default: bool | None = None,
        channel_sources: tuple[int, list[str]] | None = None,
    ) -> GuildSettings:
        """Change a server's settings (None leaves a setting as it is) and return the new ones.

        ``channel_sources`` is ``(channel id, outlets)``: that channel's answers come only from those outlets
        (an empty list lifts the limit).

        Raises:
            sqlite3.OperationalError: the database stayed locked or busy (:func:`is_locked`); try again later.
        """
        current = self.guild_settings(guild_id)
        limits = dict(current.channel_sources)
        if channel_sources is not None:
            channel, outlets = channel_sources
            limits.pop(channel, None)
            if outlets:
                limits[channel] = tuple(dict.fromkeys(outlets))
        new = GuildSettings(
            guild_id,
            tuple(dict.fromkeys(answer_channels)) if answer_channels is not None else current.answer_channels,
            current.private_default if private_default is None else private_default,
            limits,
        )
        await self._backend.write(self._ops.save_settings, new)
        self._settings_saves += 1
        self._settings[guild_id] = new
        return new

    # The archive (the store's own reads) -----------------------------------------------------------------------

    async def get_article(self, article_id: int) -> StoredArticle | None:
        """The stored article with this row id (following a duplicate to its original), or None if it is gone."""
        return await self._backend.archive(store.read_article, article_id, original=True)

    async def find_articles(self, text: str, limit: int = 25) -> list[ArticleRef]:
        """Headlines containing ``text`` (case-insensitive), those starting with it first, newest first.

        Args:
            text: what the user typed so far; empty lists the newest articles.
            limit: at most this many (Discord shows 25 autocomplete choices).

        Returns:
            Matching articles, originals only (duplicates are folded into them).
        """
        return await self._backend.archive(store.find_headlines, text, limit=limit)

    async def sources(self) -> list[OutletStats]:
        """Every outlet with its count of distinct stories and their first/last publication date, biggest first."""
        return await self._backend.archive(store.outlet_stats)

    async def stats(self) -> StoreStats:
        """What the archive holds, counted as ``newsbot stats`` counts it (see :class:`index.store.StoreStats`)."""
        return await self._backend.archive(store.stats)

    # The bot's own settings ------------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """A value the bot keeps for itself (bot_meta), or None."""
        return await self._backend.read(self._ops.get_meta, key)

    async def set_meta(self, key: str, value: str) -> None:
        """Keep a value for the bot (bot_meta); on a read-only database it is not kept (and asked for again)."""
        if not self.read_only:
            await self._backend.write(self._ops.set_meta, key, value)

    # Follows ---------------------------------------------------------------------------------------------------

    async def add_follow(
        self, guild_id: int, channel_id: int, query: str, user_id: int | None, limit: int
    ) -> tuple[Follow | None, str]:
        """Follow ``query`` in a channel, from the archive's newest article on.

        Returns:
            (the follow, "added"), (the existing follow, "exists"), or (None, "full") when the server has
            ``limit`` follows already.
        """
        return await self._backend.write(self._ops.add_follow, guild_id, channel_id, query, user_id, limit)

    async def follows(self, guild_id: int | None = None, *, active: bool = False) -> list[Follow]:
        """A server's follows (every server's when None), oldest first; ``active`` leaves out disabled ones."""
        return await self._backend.read(self._ops.follows, guild_id, active)

    async def remove_follow(self, guild_id: int, follow_id: int) -> Follow | None:
        """Stop and delete a follow of this server (its post records go with it); None when there is no such one."""
        return await self._backend.write(self._ops.remove_follow, guild_id, follow_id)

    async def disable_follow(self, follow_id: int, reason: str) -> None:
        """Stop posting for a follow, keeping it listed with ``reason`` (the channel is gone, a permission lacks)."""
        await self._backend.write(self._ops.disable_follow, follow_id, reason)

    async def max_article_id(self) -> int:
        """The highest article row id in the archive (0 when empty)."""
        return await self._backend.read(self._ops.max_article_id)

    async def new_articles(self, after_id: int, upto_id: int) -> list[tuple[int, str | None]]:
        """(id, published) of the original articles with ``after_id < id <= upto_id``, oldest first."""
        return await self._backend.read(self._ops.new_articles, after_id, upto_id)

    async def posted_articles(self, follow_id: int, article_ids: list[int]) -> set[int]:
        """Those of ``article_ids`` already posted (or being posted) for a follow."""
        return await self._backend.read(self._ops.posted, follow_id, article_ids)

    async def reserve_posts(self, follow_id: int, article_ids: list[int], at: str) -> list[int]:
        """Record articles as posted before sending them; returns those not recorded already (the ones to send).

        Exactly once across processes: each article is returned to one caller only, whichever process calls.
        """
        return await self._backend.write(self._ops.reserve_posts, follow_id, article_ids, at)

    async def release_posts(self, follow_id: int, article_ids: list[int]) -> None:
        """Forget reserved posts whose message could not be sent (they are tried again)."""
        await self._backend.write(self._ops.release_posts, follow_id, article_ids)

    async def confirm_posts(self, follow_id: int, article_ids: list[int], message_id: int, upto: int, at: str) -> None:
        """Note the message that carried reserved posts, and move the follow's high-water mark to ``upto``."""
        await self._backend.write(self._ops.confirm_posts, follow_id, article_ids, message_id, upto, at)

    async def advance_follow(self, follow_id: int, upto: int) -> None:
        """Move a follow's high-water mark to ``upto``: articles up to it were looked at."""
        await self._backend.write(self._ops.advance_follow, follow_id, upto)

    async def follow_messages_since(self, follow_id: int, since: str) -> int:
        """Messages posted for a follow at or after ``since`` (an ISO UTC time as the store writes it)."""
        return await self._backend.read(self._ops.messages_since, follow_id, since)
