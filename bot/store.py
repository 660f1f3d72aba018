"""Asynchronous access to the store for the bot: query log, feedback, server settings, article lookups, stats."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from index import store

log = logging.getLogger(__name__)

# A bot's write waits at most this long for the indexer's write lock before giving up with "database is locked":
# long enough to ride out a batch commit, short enough that a user is told something within Discord's patience.
BUSY_TIMEOUT_MS = 5000
# Queued query-log rows are retried this long while a re-index holds the write lock, then dropped with a warning.
LOG_RETRY_SECONDS = 120.0


def is_locked(error: BaseException) -> bool:
    """True when ``error`` is SQLite's "database is locked" / "database is busy"."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's choices: where mentions are answered ([] = every channel) and private-by-default answers."""

    guild_id: int
    answer_channels: tuple[int, ...] = ()
    private_default: bool = False

    def answers_in(self, channel_id: int, parent_id: int | None = None) -> bool:
        """Whether mentions in this channel (or a thread under ``parent_id``) are answered."""
        if not self.answer_channels:
            return True
        return channel_id in self.answer_channels or (parent_id is not None and parent_id in self.answer_channels)


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """An article as listed in autocomplete: enough to name it."""

    id: int
    title: str
    outlet: str | None
    published: str | None


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as stored, with its passage count."""

    id: int
    source_id: str
    title: str
    body: str
    outlet: str | None
    published: str | None
    url: str | None
    authors: list[str]
    passages: int
    duplicate_of: int | None

    @property
    def paragraphs(self) -> list[str]:
        """The body's paragraphs (the store joins them with a blank line)."""
        return [p for p in self.body.split("\n\n") if p.strip()]


