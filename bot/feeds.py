"""The bot's feed poller: a watch cycle every NEWSBOT_FEED_INTERVAL seconds, off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot import tasks
from index.ingest import feeds
from index.ingest.fetch import FetchPolicy

if TYPE_CHECKING:
    from bot.bot import NewsBot

log = logging.getLogger(__name__)

Listener = Callable[[feeds.CycleReport], Awaitable[None]]


class FeedPoller:
    """Polls the stored feeds in the background and brings the archive and the search index up to date.

    The fetching runs in a worker thread with its own event loop, and the update (ingest and postings rebuild) in
    another, under the bot's archive lock, so it never overlaps a /reindex and never holds up the connection's
    heartbeat. After each cycle that stored something, the listeners get its report (``new_ids``,
    ``updated_ids``): that is where alerts for followed topics hook in.
    """

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.interval = bot.settings.feed_interval
        self.options = feeds.WatchOptions(policy=FetchPolicy(allow_private=bot.settings.fetch_allow_private))
        self.listeners: list[Listener] = []
        self.last: feeds.CycleReport | None = None
        self.last_at: float | None = None  # time.time() when the last cycle ended
        self._task: asyncio.Task[None] | None = None
        self._cycle = asyncio.Lock()

    def start(self) -> None:
        """Start polling once the bot is connected (nothing when the interval is 0)."""
        if self.interval <= 0:
            log.info("feed polling is off (NEWSBOT_FEED_INTERVAL=0)")
            return
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="newsbot-feeds")

    async def stop(self) -> None:
        """Stop polling; a cycle's worker thread finishes on its own (the archive stays consistent)."""
        await tasks.stop(self._task)
        self._task = None

    async def _loop(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                await self.run_once()
            except Exception:  # a failed cycle is logged; the next one tries again
                log.exception("feed cycle failed")
            await asyncio.sleep(self.interval)

    async def run_once(self) -> feeds.CycleReport | None:
        """One cycle now (after any cycle in progress); None when there are no feeds.

        Returns:
            The cycle's report.
        """
        async with self._cycle:
            db = self.bot.settings.db
            if not await asyncio.to_thread(feeds.list_feeds, db):
                return None
            started = time.perf_counter()
            report = await asyncio.to_thread(feeds.poll_feeds, db, self.options)
            async with self.bot.archive_lock:
                await asyncio.to_thread(feeds.store_spooled, db, report)
            report.seconds = time.perf_counter() - started
            if report.index is not None:
                await self.bot.engine.reload()
            self.last, self.last_at = report, time.time()
            log.info(
                "feeds: %d checked, %d not modified, %d new, %d updated, %d failed in %.1f s",
                report.checked, report.not_modified, len(report.new_ids), len(report.updated_ids),
                len(report.failures), report.seconds,
            )  # fmt: skip
            for line in report.failures:
                log.warning("feed problem: %s", line)
            if report.new_ids or report.updated_ids:
                await self._notify(report)
            return report

    async def _notify(self, report: feeds.CycleReport) -> None:
        for listener in list(self.listeners):
            try:
                await listener(report)
            except Exception:  # one listener's bug must not stop the others or the poller
                log.exception("feed listener %r failed", listener)
