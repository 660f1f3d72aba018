"""The system of record: schema, ordered migrations and every SQL statement (one module per backend)."""

# The backend is chosen by the locator: postgresql://… or postgres://… is a PostgreSQL database (index.store.postgres),
# anything else a SQLite file (index.store.sqlite). Every public function of the backends is re-exported here as one
# that dispatches: on the connection's type for those taking a connection, on the locator for those taking a path.
# Callers stay the same for both; psycopg is imported only when a PostgreSQL locator or connection is used.

from __future__ import annotations

import functools
import inspect
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from index.store import sqlite as _sqlite
from index.store.records import ArticleRef, IngestRun, OutletStats, StoredArticle, StoreStats  # noqa: F401
from index.store.sqlite import *  # noqa: F403
from index.text import valid_text

URL_SCHEMES = ("postgresql://", "postgres://")
Locator = Path | str  # a SQLite file's path, or a PostgreSQL URL (kept as a string: Path would fold its "//")


def is_url(locator: Any) -> bool:
    """Whether the locator names a PostgreSQL database (``postgresql://…`` or ``postgres://…``)."""
    return isinstance(locator, str) and locator.startswith(URL_SCHEMES)


def locate(locator: str | os.PathLike[str]) -> Locator:
    """The locator as the store takes it: a URL stays a string, anything else becomes a Path."""
    if isinstance(locator, str) and is_url(locator.strip()):
        return locator.strip()
    return Path(locator)


def db_path_from_env(explicit: str | os.PathLike[str] | None = None) -> Locator:
    """The database: the explicit argument, else ``$NEWSBOT_DB``, else ``data/newsbot.db`` (a URL stays a string)."""
    return locate(explicit or os.environ.get(_sqlite.DB_ENV) or _sqlite.DEFAULT_DB)


def exists(locator: Locator) -> bool:
    """Whether there is a database to read: the SQLite file exists; a server database always counts (connecting
    says whether it is there)."""
    return is_url(locator) or Path(locator).exists()


def url_folder_name(url: str) -> str:
    """A folder name for the PostgreSQL database at ``url``: ``<host>-<port>-<dbname>``, safe characters only."""
    parts = urlsplit(url)
    name = f"{parts.hostname or 'localhost'}-{parts.port or 5432}-{parts.path.lstrip('/') or 'postgres'}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def display(locator: Any) -> str:
    """The locator as messages and logs show it: a URL without its password or options (which may carry one)."""
    text = str(locator)
    if not is_url(text):
        return text
    parts = urlsplit(text)
    user = f"{parts.username}{':***' if parts.password is not None else ''}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + parts.netloc.rpartition("@")[2], query="", fragment=""))


def db_errors() -> tuple[type[BaseException], ...]:
    """The exception types a database failure raises, for ``except store.db_errors():`` (psycopg's once loaded)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error, psycopg.Error) if psycopg is not None else (sqlite3.Error,)


def _postgres() -> ModuleType:
    try:
        from index.store import postgres
    except ImportError as err:  # the optional extra is missing
        raise RuntimeError(
            "a postgresql:// database needs the PostgreSQL driver: pip install 'newsbot[postgres]'"
        ) from err
    return postgres


def backend(target: Any) -> ModuleType:
    """The backend module for a connection or a locator."""
    if isinstance(target, sqlite3.Connection) or not (is_url(target) or _is_pg_connection(target)):
        return _sqlite
    return _postgres()


def _is_pg_connection(target: Any) -> bool:
    return type(target).__module__.startswith("psycopg")


def _dispatching(name: str, fn: Callable[..., Any], position: int) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(backend(args[position]), name)(*args, **kwargs)

    return call


# Which argument decides the backend: the first (a connection or a locator), except for describe_error(err, path).
_CHOSEN_BY = {"describe_error": 1}
# Backend-neutral helpers: the same for both.
_NEUTRAL = {"db_path_from_env", "cannot_write", "utc_now", "same_article", "split_statements", "apply_steps"}

for _name, _fn in inspect.getmembers(_sqlite, inspect.isfunction):
    if _name.startswith("_") or _fn.__module__ != _sqlite.__name__ or _name in _NEUTRAL:
        continue
    globals()[_name] = _dispatching(_name, _fn, _CHOSEN_BY.get(_name, 0))


def read_article(conn: Any, article_id: int, *, original: bool = False) -> StoredArticle | None:
    """One stored article by its row id.

    Args:
        conn: open connection (either backend).
        article_id: the article's row id.
        original: follow a duplicate to the article it repeats, whose passages are the indexed ones.

    Returns:
        The article, or None when no such article is stored (a re-index may have removed it).
    """
    by = backend(conn).articles_by
    for _ in range(3):  # an original is never itself a duplicate, so one step suffices; bounded all the same
        found = by(conn, "id", article_id)
        if not found:
            return None
        article = found[0]
        if not original or article.duplicate_of is None or article.passages:
            break
        article_id = article.duplicate_of
    return article


def find_articles(conn: Any, ref: str) -> list[StoredArticle]:
    """Articles a user's reference names: a row id, a source id, a URL or a file path (tried in that order).

    Args:
        conn: open connection (either backend).
        ref: what the user typed.

    Returns:
        The matching articles (several when a URL or a file holds more than one); ``[]`` when none.
    """
    by = backend(conn).articles_by
    ref = valid_text(ref).strip()
    if ref.isdigit() and len(ref) < 19:  # a longer one is past a 64-bit row id: it cannot be one
        found = by(conn, "id", int(ref))
        if found:
            return found
    for key in ("source_id", "url"):
        found = by(conn, key, ref) if ref else []
        if found:
            return found
    if not ref:
        return []
    path = Path(ref).expanduser()
    for candidate in (str(path.resolve()), str(path)):
        found = by(conn, "path", candidate)
        if found:
            return found
    return []


def cannot_write(err: BaseException) -> bool:
    """Whether an error from opening or writing the database means it cannot be written here."""
    if type(err).__module__.startswith("psycopg"):
        return bool(_postgres().cannot_write(err))
    return _sqlite.cannot_write(err)
