"""The bot's handle on the search index: searches off the event loop, and moves to new generations on reload."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot import search_worker
from bot.errors import IndexBusy, IndexDamaged, IndexNotReady, IndexRepairing
from index import store
from index.models import Query, Results

if TYPE_CHECKING:
    from index.search.health import Health

log = logging.getLogger(__name__)

T = TypeVar("T")

# With no index yet, each question retries opening it at most this often (someone may run `newsbot index`).
REOPEN_SECONDS = 10.0


class SearcherLike(Protocol):
    """What the bot needs of ``index.search.searcher.Searcher``."""

    generation: Any

    def search(self, query: str | Query, k: int = 10, **options: Any) -> Results: ...

    def reload(self, generation: str | None = None) -> bool: ...


def open_searcher(db_path: store.Locator, generation: str | None = None) -> SearcherLike:
    """Open the real searcher (imported here so tests can run the bot with a stand-in)."""
    from index.search.searcher import Searcher

    return Searcher.open(db_path, generation=generation)


def _is_missing(error: BaseException) -> bool:
    from index.search.searcher import IndexMissing

    return isinstance(error, IndexMissing)


def _is_search_error(error: BaseException) -> bool:
    from index.search.searcher import SearchError

    return isinstance(error, SearchError | OSError)


def check_health(db_path: store.Locator, checksums: bool) -> Health | None:
    """The index's health (``index.search.health.check``), or None without a database."""
    from index.search.health import check

    return check(db_path, checksums=checksums) if store.exists(db_path) else None


def rebuild_index(db_path: store.Locator) -> Any:
    """Build a new generation from the store (the system of record): what repairs a damaged index."""
    from index.search.build import rebuild

    return rebuild(db_path, progress=False)


