"""The SQLite system of record: schema, ordered migrations, and every read and write of stored data."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from index.models import Article, Passage
from index.store.records import ArticleRef, IngestRun, OutletStats, StoredArticle, StoreStats
from index.text import valid_text

try:
    import fcntl
except ImportError:  # not on POSIX
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

DEFAULT_DB = "data/newsbot.db"
DB_ENV = "NEWSBOT_DB"

# Ordered migrations: (version, statements). A database records the last one applied in PRAGMA user_version;
# opening it applies the rest in order, each in its own transaction. Never edit a released step: add one.
# (Step 1 once also created the tables of an application that keeps its own data in this file: a query log,
# feedback and settings. That application now creates and migrates them itself, so a database made before
# keeps them, with their data, and the store neither reads nor needs them.)
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        -- One row per input file seen; its hash decides whether a re-run must read it again.
        CREATE TABLE files (
            id          INTEGER PRIMARY KEY,
            path        TEXT NOT NULL UNIQUE,
            size        INTEGER NOT NULL,
            mtime_ns    INTEGER NOT NULL,
            file_hash   TEXT NOT NULL,
            reader      TEXT,
            status      TEXT NOT NULL,          -- ok | partial | failed
            indexed_at  TEXT NOT NULL
        );
        CREATE TABLE articles (
            id             INTEGER PRIMARY KEY,
            source_id      TEXT NOT NULL UNIQUE, -- id in its source: JSONL id, else path (or path:line)
            file_id        INTEGER REFERENCES files(id) ON DELETE CASCADE,
            origin_path    TEXT NOT NULL,
            origin_line    INTEGER,
            reader         TEXT NOT NULL,
            title          TEXT NOT NULL,
            body           TEXT NOT NULL,        -- paragraphs joined by a blank line
            outlet         TEXT,
            published      TEXT,                 -- ISO 8601 date or datetime; NULL when unknown
            url            TEXT,
            authors        TEXT NOT NULL DEFAULT '[]',  -- JSON list
            extra          TEXT NOT NULL DEFAULT '{}',  -- JSON object
            content_hash   TEXT NOT NULL,
            duplicate_of   INTEGER REFERENCES articles(id) ON DELETE SET NULL,
            title_tokens   TEXT NOT NULL DEFAULT '',
            added_at       TEXT NOT NULL,
            updated_at     TEXT NOT NULL
        );
        CREATE INDEX articles_hash ON articles(content_hash);
        CREATE INDEX articles_file ON articles(file_id);
        CREATE INDEX articles_url ON articles(url);
        CREATE INDEX articles_published ON articles(published);
        CREATE INDEX articles_duplicate ON articles(duplicate_of);
        -- Duplicates (duplicate_of set) have no passages: a story is indexed once.
        CREATE TABLE passages (
            id             INTEGER PRIMARY KEY,
            article_id     INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            ordinal        INTEGER NOT NULL,
            paragraph      INTEGER NOT NULL,     -- 1-based paragraph where the passage starts
            paragraph_end  INTEGER NOT NULL,
            char_start     INTEGER NOT NULL,     -- offsets into articles.body
            char_end       INTEGER NOT NULL,
            text           TEXT NOT NULL,
            tokens         TEXT NOT NULL,        -- space-separated terms of the passage text
            UNIQUE (article_id, ordinal)
        );
        CREATE TABLE ingest_runs (
            id           INTEGER PRIMARY KEY,
            started_at   TEXT NOT NULL,
            finished_at  TEXT,
            paths        TEXT NOT NULL,          -- JSON list
            status       TEXT NOT NULL,          -- running | ok | failed | interrupted
            summary      TEXT NOT NULL DEFAULT '{}'  -- JSON counts
        );
        CREATE TABLE ingest_log (
            id       INTEGER PRIMARY KEY,
            run_id   INTEGER REFERENCES ingest_runs(id) ON DELETE CASCADE,
            path     TEXT NOT NULL,
            line     INTEGER,
            level    TEXT NOT NULL,              -- error | skip | duplicate | info
            reason   TEXT NOT NULL,
            at       TEXT NOT NULL
        );
        CREATE INDEX ingest_log_run ON ingest_log(run_id);
        """,
    ),
    (
        2,
        """
        -- Feeds polled by `newsbot watch` and the bot; validators and backoff kept per feed.
        CREATE TABLE feeds (
            id              INTEGER PRIMARY KEY,
            url             TEXT NOT NULL UNIQUE,
            name            TEXT,                 -- the outlet name given at `feeds add`; NULL: the feed's title
            title           TEXT,                 -- the feed's own title, as last read
            etag            TEXT,
            last_modified   TEXT,
            last_checked    TEXT,
            last_status     TEXT,                 -- ok | not modified | the reason it failed
            failures        INTEGER NOT NULL DEFAULT 0,  -- consecutive failed checks
            next_attempt_at TEXT,                 -- not checked again before this (backoff after failures)
            added_at        TEXT NOT NULL
        );
        -- One row per item seen in a feed: its URL is the article's identity, entry_hash tells a changed entry.
        CREATE TABLE feed_items (
            id              INTEGER PRIMARY KEY,
            feed_id         INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            url             TEXT NOT NULL,
            entry_hash      TEXT NOT NULL,
            entry           TEXT NOT NULL DEFAULT '{}',  -- JSON: the entry's fields, to retry without the feed
            status          TEXT NOT NULL,        -- spooled | failed | gave_up
            reason          TEXT,
            failures        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            spool_path      TEXT,
            stored          INTEGER NOT NULL DEFAULT 0,  -- 1 once the spooled record went through an ingest
            first_seen      TEXT NOT NULL,
            last_seen       TEXT NOT NULL,
            UNIQUE (feed_id, url)
        );
        CREATE INDEX feed_items_retry ON feed_items(status, next_attempt_at);
        """,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def db_path_from_env(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database path: the explicit argument, else ``$NEWSBOT_DB``, else ``data/newsbot.db``."""
    return Path(explicit or os.environ.get(DB_ENV) or DEFAULT_DB)


def connect(path: str | os.PathLike[str], *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating and migrating unless ``readonly``) the database with the project's pragmas.

    A read-only open also works on read-only media (a read-only mount, a backup disk), where SQLite cannot create
    the shared-memory file WAL readers use: the file is then opened as immutable.
    """
    path = Path(path)
    if readonly:
        conn = _open_readonly(path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are opened explicitly (see transaction()), never implicitly.
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        # WAL lets the bot read while the indexer writes; NORMAL sync is durable at each checkpoint in WAL mode.
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    return conn


def _use_wal(conn: sqlite3.Connection, wait: float = 30.0) -> None:
    """Switch to WAL, retrying while another connection holds the lock it needs.

    SQLite answers "database is locked" to this pragma at once, without its busy handler, when another
    connection is switching a new database at the same moment (processes starting together on a new store).
    """
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if ("locked" not in str(err) and "busy" not in str(err)) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _open_readonly(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30, isolation_level=None)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return conn
    except sqlite3.OperationalError as err:
        conn.close()
        if not path.is_file() or "unable to open" not in str(err):
            raise
    # Read-only media: nothing can write the file there, so reading it without locks is safe.
    log.info("%s is on read-only media: opened as immutable", path)
    return sqlite3.connect(
        f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False, timeout=30, isolation_level=None
    )


def connect_for_reading(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open for a command that only reads: migrated when the file can be written, else read-only (never an error
    just because the database sits on read-only media or belongs to another user)."""
    path = Path(path)
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        try:
            return connect(path)
        except sqlite3.OperationalError as err:
            if not cannot_write(err):
                raise
    return connect(path, readonly=True)


def cannot_write(err: BaseException) -> bool:
    """Whether an error from opening or writing the database means it cannot be written here (media, permissions)."""
    text = str(err).lower()
    return getattr(err, "errno", None) in (13, 30) or any(
        words in text for words in ("readonly", "read-only", "unable to open")
    )


def is_write_locked(conn: sqlite3.Connection) -> bool:
    """Whether another connection holds the write lock right now (checked without waiting for it)."""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as err:
        if "locked" not in str(err) and "busy" not in str(err):
            raise
        return True
    finally:
        conn.execute("PRAGMA busy_timeout = 30000")


def lock_holders(path: str | os.PathLike[str]) -> list[str]:
    """The other processes that have the database open, as "pid 123 (newsbot run)" (Linux /proc; else [])."""
    names = {str(Path(path).resolve()) + suffix for suffix in ("", "-wal", "-shm", "-journal")}
    found: list[str] = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        pid = fd_dir.parent.name
        if pid == str(os.getpid()):
            continue
        try:
            if not any(os.readlink(fd) in names for fd in fd_dir.iterdir()):
                continue
            raw = (fd_dir.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            command = " ".join(raw.split())  # one line, whatever the command line holds
        except OSError:  # gone meanwhile, or not ours to look at
            continue
        found.append(f"pid {pid} ({command[:80] or '?'})")
    return found


@contextmanager
def ingest_lock(path: str | os.PathLike[str]) -> Iterator[bool]:
    """Hold the database's ingest lock (``<db>.lock``, an advisory file lock) for the block; yields False when
    another process holds it. Readers such as the bot never take it."""
    if fcntl is None:  # no advisory file locks on this platform: one ingest at a time is up to the user
        yield True
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def describe_error(err: BaseException, path: str | os.PathLike[str]) -> str | None:
    """A one-line message, with the next step, for a failure of the database's file or disk; None for others."""
    text = str(err).lower()
    errno_ = getattr(err, "errno", None)
    if "disk is full" in text or errno_ == 28:  # ENOSPC
        return (
            f"the disk holding {path} is full. Free some space, then run the same command again: what was committed "
            "is kept and the rest is redone."
        )
    if "locked" in text or "busy" in text:
        holders = ", ".join(lock_holders(path)) or "another process"
        return f"{path} is locked by {holders}. Wait for it to finish (or stop it), then run the command again."
    if cannot_write(err) and "unable to open" not in text:
        return (
            f"{path} cannot be written here (a read-only file system, or no permission). Commands that only read "
            "(search, ask, stats, article) still work; to index, use a writable copy or fix the permissions."
        )
    if "disk i/o error" in text or errno_ == 5:  # EIO
        return f"reading or writing {path} failed (disk I/O error). Check the disk, then run the command again."
    return None


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the pending migrations in order; returns the schema version now in force."""
    current = _user_version(conn)
    if current > SCHEMA_VERSION:
        raise RuntimeError(f"database schema {current} is newer than this newsbot ({SCHEMA_VERSION}): upgrade newsbot")
    return apply_steps(conn, MIGRATIONS, current, _user_version, _set_user_version, "database")


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _set_user_version(conn: sqlite3.Connection, version: int) -> None:
    conn.execute(f"PRAGMA user_version = {int(version)}")


def apply_steps(
    conn: sqlite3.Connection,
    steps: list[tuple[int, str]],
    current: int,
    read_version: Callable[[sqlite3.Connection], int],
    record_version: Callable[[sqlite3.Connection, int], None],
    what: str,
) -> int:
    """Apply the ordered migration ``steps`` past ``current`` on an autocommit connection; the version after.

    Each step runs in its own write transaction (BEGIN IMMEDIATE: the lock first) that reads the version again, so
    processes opening a database at the same time apply each step once: the later ones wait for the lock, then
    find the step applied. A failed step is rolled back whole, leaving no half schema and no open transaction.
    """
    for version, sql in steps:
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = read_version(conn)
            if current < version:
                log.info("migrating the %s to schema %d", what, version)
                for statement in split_statements(sql):
                    conn.execute(statement)
                record_version(conn, version)
                current = version
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return current


def split_statements(script: str) -> list[str]:
    """A migration step's statements, one by one: the text is cut at each semicolon where SQLite's own tokenizer
    says a statement is complete (a semicolon inside a string, a comment or a trigger body does not end one)."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\n;"):
                statements.append(pending.strip())
            pending = ""
    return statements


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed on success, rolled back on any exception (Ctrl-C included)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    else:
        conn.commit()


def get_meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value if isinstance(value, str) else json.dumps(value)),
    )


# --- Ingest: files, articles, passages, runs and their log (written by index.ingest.pipeline) ------------------------

# File status while its articles are being written: only once all of them are committed does it become ok,
# partial (some input lost) or failed (nothing usable), so an interrupted run leaves it to be read again.
FILE_PENDING = "pending"


INGEST_LOG_DAYS = 90  # how long the ingest log keeps problems of files that are fine now


def utc_now() -> str:
    """The current UTC time as stored in the database (ISO 8601, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def file_rows(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """Every known input file by path: ``id, path, size, mtime_ns, file_hash, reader, status, indexed_at``."""
    return {row["path"]: row for row in conn.execute("SELECT * FROM files")}


def upsert_file(
    conn: sqlite3.Connection,
    path: str,
    *,
    size: int,
    mtime_ns: int,
    file_hash: str,
    reader: str | None,
    status: str,
) -> int:
    """Create or update a file's row.

    Args:
        conn: open connection (inside a transaction).
        path: the file's resolved path, its key.
        size: size in bytes when it was read.
        mtime_ns: modification time when it was read.
        file_hash: content hash ("" while pending).
        reader: the reader that read it, or None.
        status: ``pending``, ``ok``, ``partial`` or ``failed``.

    Returns:
        The file's row id.
    """
    row = conn.execute(
        """
        INSERT INTO files(path, size, mtime_ns, file_hash, reader, status, indexed_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
            file_hash = excluded.file_hash, reader = excluded.reader, status = excluded.status,
            indexed_at = excluded.indexed_at
        RETURNING id
        """,
        (path, size, mtime_ns, file_hash, reader, status, utc_now()),
    ).fetchone()
    return int(row[0])


def touch_file(conn: sqlite3.Connection, file_id: int, *, size: int, mtime_ns: int) -> None:
    """Record a new size/modification time for a file whose content hash did not change."""
    conn.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, file_id))


def count_file_articles(conn: sqlite3.Connection, file_ids: list[int]) -> tuple[int, int]:
    """How many articles the given files hold: ``(all, duplicates)``."""
    total = dups = 0
    for chunk in _chunks(file_ids, 500):
        marks = ",".join("?" * len(chunk))
        row = conn.execute(
            f"SELECT count(*), count(duplicate_of) FROM articles WHERE file_id IN ({marks})", chunk
        ).fetchone()
        total += row[0]
        dups += row[1]
    return total, dups


def file_article_ids(conn: sqlite3.Connection, file_id: int) -> dict[str, int]:
    """A file's articles: source_id -> article row id."""
    return {r[0]: r[1] for r in conn.execute("SELECT source_id, id FROM articles WHERE file_id = ?", (file_id,))}


def article_for_update(conn: sqlite3.Connection, source_id: str) -> sqlite3.Row | None:
    """The stored fields an incoming article is compared with, by its source id (None when new)."""
    return conn.execute(
        """
        SELECT id, file_id, origin_path, origin_line, reader, title, body, outlet, published, url, authors, extra,
               content_hash, duplicate_of
        FROM articles WHERE source_id = ?
        """,
        (source_id,),
    ).fetchone()


def find_original(conn: sqlite3.Connection, content_hash: str, *, exclude: int | None = None) -> sqlite3.Row | None:
    """The stored original (not itself a duplicate) with this content hash: ``id, source_id``, or None."""
    return conn.execute(
        "SELECT id, source_id FROM articles WHERE content_hash = ? AND duplicate_of IS NULL AND id IS NOT ?"
        " ORDER BY id LIMIT 1",
        (content_hash, exclude),
    ).fetchone()


def _extra_json(extra: dict[str, Any]) -> str:
    # One serialisation for writing and for same_article: if they drifted, every re-run would rewrite everything.
    return json.dumps(extra, ensure_ascii=False, sort_keys=True, default=str)


def _article_values(article: Article, content_hash: str, title_tokens: str) -> tuple[Any, ...]:
    return (
        article.origin_path,
        article.origin_line,
        article.reader,
        article.title,
        article.body,
        article.outlet,
        article.published,
        article.url,
        json.dumps(article.authors, ensure_ascii=False),
        _extra_json(article.extra),
        content_hash,
        title_tokens,
    )


def insert_article(
    conn: sqlite3.Connection,
    article: Article,
    *,
    file_id: int | None,
    content_hash: str,
    title_tokens: str,
    duplicate_of: int | None = None,
) -> int:
    """Store a new article (its passages are written separately, and only for an original).

    Args:
        conn: open connection (inside a transaction).
        article: the article as read.
        file_id: the row id of the file it came from.
        content_hash: ``article.content_hash``, computed once by the caller.
        title_tokens: the tokenized headline, serialised.
        duplicate_of: the original's row id when this is the same text again.

    Returns:
        The new article's row id.
    """
    now = utc_now()
    row = conn.execute(
        """
        INSERT INTO articles(origin_path, origin_line, reader, title, body, outlet, published, url, authors, extra,
                             content_hash, title_tokens, source_id, file_id, duplicate_of, added_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        RETURNING id
        """,
        (
            *_article_values(article, content_hash, title_tokens),
            article.source_id,
            file_id,
            duplicate_of,
            now,
            now,
        ),
    ).fetchone()
    return int(row[0])


def update_article(
    conn: sqlite3.Connection,
    article_id: int,
    article: Article,
    *,
    file_id: int | None,
    content_hash: str,
    title_tokens: str,
    duplicate_of: int | None,
) -> None:
    """Overwrite a stored article's fields in place (its row id, and so its citations, stay the same)."""
    conn.execute(
        """
        UPDATE articles SET origin_path = ?, origin_line = ?, reader = ?, title = ?, body = ?, outlet = ?,
            published = ?, url = ?, authors = ?, extra = ?, content_hash = ?, title_tokens = ?,
            file_id = ?, duplicate_of = ?, updated_at = ?
        WHERE id = ?
        """,
        (*_article_values(article, content_hash, title_tokens), file_id, duplicate_of, utc_now(), article_id),
    )


def same_article(row: sqlite3.Row, article: Article) -> bool:
    """True when a stored row (from :func:`article_for_update`) holds exactly what ``article`` would store."""
    return (
        row["title"] == article.title
        and row["body"] == article.body
        and row["outlet"] == article.outlet
        and row["published"] == article.published
        and row["url"] == article.url
        and row["origin_path"] == article.origin_path
        and row["origin_line"] == article.origin_line
        and row["reader"] == article.reader
        and json.loads(row["authors"]) == article.authors
        and row["extra"] == _extra_json(article.extra)
    )


def replace_passages(conn: sqlite3.Connection, article_id: int, passages: list[Passage], tokens: list[str]) -> int:
    """Replace an article's passages.

    Args:
        conn: open connection (inside a transaction).
        article_id: the article's row id.
        passages: its passages in order (``[]`` just removes the old ones, as for a duplicate).
        tokens: each passage's serialised tokens, in the same order.

    Returns:
        How many passages were written.
    """
    conn.execute("DELETE FROM passages WHERE article_id = ?", (article_id,))
    conn.executemany(
        """
        INSERT INTO passages(article_id, ordinal, paragraph, paragraph_end, char_start, char_end, text, tokens)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            (article_id, p.ordinal, p.paragraph, p.paragraph_end, p.char_start, p.char_end, p.text, t)
            for p, t in zip(passages, tokens, strict=True)
        ],
    )
    return len(passages)


def release_duplicates(conn: sqlite3.Connection, article_id: int, *, keep_out: set[int] | None = None) -> int | None:
    """Make the oldest duplicate of ``article_id`` the original, and point the other duplicates at it.

    Call before an original is deleted or its text changes, so the story stays indexed once.

    Args:
        conn: open connection (inside a transaction).
        article_id: the original that is going away or changing.
        keep_out: articles that must not be promoted (they are being deleted too).

    Returns:
        The promoted article's row id (it has no passages yet: the caller writes them), or None.
    """
    dups = [r[0] for r in conn.execute("SELECT id FROM articles WHERE duplicate_of = ? ORDER BY id", (article_id,))]
    promoted = next((d for d in dups if not keep_out or d not in keep_out), None)
    if promoted is None:
        return None
    conn.execute("UPDATE articles SET duplicate_of = NULL, updated_at = ? WHERE id = ?", (utc_now(), promoted))
    conn.execute("UPDATE articles SET duplicate_of = ? WHERE duplicate_of = ?", (promoted, article_id))
    return promoted


def delete_articles(conn: sqlite3.Connection, article_ids: list[int]) -> list[int]:
    """Delete articles (their passages go with them), promoting a surviving duplicate of each deleted original.

    Returns:
        The row ids of promoted duplicates, which need passages written (see :func:`release_duplicates`).
    """
    doomed = set(article_ids)
    promoted: list[int] = []
    for article_id in article_ids:
        new = release_duplicates(conn, article_id, keep_out=doomed)
        if new is not None:
            promoted.append(new)
    for chunk in _chunks(article_ids, 500):
        conn.execute(f"DELETE FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk)
    return promoted


def delete_file(conn: sqlite3.Connection, file_id: int) -> tuple[int, list[int]]:
    """Delete a file's row and its articles.

    Returns:
        ``(articles deleted, promoted duplicate ids)``.
    """
    ids = list(file_article_ids(conn, file_id).values())
    promoted = delete_articles(conn, ids)
    conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
    return len(ids), promoted


def article_text(conn: sqlite3.Connection, article_id: int) -> sqlite3.Row | None:
    """``id, source_id, title, body`` of one article: what re-splitting needs."""
    return conn.execute("SELECT id, source_id, title, body FROM articles WHERE id = ?", (article_id,)).fetchone()


def original_ids(conn: sqlite3.Connection, *, after: int = 0, limit: int = 1000) -> list[int]:
    """Row ids of articles that are not duplicates, in id order, for batch work over the whole store."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM articles WHERE duplicate_of IS NULL AND id > ? ORDER BY id LIMIT ?", (after, limit)
        )
    ]


def passage_texts(conn: sqlite3.Connection, *, after: int = 0, limit: int = 5000) -> list[tuple[int, str]]:
    """``(id, text)`` of passages after row id ``after``, in id order (for re-tokenizing)."""
    return [
        (r[0], r[1])
        for r in conn.execute("SELECT id, text FROM passages WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
    ]


def set_passage_tokens(conn: sqlite3.Connection, rows: list[tuple[str, int]]) -> None:
    """Store new tokens for passages: ``(tokens, passage id)`` pairs."""
    conn.executemany("UPDATE passages SET tokens = ? WHERE id = ?", rows)


def article_titles(conn: sqlite3.Connection, *, after: int = 0, limit: int = 5000) -> list[tuple[int, str]]:
    """``(id, title)`` of articles after row id ``after``, in id order (for re-tokenizing headlines)."""
    return [
        (r[0], r[1])
        for r in conn.execute("SELECT id, title FROM articles WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
    ]


def set_title_tokens(conn: sqlite3.Connection, rows: list[tuple[str, int]]) -> None:
    """Store new headline tokens: ``(tokens, article id)`` pairs."""
    conn.executemany("UPDATE articles SET title_tokens = ? WHERE id = ?", rows)


def start_run(conn: sqlite3.Connection, paths: list[str]) -> int:
    """Record the start of an ingest run; returns its id."""
    with transaction(conn):
        row = conn.execute(
            "INSERT INTO ingest_runs(started_at, paths, status) VALUES (?, ?, 'running') RETURNING id",
            (utc_now(), json.dumps(paths, ensure_ascii=False)),
        ).fetchone()
    return int(row[0])


def finish_run(conn: sqlite3.Connection, run_id: int, status: str, summary: dict[str, Any]) -> None:
    """Record how an ingest run ended: ``ok``, ``failed`` (some input lost) or ``interrupted``."""
    with transaction(conn):
        conn.execute(
            "UPDATE ingest_runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
            (utc_now(), status, json.dumps(summary, ensure_ascii=False), run_id),
        )


def close_stale_runs(conn: sqlite3.Connection) -> int:
    """Mark runs still "running" as interrupted (call only while holding the ingest lock); returns how many."""
    with transaction(conn):
        cur = conn.execute(
            "UPDATE ingest_runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?)"
            " WHERE status = 'running'",
            (utc_now(),),
        )
    return cur.rowcount


def log_entries(conn: sqlite3.Connection, run_id: int, entries: list[tuple[str, int | None, str, str]]) -> None:
    """Append to the ingest log: ``(path, line, level, reason)`` tuples; level error | skip | duplicate | info."""
    now = utc_now()
    conn.executemany(
        "INSERT INTO ingest_log(run_id, path, line, level, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
        [(run_id, path, line, level, reason, now) for path, line, level, reason in entries],
    )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Reads: articles, passages, runs, stats ------------------------------------------------------------------


def get_article(conn: sqlite3.Connection, article_id: int) -> sqlite3.Row | None:
    """One article row by its row id, or None."""
    return conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()


def get_article_by_source_id(conn: sqlite3.Connection, source_id: str) -> sqlite3.Row | None:
    """One article row by the id it has in its source (JSONL id, else file path), or None."""
    return conn.execute("SELECT * FROM articles WHERE source_id = ?", (source_id,)).fetchone()


# Every column a StoredArticle holds, and its passage count (0 for a duplicate: its story is indexed once).
_STORED_ARTICLE = (
    "SELECT a.id, a.source_id, a.file_id, a.origin_path, a.origin_line, a.reader, a.title, a.body, a.outlet,"
    " a.published, a.url, a.authors, a.extra, a.content_hash, a.duplicate_of, a.added_at, a.updated_at,"
    " (SELECT count(*) FROM passages p WHERE p.article_id = a.id) AS passages FROM articles a"
)


def _json_or(text: str | None, default: Any) -> Any:
    # A hand-edited or damaged value must not make an article unreadable: it reads as the empty default.
    try:
        value = json.loads(text or "null")
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def _stored_article(row: sqlite3.Row) -> StoredArticle:
    values = dict(zip(row.keys(), row, strict=True))
    values["authors"] = [str(a) for a in _json_or(row["authors"], [])]
    values["extra"] = _json_or(row["extra"], {})
    return StoredArticle(**values)


def _stored_articles(conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> list[StoredArticle]:
    return [_stored_article(r) for r in conn.execute(f"{_STORED_ARTICLE} {where}", params)]


# What articles_by looks an article up by: the filter (and order) of each.
_BY = {
    "id": "WHERE a.id = ?",
    "source_id": "WHERE a.source_id = ?",
    "url": "WHERE a.url = ? ORDER BY a.id",  # the same link may have been ingested from several files
    "path": "JOIN files f ON f.id = a.file_id WHERE f.path = ? ORDER BY a.origin_line, a.id",
}


def articles_by(conn: sqlite3.Connection, key: str, value: int | str) -> list[StoredArticle]:
    """The stored articles whose ``key`` ("id", "source_id", "url" or "path", their file's) is ``value``."""
    return _stored_articles(conn, _BY[key], (value,))


def find_headlines(conn: sqlite3.Connection, text: str, *, limit: int = 25) -> list[ArticleRef]:
    """Distinct stories whose headline contains ``text`` (case-insensitive), or whose row id it is.

    Args:
        conn: open connection.
        text: what the user typed so far; empty lists the newest stories.
        limit: at most this many.

    Returns:
        The row id match first, then headlines that start with ``text``, then the rest; newest first within
        each. Duplicates are left out: they are folded into their originals.
    """
    text = valid_text(text).strip()
    if not text:
        rows = conn.execute(
            "SELECT id, title, outlet, published FROM articles WHERE duplicate_of IS NULL AND title != ''"
            " ORDER BY published IS NULL, published DESC, id DESC LIMIT ?",
            (limit,),
        )
    else:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = conn.execute(
            "SELECT id, title, outlet, published FROM articles"
            " WHERE duplicate_of IS NULL AND (title LIKE ? ESCAPE '\\' OR CAST(id AS TEXT) = ?)"
            " ORDER BY CAST(id AS TEXT) = ? DESC, title LIKE ? ESCAPE '\\' DESC,"
            " published IS NULL, published DESC, id DESC LIMIT ?",
            (pattern, text, text, pattern[1:], limit),
        )
    return [ArticleRef(r["id"], r["title"], r["outlet"], r["published"]) for r in rows]


def article_passages(conn: sqlite3.Connection, article_id: int) -> list[sqlite3.Row]:
    """An article's passages in order (none for a duplicate)."""
    return conn.execute(
        "SELECT id, ordinal, paragraph, paragraph_end, char_start, char_end, text, tokens FROM passages"
        " WHERE article_id = ? ORDER BY ordinal",
        (article_id,),
    ).fetchall()


def article_duplicates(conn: sqlite3.Connection, article_id: int) -> list[sqlite3.Row]:
    """The articles recorded as duplicates of this one: ``id, source_id, title, outlet, published, url``."""
    return conn.execute(
        "SELECT id, source_id, title, outlet, published, url, origin_path FROM articles WHERE duplicate_of = ?"
        " ORDER BY id",
        (article_id,),
    ).fetchall()


def last_run(conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The most recent ingest run, or None."""
    return conn.execute("SELECT * FROM ingest_runs ORDER BY id DESC LIMIT 1").fetchone()


def last_run_with(conn: sqlite3.Connection, levels: tuple[str, ...]) -> int | None:
    """The id of the most recent ingest run that logged an entry of one of these levels, or None."""
    row = conn.execute(
        f"SELECT max(run_id) FROM ingest_log WHERE level IN ({','.join('?' * len(levels))})", levels
    ).fetchone()
    return row[0] if row else None


def run_log(conn: sqlite3.Connection, run_id: int, *, levels: tuple[str, ...] | None = None) -> list[sqlite3.Row]:
    """One run's ingest log (optionally only some levels), in order."""
    sql = "SELECT path, line, level, reason, at FROM ingest_log WHERE run_id = ?"
    args: list[Any] = [run_id]
    if levels:
        sql += f" AND level IN ({','.join('?' * len(levels))})"
        args.extend(levels)
    return conn.execute(sql + " ORDER BY id", args).fetchall()


def trim_ingest_log(conn: sqlite3.Connection, *, keep_days: int = INGEST_LOG_DAYS) -> int:
    """Delete ingest-log rows older than ``keep_days``; returns how many went.

    The newest run's log is always kept, and so are the problems of files still marked partial or failed (they are
    not read again while unchanged, and ``stats --problems`` lists them from here).

    Args:
        conn: open connection.
        keep_days: the age in days past which rows go (0: all but those kept above).
    """
    cutoff = (datetime.now(UTC) - timedelta(days=max(0, keep_days))).isoformat(timespec="seconds")
    with transaction(conn):
        cur = conn.execute(
            """
            DELETE FROM ingest_log
            WHERE at < ?
              AND run_id < (SELECT coalesce(max(run_id), 0) FROM ingest_log)
              AND path NOT IN (SELECT path FROM files WHERE status IN ('partial', 'failed'))
            """,
            (cutoff,),
        )
    return cur.rowcount


def open_problems(conn: sqlite3.Connection, *, before: int) -> list[sqlite3.Row]:
    """Problems of files still marked partial or failed that were last read before run ``before``.

    Such a file is not read again while unchanged, so its problems stay in the log of the run that read it.

    Args:
        conn: open connection.
        before: the run whose own log the caller lists already.

    Returns:
        ``path, line, level, reason, at, run_id`` rows (errors and skips), in log order.
    """
    return conn.execute(
        """
        WITH latest AS (
            SELECT path, max(run_id) AS run_id FROM ingest_log
            WHERE level = 'error' AND path IN (SELECT path FROM files WHERE status IN ('partial', 'failed'))
            GROUP BY path
        )
        SELECT l.path, l.line, l.level, l.reason, l.at, l.run_id
        FROM ingest_log l JOIN latest ON l.path = latest.path AND l.run_id = latest.run_id
        WHERE l.level IN ('error', 'skip') AND l.run_id < ?
        ORDER BY l.id
        """,
        (before,),
    ).fetchall()


def outlet_stats(conn: sqlite3.Connection) -> list[OutletStats]:
    """Every outlet with its count of distinct stories and their first and last dates, biggest first."""
    return [
        OutletStats(r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT outlet, count(*), min(substr(published, 1, 10)), max(substr(published, 1, 10)) FROM articles"
            " WHERE duplicate_of IS NULL GROUP BY outlet ORDER BY count(*) DESC, outlet"
        )
    ]


def stats(conn: sqlite3.Connection) -> StoreStats:
    """What the store holds: counts, outlets with their date ranges, the last ingest run, versions, size.

    Args:
        conn: open connection.

    Returns:
        The stats. ``articles`` counts distinct stories; ``duplicates`` the articles folded into them (same
        text stored again, not indexed twice); ``passages`` the indexed pieces of text. See :class:`StoreStats`.
    """
    counts = conn.execute(
        "SELECT count(*) - count(duplicate_of), count(duplicate_of),"
        " min(CASE WHEN duplicate_of IS NULL THEN substr(published, 1, 10) END),"
        " max(CASE WHEN duplicate_of IS NULL THEN substr(published, 1, 10) END)"
        " FROM articles"
    ).fetchone()
    run = last_run(conn)
    return StoreStats(
        files=conn.execute("SELECT count(*) FROM files").fetchone()[0],
        files_by_status=dict(conn.execute("SELECT status, count(*) FROM files GROUP BY status").fetchall()),
        articles=counts[0],
        duplicates=counts[1],
        passages=conn.execute("SELECT count(*) FROM passages").fetchone()[0],
        first_date=counts[2],
        last_date=counts[3],
        outlets=outlet_stats(conn),
        last_run=_ingest_run(run) if run is not None else None,
        schema_version=conn.execute("PRAGMA user_version").fetchone()[0],
        tokenizer_version=get_meta(conn, "tokenizer_version"),
        db_bytes=_db_bytes(conn),
    )


def _db_bytes(conn: sqlite3.Connection) -> int:
    """The size of the database file and its write-ahead log (0 for an in-memory database)."""
    total = 0
    db_file = conn.execute("PRAGMA database_list").fetchone()["file"]
    if db_file:
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.stat(db_file + suffix).st_size
    return total


def _ingest_run(row: sqlite3.Row) -> IngestRun:
    return IngestRun(**_run_dict(row))


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "paths": json.loads(row["paths"]),
        "status": row["status"],
        "summary": json.loads(row["summary"] or "{}"),
    }


# --- Search-side statements (postings build, searcher lookups) ---
# The postings index every passage of the articles that are not stored duplicates, in (article, ordinal) order.


@contextmanager
def read_snapshot(path: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    """A read-only connection inside one read transaction, rows as plain tuples.

    Every read in the block sees the same snapshot, even while an ingest writes (the postings build relies
    on articles and passages agreeing). The connection is closed on leaving.

    Args:
        path: the database.

    Yields:
        The connection.
    """
    conn = connect(path, readonly=True)
    conn.row_factory = None
    try:
        conn.execute("BEGIN")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def count_indexed_passages(conn: sqlite3.Connection) -> int:
    """How many passages the postings index (those of articles that are not stored duplicates).

    Args:
        conn: an open connection.

    Returns:
        The count.
    """
    return conn.execute(
        "SELECT count(*) FROM passages p JOIN articles a ON a.id = p.article_id WHERE a.duplicate_of IS NULL"
    ).fetchone()[0]


def indexed_articles(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """The articles the postings index.

    Args:
        conn: an open connection.

    Returns:
        A cursor over ``id, title_tokens, published, outlet, url, content_hash``.
    """
    return conn.execute(
        "SELECT id, title_tokens, published, outlet, url, content_hash FROM articles WHERE duplicate_of IS NULL"
    )


def indexed_passage_tokens(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """The passages the postings index, in index order (article, then ordinal).

    Args:
        conn: an open connection.

    Returns:
        A cursor over ``id, article_id, tokens``.
    """
    return conn.execute(
        "SELECT p.id, p.article_id, p.tokens FROM passages p JOIN articles a ON a.id = p.article_id "
        "WHERE a.duplicate_of IS NULL ORDER BY p.article_id, p.ordinal"
    )


def indexed_passage_ids(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """Which passages the postings index, without their text (to find what changed since a build).

    Args:
        conn: an open connection.

    Returns:
        A cursor over ``article_id, id``.
    """
    return conn.execute(
        "SELECT p.article_id, p.id FROM passages p JOIN articles a ON a.id = p.article_id WHERE a.duplicate_of IS NULL"
    )


def indexed_article_stamps(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """Every indexed article's id and when it was last written (``updated_at``: every write of an article sets it).

    Args:
        conn: an open connection.

    Returns:
        ``(id, updated_at)`` rows.
    """
    return conn.execute("SELECT id, updated_at FROM articles WHERE duplicate_of IS NULL").fetchall()


def indexed_articles_of(conn: sqlite3.Connection, article_ids: list[int]) -> list[tuple]:
    """Some articles as :func:`indexed_articles` gives them, with their passages summed up (to tell whether what
    the index keeps of them changed): ``id, title_tokens, published, outlet, url, content_hash`` and the count, sum
    and sum of squares of their passages' ids (articles without passages are left out: they are not indexed).

    Args:
        conn: an open connection.
        article_ids: the articles.

    Returns:
        The rows, by article id.
    """
    out: list[tuple] = []
    for chunk in _chunks(sorted(article_ids), 500):
        marks = ",".join("?" * len(chunk))
        out += conn.execute(
            "SELECT a.id, a.title_tokens, a.published, a.outlet, a.url, a.content_hash, count(*), sum(p.id),"
            f" sum(p.id * p.id) FROM articles a JOIN passages p ON p.article_id = a.id WHERE a.id IN ({marks})"
            " AND a.duplicate_of IS NULL GROUP BY a.id ORDER BY a.id",  # only "?" marks: no data
            chunk,
        ).fetchall()
    return out


def passage_tokens_of(conn: sqlite3.Connection, article_ids: list[int]) -> Iterator[tuple[int, int, str]]:
    """The passages of some articles, in index order (article, then ordinal).

    Args:
        conn: an open connection.
        article_ids: the articles, ascending.

    Yields:
        ``(id, article_id, tokens)`` rows.
    """
    for chunk in _chunks(article_ids, 500):
        marks = ",".join("?" * len(chunk))
        yield from conn.execute(
            f"SELECT id, article_id, tokens FROM passages WHERE article_id IN ({marks}) "  # only "?" marks: no data
            "ORDER BY article_id, ordinal",
            chunk,
        )


def search_connection(path: str | os.PathLike[str], *, mmap_bytes: int) -> sqlite3.Connection:
    """A read-only connection for fetching hits: rows as plain tuples, pages read through a memory map.

    Hits are scattered over the file: mapping it saves a read() call for each page.

    Args:
        path: the database.
        mmap_bytes: how much of the file to map.

    Returns:
        The connection (the caller closes it).
    """
    conn = connect(path, readonly=True)
    conn.row_factory = None
    conn.execute(f"PRAGMA mmap_size = {int(mmap_bytes)}")
    return conn


# The columns of hit_rows' dicts; "body" (the whole article) only when asked for.
HIT_COLUMNS = (
    "id", "article_id", "paragraph", "paragraph_end", "text", "tokens", "source_id", "title", "outlet",
    "published", "url", "body",
)  # fmt: skip


def hit_rows(conn: sqlite3.Connection, passage_ids: list[int], *, with_body: bool) -> Iterator[dict[str, Any]]:
    """The passage and article fields a search hit shows.

    Args:
        conn: an open connection.
        passage_ids: ``passages.id`` values; ids no longer stored are skipped.
        with_body: also return the article's whole text (``body``), for exclusion checks.

    Yields:
        One dict per passage found (keys from HIT_COLUMNS), in no particular order.
    """
    marks = ",".join("?" * len(passage_ids))
    body = ", a.body" if with_body else ""
    sql = (
        "SELECT p.id, p.article_id, p.paragraph, p.paragraph_end, p.text, p.tokens, a.source_id, a.title, "
        f"a.outlet, a.published, a.url{body} FROM passages p JOIN articles a ON a.id = p.article_id "
        f"WHERE p.id IN ({marks})"
    )
    for row in conn.execute(sql, passage_ids):
        yield dict(zip(HIT_COLUMNS, row, strict=False))


def passage_rows(conn: sqlite3.Connection, passage_ids: list[int]) -> sqlite3.Cursor:
    """The passage fields of passages whose article's fields the caller already has (a hit's runner-ups).

    Args:
        conn: an open connection.
        passage_ids: ``passages.id`` values; ids no longer stored are skipped.

    Returns:
        Rows ``id, article_id, paragraph, paragraph_end, text``, in no particular order.
    """
    marks = ",".join("?" * len(passage_ids))
    # No join: the article's row holds its whole body, which the columns after it are read past.
    return conn.execute(
        f"SELECT id, article_id, paragraph, paragraph_end, text FROM passages WHERE id IN ({marks})", passage_ids
    )


def stored_copies(conn: sqlite3.Connection, article_ids: list[int]) -> sqlite3.Cursor:
    """The stored duplicates of these articles, oldest first.

    Args:
        conn: an open connection.
        article_ids: the articles whose copies are wanted.

    Returns:
        Rows ``duplicate_of, id, source_id, outlet, url, title, published``.
    """
    marks = ",".join("?" * len(article_ids))
    return conn.execute(
        f"SELECT duplicate_of, id, source_id, outlet, url, title, published FROM articles "
        f"WHERE duplicate_of IN ({marks}) ORDER BY published, id",
        article_ids,
    )


# --- Feeds: the feeds `newsbot watch` polls and the items seen in them (written by index.ingest.feeds) ---------------

FEED_ITEM_SPOOLED = "spooled"
FEED_ITEM_FAILED = "failed"
FEED_ITEM_GAVE_UP = "gave_up"


def add_feed(conn: sqlite3.Connection, url: str, name: str | None) -> tuple[sqlite3.Row, bool]:
    """Store a feed (or rename it when the URL is already there); returns its row and whether it was new."""
    with transaction(conn):
        existing = conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        if existing is None:
            conn.execute("INSERT INTO feeds(url, name, added_at) VALUES (?, ?, ?)", (url, name, utc_now()))
        elif name is not None:
            conn.execute("UPDATE feeds SET name = ? WHERE id = ?", (name, existing["id"]))
    row = conn.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
    return row, existing is None


def remove_feed(conn: sqlite3.Connection, url: str) -> bool:
    """Forget a feed and its items (their stored articles stay in the archive); False when it was not there."""
    with transaction(conn):
        return conn.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0


def list_feeds(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every feed with its item counts (``items``, ``failed_items``), in the order they were added."""
    return conn.execute(
        """
        SELECT f.*,
               (SELECT count(*) FROM feed_items i WHERE i.feed_id = f.id AND i.status = 'spooled') AS items,
               (SELECT count(*) FROM feed_items i WHERE i.feed_id = f.id AND i.status != 'spooled') AS failed_items
        FROM feeds f ORDER BY f.id
        """
    ).fetchall()


def record_feed_check(conn: sqlite3.Connection, feed_id: int, **values: Any) -> None:
    """Set a feed's check columns (etag, last_modified, title, last_checked, last_status, failures,
    next_attempt_at); only the columns given are written."""
    allowed = {"etag", "last_modified", "title", "last_checked", "last_status", "failures", "next_attempt_at"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not a feed check column: {sorted(unknown)}")
    if not values:
        return
    assignments = ", ".join(f"{key} = ?" for key in values)
    with transaction(conn):
        conn.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", (*values.values(), feed_id))


def feed_items(conn: sqlite3.Connection, feed_id: int) -> dict[str, sqlite3.Row]:
    """A feed's known items by URL."""
    return {row["url"]: row for row in conn.execute("SELECT * FROM feed_items WHERE feed_id = ?", (feed_id,))}


def save_feed_item(
    conn: sqlite3.Connection,
    feed_id: int,
    url: str,
    *,
    entry_hash: str,
    entry: dict[str, Any],
    status: str,
    now: str,
    reason: str | None = None,
    failures: int = 0,
    next_attempt_at: str | None = None,
    spool_path: str | None = None,
) -> None:
    """Insert or update one feed item after it was spooled or failed (``stored`` goes back to 0 when spooled)."""
    with transaction(conn):
        conn.execute(
            """
            INSERT INTO feed_items(feed_id, url, entry_hash, entry, status, reason, failures, next_attempt_at,
                                   spool_path, stored, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
            ON CONFLICT(feed_id, url) DO UPDATE SET
                entry_hash = excluded.entry_hash, entry = excluded.entry, status = excluded.status,
                reason = excluded.reason, failures = excluded.failures, next_attempt_at = excluded.next_attempt_at,
                spool_path = coalesce(excluded.spool_path, feed_items.spool_path),
                stored = CASE WHEN excluded.status = 'spooled' THEN 0 ELSE feed_items.stored END,
                last_seen = excluded.last_seen
            """,
            (
                feed_id,
                url,
                entry_hash,
                json.dumps(entry, ensure_ascii=False),
                status,
                reason,
                failures,
                next_attempt_at,
                spool_path,
                now,
                now,
            ),
        )


def touch_feed_items(conn: sqlite3.Connection, feed_id: int, urls: list[str], now: str) -> None:
    """Note that these items were still in the feed at ``now``."""
    with transaction(conn):
        for chunk in _chunks(urls, 500):
            marks = ",".join("?" * len(chunk))
            conn.execute(
                f"UPDATE feed_items SET last_seen = ? WHERE feed_id = ? AND url IN ({marks})", (now, feed_id, *chunk)
            )


def feed_items_to_retry(conn: sqlite3.Connection, now: str) -> list[sqlite3.Row]:
    """Failed items whose backoff has passed, with their feed's URL and name, oldest first."""
    return conn.execute(
        """
        SELECT i.*, f.url AS feed_url FROM feed_items i JOIN feeds f ON f.id = i.feed_id
        WHERE i.status = 'failed' AND (i.next_attempt_at IS NULL OR i.next_attempt_at <= ?)
        ORDER BY i.id
        """,
        (now,),
    ).fetchall()


def unstored_feed_items(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Spooled items not yet through an ingest (this cycle's, or an earlier cycle's whose ingest failed)."""
    return conn.execute("SELECT * FROM feed_items WHERE status = 'spooled' AND stored = 0 ORDER BY id").fetchall()


def mark_feed_items_stored(conn: sqlite3.Connection, item_ids: list[int]) -> None:
    """Note that these spooled items went through an ingest (they are not handed to the next one again)."""
    with transaction(conn):
        for chunk in _chunks(item_ids, 500):
            conn.execute(f"UPDATE feed_items SET stored = 1 WHERE id IN ({','.join('?' * len(chunk))})", chunk)


def article_versions(conn: sqlite3.Connection, source_ids: list[str]) -> dict[str, tuple[int, str, str]]:
    """``source_id -> (article id, content_hash, updated_at)`` for the stored ones among ``source_ids``."""
    found: dict[str, tuple[int, str, str]] = {}
    for chunk in _chunks(source_ids, 500):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT id, source_id, content_hash, title, updated_at FROM articles WHERE source_id IN ({marks})", chunk
        ):
            found[row["source_id"]] = (row["id"], f"{row['content_hash']}:{row['title']}", row["updated_at"])
    return found


# --- Ingest-side statements (pipeline) ---


def tune_for_bulk_load(conn: sqlite3.Connection) -> None:
    """Settings for one connection that writes many batches (an ingest run); readers are not affected."""
    # A bigger page cache keeps the indexes' B-trees in memory through a bulk load (it is a cap, not a grab).
    conn.execute("PRAGMA cache_size = -262144")
    # Checkpoint every ~64 MB of WAL rather than every 4 MB: each checkpoint syncs the database file, and a
    # bulk load would otherwise pay that on every batch.
    conn.execute("PRAGMA wal_autocheckpoint = 16384")


def database_file(conn: sqlite3.Connection) -> str:
    """The file of the connection's main database ("" for an in-memory one)."""
    return conn.execute("PRAGMA database_list").fetchone()["file"]


def has_articles(conn: sqlite3.Connection) -> bool:
    """Whether any article is stored."""
    return bool(conn.execute("SELECT EXISTS(SELECT 1 FROM articles)").fetchone()[0])


def count_originals(conn: sqlite3.Connection) -> int:
    """How many stored articles are not duplicates (the ones with passages)."""
    return conn.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NULL").fetchone()[0]


def count_passages(conn: sqlite3.Connection) -> int:
    """How many passages are stored."""
    return conn.execute("SELECT count(*) FROM passages").fetchone()[0]


def find_file_id(conn: sqlite3.Connection, path: str) -> int | None:
    """The id of the stored file at ``path``, or None when it is not known."""
    row = conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    return row[0] if row else None
