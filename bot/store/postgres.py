"""The bot store on PostgreSQL: the bot's tables, their migrations (once, under an advisory lock), every statement."""

# Every process (a shard cluster, `newsbot prune-logs`, `newsbot feedback`) opens the same database: the bot's own
# operations run on psycopg 3's AsyncConnection from a small pool, on the event loop, with no thread per call. The
# archive's functions (index.store) are synchronous, so they run on one blocking connection with a thread of its
# own, as on SQLite, until index.store takes async connections.

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from bot.store.base import StoreBusy, Threaded, shown
from bot.store.records import Conversation, Follow, GuildSettings, now
from index.text import valid_text

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_SIZE = 4  # connections per process: writes are short statements, and the query log is written in batches
CONNECT_TIMEOUT = 10  # seconds to reach the server before the bot says it cannot
# A statement waiting for a row or table lock gives up after this long (as SQLite's busy timeout does), so a user
# is told "try again" within Discord's patience rather than the call hanging.
LOCK_TIMEOUT_MS = 5000
# Advisory lock keys (two int4 keys: a class, then an id): one class for the bot's migrations, one for the per-server
# follow cap. Archive-side locks use other classes.
MIGRATION_LOCK = (0x4E42, 1)
FOLLOW_CAP_LOCK_CLASS = 0x4E43

