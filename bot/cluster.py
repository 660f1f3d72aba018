"""Keeping one bot process in step with the others: the index generation in service and the servers' settings."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot import tasks
from index.search.generations import current_generation

if TYPE_CHECKING:
    from bot.bot import NewsBot

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Tick:
    """What one pass found: whether the index moved to a new generation, and how many servers' settings changed."""

    switched: bool = False
    settings_changed: int = 0
    seconds: float = 0.0


class ClusterSync:
    """Every ``settings.sync_seconds``: move to a newer index generation and re-read the servers' settings.

    Any process may finish an index run (`newsbot index`, /reindex, the feed poller) and any may save a /config:
    the others learn of it here, within one interval. A new generation is noticed by its name in the index
    folder's ``CURRENT`` (one small file read per pass) and served once the engine has opened it, so questions
    are answered from the old one until then and never from a half-built one. Settings are re-read whole from
    the store: one row per server, a few ms even for thousands of servers (see docs/deploy.md).
    """

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.interval = bot.settings.sync_seconds
        self.ticked = asyncio.Event()  # set after every pass (tests and benches wait on it instead of sleeping)
        self.last: Tick | None = None
        self._seen: str | None = None  # CURRENT as last read
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the passes (the first one after one interval: setup has just read both)."""
        if self._task is None:
            self._seen = current_generation(self.bot.settings.db)
            self._task = asyncio.create_task(self._loop(), name="newsbot-cluster-sync")

    async def stop(self) -> None:
        await tasks.stop(self._task)
        self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except Exception:  # a store that is briefly locked or away: the next pass tries again
                log.exception("cluster sync failed; trying again in %.0f s", self.interval)

    async def tick(self) -> Tick:
        """One pass now; returns what it found."""
        started = time.perf_counter()
        result = Tick()
        current = await asyncio.to_thread(current_generation, self.bot.settings.db)
        if current != self._seen:
            self._seen = current
            result.switched = await self.bot.engine.reload()
            if result.switched:
                log.info("index run finished elsewhere: now serving %s", self.bot.engine.generation)
                self.bot.dispatch("archive_updated", "new index")  # follows post what it added
        store = self.bot.store
        # Only a process among others can miss a /config: an unsharded bot is the only one, and saw every change.
        if store is not None and self.bot.settings.shard_count:
            result.settings_changed = await store.reload_settings()
        result.seconds = time.perf_counter() - started
        self.last = result
        self.ticked.set()
        return result
