"""The bot store on SQLite: the bot's tables in the archive's file, their migrations and every statement on them."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from bot.store.base import ReadOnlyArchive, Threaded
from bot.store.records import Conversation, Follow, GuildSettings, now
from index import store
from index.store.sqlite import apply_steps
from index.text import valid_text

log = logging.getLogger(__name__)

T = TypeVar("T")

# A bot's write waits at most this long for the indexer's write lock before giving up with "database is locked":
# long enough to ride out a batch commit, short enough that a user is told something within Discord's patience.
BUSY_TIMEOUT_MS = 5000

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


def _version(conn: sqlite3.Connection) -> int:
    # fetchall: the statement runs to its end, so no read snapshot is left open to upgrade into a write later.
    try:
        rows = conn.execute("SELECT value FROM bot_meta WHERE key = ?", (SCHEMA_KEY,)).fetchall()
    except sqlite3.OperationalError as err:
        if "no such table" not in str(err):
            raise
        return 0
    return int(rows[0][0]) if rows else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Create or bring the bot's tables up to date on an autocommit connection; returns their version (one step
    at a time, as :func:`index.store.sqlite.apply_steps` applies them: concurrent openers migrate once).

    Raises:
        RuntimeError: the tables were made by a newer newsbot.
    """
    current = _version(conn)
    if current > BOT_SCHEMA_VERSION:
        raise RuntimeError(f"the bot's tables are at schema {current}, newer than this newsbot's: upgrade newsbot")
    return apply_steps(conn, BOT_MIGRATIONS, current, _version_in_transaction, _record_version, "bot's tables")


def _version_in_transaction(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS bot_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    return _version(conn)


def _record_version(conn: sqlite3.Connection, version: int) -> None:
    set_meta(conn, SCHEMA_KEY, str(version))


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

    @functools.wraps(fn)
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


class SqliteBackend:
    """Two connections to the SQLite file, each on a thread of its own: one for reads, one for writes.

    Reads never wait for the indexer (WAL); writes are autocommit statements, so no write lock is held between calls.
    The archive's reads run on the read connection, with the store's own functions.
    """

    def __init__(self, path: Path, read: Threaded, write: Threaded | None) -> None:
        self.path = path
        self.locator = str(path)
        self._read = read
        self._write = write

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int | None = None) -> SqliteBackend:
        """Create and migrate the file's tables if needed, then open both connections (read-only media: one)."""
        writable = await asyncio.to_thread(_prepare, path)
        timeout = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        close = sqlite3.Connection.close
        if not writable:
            # Read-only media: the archive can still be searched and read; nothing the bot keeps can be saved.
            log.warning("%s cannot be written: answering from it, without a query log, feedback or settings", path)
            opener = functools.partial(store.connect, path, readonly=True)
            return cls(path, await Threaded.open(opener, "newsbot-store-read", close), None)
        read = await Threaded.open(functools.partial(_connect, path, timeout), "newsbot-store-read", close)
        try:
            write = await Threaded.open(functools.partial(_connect, path, timeout), "newsbot-store-write", close)
        except BaseException:
            await read.close()
            raise
        return cls(path, read, write)

    @property
    def ops(self) -> ModuleType:
        """This module: the operations AsyncStore runs with :meth:`read` and :meth:`write`."""
        return sys.modules[__name__]

    @property
    def read_only(self) -> bool:
        """True when the file cannot be written."""
        return self._write is None

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(conn, *args)`` on the read connection's thread."""
        return await self._read.run(fn, *args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(conn, *args)`` on the write connection's thread.

        Raises:
            ReadOnlyArchive: the file cannot be written.
        """
        if self._write is None:
            raise ReadOnlyArchive(f"{self.path} is read-only")
        return await self._write.run(fn, *args)

    async def archive(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One of :mod:`index.store`'s functions; a write (trimming the ingest log) on the write connection."""
        if fn is store.trim_ingest_log:
            if self._write is None:
                raise ReadOnlyArchive(f"{self.path} is read-only")
            return await self._write.run(fn, *args, **kwargs)
        return await self._read.run(fn, *args, **kwargs)

    async def close(self) -> None:
        """Close both connections."""
        await self._read.close()
        if self._write is not None:
            await self._write.close()


# --- The bot's own reads and writes (run on a connection's thread, never on the event loop) -----------------------


def write_queued(
    conn: sqlite3.Connection, rows: list[tuple[Any, ...]], conversations: list[tuple[Conversation, list[int]]]
) -> None:
    """Write what the bot queued, in one transaction: query-log rows (a retried row that landed already is
    skipped) and follow-up contexts (each kept under its anchors, replacing what was kept there)."""
    # One commit for the batch (a commit syncs the file: it was most of a row's cost), begun and ended within this
    # call, so no write lock is held across awaits (another writer in this process, waiting on the event loop,
    # could otherwise wait on us). IMMEDIATE takes the lock up front: a busy database fails the whole batch at its
    # start, and the writer retries it.
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO query_log"
            "(id, at, surface, guild_id, channel_id, user_id, query, as_of, took_ms, n_results, results)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
            rows,
        )
        for convo, anchors in conversations:
            save_conversation(conn, convo, anchors)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def trim_query_log(conn: sqlite3.Connection, keep_days: int) -> int:
    """Delete query-log rows (and their feedback) older than ``keep_days``; returns how many questions went."""
    migrate(conn)  # a caller may trim a database the bot has not opened yet
    cutoff = (datetime.now(UTC) - timedelta(days=max(0, keep_days))).isoformat(timespec="seconds")
    conn.execute("PRAGMA foreign_keys = ON")  # feedback rows go with their question (ON DELETE CASCADE)
    return conn.execute("DELETE FROM query_log WHERE at < ?", (cutoff,)).rowcount