# The same tables as on SQLite, in the same ordered steps, recorded in bot_meta the same way; Discord ids are
# 64-bit (BIGINT). Step 1 says IF NOT EXISTS as SQLite's does. Never edit a released step.
BOT_MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE IF NOT EXISTS query_log (
            id          BIGINT PRIMARY KEY,      -- the Discord interaction or message id
            at          TEXT NOT NULL,
            surface     TEXT NOT NULL,           -- slash | mention | dm | more | search
            guild_id    BIGINT,
            channel_id  BIGINT,
            user_id     BIGINT,
            query       TEXT NOT NULL,
            as_of       TEXT,
            took_ms     DOUBLE PRECISION,
            n_results   INTEGER,
            results     TEXT NOT NULL DEFAULT '[]'  -- JSON list of passage ids shown
        );
        CREATE INDEX IF NOT EXISTS query_log_at ON query_log(at);  -- the retention deletes by age
        CREATE TABLE IF NOT EXISTS feedback (
            id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            query_id  BIGINT NOT NULL REFERENCES query_log(id) ON DELETE CASCADE,
            user_id   BIGINT,
            value     INTEGER NOT NULL,          -- +1 | -1
            at        TEXT NOT NULL,
            UNIQUE (query_id, user_id)
        );
        CREATE TABLE IF NOT EXISTS guild_settings (
            guild_id         BIGINT PRIMARY KEY,
            answer_channels  TEXT NOT NULL DEFAULT '[]',  -- JSON list of channel ids; [] = mentions everywhere
            private_default  BOOLEAN NOT NULL DEFAULT FALSE,
            updated_at       TEXT NOT NULL
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE follows (
            id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            guild_id         BIGINT NOT NULL,
            channel_id       BIGINT NOT NULL,
            query            TEXT NOT NULL,
            created_by       BIGINT,
            created_at       TEXT NOT NULL,
            last_article_id  BIGINT NOT NULL DEFAULT 0,  -- high-water mark: articles up to this id were looked at
            last_post_at     TEXT,
            disabled_reason  TEXT,                       -- NULL while active
            disabled_at      TEXT,
            UNIQUE (guild_id, channel_id, query)
        );
        CREATE TABLE follow_posts (
            follow_id   BIGINT NOT NULL REFERENCES follows(id) ON DELETE CASCADE,
            article_id  BIGINT NOT NULL,
            message_id  BIGINT,                          -- NULL while the message is being sent
            posted_at   TEXT NOT NULL,
            PRIMARY KEY (follow_id, article_id)
        );
        CREATE INDEX follow_posts_at ON follow_posts(follow_id, posted_at);
        """,
    ),
    (
        3,
        """
        CREATE TABLE conversation (
            anchor_id    BIGINT PRIMARY KEY,    -- the bot's answer message id, or the thread opened from it
            query_id     BIGINT NOT NULL,       -- the question's query_log id
            guild_id     BIGINT,
            channel_id   BIGINT,
            user_id      BIGINT,
            question     TEXT NOT NULL,
            topic        TEXT NOT NULL DEFAULT '[]',
            sources      TEXT NOT NULL DEFAULT '[]',
            after        TEXT,
            before       TEXT,
            window_start TEXT,
            window_end   TEXT,
            at           TEXT NOT NULL,
            expires      TEXT NOT NULL
        );
        CREATE INDEX conversation_expires ON conversation(expires);
        ALTER TABLE guild_settings ADD COLUMN channel_sources TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE feedback ADD COLUMN reason TEXT;
        ALTER TABLE feedback ADD COLUMN comment TEXT;
        """,
    ),
]
BOT_SCHEMA_VERSION = BOT_MIGRATIONS[-1][0]
SCHEMA_KEY = "schema"


async def migrate(conn: AsyncConnection[Any]) -> int:
    """Create or bring the bot's tables up to date on an autocommit connection; returns their version.

    Processes starting together take turns on an advisory lock: the first applies each step, the others find the
    steps done. Each step and its version row commit together (DDL is transactional here).

    Raises:
        RuntimeError: the tables were made by a newer newsbot.
    """
    await conn.execute("SELECT pg_advisory_lock(%s, %s)", MIGRATION_LOCK)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS bot_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        cur = await conn.execute("SELECT value FROM bot_meta WHERE key = %s", (SCHEMA_KEY,))
        row = await cur.fetchone()
        current = int(_first(row)) if row else 0
        if current > BOT_SCHEMA_VERSION:
            raise RuntimeError(f"the bot's tables are at schema {current}, newer than this newsbot's: upgrade newsbot")
        for version, sql in BOT_MIGRATIONS:
            if version <= current:
                continue
            log.info("migrating the bot's tables to schema %d", version)
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO bot_meta(key, value) VALUES (%s, %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (SCHEMA_KEY, str(version)),
                )
            current = version
        return current
    finally:
        # A lost connection released the lock with its session; its error is the one worth raising.
        with contextlib.suppress(psycopg.OperationalError):
            await conn.execute("SELECT pg_advisory_unlock(%s, %s)", MIGRATION_LOCK)


def _first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


async def _configure(conn: AsyncConnection[Any]) -> None:
    await conn.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_MS)}")


def _open_archive(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)


class PostgresBackend:
    """A pool of async connections for the bot's tables and one threaded blocking connection for the archive."""

    read_only = False  # a database that refuses writes fails them with an error, as a lost server does

    def __init__(self, url: str, pool: AsyncConnectionPool[Any], archive: Threaded) -> None:
        self.locator = url
        self._pool = pool
        self._archive = archive

    @classmethod
    async def open(cls, url: str) -> PostgresBackend:
        """Connect, migrate the bot's tables, then open the pool and the archive's connection.

        Raises:
            StoreBusy: the server cannot be reached or refused the connection (the message says which).
        """
        try:
            async with await AsyncConnection.connect(
                url, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT
            ) as conn:
                await migrate(conn)
            pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT},
                configure=_configure,
                open=False,
                name="newsbot-bot-store",
            )
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except psycopg.OperationalError as e:
            raise StoreBusy(f"cannot reach {shown(url)}: {str(e).strip()}") from e
        try:
            archive = await Threaded.open(functools.partial(_open_archive, url), "newsbot-store-archive", _close)
        except BaseException as e:
            await pool.close()
            if isinstance(e, psycopg.OperationalError):
                raise StoreBusy(f"cannot reach {shown(url)}: {str(e).strip()}") from e
            raise
        return cls(url, pool, archive)

    @property
    def ops(self) -> ModuleType:
        """This module: the operations AsyncStore runs with :meth:`read` and :meth:`write`."""
        return sys.modules[__name__]

    async def read(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``await fn(conn, *args)`` with a pooled connection (autocommit, dict rows)."""
        try:
            async with self._pool.connection() as conn:
                return await fn(conn, *args)
        except psycopg.OperationalError as e:
            # Lost server, pool exhausted, lock wait timed out, serialization conflict: all "try again later".
            raise StoreBusy(f"database is busy or unreachable ({shown(self.locator)}): {e}") from e

    write = read  # PostgreSQL takes concurrent writers: the same pool serves both

    async def archive(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One of :mod:`index.store`'s functions on the archive's blocking connection, on its own thread."""
        try:
            return await self._archive.run(fn, *args, **kwargs)
        except psycopg.OperationalError as e:
            raise StoreBusy(f"database is busy or unreachable ({shown(self.locator)}): {e}") from e

    async def close(self) -> None:
        """Close the pool and the archive's connection."""
        try:
            await self._pool.close()
        finally:
            await self._archive.close()


def _close(conn: psycopg.Connection[Any]) -> None:
    conn.close()


# --- The bot's own reads and writes (awaited on a pooled connection) -----------------------------------------------


async def _rows(conn: AsyncConnection[Any], sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = await conn.execute(sql, params)
    return await cur.fetchall()


async def _row(conn: AsyncConnection[Any], sql: str, params: Any = None) -> dict[str, Any] | None:
    cur = await conn.execute(sql, params)
    return await cur.fetchone()


async def write_queued(
    conn: AsyncConnection[Any], rows: list[tuple[Any, ...]], conversations: list[tuple[Conversation, list[int]]]
) -> None:
    """Write what the bot queued, in one transaction: query-log rows (a retried row that landed already is
    skipped) and follow-up contexts (each kept under its anchors, replacing what was kept there)."""
    async with conn.transaction():
        if rows:
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO query_log"
                    "(id, at, surface, guild_id, channel_id, user_id, query, as_of, took_ms, n_results, results)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                    rows,
                )
        for convo, anchors in conversations:
            await save_conversation(conn, convo, anchors)


async def trim_query_log(conn: AsyncConnection[Any], keep_days: int) -> int:
    """Delete query-log rows (and their feedback) older than ``keep_days``; returns how many questions went."""
    cutoff = (datetime.now(UTC) - timedelta(days=max(0, keep_days))).isoformat(timespec="seconds")
    cur = await conn.execute("DELETE FROM query_log WHERE at < %s", (cutoff,))
    return cur.rowcount


async def query_row(conn: AsyncConnection[Any], query_id: int) -> dict[str, Any] | None:
    """One query-log row as a dict, or None."""
    return await _row(conn, "SELECT * FROM query_log WHERE id = %s", (query_id,))


async def add_feedback(
    conn: AsyncConnection[Any], query_id: int, user_id: int, value: int, reason: str | None, comment: str | None
) -> None:
    """Store a vote; a user's later vote on the same question replaces the earlier.

    Raises:
        LookupError: the question is not in the query log.
    """
    if await _row(conn, "SELECT 1 AS found FROM query_log WHERE id = %s", (query_id,)) is None:
        raise LookupError(f"question {query_id} is not in the query log")
    # A vote without a reason keeps the reason already given for the same vote; a changed vote drops it.
    try:
        await conn.execute(
            "INSERT INTO feedback(query_id, user_id, value, at, reason, comment) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (query_id, user_id) DO UPDATE SET at = EXCLUDED.at,"
            " reason = CASE WHEN EXCLUDED.reason IS NOT NULL OR EXCLUDED.value <> feedback.value"
            "   THEN EXCLUDED.reason ELSE feedback.reason END,"
            " comment = CASE WHEN EXCLUDED.reason IS NOT NULL OR EXCLUDED.value <> feedback.value"
            "   THEN EXCLUDED.comment ELSE feedback.comment END,"
            " value = EXCLUDED.value",
            (query_id, user_id, value, now(), reason, valid_text(comment) if comment else None),
        )
    except psycopg.errors.ForeignKeyViolation as e:  # trimmed by another process since the check
        raise LookupError(f"question {query_id} is not in the query log") from e


async def list_feedback(
    conn: AsyncConnection[Any], days: int | None = None, down_only: bool = False
) -> list[dict[str, Any]]:
    """Feedback with its question, newest first: at, value, reason, comment, query, surface, guild and channel ids."""
    where, params = [], []
    if days is not None:
        where.append("f.at >= %s")
        params.append((datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds"))
    if down_only:
        where.append("f.value < 0")
    sql = (
        "SELECT f.at, f.value, f.reason, f.comment, q.query, q.surface, q.guild_id, q.channel_id, q.id AS query_id"
        " FROM feedback f JOIN query_log q ON q.id = f.query_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY f.at DESC, f.id DESC"
    )
    return await _rows(conn, sql, params)


async def feedback(conn: AsyncConnection[Any], query_id: int) -> dict[int, int]:
    """user id -> vote for one question."""
    rows = await _rows(conn, "SELECT user_id, value FROM feedback WHERE query_id = %s", (query_id,))
    return {row["user_id"]: row["value"] for row in rows}


async def all_settings(conn: AsyncConnection[Any]) -> dict[int, GuildSettings]:
    """Every server's settings."""
    rows = await _rows(conn, "SELECT guild_id, answer_channels, private_default, channel_sources FROM guild_settings")
    return {row["guild_id"]: GuildSettings.from_row(row) for row in rows}


async def one_settings(conn: AsyncConnection[Any], guild_id: int) -> GuildSettings | None:
    """One server's settings, or None when it has none stored."""
    row = await _row(
        conn,
        "SELECT guild_id, answer_channels, private_default, channel_sources FROM guild_settings WHERE guild_id = %s",
        (guild_id,),
    )
    return GuildSettings.from_row(row) if row else None


async def save_settings(conn: AsyncConnection[Any], settings: GuildSettings) -> None:
    """Write one server's settings."""
    answer_channels, channel_sources = settings.columns()
    await conn.execute(
        "INSERT INTO guild_settings(guild_id, answer_channels, private_default, channel_sources, updated_at)"
        " VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (guild_id) DO UPDATE SET answer_channels = EXCLUDED.answer_channels,"
        " private_default = EXCLUDED.private_default, channel_sources = EXCLUDED.channel_sources,"
        " updated_at = EXCLUDED.updated_at",
        (settings.guild_id, answer_channels, settings.private_default, channel_sources, now()),
    )


async def get_meta(conn: AsyncConnection[Any], key: str) -> str | None:
    """A value the bot keeps for itself, or None."""
    row = await _row(conn, "SELECT value FROM bot_meta WHERE key = %s", (key,))
    return row["value"] if row else None


async def set_meta(conn: AsyncConnection[Any], key: str, value: str) -> None:
    """Keep a value for the bot in bot_meta."""
    await conn.execute(
        "INSERT INTO bot_meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (key, value),
    )


async def follows(conn: AsyncConnection[Any], guild_id: int | None, active: bool) -> list[Follow]:
    """A server's follows (every server's when None), oldest first; ``active`` leaves out disabled ones."""
    where, params = [], []
    if guild_id is not None:
        where.append("guild_id = %s")
        params.append(guild_id)
    if active:
        where.append("disabled_reason IS NULL")
    sql = "SELECT * FROM follows" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    return [Follow.from_row(row) for row in await _rows(conn, sql, params)]


async def _has_articles(conn: AsyncConnection[Any]) -> bool:
    # The archive's tables are the archive backend's to create: a database holding only the bot's has none yet.
    row = await _row(conn, "SELECT to_regclass('articles') IS NOT NULL AS present")
    return bool(row and row["present"])


async def max_article_id(conn: AsyncConnection[Any]) -> int:
    """The highest article row id in the archive (0 when empty or not created yet)."""
    if not await _has_articles(conn):
        return 0
    row = await _row(conn, "SELECT COALESCE(MAX(id), 0) AS top FROM articles")
    return int(row["top"]) if row else 0


async def add_follow(
    conn: AsyncConnection[Any], guild_id: int, channel_id: int, query: str, user_id: int | None, limit: int
) -> tuple[Follow | None, str]:
    """Add a follow unless it exists or the server has ``limit``: (follow, "added" | "exists") or (None, "full")."""
    async with conn.transaction():
        # One server's additions take turns, across processes too, so two at once cannot pass the cap together.
        await conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (FOLLOW_CAP_LOCK_CLASS, str(guild_id)))
        row = await _row(
            conn,
            "SELECT * FROM follows WHERE guild_id = %s AND channel_id = %s AND query = %s",
            (guild_id, channel_id, query),
        )
        if row is not None:
            return Follow.from_row(row), "exists"
        count = await _row(conn, "SELECT COUNT(*) AS n FROM follows WHERE guild_id = %s", (guild_id,))
        if count is not None and count["n"] >= limit:
            return None, "full"
        # Following starts now: the archive's past is not posted, only what arrives from here on.
        row = await _row(
            conn,
            "INSERT INTO follows(guild_id, channel_id, query, created_by, created_at, last_article_id)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING *",
            (guild_id, channel_id, query, user_id, now(), await max_article_id(conn)),
        )
    assert row is not None
    return Follow.from_row(row), "added"


async def remove_follow(conn: AsyncConnection[Any], guild_id: int, follow_id: int) -> Follow | None:
    """Delete a follow of this server (its post records go with it); None when there is no such one."""
    row = await _row(conn, "DELETE FROM follows WHERE id = %s AND guild_id = %s RETURNING *", (follow_id, guild_id))
    return Follow.from_row(row) if row else None


async def new_articles(conn: AsyncConnection[Any], after_id: int, upto_id: int) -> list[tuple[int, str | None]]:
    """(id, published) of the original articles with ``after_id < id <= upto_id``, oldest first."""
    if not await _has_articles(conn):
        return []
    # Duplicates are folded into an article already stored: that story is not new.
    rows = await _rows(
        conn,
        "SELECT id, published FROM articles WHERE id > %s AND id <= %s AND duplicate_of IS NULL ORDER BY id",
        (after_id, upto_id),
    )
    return [(row["id"], row["published"]) for row in rows]


async def posted(conn: AsyncConnection[Any], follow_id: int, article_ids: list[int]) -> set[int]:
    """Those of ``article_ids`` recorded as posted (or being posted) for a follow."""
    rows = await _rows(
        conn,
        "SELECT article_id FROM follow_posts WHERE follow_id = %s AND article_id = ANY(%s)",
        (follow_id, article_ids),
    )
    return {row["article_id"] for row in rows}


async def reserve_posts(conn: AsyncConnection[Any], follow_id: int, article_ids: list[int], at: str) -> list[int]:
    """Record articles as posted; returns those this call recorded (no other process or call had), in order."""
    # Reserved before sending: a crash between the send and the record loses a post rather than doubling it. One
    # statement: a row another process inserted first (committed or not) is a conflict, so each article is
    # returned to exactly one caller. Rows go in ascending order, so two callers with overlapping lists wait for
    # each other in one order and never deadlock (in any other order each can hold a row the other needs).
    rows = await _rows(
        conn,
        "INSERT INTO follow_posts(follow_id, article_id, posted_at)"
        " SELECT %s, a, %s FROM unnest(%s::bigint[]) AS a ORDER BY a ON CONFLICT DO NOTHING RETURNING article_id",
        (follow_id, at, sorted(set(article_ids))),
    )
    mine = {row["article_id"] for row in rows}
    return [a for a in dict.fromkeys(article_ids) if a in mine]


async def release_posts(conn: AsyncConnection[Any], follow_id: int, article_ids: list[int]) -> None:
    """Forget reservations whose message was never sent."""
    await conn.execute(
        "DELETE FROM follow_posts WHERE follow_id = %s AND article_id = ANY(%s) AND message_id IS NULL",
        (follow_id, article_ids),
    )


async def confirm_posts(
    conn: AsyncConnection[Any], follow_id: int, article_ids: list[int], message_id: int, upto: int, at: str
) -> None:
    """Note the message that carried reserved posts and move the follow's high-water mark to ``upto``."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE follow_posts SET message_id = %s WHERE follow_id = %s AND article_id = ANY(%s)",
            (message_id, follow_id, article_ids),
        )
        await conn.execute(
            "UPDATE follows SET last_post_at = %s, last_article_id = GREATEST(last_article_id, %s) WHERE id = %s",
            (at, upto, follow_id),
        )


async def advance_follow(conn: AsyncConnection[Any], follow_id: int, upto: int) -> None:
    """Move a follow's high-water mark to ``upto`` (never back)."""
    await conn.execute(
        "UPDATE follows SET last_article_id = GREATEST(last_article_id, %s) WHERE id = %s", (upto, follow_id)
    )


async def messages_since(conn: AsyncConnection[Any], follow_id: int, since: str) -> int:
    """Messages posted for a follow at or after ``since``."""
    row = await _row(
        conn,
        "SELECT COUNT(DISTINCT message_id) AS n FROM follow_posts WHERE follow_id = %s AND posted_at >= %s"
        " AND message_id IS NOT NULL",
        (follow_id, since),
    )
    return int(row["n"]) if row else 0


async def disable_follow(conn: AsyncConnection[Any], follow_id: int, reason: str) -> None:
    """Stop posting for a follow, keeping it listed with ``reason``."""
    await conn.execute(
        "UPDATE follows SET disabled_reason = %s, disabled_at = %s WHERE id = %s", (reason, now(), follow_id)
    )


async def save_conversation(conn: AsyncConnection[Any], convo: Conversation, anchors: list[int]) -> None:
    """Keep ``convo`` under each anchor id (replacing what was kept there)."""
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO conversation(anchor_id, query_id, guild_id, channel_id, user_id, question, topic, sources,"
            " after, before, window_start, window_end, at, expires)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (anchor_id) DO UPDATE SET query_id = EXCLUDED.query_id, question = EXCLUDED.question,"
            " topic = EXCLUDED.topic, sources = EXCLUDED.sources, after = EXCLUDED.after, before = EXCLUDED.before,"
            " window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end, at = EXCLUDED.at,"
            " expires = EXCLUDED.expires, user_id = EXCLUDED.user_id",
            [(anchor, *convo.row()) for anchor in anchors],
        )


async def conversation(conn: AsyncConnection[Any], anchor: int) -> Conversation | None:
    """The context kept under an answer message or thread id, or None."""
    row = await _row(conn, "SELECT * FROM conversation WHERE anchor_id = %s", (anchor,))
    return Conversation.from_row(row) if row else None


async def trim_conversations(conn: AsyncConnection[Any]) -> int:
    """Delete expired follow-up contexts (they hold what users typed); returns how many went."""
    cur = await conn.execute("DELETE FROM conversation WHERE expires < %s", (now(),))
    return cur.rowcount


async def has_ingest_log(conn: AsyncConnection[Any]) -> bool:
    """Whether the archive's ingest log exists in this database (the archive backend creates it)."""
    row = await _row(conn, "SELECT to_regclass('ingest_log') IS NOT NULL AS present")
    return bool(row and row["present"])