class Engine:
    """Runs searches for the bot off its event loop; safe to use from many concurrent handlers.

    BM25 scoring and answer checks are CPU-bound Python: in threads of the bot's own process they would hold the
    interpreter lock and delay the event loop (and the gateway heartbeat). By default they run in a small pool of
    worker processes, each with the memory-mapped index open, so the loop stays free and both cores are used.
    ``workers=0`` runs them in threads of this process instead, with ``opener`` (tests use this).

    A re-index builds a new generation beside the one in service; :meth:`reload` switches to it only when it is
    complete, so no question is ever answered from a half-built index.

    A damaged index never stops the bot. Opening checks sizes and structure (milliseconds), then the checksums of
    the generation in service are read in the background. While the current generation is damaged, the newest
    intact other one serves (logged) and ``repair`` rebuilds the index from the store in a background thread, then
    the bot reloads; with nothing intact to serve, questions get a message that says so.
    """

    def __init__(
        self,
        db_path: store.Locator,
        *,
        workers: int | None = None,
        opener: Callable[..., SearcherLike] = open_searcher,
        is_missing: Callable[[BaseException], bool] = _is_missing,
        is_search_error: Callable[[BaseException], bool] = _is_search_error,
        repair: Callable[[store.Locator], Any] | None = rebuild_index,
    ) -> None:
        self.db_path = store.locate(db_path)
        self.workers = min(2, os.cpu_count() or 1) if workers is None else workers
        self._opener = opener
        self._is_missing = is_missing
        self._is_search_error = is_search_error
        self._repair = repair
        self._searcher: SearcherLike | None = None  # thread mode
        self._pool: ProcessPoolExecutor | None = None  # process mode
        self._generation: str | None = None  # process mode: what every call asks the workers to use
        self._last_try = float("-inf")
        self._lock = asyncio.Lock()
        self.health: Health | None = None  # the last check's verdict
        self._repairing: asyncio.Future[Any] | None = None
        self._repairs_left = 1  # automatic rebuilds until the index is seen healthy again: never a rebuild loop
        self._background: set[asyncio.Future[Any]] = set()

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

    @property
    def repairing(self) -> bool:
        """True while a rebuild of a damaged index runs."""
        return self._repairing is not None and not self._repairing.done()

    async def open(self) -> bool:
        """Open the index, or an intact older generation while the current one is damaged; a bad index never raises.

        Without a usable index the bot keeps running: questions get the "not indexed" or "damaged" answer.
        """
        async with self._lock:
            self._last_try = time.monotonic()
            health = await asyncio.to_thread(check_health, self.db_path, False)
            return await self._serve(health)

    async def reload(self) -> bool:
        """Switch to the newest complete generation (or open the index if there was none); True if it changed."""
        if not self.ready:
            return await self.open()
        async with self._lock:
            before = self.generation
            health = await asyncio.to_thread(check_health, self.db_path, False)
            await self._serve(health)
            return self.generation != before

    async def settled(self) -> None:
        """Wait until the background checksum checks and any repair (and the reload after it) are done."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def _serve(self, health: Health | None) -> bool:
        """Serve the generation ``health`` picked (under the lock); start a repair if the index is damaged."""
        known = self.health is not None and self.health.problem and self.health.current == (health and health.current)
        self.health = health
        if health is None or not health.built:
            log.warning("no search index for %s yet", store.display(self.db_path))
            return self.ready
        if health.ok:
            self._repairs_left = 1
        else:
            if not known:  # once per damaged generation, not again when the checksums confirm it
                meanwhile = f"answering from {health.serve} meanwhile" if health.serve else "nothing intact to serve"
                log.warning("%s; %s", health.message, meanwhile)
            self._start_repair()
        if health.serve is None:
            self._drop()
            return False
        before = self.generation
        try:
            await self._switch(health.serve)
        except Exception as e:
            if not (self._is_missing(e) or self._is_search_error(e)):
                raise
            log.warning("could not open search index generation %s: %s", health.serve, e)
            self._drop()
            return False
        if self.generation != before:
            log.info("search index open: generation %s", self.generation)
            self._in_background(self._verify())
        return True

    async def _switch(self, generation: str) -> None:
        """Make ``generation`` the one every search uses."""
        if not self.workers:
            if self._searcher is None:
                self._searcher = await asyncio.to_thread(self._opener, self.db_path, generation)
            else:
                await asyncio.to_thread(self._searcher.reload, generation)
            return
        self._generation = generation  # workers move to it on their next call, which carries the name
        if self._pool is None:
            # spawn: the bot has threads (the store's connections, the gateway), which forking would copy half-way.
            # A spawned worker starts from scratch: hand it the index folder when it is not beside the database.
            from index.search.generations import explicit_index_dir, use_index_dir

            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=use_index_dir,
                initargs=(explicit_index_dir(),),
            )
            loop = asyncio.get_running_loop()
            warm = [self._submit(loop, search_worker.warm) for _ in range(self.workers)]
            await asyncio.gather(*warm)
            log.info("%d search worker processes started", self.workers)

    def _drop(self) -> None:
        """Serve nothing (questions get the "damaged" or "not indexed" answer)."""
        self._searcher = None
        self._generation = None

    async def _verify(self) -> None:
        """Read the checksums of the generation in service; if they do not match, move to an intact one."""
        serving = self.generation
        health = await asyncio.to_thread(check_health, self.db_path, True)
        if health is None or (health.ok and health.serve == serving):
            return
        async with self._lock:
            if self.generation == serving:  # nothing moved meanwhile: act on what the checksums found
                await self._serve(health)

    def _start_repair(self) -> None:
        """Rebuild the index from the store in a daemon thread (a shutdown never waits for it), then reload."""
        if self._repair is None or self.repairing or self._repairs_left <= 0:
            return
        self._repairs_left -= 1
        repair, db_path = self._repair, self.db_path
        log.warning("rebuilding the search index of %s from the stored articles", store.display(db_path))
        self._repairing = in_daemon_thread(lambda: repair(db_path), "newsbot-repair")
        self._in_background(self._after_repair(self._repairing))

    async def _after_repair(self, done: asyncio.Future[Any]) -> None:
        try:
            await done
        except Exception:
            log.exception("rebuilding the damaged search index of %s failed", store.display(self.db_path))
            return
        log.info("search index rebuilt from the store; reloading")
        await self.reload()

    def _in_background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def not_ready_error(self) -> Exception:
        """Why nothing can be searched: not indexed yet, or damaged (and being rebuilt, or not)."""
        if self.health is None or not self.health.built:
            return IndexNotReady()
        return IndexRepairing() if self.repairing else IndexDamaged()

    def _submit(self, loop: asyncio.AbstractEventLoop, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        assert self._pool is not None
        return loop.run_in_executor(self._pool, search_worker.call, str(self.db_path), self._generation, func, *args)

    async def close(self) -> None:
        """Stop the background checks and the worker processes (a running repair is a daemon thread: left alone)."""
        for task in list(self._background):
            task.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        if not self.ready and time.monotonic() - self._last_try >= REOPEN_SECONDS:
            await self.open()
        if not self.ready:
            raise self.not_ready_error()
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
                raise self.not_ready_error() from e
            if not self._is_search_error(e):
                raise
            # Files of an old generation can vanish when a rebuild is swapped in: move to the new one and retry.
            log.warning("search failed on generation %s (%s); reloading and retrying once", self.generation, e)
        try:
            await self.reload()
            return await self._call(func, *args)
        except Exception as e:
            if self._is_missing(e):
                raise self.not_ready_error() from e
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


def in_daemon_thread(func: Callable[[], T], name: str) -> asyncio.Future[T]:
    """Run ``func`` in a daemon thread (a shutdown never waits for it); the future resolves on the running loop
    with its result or exception."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        try:
            result = func()
        except BaseException as e:
            loop.call_soon_threadsafe(settle, None, e)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=target, name=name, daemon=True).start()
    return future