def _query_row(conn: sqlite3.Connection, query_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM query_log WHERE id = ?", (query_id,)).fetchone()
    return dict(row) if row else None


query_row = _missing_tables_ok(_query_row, None)


def add_feedback(
    conn: sqlite3.Connection, query_id: int, user_id: int, value: int, reason: str | None, comment: str | None
) -> None:
    """Store a vote; a user's later vote on the same question replaces the earlier.

    Raises:
        LookupError: the question is not in the query log.
    """
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
        (query_id, user_id, value, now(), reason, valid_text(comment) if comment else None),
    )


def feedback_rows(
    conn: sqlite3.Connection, *, days: int | None = None, down_only: bool = False
) -> list[dict[str, Any]]:
    """Feedback with its question, newest first: at, value, reason, comment, query, surface, guild and channel ids.

    Args:
        conn: a connection to the bot's database (its tables are created or migrated first).
        days: only feedback from the last ``days`` days.
        down_only: only thumbs down.
    """
    migrate(conn)
    return list_feedback(conn, days, down_only)


def _list_feedback(conn: sqlite3.Connection, days: int | None, down_only: bool) -> list[dict[str, Any]]:
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
    return [dict(row) for row in conn.execute(sql, params)]


list_feedback = _missing_tables_ok(_list_feedback, [])


def _feedback(conn: sqlite3.Connection, query_id: int) -> dict[int, int]:
    rows = conn.execute("SELECT user_id, value FROM feedback WHERE query_id = ?", (query_id,))
    return {row["user_id"]: row["value"] for row in rows}


feedback = _missing_tables_ok(_feedback, {})


def _all_settings(conn: sqlite3.Connection) -> dict[int, GuildSettings]:
    rows = conn.execute("SELECT guild_id, answer_channels, private_default, channel_sources FROM guild_settings")
    return {row["guild_id"]: GuildSettings.from_row(row) for row in rows}


all_settings = _missing_tables_ok(_all_settings, {})


def _one_settings(conn: sqlite3.Connection, guild_id: int) -> GuildSettings | None:
    row = conn.execute(
        "SELECT guild_id, answer_channels, private_default, channel_sources FROM guild_settings WHERE guild_id = ?",
        (guild_id,),
    ).fetchone()
    return GuildSettings.from_row(row) if row else None


one_settings = _missing_tables_ok(_one_settings, None)


def save_settings(conn: sqlite3.Connection, settings: GuildSettings) -> None:
    """Write one server's settings."""
    answer_channels, channel_sources = settings.columns()
    conn.execute(
        "INSERT INTO guild_settings(guild_id, answer_channels, private_default, channel_sources, updated_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(guild_id) DO UPDATE SET answer_channels = excluded.answer_channels,"
        " private_default = excluded.private_default, channel_sources = excluded.channel_sources,"
        " updated_at = excluded.updated_at",
        (settings.guild_id, answer_channels, int(settings.private_default), channel_sources, now()),
    )


def _get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


