"""The bot's handle on the search index: opens it once, searches in a worker thread, reloads new generations."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.errors import IndexBusy, IndexNotReady
from index.models import Query, Results

log = logging.getLogger(__name__)

T = TypeVar("T")

# With no index yet, each question retries opening it at most this often (someone may run `newsbot index`).
REOPEN_SECONDS = 10.0


class SearcherLike(Protocol):
    """What the bot needs of ``index.search.Searcher``."""

    generation: Any

    def search(self, query: str | Query, k: int = 10, **options: Any) -> Results: ...

    def reload(self) -> bool: ...


def open_searcher(db_path: Path) -> SearcherLike:
    """Open the real searcher (imported here so tests can run the bot with a stand-in)."""
    from index.search import Searcher

    return Searcher.open(db_path)


def _is_missing(error: BaseException) -> bool:
    from index.search import IndexMissing

    return isinstance(error, IndexMissing)


def _is_search_error(error: BaseException) -> bool:
    from index.search import SearchError

    return isinstance(error, SearchError | OSError)


class Engine:
    """Holds one searcher for the process; safe to use from many concurrent handlers.

    Searches run in worker threads (``asyncio.to_thread``) because BM25 scoring is CPU-bound and would otherwise
    stall the gateway heartbeat. A re-index builds a new generation beside the one in service; :meth:`reload`
    switches to it only when it is complete, so no question is ever answered from a half-built index.
    """

    def __init__(
        self,
        db_path: Path,
        *,
        opener: Callable[[Path], SearcherLike] = open_searcher,
        is_missing: Callable[[BaseException], bool] = _is_missing,
        is_search_error: Callable[[BaseException], bool] = _is_search_error,
    ) -> None:
        self.db_path = db_path
        self._opener = opener
        self._is_missing = is_missing
        self._is_search_error = is_search_error
        self._searcher: SearcherLike | None = None
        self._last_try = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        """True when an index is open."""
        return self._searcher is not None

    @property
    def generation(self) -> str | None:
        """The generation in service, or None without an index."""
        return None if self._searcher is None else str(self._searcher.generation)

    async def open(self) -> bool:
        """Try to open the index; without one, log it and stay usable (questions get the "not indexed" answer)."""
        async with self._lock:
            self._last_try = time.monotonic()
            try:
                self._searcher = await asyncio.to_thread(self._opener, self.db_path)
            except Exception as e:
                # No index yet, or one an older version built: keep running and say so until /reindex.
                if not (self._is_missing(e) or self._is_search_error(e)):
                    raise
                log.warning("no usable search index for %s yet: %s", self.db_path, e)
                self._searcher = None
                return False
            log.info("search index open: generation %s", self._searcher.generation)
            return True

    async def reload(self) -> bool:
        """Switch to the newest complete generation (or open the index if there was none); True if it changed."""
        if self._searcher is None:
            return await self.open()
        searcher = self._searcher
        changed = await asyncio.to_thread(searcher.reload)
        if changed:
            log.info("search index reloaded: generation %s", searcher.generation)
        return bool(changed)

    async def _current(self) -> SearcherLike:
        if self._searcher is None and time.monotonic() - self._last_try >= REOPEN_SECONDS:
            await self.open()
        if self._searcher is None:
            raise IndexNotReady()
        return self._searcher

    async def search(self, query: str | Query, k: int = 10, **options: Any) -> Results:
        """Search in a worker thread.

        Args:
            query: the question or query-language string (or a parsed Query).
            k: results per page.
            **options: passed to ``Searcher.search`` (offset, sort, sources, after, before, as_of, per_article).

        Returns:
            The results.

        Raises:
            IndexNotReady: nothing has been indexed yet.
            IndexBusy: the index changed under the search twice in a row.
        """
        return await self.run(lambda s: s.search(query, k, **options))

    async def run(self, call: Callable[[SearcherLike], T]) -> T:
        """Run ``call(searcher)`` in a worker thread, retrying once on a fresh generation if the index moved.

        Raises:
            IndexNotReady: nothing has been indexed yet.
            IndexBusy: the index changed under the call twice in a row.
        """
        searcher = await self._current()
        try:
            return await asyncio.to_thread(call, searcher)
        except Exception as e:
            if self._is_missing(e):
                raise IndexNotReady() from e
            if not self._is_search_error(e):
                raise
            # Files of an old generation can vanish when a rebuild is swapped in: move to the new one and retry.
            log.warning("search failed on generation %s (%s); reloading and retrying once", self.generation, e)
        try:
            await self.reload()
            searcher = await self._current()
            return await asyncio.to_thread(call, searcher)
        except Exception as e:
            if self._is_missing(e):
                raise IndexNotReady() from e
            if self._is_search_error(e):
                raise IndexBusy() from e
            raise
