"""The bot's store: its own tables (query log, feedback, server settings, follows) and async reads of the archive."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from index import store
from index.store import ArticleRef, OutletStats, StoredArticle, StoreStats, trim_ingest_log
from index.text import valid_text

__all__ = [
    "ArticleRef",
    "AsyncStore",
    "Conversation",
    "Follow",
    "GuildSettings",
    "OutletStats",
    "QueryLogEntry",
    "SourceStats",
    "StoreStats",
    "StoredArticle",
    "is_locked",
    "migrate",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# A bot's write waits at most this long for the indexer's write lock before giving up with "database is locked":
# long enough to ride out a batch commit, short enough that a user is told something within Discord's patience.
BUSY_TIMEOUT_MS = 5000
# Queued query-log rows are retried this long while a re-index holds the write lock, then dropped with a warning.
LOG_RETRY_SECONDS = 120.0
QUERY_LOG_DAYS = 30  # the query log holds what users typed: kept this long, then deleted
CONVERSATION_MINUTES = 60  # a follow-up carries the earlier question's context this long after the answer

SourceStats = OutletStats  # the name /sources and its callers knew

# The bot's tables live in the archive's SQLite file but are the bot's alone: it creates and migrates them, and
# records their version in bot_meta (the archive's schema version, PRAGMA user_version, is the store's).
# Ordered steps: (version, statements), each applied once in its own transaction. Never edit a released step.
BOT_MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        # IF NOT EXISTS: databases made before the bot owned these tables have them already, data and all.
        """
        CREATE TABLE IF NOT EXISTS query_log (
            id          INTEGER PRIMARY KEY,     -- the Discord interaction or message id
            at          TEXT NOT NULL,
            surface     TEXT NOT NULL,           -- slash | mention | dm | more | search
            guild_id    INTEGER,
            channel_id  INTEGER,
            user_id     INTEGER,
            query       TEXT NOT NULL,
            as_of       TEXT,
            took_ms     REAL,
            n_results   INTEGER,
            results     TEXT NOT NULL DEFAULT '[]'  -- JSON list of passage ids shown
        );
        CREATE TABLE IF NOT EXISTS feedback (
            id        INTEGER PRIMARY KEY,
            query_id  INTEGER NOT NULL REFERENCES query_log(id) ON DELETE CASCADE,
            user_id   INTEGER,
            value     INTEGER NOT NULL,          -- +1 | -1
            at        TEXT NOT NULL,
            UNIQUE (query_id, user_id)
        );
        CREATE TABLE IF NOT EXISTS guild_settings (
            guild_id         INTEGER PRIMARY KEY,
            answer_channels  TEXT NOT NULL DEFAULT '[]',  -- JSON list of channel ids; [] = mentions everywhere
            private_default  INTEGER NOT NULL DEFAULT 0,
            updated_at       TEXT NOT NULL
        );
        -- The hash of the last synced command tree used to be kept in the archive's meta table.
        INSERT OR IGNORE INTO bot_meta(key, value)
            SELECT key, value FROM meta WHERE key = 'discord_commands_hash';
        DELETE FROM meta WHERE key = 'discord_commands_hash';
        """,
    ),
    (
        2,
        # Followed topics (/follow): what each channel follows, how far through the archive it has looked, and
        # every article posted for it, so nothing is posted twice, across restarts too.
        """
        CREATE TABLE follows (
            id               INTEGER PRIMARY KEY,
            guild_id         INTEGER NOT NULL,
            channel_id       INTEGER NOT NULL,
            query            TEXT NOT NULL,
            created_by       INTEGER,
            created_at       TEXT NOT NULL,
            last_article_id  INTEGER NOT NULL DEFAULT 0,  -- high-water mark: articles up to this id were looked at
            last_post_at     TEXT,
            disabled_reason  TEXT,                        -- NULL while active
            disabled_at      TEXT,
            UNIQUE (guild_id, channel_id, query)
        );
        CREATE TABLE follow_posts (
            follow_id   INTEGER NOT NULL REFERENCES follows(id) ON DELETE CASCADE,
            article_id  INTEGER NOT NULL,
            message_id  INTEGER,                          -- NULL while the message is being sent
            posted_at   TEXT NOT NULL,
            PRIMARY KEY (follow_id, article_id)
        );
        CREATE INDEX follow_posts_at ON follow_posts(follow_id, posted_at);
        """,
    ),
    (
        3,
        # Follow-ups: what an answer searched for, kept under the answer's message id (and under the thread opened
        # from it), so a reply or a mention in that thread continues the conversation, across restarts too.
        """
        CREATE TABLE IF NOT EXISTS conversation (
            anchor_id    INTEGER PRIMARY KEY,   -- the bot's answer message id, or the thread opened from it
            query_id     INTEGER NOT NULL,      -- the question's query_log id
            guild_id     INTEGER,
            channel_id   INTEGER,
            user_id      INTEGER,
            question     TEXT NOT NULL,         -- as asked
            topic        TEXT NOT NULL DEFAULT '[]',  -- JSON list of the words searched (stopwords and time words out)
            sources      TEXT NOT NULL DEFAULT '[]',  -- JSON list of source filters
            after        TEXT,
            before       TEXT,
            window_start TEXT,                  -- the time window the question's time words resolved to
            window_end   TEXT,
            at           TEXT NOT NULL,
            expires      TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS conversation_expires ON conversation(expires);
        -- Per-channel sources: channel id -> the outlets its answers may cite (none listed: every outlet).
        ALTER TABLE guild_settings ADD COLUMN channel_sources TEXT NOT NULL DEFAULT '{}';
        -- Why an answer got a thumbs down: wrong | outdated | missing | other, and what the user wrote.
        ALTER TABLE feedback ADD COLUMN reason TEXT;
        ALTER TABLE feedback ADD COLUMN comment TEXT;
        """,
    ),
]
BOT_SCHEMA_VERSION = BOT_MIGRATIONS[-1][0]
SCHEMA_KEY = "schema"


def is_locked(error: BaseException) -> bool:
    """True when ``error`` is SQLite's "database is locked" / "database is busy"."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def migrate(conn: sqlite3.Connection) -> int:
    """Create or bring the bot's tables up to date on an autocommit connection; returns their version.

    Raises:
        RuntimeError: the tables were made by a newer newsbot.
    """
    conn.execute("CREATE TABLE IF NOT EXISTS bot_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    row = conn.execute("SELECT value FROM bot_meta WHERE key = ?", (SCHEMA_KEY,)).fetchone()
    current = int(row[0]) if row else 0
    if current > BOT_SCHEMA_VERSION:
        raise RuntimeError(f"the bot's tables are at schema {current}, newer than this newsbot's: upgrade newsbot")
    for version, sql in BOT_MIGRATIONS:
        if version <= current:
            continue
        log.info("migrating the bot's tables to schema %d", version)
        # executescript commits first; the explicit transaction makes a failed step leave nothing half done.
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{sql}\n"
            f"INSERT INTO bot_meta(key, value) VALUES ('{SCHEMA_KEY}', '{version}')"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value;\nCOMMIT;"
        )
        current = version
    return current


class ReadOnlyArchive(Exception):
    """The database cannot be written (read-only media or permissions): nothing the bot keeps can be saved."""


def _prepare(path: Path) -> bool:
    """Create and migrate the archive's schema (the store owns it), then the bot's tables; False when read-only."""
    try:
        conn = store.connect(path)
    except (sqlite3.OperationalError, OSError) as err:
        if (
            path.is_file()
            and store.describe_error(err, path)
            and "cannot be written" in str(store.describe_error(err, path))
        ):
            return False
        raise
    try:
        migrate(conn)
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    finally:
        conn.close()
    return True


def _missing_tables_ok(fn: Callable[..., T], default: T) -> Callable[..., T]:
    """``fn``, answering ``default`` where the bot's tables were never created (a read-only database)."""

    def tolerant(conn: sqlite3.Connection, *args: Any) -> T:
        try:
            return fn(conn, *args)
        except sqlite3.OperationalError as err:
            if "no such table" not in str(err):
                raise
            return default

    return tolerant


def _connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    # Autocommit: each statement is its own transaction, so no write lock is ever held between calls.
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn


# --- The bot's own reads and writes (run on a connection's thread, never on the event loop) -----------------------


def _insert_query_log(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    # Autocommit, row by row: no write lock is held across awaits (another writer in this process, waiting on the
    # event loop, could otherwise wait on us); a retried row that landed already is skipped.
    conn.executemany(
        "INSERT INTO query_log"
        "(id, at, surface, guild_id, channel_id, user_id, query, as_of, took_ms, n_results, results)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        rows,
    )


def trim_query_log(conn: sqlite3.Connection, keep_days: int) -> int:
    """Delete query-log rows (and their feedback) older than ``keep_days``; returns how many questions went."""
    migrate(conn)  # the CLI may trim a database the bot has not opened yet
    cutoff = (datetime.now(UTC) - timedelta(days=max(0, keep_days))).isoformat(timespec="seconds")
    conn.execute("PRAGMA foreign_keys = ON")  # feedback rows go with their question (ON DELETE CASCADE)
    return conn.execute("DELETE FROM query_log WHERE at < ?", (cutoff,)).rowcount


def _query_row(conn: sqlite3.Connection, query_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM query_log WHERE id = ?", (query_id,)).fetchone()
    return dict(row) if row else None


def _add_feedback(
    conn: sqlite3.Connection, query_id: int, user_id: int, value: int, reason: str | None, comment: str | None
) -> None:
    if conn.execute("SELECT 1 FROM query_log WHERE id = ?", (query_id,)).fetchone() is None:
        raise LookupError(f"question {query_id} is not in the query log")
    # A vote without a reason keeps the reason already given for the same vote; a changed vote drops it.
    conn.execute(
        "INSERT INTO feedback(query_id, user_id, value, at, reason, comment) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(query_id, user_id) DO UPDATE SET at = excluded.at,"
        " reason = CASE WHEN excluded.reason IS NOT NULL OR excluded.value != feedback.value"
        "   THEN excluded.reason ELSE feedback.reason END,"
        " comment = CASE WHEN excluded.reason IS NOT NULL OR excluded.value != feedback.value"
        "   THEN excluded.comment ELSE feedback.comment END,"
        " value = excluded.value",
        (query_id, user_id, value, _now(), reason, valid_text(comment) if comment else None),
    )


def feedback_rows(conn: sqlite3.Connection, *, days: int | None = None, down_only: bool = False) -> list[sqlite3.Row]:
    """Feedback with its question, newest first: at, value, reason, comment, query, surface, guild and channel ids.

    Args:
        conn: a connection to the bot's database (its tables are created or migrated first).
        days: only feedback from the last ``days`` days.
        down_only: only thumbs down.
    """
    migrate(conn)
    where, params = [], []
    if days is not None:
        where.append("f.at >= ?")
        params.append((datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds"))
    if down_only:
        where.append("f.value < 0")
    sql = (
        "SELECT f.at, f.value, f.reason, f.comment, q.query, q.surface, q.guild_id, q.channel_id, q.id AS query_id"
        " FROM feedback f JOIN query_log q ON q.id = f.query_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY f.at DESC, f.id DESC"
    )
    return conn.execute(sql, params).fetchall()


def _feedback(conn: sqlite3.Connection, query_id: int) -> dict[int, int]:
    rows = conn.execute("SELECT user_id, value FROM feedback WHERE query_id = ?", (query_id,))
    return {row["user_id"]: row["value"] for row in rows}


def _all_settings(conn: sqlite3.Connection) -> dict[int, GuildSettings]:
    rows = conn.execute("SELECT guild_id, answer_channels, private_default, channel_sources FROM guild_settings")
    return {
        row["guild_id"]: GuildSettings(
            row["guild_id"],
            tuple(json.loads(row["answer_channels"])),
            bool(row["private_default"]),
            {int(c): tuple(v) for c, v in json.loads(row["channel_sources"]).items()},
        )
        for row in rows
    }


def _save_settings(conn: sqlite3.Connection, settings: GuildSettings) -> None:
    conn.execute(
        "INSERT INTO guild_settings(guild_id, answer_channels, private_default, channel_sources, updated_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(guild_id) DO UPDATE SET answer_channels = excluded.answer_channels,"
        " private_default = excluded.private_default, channel_sources = excluded.channel_sources,"
        " updated_at = excluded.updated_at",
        (
            settings.guild_id,
            json.dumps(list(settings.answer_channels)),
            int(settings.private_default),
            json.dumps({str(c): list(v) for c, v in settings.channel_sources.items()}),
            _now(),
        ),
    )


def _get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO bot_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _follow(row: sqlite3.Row) -> Follow:
    return Follow(**{name: row[name] for name in Follow.__slots__})


def _follows(conn: sqlite3.Connection, guild_id: int | None, active: bool) -> list[Follow]:
    where, params = [], []
    if guild_id is not None:
        where.append("guild_id = ?")
        params.append(guild_id)
    if active:
        where.append("disabled_reason IS NULL")
    sql = "SELECT * FROM follows" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    return [_follow(row) for row in conn.execute(sql, params)]


def _max_article_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])


def _add_follow(
    conn: sqlite3.Connection, guild_id: int, channel_id: int, query: str, user_id: int | None, limit: int
) -> tuple[Follow | None, str]:
    # One transaction: two members adding at once cannot pass the server's cap together.
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT * FROM follows WHERE guild_id = ? AND channel_id = ? AND query = ?", (guild_id, channel_id, query)
        ).fetchone()
        if row is not None:
            conn.execute("COMMIT")
            return _follow(row), "exists"
        count = conn.execute("SELECT COUNT(*) FROM follows WHERE guild_id = ?", (guild_id,)).fetchone()[0]
        if count >= limit:
            conn.execute("COMMIT")
            return None, "full"
        # Following starts now: the archive's past is not posted, only what arrives from here on.
        cur = conn.execute(
            "INSERT INTO follows(guild_id, channel_id, query, created_by, created_at, last_article_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, channel_id, query, user_id, _now(), _max_article_id(conn)),
        )
        row = conn.execute("SELECT * FROM follows WHERE id = ?", (cur.lastrowid,)).fetchone()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return _follow(row), "added"


def _remove_follow(conn: sqlite3.Connection, guild_id: int, follow_id: int) -> Follow | None:
    row = conn.execute("SELECT * FROM follows WHERE id = ? AND guild_id = ?", (follow_id, guild_id)).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM follows WHERE id = ?", (follow_id,))
    return _follow(row)


def _new_articles(conn: sqlite3.Connection, after_id: int, upto_id: int) -> list[tuple[int, str | None]]:
    # Duplicates are folded into an article already stored: that story is not new.
    rows = conn.execute(
        "SELECT id, published FROM articles WHERE id > ? AND id <= ? AND duplicate_of IS NULL ORDER BY id",
        (after_id, upto_id),
    )
    return [(row[0], row[1]) for row in rows]


def _posted(conn: sqlite3.Connection, follow_id: int, article_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for i in range(0, len(article_ids), 500):
        chunk = article_ids[i : i + 500]
        rows = conn.execute(
            f"SELECT article_id FROM follow_posts WHERE follow_id = ? AND article_id IN ({','.join('?' * len(chunk))})",
            (follow_id, *chunk),
        )
        found.update(row[0] for row in rows)
    return found


def _reserve_posts(conn: sqlite3.Connection, follow_id: int, article_ids: list[int], at: str) -> list[int]:
    # Reserved before sending: a crash between the send and the record loses a post rather than doubling it.
    reserved = []
    for article_id in article_ids:
        cur = conn.execute(
            "INSERT INTO follow_posts(follow_id, article_id, posted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (follow_id, article_id, at),
        )
        if cur.rowcount:
            reserved.append(article_id)
    return reserved


def _release_posts(conn: sqlite3.Connection, follow_id: int, article_ids: list[int]) -> None:
    conn.executemany(
        "DELETE FROM follow_posts WHERE follow_id = ? AND article_id = ? AND message_id IS NULL",
        [(follow_id, a) for a in article_ids],
    )


def _confirm_posts(
    conn: sqlite3.Connection, follow_id: int, article_ids: list[int], message_id: int, upto: int, at: str
) -> None:
    conn.executemany(
        "UPDATE follow_posts SET message_id = ? WHERE follow_id = ? AND article_id = ?",
        [(message_id, follow_id, a) for a in article_ids],
    )
    conn.execute("UPDATE follows SET last_post_at = ? WHERE id = ?", (at, follow_id))
    _advance_follow(conn, follow_id, upto)


def _advance_follow(conn: sqlite3.Connection, follow_id: int, upto: int) -> None:
    conn.execute("UPDATE follows SET last_article_id = MAX(last_article_id, ?) WHERE id = ?", (upto, follow_id))


def _messages_since(conn: sqlite3.Connection, follow_id: int, since: str) -> int:
    row = conn.execute(
        "SELECT COUNT(DISTINCT message_id) FROM follow_posts WHERE follow_id = ? AND posted_at >= ?"
        " AND message_id IS NOT NULL",
        (follow_id, since),
    ).fetchone()
    return int(row[0])


def _disable_follow(conn: sqlite3.Connection, follow_id: int, reason: str) -> None:
    conn.execute("UPDATE follows SET disabled_reason = ?, disabled_at = ? WHERE id = ?", (reason, _now(), follow_id))


def _save_conversation(conn: sqlite3.Connection, convo: Conversation, anchors: list[int]) -> None:
    for anchor in anchors:
        conn.execute(
            "INSERT INTO conversation(anchor_id, query_id, guild_id, channel_id, user_id, question, topic, sources,"
            " after, before, window_start, window_end, at, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(anchor_id) DO UPDATE SET query_id = excluded.query_id, question = excluded.question,"
            " topic = excluded.topic, sources = excluded.sources, after = excluded.after, before = excluded.before,"
            " window_start = excluded.window_start, window_end = excluded.window_end, at = excluded.at,"
            " expires = excluded.expires, user_id = excluded.user_id",
            (anchor, *convo.row()),
        )


def _get_conversation(conn: sqlite3.Connection, anchor: int) -> Conversation | None:
    row = conn.execute("SELECT * FROM conversation WHERE anchor_id = ?", (anchor,)).fetchone()
    return Conversation.from_row(row) if row else None


def trim_conversations(conn: sqlite3.Connection) -> int:
    """Delete expired follow-up contexts (they hold what users typed); returns how many went."""
    return conn.execute("DELETE FROM conversation WHERE expires < ?", (_now(),)).rowcount


# --- Records --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's choices: where mentions are answered ([] = every channel) and private-by-default answers."""

    guild_id: int
    answer_channels: tuple[int, ...] = ()
    private_default: bool = False
    channel_sources: dict[int, tuple[str, ...]] = field(default_factory=dict)  # channel -> outlets it answers from

    def answers_in(self, channel_id: int, parent_id: int | None = None) -> bool:
        """Whether mentions in this channel (or a thread under ``parent_id``) are answered."""
        if not self.answer_channels:
            return True
        return channel_id in self.answer_channels or (parent_id is not None and parent_id in self.answer_channels)

    def sources_in(self, channel_id: int | None, parent_id: int | None = None) -> tuple[str, ...]:
        """The outlets answers in this channel (or a thread under ``parent_id``) are limited to; () for any."""
        if channel_id in self.channel_sources:
            return self.channel_sources[channel_id]
        return self.channel_sources.get(parent_id, ()) if parent_id is not None else ()


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class Conversation:
    """What an answer searched for, so a follow-up can carry it: topic words, filters and time window, until expiry."""

    query_id: int
    question: str
    topic: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    after: date | None = None
    before: date | None = None
    window: tuple[date, date] | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    at: str = field(default_factory=_now)
    expires: str = ""

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the context is too old to carry (a follow-up is then answered on its own)."""
        return datetime.fromisoformat(self.expires) < (now or datetime.now(UTC))

    def row(self) -> tuple[Any, ...]:
        """The conversation row after its anchor id, in :func:`_save_conversation`'s column order."""
        w0, w1 = self.window or (None, None)
        return (
            self.query_id,
            self.guild_id,
            self.channel_id,
            self.user_id,
            valid_text(self.question),
            json.dumps([valid_text(t) for t in self.topic]),
            json.dumps(list(self.sources)),
            *(d.isoformat() if d else None for d in (self.after, self.before, w0, w1)),
            self.at,
            self.expires,
        )

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Conversation:
        """The record for a conversation row."""
        w0, w1 = _day(row["window_start"]), _day(row["window_end"])
        return cls(
            query_id=row["query_id"],
            question=row["question"],
            topic=tuple(json.loads(row["topic"])),
            sources=tuple(json.loads(row["sources"])),
            after=_day(row["after"]),
            before=_day(row["before"]),
            window=(w0, w1) if w0 and w1 else None,
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            user_id=row["user_id"],
            at=row["at"],
            expires=row["expires"],
        )


@dataclass(frozen=True, slots=True)
class Follow:
    """A topic one channel follows: its query, how far through the archive it has looked, and whether it is live."""

    id: int
    guild_id: int
    channel_id: int
    query: str
    created_by: int | None
    created_at: str
    last_article_id: int  # articles with this row id or lower were looked at already
    last_post_at: str | None
    disabled_reason: str | None  # why posting stopped (channel deleted, permission missing); None while active
    disabled_at: str | None


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

    def row(self) -> tuple[Any, ...]:
        """The query_log row, in the column order :func:`_insert_query_log` writes."""
        return (
            self.id,
            self.at,
            self.surface,
            self.guild_id,
            self.channel_id,
            self.user_id,
            valid_text(self.query),  # a lone surrogate cannot be stored, and would lose the whole batch of rows
            self.as_of,
            self.took_ms,
            self.n_results,
            json.dumps(self.results),
        )


# --- Async access ---------------------------------------------------------------------------------------------------


class _Connection:
    """One sqlite3 connection with a thread of its own: every call runs there, so none blocks the event loop."""

    def __init__(self, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self._executor = executor
        self._conn = conn

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int, name: str, *, readonly: bool = False) -> _Connection:
        """Open ``path`` on a new thread named ``name`` (read-only: as the store opens read-only media)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        opener = (
            functools.partial(store.connect, path, readonly=True)
            if readonly
            else functools.partial(_connect, path, busy_timeout_ms)
        )
        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, conn)

    async def run(self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(connection, *args, **kwargs)`` on the connection's thread; its result, or its exception."""
        call = functools.partial(fn, self._conn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        """Close the connection, then let its thread end."""
        try:
            await self.run(sqlite3.Connection.close)
        finally:
            self._executor.shutdown(wait=False)


class AsyncStore:
    """The bot's connections to the SQLite file: one for reads, one for writes, and a background log writer.

    Each connection runs on a thread of its own, and the archive's reads are the store's own functions
    (:mod:`index.store`), so the bot and the command line give the same answers. Reads never wait for the indexer
    (WAL). Query-log rows are queued and written by one task, so an answer is never delayed by a re-index holding
    the write lock; feedback and settings are written at once so the user learns whether they were saved.
    """

    def __init__(self, path: Path, read: _Connection, write: _Connection | None, query_log_days: int) -> None:
        self.path = path
        self.query_log_days = query_log_days
        self._read = read
        self._writable = write
        self._queue: asyncio.Queue[QueryLogEntry] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._settings: dict[int, GuildSettings] = {}
        self._settings_saves = 0  # counts this process's saves, so a concurrent refresh cannot undo one

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int | None = None,
        query_log_days: int = QUERY_LOG_DAYS,
    ) -> AsyncStore:
        """Open (creating and migrating if needed) the database at ``path``.

        Args:
            path: the SQLite file.
            busy_timeout_ms: how long a write waits for another process's write lock (default BUSY_TIMEOUT_MS).
            query_log_days: days the query log keeps what users asked (0: nothing is logged).

        Returns:
            The open store; call :meth:`close` when done.
        """
        path = Path(path)
        writable = await asyncio.to_thread(_prepare, path)
        timeout = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        if not writable:
            # Read-only media: the archive can still be searched and read; nothing the bot keeps can be saved.
            log.warning("%s cannot be written: answering from it, without a query log, feedback or settings", path)
            read = await _Connection.open(path, timeout, "newsbot-store-read", readonly=True)
            self = cls(path, read, None, query_log_days)
            self._settings = await read.run(_missing_tables_ok(_all_settings, {}))
            return self
        read = await _Connection.open(path, timeout, "newsbot-store-read")
        try:
            write = await _Connection.open(path, timeout, "newsbot-store-write")
        except BaseException:
            await read.close()
            raise
        self = cls(path, read, write, query_log_days)
        self._settings = await read.run(_all_settings)
        self._writer = asyncio.create_task(self._write_logs(), name="newsbot-query-log-writer")
        return self

    @property
    def read_only(self) -> bool:
        """True when the database cannot be written (questions are answered, nothing is saved)."""
        return self._writable is None

    @property
    def _write(self) -> _Connection:
        if self._writable is None:
            raise ReadOnlyArchive(f"{self.path} is read-only")
        return self._writable

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
        if self._writable is not None:
            await self._writable.close()

    # Query log -------------------------------------------------------------------------------------------------

    def log_query(self, entry: QueryLogEntry) -> None:
        """Queue one question for the query log; returns at once (see :meth:`flush`)."""
        if self.query_log_days > 0 and not self.read_only:
            self._queue.put_nowait(entry)

    async def trim_logs(self) -> dict[str, int]:
        """Apply the retention: query-log rows past ``query_log_days`` and old ingest-log rows; returns counts."""
        if self.read_only:
            return {"query_log": 0, "ingest_log": 0}
        removed = {"query_log": await self._write.run(trim_query_log, self.query_log_days)}
        removed["ingest_log"] = await self._write.run(trim_ingest_log)
        removed["conversation"] = await self._write.run(trim_conversations)
        if any(removed.values()):
            log.info("log retention removed %d query-log, %d ingest-log and %d conversation rows", *removed.values())
        return removed

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
        rows = [e.row() for e in batch]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOG_RETRY_SECONDS
        delay = 0.5
        while True:
            try:
                await self._write.run(_insert_query_log, rows)
                return
            except sqlite3.OperationalError as e:
                if not is_locked(e) or loop.time() + delay > deadline:
                    raise
                log.info("query log waits for the write lock (%s); retrying in %.1fs", e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def query(self, query_id: int) -> dict[str, Any] | None:
        """One query-log row as a dict, or None."""
        return await self._read.run(_missing_tables_ok(_query_row, None), query_id)

    # Feedback --------------------------------------------------------------------------------------------------

    async def add_feedback(
        self, query_id: int, user_id: int, value: int, *, reason: str | None = None, comment: str | None = None
    ) -> None:
        """Store a thumbs up (+1) or down (-1) for a logged question; a user's later vote replaces the earlier.

        ``reason`` (wrong | outdated | missing | other) and ``comment`` say why, for a thumbs down.

        Raises:
            sqlite3.OperationalError: the database stayed locked (a re-index is writing); try again later.
            LookupError: the question is not in the query log.
        """
        if value not in (1, -1):
            raise ValueError("feedback is +1 or -1")
        await self.flush()
        await self._write.run(_add_feedback, query_id, user_id, value, reason, comment)

    async def feedback(self, query_id: int) -> dict[int, int]:
        """user id -> vote for one question."""
        return await self._read.run(_missing_tables_ok(_feedback, {}), query_id)

    # Conversations (follow-ups) ----------------------------------------------------------------------------------

    async def save_conversation(self, convo: Conversation, anchors: list[int]) -> Conversation:
        """Keep ``convo`` under each anchor (answer message or thread id) for CONVERSATION_MINUTES; returns it stored.

        Raises:
            sqlite3.OperationalError: the database stayed locked (a re-index is writing).
        """
        if not convo.expires:
            until = datetime.fromisoformat(convo.at) + timedelta(minutes=CONVERSATION_MINUTES)
            convo = replace(convo, expires=until.isoformat(timespec="seconds"))
        await self._write.run(_save_conversation, convo, anchors)
        return convo

    async def conversation(self, anchor: int) -> Conversation | None:
        """The context kept under an answer message or thread id (expired or not), or None."""
        return await self._read.run(_get_conversation, anchor)

    # Server settings -------------------------------------------------------------------------------------------

    def guild_settings(self, guild_id: int | None) -> GuildSettings:
        """A server's settings from memory (loaded at open, updated on every change); defaults when unset."""
        if guild_id is None:
            return GuildSettings(0)
        return self._settings.get(guild_id) or GuildSettings(guild_id)

    async def refresh_settings(self) -> int:
        """Re-read every server's settings from the database, where another bot process may have changed them.

        Returns:
            How many servers' settings differ from what was in memory (added, changed or removed).
        """
        saves = self._settings_saves
        fresh = await self._read.run(_missing_tables_ok(_all_settings, {}))
        if saves != self._settings_saves:  # this process saved meanwhile: what was read may predate it
            return 0
        changed = sum(1 for g in fresh.keys() | self._settings.keys() if fresh.get(g) != self._settings.get(g))
        self._settings = fresh
        return changed

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
            sqlite3.OperationalError: the database stayed locked (a re-index is writing); try again later.
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
        await self._write.run(_save_settings, new)
        self._settings_saves += 1
        self._settings[guild_id] = new
        return new

    # The archive (the store's own reads) -----------------------------------------------------------------------

    async def get_article(self, article_id: int) -> StoredArticle | None:
        """The stored article with this row id (following a duplicate to its original), or None if it is gone."""
        return await self._read.run(store.read_article, article_id, original=True)

    async def find_articles(self, text: str, limit: int = 25) -> list[ArticleRef]:
        """Headlines containing ``text`` (case-insensitive), those starting with it first, newest first.

        Args:
            text: what the user typed so far; empty lists the newest articles.
            limit: at most this many (Discord shows 25 autocomplete choices).

        Returns:
            Matching articles, originals only (duplicates are folded into them).
        """
        return await self._read.run(store.find_headlines, text, limit=limit)

    async def sources(self) -> list[OutletStats]:
        """Every outlet with its count of distinct stories and their first/last publication date, biggest first."""
        return await self._read.run(store.outlet_stats)

    async def stats(self) -> StoreStats:
        """What the archive holds, counted as ``newsbot stats`` counts it (see :class:`index.store.StoreStats`)."""
        return await self._read.run(store.stats)

    # The bot's own settings ------------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """A value the bot keeps for itself (bot_meta), or None."""
        return await self._read.run(_missing_tables_ok(_get_meta, None), key)

    async def set_meta(self, key: str, value: str) -> None:
        """Keep a value for the bot (bot_meta); on a read-only database it is not kept (and asked for again)."""
        if not self.read_only:
            await self._write.run(_set_meta, key, value)

    # Follows ---------------------------------------------------------------------------------------------------

    async def add_follow(
        self, guild_id: int, channel_id: int, query: str, user_id: int | None, limit: int
    ) -> tuple[Follow | None, str]:
        """Follow ``query`` in a channel, from the archive's newest article on.

        Returns:
            (the follow, "added"), (the existing follow, "exists"), or (None, "full") when the server has
            ``limit`` follows already.
        """
        return await self._write.run(_add_follow, guild_id, channel_id, query, user_id, limit)

    async def follows(self, guild_id: int | None = None, *, active: bool = False) -> list[Follow]:
        """A server's follows (every server's when None), oldest first; ``active`` leaves out disabled ones."""
        return await self._read.run(_missing_tables_ok(_follows, []), guild_id, active)

    async def remove_follow(self, guild_id: int, follow_id: int) -> Follow | None:
        """Stop and delete a follow of this server (its post records go with it); None when there is no such one."""
        return await self._write.run(_remove_follow, guild_id, follow_id)

    async def disable_follow(self, follow_id: int, reason: str) -> None:
        """Stop posting for a follow, keeping it listed with ``reason`` (the channel is gone, a permission lacks)."""
        await self._write.run(_disable_follow, follow_id, reason)

    async def max_article_id(self) -> int:
        """The highest article row id in the archive (0 when empty)."""
        return await self._read.run(_max_article_id)

    async def new_articles(self, after_id: int, upto_id: int) -> list[tuple[int, str | None]]:
        """(id, published) of the original articles with ``after_id < id <= upto_id``, oldest first."""
        return await self._read.run(_new_articles, after_id, upto_id)

    async def posted_articles(self, follow_id: int, article_ids: list[int]) -> set[int]:
        """Those of ``article_ids`` already posted (or being posted) for a follow."""
        return await self._read.run(_posted, follow_id, article_ids)

    async def reserve_posts(self, follow_id: int, article_ids: list[int], at: str) -> list[int]:
        """Record articles as posted before sending them; returns those not recorded already (the ones to send)."""
        return await self._write.run(_reserve_posts, follow_id, article_ids, at)

    async def release_posts(self, follow_id: int, article_ids: list[int]) -> None:
        """Forget reserved posts whose message could not be sent (they are tried again)."""
        await self._write.run(_release_posts, follow_id, article_ids)

    async def confirm_posts(self, follow_id: int, article_ids: list[int], message_id: int, upto: int, at: str) -> None:
        """Note the message that carried reserved posts, and move the follow's high-water mark to ``upto``."""
        await self._write.run(_confirm_posts, follow_id, article_ids, message_id, upto, at)

    async def advance_follow(self, follow_id: int, upto: int) -> None:
        """Move a follow's high-water mark to ``upto``: articles up to it were looked at."""
        await self._write.run(_advance_follow, follow_id, upto)

    async def follow_messages_since(self, follow_id: int, since: str) -> int:
        """Messages posted for a follow at or after ``since`` (an ISO UTC time as :func:`_now` writes it)."""
        return await self._read.run(_messages_since, follow_id, since)
