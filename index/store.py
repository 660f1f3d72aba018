"""The SQLite system of record: schema, ordered migrations, and every read and write of stored data."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_DB = "data/newsbot.db"
DB_ENV = "NEWSBOT_DB"

# Ordered migrations: (version, statements). A database records the last one applied in PRAGMA user_version;
# opening it applies the rest in order, each in its own transaction. Never edit a released step: add one.
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
        CREATE TABLE query_log (
            id          INTEGER PRIMARY KEY,
            at          TEXT NOT NULL,
            surface     TEXT NOT NULL,           -- cli | slash | mention | dm | ...
            guild_id    INTEGER,
            channel_id  INTEGER,
            user_id     INTEGER,
            query       TEXT NOT NULL,
            as_of       TEXT,
            took_ms     REAL,
            n_results   INTEGER,
            results     TEXT NOT NULL DEFAULT '[]'  -- JSON list of passage ids shown
        );
        CREATE TABLE feedback (
            id        INTEGER PRIMARY KEY,
            query_id  INTEGER NOT NULL REFERENCES query_log(id) ON DELETE CASCADE,
            user_id   INTEGER,
            value     INTEGER NOT NULL,          -- +1 | -1
            at        TEXT NOT NULL,
            UNIQUE (query_id, user_id)
        );
        CREATE TABLE guild_settings (
            guild_id         INTEGER PRIMARY KEY,
            answer_channels  TEXT NOT NULL DEFAULT '[]',  -- JSON list of channel ids; [] = mentions everywhere
            private_default  INTEGER NOT NULL DEFAULT 0,
            updated_at       TEXT NOT NULL
        );
        """,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def db_path_from_env(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database path: the explicit argument, else ``$NEWSBOT_DB``, else ``data/newsbot.db``."""
    return Path(explicit or os.environ.get(DB_ENV) or DEFAULT_DB)


def connect(path: str | os.PathLike[str], *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating and migrating unless ``readonly``) the database with the project's pragmas."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30, isolation_level=None
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are opened explicitly (see transaction()), never implicitly.
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        # WAL lets the bot read while the indexer writes; NORMAL sync is durable at each checkpoint in WAL mode.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the pending migrations in order; returns the schema version now in force."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise RuntimeError(f"database schema {current} is newer than this newsbot ({SCHEMA_VERSION}): upgrade newsbot")
    for version, sql in MIGRATIONS:
        if version <= current:
            continue
        log.info("migrating database to schema %d", version)
        # executescript commits first; wrap in an explicit transaction so a failed step leaves no half schema.
        conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        current = version
    return current


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
