"""What both backends of the bot store share: their errors, the backend interface and a thread-bound connection."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from index import store

T = TypeVar("T")
C = TypeVar("C")

QUERY_LOG_DAYS = 30  # the query log holds what users typed: kept this long, then deleted
CONVERSATION_MINUTES = 60  # a follow-up carries the earlier question's context this long after the answer


class ReadOnlyArchive(Exception):
    """The database cannot be written (read-only media or permissions): nothing the bot keeps can be saved."""


class StoreBusy(sqlite3.OperationalError):
    """The database could not take the call now: PostgreSQL unreachable, a lock wait timed out, a conflict.

    A subclass of sqlite3.OperationalError, whose "database is locked" the bot's callers already treat as "try
    again later": they handle either backend's transient failure the same way, unchanged.
    """


def is_locked(error: BaseException) -> bool:
    """True when ``error`` is transient: SQLite's "database is locked" / "busy", or :class:`StoreBusy`."""
    if isinstance(error, StoreBusy):
        return True
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


is_postgres = store.is_url  # one rule for what a locator names, the archive's
shown = store.display  # a locator as logs show it: never a URL's password


class Backend(Protocol):
    """How :class:`bot.store.AsyncStore` reaches one database: ``ops`` names the same operations in each backend.

    ``read`` and ``write`` run one of ``ops``'s functions with a connection (``fn(conn, *args)``) and return its
    result; ``archive`` runs one of :mod:`index.store`'s functions the same way on the archive's connection.
    """

    ops: Any  # the backend's module: write_queued, add_feedback, reserve_posts, ...
    read_only: bool
    locator: str

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    async def write(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    async def archive(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    async def close(self) -> None: ...


class Threaded:
    """One blocking connection with a thread of its own: every call runs there, so none blocks the event loop."""

    def __init__(self, executor: ThreadPoolExecutor, conn: Any, closer: Callable[[Any], None]) -> None:
        self._executor = executor
        self._conn = conn
        self._closer = closer

    @classmethod
    async def open(cls, opener: Callable[[], C], name: str, closer: Callable[[C], None]) -> Threaded:
        """``opener()`` on a new thread named ``name``; ``closer(conn)`` runs there on :meth:`close`."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, conn, closer)

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Awaitable[T]:
        """``fn(connection, *args, **kwargs)`` on the connection's thread; its result, or its exception."""
        call = functools.partial(fn, self._conn, *args, **kwargs)
        return asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        """Close the connection, then let its thread end."""
        try:
            await self.run(self._closer)
        finally:
            self._executor.shutdown(wait=False)