@dataclass(frozen=True, slots=True)
class SourceStats:
    """One outlet: how many articles and the dates they span (ISO dates, None when all are undated)."""

    outlet: str | None
    articles: int
    first: str | None
    last: str | None


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts for /stats."""

    articles: int
    duplicates: int
    passages: int
    last_run: dict[str, Any] | None = None
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class QueryLogEntry:
    """One question as logged; ``id`` is the Discord interaction or message id, so buttons can name it at once."""

    id: int
    surface: str  # slash | mention | dm | more | search
    query: str
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    as_of: str | None = None
    took_ms: float | None = None
    n_results: int | None = None
    results: list[int] = field(default_factory=list)
    at: str = field(default_factory=_now)


class AsyncStore:
    """The bot's connections to the SQLite store: one for reads, one for writes, and a background log writer.

    Reads never wait for the indexer (WAL). Query-log rows are queued and written by one task, so an answer is
    never delayed by a re-index holding the write lock; feedback and settings are written at once so the user
    learns whether they were saved.
    """

    def __init__(self, path: Path, read: aiosqlite.Connection, write: aiosqlite.Connection) -> None:
        self.path = path
        self._read = read
        self._write = write
        self._queue: asyncio.Queue[QueryLogEntry] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._settings: dict[int, GuildSettings] = {}

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, busy_timeout_ms: int | None = None) -> AsyncStore:
        """Open (creating and migrating if needed) the database at ``path``.

        Args:
            path: the SQLite file.
            busy_timeout_ms: how long a write waits for another process's write lock (default BUSY_TIMEOUT_MS).

        Returns:
            The open store; call :meth:`close` when done.
        """
        path = Path(path)
        # The synchronous store owns the schema: let it create and migrate the file first.
        await asyncio.to_thread(lambda: store.connect(path).close())
        timeout = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        read = await cls._connect(path, timeout)
        write = await cls._connect(path, timeout)
        self = cls(path, read, write)
        await self._load_settings()
        self._writer = asyncio.create_task(self._write_logs(), name="newsbot-query-log-writer")
        return self

    @staticmethod
    async def _connect(path: Path, busy_timeout_ms: int) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        return conn

    async def close(self) -> None:
        """Write what is queued (briefly), stop the writer and close both connections."""
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout=5)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self._read.close()
        await self._write.close()

    # Query log -------------------------------------------------------------------------------------------------

    def log_query(self, entry: QueryLogEntry) -> None:
        """Queue one question for the query log; returns at once (see :meth:`flush`)."""
        self._queue.put_nowait(entry)

    async def flush(self) -> None:
        """Wait until every queued query-log row is written (or given up on)."""
        await self._queue.join()

    async def _write_logs(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._insert_logs(batch)
            except Exception:
                log.exception("could not write %d query-log rows; they are dropped", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _insert_logs(self, batch: list[QueryLogEntry]) -> None:
        rows = [
            (
                e.id,
                e.at,
                e.surface,
                e.guild_id,
                e.channel_id,
                e.user_id,
                e.query,
                e.as_of,
                e.took_ms,
                e.n_results,
                json.dumps(e.results),
            )
            for e in batch
        ]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOG_RETRY_SECONDS
        delay = 0.5
        while True:
            try:
                # Autocommit, row by row: no write lock is held across awaits (another writer in this process,
                # blocked on the event loop, could otherwise wait on us); a retried row that landed is skipped.
                await self._write.executemany(
                    "INSERT INTO query_log"
                    "(id, at, surface, guild_id, channel_id, user_id, query, as_of, took_ms, n_results, results)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                    rows,
                )
                return
            except sqlite3.OperationalError as e:
                if not is_locked(e) or loop.time() + delay > deadline:
                    raise
                log.info("query log waits for the write lock (%s); retrying in %.1fs", e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def query(self, query_id: int) -> dict[str, Any] | None:
        """One query-log row as a dict, or None."""
        async with self._read.execute("SELECT * FROM query_log WHERE id = ?", (query_id,)) as cur:
            row = await cur.fetchone()
        return dict(row) if row else None

    # Feedback --------------------------------------------------------------------------------------------------

    async def add_feedback(self, query_id: int, user_id: int, value: int) -> None:
        """Store a thumbs up (+1) or down (-1) for a logged question; a user's later vote replaces the earlier.

        Raises:
            sqlite3.OperationalError: the database stayed locked (a re-index is writing); try again later.
            LookupError: the question is not in the query log.
        """
        if value not in (1, -1):
            raise ValueError("feedback is +1 or -1")
        await self.flush()
        async with self._read.execute("SELECT 1 FROM query_log WHERE id = ?", (query_id,)) as cur:
            if await cur.fetchone() is None:
                raise LookupError(f"question {query_id} is not in the query log")
        await self._write.execute(
            "INSERT INTO feedback(query_id, user_id, value, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(query_id, user_id) DO UPDATE SET value = excluded.value, at = excluded.at",
            (query_id, user_id, value, _now()),
        )
        await self._write.commit()

    async def feedback(self, query_id: int) -> dict[int, int]:
        """user id -> vote for one question."""
        async with self._read.execute("SELECT user_id, value FROM feedback WHERE query_id = ?", (query_id,)) as cur:
            return {row["user_id"]: row["value"] for row in await cur.fetchall()}

    # Server settings -------------------------------------------------------------------------------------------

    async def _load_settings(self) -> None:
        async with self._read.execute("SELECT guild_id, answer_channels, private_default FROM guild_settings") as cur:
            for row in await cur.fetchall():
                self._settings[row["guild_id"]] = GuildSettings(
                    row["guild_id"], tuple(json.loads(row["answer_channels"])), bool(row["private_default"])
                )

    def guild_settings(self, guild_id: int | None) -> GuildSettings:
        """A server's settings from memory (loaded at open, updated on every change); defaults when unset."""
        if guild_id is None:
            return GuildSettings(0)
        return self._settings.get(guild_id) or GuildSettings(guild_id)

    async def set_guild_settings(
        self,
        guild_id: int,
        *,
        answer_channels: list[int] | tuple[int, ...] | None = None,
        private_default: bool | None = None,
    ) -> GuildSettings:
        """Change a server's settings (None leaves a setting as it is) and return the new ones.

        Raises:
            sqlite3.OperationalError: the database stayed locked (a re-index is writing); try again later.
        """
        current = self.guild_settings(guild_id)
        new = GuildSettings(
            guild_id,
            tuple(dict.fromkeys(answer_channels)) if answer_channels is not None else current.answer_channels,
            current.private_default if private_default is None else private_default,
        )
        await self._write.execute(
            "INSERT INTO guild_settings(guild_id, answer_channels, private_default, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(guild_id) DO UPDATE SET answer_channels = excluded.answer_channels,"
            " private_default = excluded.private_default, updated_at = excluded.updated_at",
            (guild_id, json.dumps(list(new.answer_channels)), int(new.private_default), _now()),
        )
        await self._write.commit()
        self._settings[guild_id] = new
        return new

    # Articles --------------------------------------------------------------------------------------------------

    async def get_article(self, article_id: int) -> StoredArticle | None:
        """The stored article with this row id (following a duplicate to its original), or None if it is gone."""
        for _ in range(3):  # a duplicate points at its original, which is never itself a duplicate; bounded anyway
            async with self._read.execute(
                "SELECT a.*, (SELECT COUNT(*) FROM passages p WHERE p.article_id = a.id) AS n_passages"
                " FROM articles a WHERE a.id = ?",
                (article_id,),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            if row["duplicate_of"] is None or row["n_passages"]:
                break
            article_id = row["duplicate_of"]
        try:
            authors = json.loads(row["authors"] or "[]")
        except ValueError:
            authors = []
        return StoredArticle(
            id=row["id"],
            source_id=row["source_id"],
            title=row["title"],
            body=row["body"],
            outlet=row["outlet"],
            published=row["published"],
            url=row["url"],
            authors=[str(a) for a in authors] if isinstance(authors, list) else [],
            passages=row["n_passages"],
            duplicate_of=row["duplicate_of"],
        )

    async def find_articles(self, text: str, limit: int = 25) -> list[ArticleRef]:
        """Headlines containing ``text`` (case-insensitive), those starting with it first, newest first.

        Args:
            text: what the user typed so far; empty lists the newest articles.
            limit: at most this many (Discord shows 25 autocomplete choices).

        Returns:
            Matching articles, originals only (duplicates are folded into them).
        """
        text = text.strip()
        if not text:
            sql = (
                "SELECT id, title, outlet, published FROM articles WHERE duplicate_of IS NULL AND title != ''"
                " ORDER BY published IS NULL, published DESC, id DESC LIMIT ?"
            )
            params: tuple[Any, ...] = (limit,)
        else:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            sql = (
                "SELECT id, title, outlet, published FROM articles"
                " WHERE duplicate_of IS NULL AND (title LIKE ? ESCAPE '\\' OR CAST(id AS TEXT) = ?)"
                " ORDER BY CAST(id AS TEXT) = ? DESC, title LIKE ? ESCAPE '\\' DESC,"
                " published IS NULL, published DESC, id DESC LIMIT ?"
            )
            params = (pattern, text, text, pattern[1:], limit)
        async with self._read.execute(sql, params) as cur:
            rows = await cur.fetchall()
        return [ArticleRef(r["id"], r["title"], r["outlet"], r["published"]) for r in rows]

    # Overview --------------------------------------------------------------------------------------------------

    async def sources(self) -> list[SourceStats]:
        """Every outlet with its article count and first/last publication date, biggest first."""
        async with self._read.execute(
            "SELECT outlet, COUNT(*) AS n, MIN(substr(published, 1, 10)) AS first,"
            " MAX(substr(published, 1, 10)) AS last"
            " FROM articles WHERE duplicate_of IS NULL GROUP BY outlet ORDER BY n DESC, outlet"
        ) as cur:
            rows = await cur.fetchall()
        return [SourceStats(r["outlet"], r["n"], r["first"], r["last"]) for r in rows]

    async def stats(self) -> StoreStats:
        """Article, duplicate and passage counts, the last index run and the meta table."""
        async with self._read.execute("SELECT COUNT(*) AS n, COUNT(duplicate_of) AS dups FROM articles") as cur:
            arts = await cur.fetchone()
        async with self._read.execute("SELECT COUNT(*) FROM passages") as cur:
            passages = (await cur.fetchone())[0]
        async with self._read.execute(
            "SELECT started_at, finished_at, status, summary FROM ingest_runs ORDER BY id DESC LIMIT 1"
        ) as cur:
            run = await cur.fetchone()
        async with self._read.execute("SELECT key, value FROM meta") as cur:
            meta = {r["key"]: r["value"] for r in await cur.fetchall()}
        last_run = None
        if run is not None:
            last_run = dict(run)
            try:
                last_run["summary"] = json.loads(run["summary"] or "{}")
            except ValueError:
                last_run["summary"] = {}
        return StoreStats(
            articles=arts["n"] - arts["dups"], duplicates=arts["dups"], passages=passages, last_run=last_run, meta=meta
        )

    async def get_meta(self, key: str) -> str | None:
        """A value from the meta table, or None."""
        async with self._read.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Set a value in the meta table."""
        await self._write.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
        await self._write.commit()