get_meta = _missing_tables_ok(_get_meta, None)


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Keep a value for the bot in bot_meta."""
    conn.execute(
        "INSERT INTO bot_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _follows(conn: sqlite3.Connection, guild_id: int | None, active: bool) -> list[Follow]:
    where, params = [], []
    if guild_id is not None:
        where.append("guild_id = ?")
        params.append(guild_id)
    if active:
        where.append("disabled_reason IS NULL")
    sql = "SELECT * FROM follows" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    return [Follow.from_row(row) for row in conn.execute(sql, params)]


follows = _missing_tables_ok(_follows, [])


def max_article_id(conn: sqlite3.Connection) -> int:
    """The highest article row id in the archive (0 when empty)."""
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])


def add_follow(
    conn: sqlite3.Connection, guild_id: int, channel_id: int, query: str, user_id: int | None, limit: int
) -> tuple[Follow | None, str]:
    """Add a follow unless it exists or the server has ``limit``: (follow, "added" | "exists") or (None, "full")."""
    # One transaction: two members adding at once cannot pass the server's cap together.
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT * FROM follows WHERE guild_id = ? AND channel_id = ? AND query = ?", (guild_id, channel_id, query)
        ).fetchone()
        if row is not None:
            conn.execute("COMMIT")
            return Follow.from_row(row), "exists"
        count = conn.execute("SELECT COUNT(*) FROM follows WHERE guild_id = ?", (guild_id,)).fetchone()[0]
        if count >= limit:
            conn.execute("COMMIT")
            return None, "full"
        # Following starts now: the archive's past is not posted, only what arrives from here on.
        cur = conn.execute(
            "INSERT INTO follows(guild_id, channel_id, query, created_by, created_at, last_article_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, channel_id, query, user_id, now(), max_article_id(conn)),
        )
        row = conn.execute("SELECT * FROM follows WHERE id = ?", (cur.lastrowid,)).fetchone()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return Follow.from_row(row), "added"


def remove_follow(conn: sqlite3.Connection, guild_id: int, follow_id: int) -> Follow | None:
    """Delete a follow of this server (its post records go with it); None when there is no such one."""
    row = conn.execute("SELECT * FROM follows WHERE id = ? AND guild_id = ?", (follow_id, guild_id)).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM follows WHERE id = ?", (follow_id,))
    return Follow.from_row(row)


def new_articles(conn: sqlite3.Connection, after_id: int, upto_id: int) -> list[tuple[int, str | None]]:
    """(id, published) of the original articles with ``after_id < id <= upto_id``, oldest first."""
    # Duplicates are folded into an article already stored: that story is not new.
    rows = conn.execute(
        "SELECT id, published FROM articles WHERE id > ? AND id <= ? AND duplicate_of IS NULL ORDER BY id",
        (after_id, upto_id),
    )
    return [(row[0], row[1]) for row in rows]


def posted(conn: sqlite3.Connection, follow_id: int, article_ids: list[int]) -> set[int]:
    """Those of ``article_ids`` recorded as posted (or being posted) for a follow."""
    found: set[int] = set()
    for i in range(0, len(article_ids), 500):
        chunk = article_ids[i : i + 500]
        rows = conn.execute(
            f"SELECT article_id FROM follow_posts WHERE follow_id = ? AND article_id IN ({','.join('?' * len(chunk))})",
            (follow_id, *chunk),
        )
        found.update(row[0] for row in rows)
    return found


def reserve_posts(conn: sqlite3.Connection, follow_id: int, article_ids: list[int], at: str) -> list[int]:
    """Record articles as posted; returns those this call recorded (no other process or call had)."""
    # Reserved before sending: a crash between the send and the record loses a post rather than doubling it. Each
    # insert is its own transaction under SQLite's one write lock, so across processes one of them wins each row.
    reserved = []
    for article_id in article_ids:
        cur = conn.execute(
            "INSERT INTO follow_posts(follow_id, article_id, posted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (follow_id, article_id, at),
        )
        if cur.rowcount:
            reserved.append(article_id)
    return reserved


def release_posts(conn: sqlite3.Connection, follow_id: int, article_ids: list[int]) -> None:
    """Forget reservations whose message was never sent."""
    conn.executemany(
        "DELETE FROM follow_posts WHERE follow_id = ? AND article_id = ? AND message_id IS NULL",
        [(follow_id, a) for a in article_ids],
    )


def confirm_posts(
    conn: sqlite3.Connection, follow_id: int, article_ids: list[int], message_id: int, upto: int, at: str
) -> None:
    """Note the message that carried reserved posts and move the follow's high-water mark to ``upto``."""
    conn.executemany(
        "UPDATE follow_posts SET message_id = ? WHERE follow_id = ? AND article_id = ?",
        [(message_id, follow_id, a) for a in article_ids],
    )
    conn.execute("UPDATE follows SET last_post_at = ? WHERE id = ?", (at, follow_id))
    advance_follow(conn, follow_id, upto)


def advance_follow(conn: sqlite3.Connection, follow_id: int, upto: int) -> None:
    """Move a follow's high-water mark to ``upto`` (never back)."""
    conn.execute("UPDATE follows SET last_article_id = MAX(last_article_id, ?) WHERE id = ?", (upto, follow_id))


def messages_since(conn: sqlite3.Connection, follow_id: int, since: str) -> int:
    """Messages posted for a follow at or after ``since``."""
    row = conn.execute(
        "SELECT COUNT(DISTINCT message_id) FROM follow_posts WHERE follow_id = ? AND posted_at >= ?"
        " AND message_id IS NOT NULL",
        (follow_id, since),
    ).fetchone()
    return int(row[0])


def disable_follow(conn: sqlite3.Connection, follow_id: int, reason: str) -> None:
    """Stop posting for a follow, keeping it listed with ``reason``."""
    conn.execute("UPDATE follows SET disabled_reason = ?, disabled_at = ? WHERE id = ?", (reason, now(), follow_id))


def save_conversation(conn: sqlite3.Connection, convo: Conversation, anchors: list[int]) -> None:
    """Keep ``convo`` under each anchor id (replacing what was kept there)."""
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


conversation = _missing_tables_ok(_get_conversation, None)


def trim_conversations(conn: sqlite3.Connection) -> int:
    """Delete expired follow-up contexts (they hold what users typed); returns how many went."""
    return conn.execute("DELETE FROM conversation WHERE expires < ?", (now(),)).rowcount


def has_ingest_log(conn: sqlite3.Connection) -> bool:
    """Always: opening the file created the archive's tables (the store migrates them), the ingest log among them."""
    return True
