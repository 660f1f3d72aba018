"""The bot's handle on the search index: searches off the event loop, and moves to new generations on reload."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot import search_worker
from bot.errors import IndexBusy, IndexNotReady
from index.models import Query, Results

log = logging.getLogger(__name__)

T = TypeVar("T")

# With no index yet, each question retries opening it at most this often (someone may run `newsbot index`).
REOPEN_SECONDS = 10.0


class SearcherLike(Protocol):
    """What the bot needs of ``index.search.searcher.Searcher``."""

    generation: Any

    def search(self, query: str | Query, k: int = 10, **options: Any) -> Results: ...

    def reload(self) -> bool: ...


def open_searcher(db_path: Path) -> SearcherLike:
    """Open the real searcher (imported here so tests can run the bot with a stand-in)."""
    from index.search.searcher import Searcher

    return Searcher.open(db_path)


def _is_missing(error: BaseException) -> bool:
    from index.search.searcher import IndexMissing

    return isinstance(error, IndexMissing)


def _is_search_error(error: BaseException) -> bool:
    from index.search.searcher import SearchError

    return isinstance(error, SearchError | OSError)


def _current_generation(db_path: Path) -> str | None:
    from index.search.generations import current_generation

    return current_generation(db_path) if db_path.exists() else None


class Engine:
    """Runs searches for the bot off its event loop; safe to use from many concurrent handlers.

    BM25 scoring and answer checks are CPU-bound Python: in threads of the bot's own process they would hold the
    interpreter lock and delay the event loop (and the gateway heartbeat). By default they run in a small pool of
    worker processes, each with the memory-mapped index open, so the loop stays free and both cores are used.
    ``workers=0`` runs them in threads of this process instead, with ``opener`` (tests use this).

    A re-index builds a new generation beside the one in service; :meth:`reload` switches to it only when it is
    complete, so no question is ever answered from a half-built index.
    """

    def __init__(
        self,
        db_path: Path,
        *,
        workers: int | None = None,
        opener: Callable[[Path], SearcherLike] = open_searcher,
        is_missing: Callable[[BaseException], bool] = _is_missing,
        is_search_error: Callable[[BaseException], bool] = _is_search_error,
    ) -> None:
        self.db_path = Path(db_path)
        self.workers = min(2, os.cpu_count() or 1) if workers is None else workers
        self._opener = opener
        self._is_missing = is_missing
        self._is_search_error = is_search_error
        self._searcher: SearcherLike | None = None  # thread mode
        self._pool: ProcessPoolExecutor | None = None  # process mode
        self._generation: str | None = None  # process mode: what every call asks the workers to use
        self._last_try = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        """True when an index is open."""
        return self.generation is not None

    @property
    def generation(self) -> str | None:
        """The generation in service, or None without an index."""
        if self.workers:
            return self._generation
        return None if self._searcher is None else str(self._searcher.generation)

    async def open(self) -> bool:
        """Try to open the index; without one, log it and stay usable (questions get the "not indexed" answer)."""
        async with self._lock:
            self._last_try = time.monotonic()
            if self.workers:
                return await self._open_pool()
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

    async def _open_pool(self) -> bool:
        generation = await asyncio.to_thread(_current_generation, self.db_path)
        if generation is None:
            log.warning("no search index for %s yet", self.db_path)
            return False
        self._generation = generation
        if self._pool is None:
            # spawn: the bot has threads (the store's connections, the gateway), which forking would copy half-way.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            loop = asyncio.get_running_loop()
            warm = [self._submit(loop, search_worker.warm) for _ in range(self.workers)]
            await asyncio.gather(*warm)
        log.info("search index open: generation %s, %d worker processes", generation, self.workers)
        return True

    def _submit(self, loop: asyncio.AbstractEventLoop, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        assert self._pool is not None
        return loop.run_in_executor(self._pool, search_worker.call, str(self.db_path), self._generation, func, *args)

    async def reload(self) -> bool:
        """Switch to the newest complete generation (or open the index if there was none); True if it changed."""
        if not self.ready:
            return await self.open()
        if self.workers:
            generation = await asyncio.to_thread(_current_generation, self.db_path)
            if generation is None or generation == self._generation:
                return False
            # Workers move to it on their next call, which carries the new name.
            self._generation = generation
            log.info("search index reloaded: generation %s", generation)
            return True
        searcher = self._searcher
        assert searcher is not None
        changed = await asyncio.to_thread(searcher.reload)
        if changed:
            log.info("search index reloaded: generation %s", searcher.generation)
        return bool(changed)

    async def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        if not self.ready and time.monotonic() - self._last_try >= REOPEN_SECONDS:
            await self.open()
        if not self.ready:
            raise IndexNotReady()
        if self.workers:
            return await self._submit(asyncio.get_running_loop(), func, *args)
        return await asyncio.to_thread(func, self._searcher, *args)

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(searcher, *args)`` off the event loop, retrying once on a fresh generation if the index moved.

        ``func`` must be a module-level function (it may be sent to a worker process).

        Raises:
            IndexNotReady: nothing has been indexed yet.
            IndexBusy: the index changed under the call twice in a row.
        """
        try:
            return await self._call(func, *args)
        except Exception as e:
            if self._is_missing(e):
                raise IndexNotReady() from e
            if not self._is_search_error(e):
                raise
            # Files of an old generation can vanish when a rebuild is swapped in: move to the new one and retry.
            log.warning("search failed on generation %s (%s); reloading and retrying once", self.generation, e)
        try:
            await self.reload()
            return await self._call(func, *args)
        except Exception as e:
            if self._is_missing(e):
                raise IndexNotReady() from e
            if self._is_search_error(e):
                raise IndexBusy() from e
            raise

    async def search(self, query: str | Query, k: int = 10, **options: Any) -> Results:
        """Search off the event loop.

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
        return await self.run(search_worker.search, query, k, options)
