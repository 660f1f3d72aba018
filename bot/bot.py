"""NewsBot: the Discord client that holds the store and the search index and loads the feature cogs."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors, tasks
from bot.cluster import ClusterSync
from bot.config import Settings
from bot.engine import Engine, rebuild_index
from bot.feeds import FeedPoller
from bot.store import AsyncStore
from index.search.timeparse import warm_up

if TYPE_CHECKING:
    from bot.exts.follow import Follows

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.ask",
    "bot.exts.search",
    "bot.exts.article",
    "bot.exts.info",
    "bot.exts.admin",
    "bot.exts.mentions",
    "bot.exts.feeds",
    "bot.exts.follow",
    "bot.exts.menus",
    "bot.exts.related",
    "bot.exts.timeline",
)
COMMANDS_HASH_KEY = "discord_commands_hash"
NONE = discord.AllowedMentions.none()
RETENTION_EVERY = 24 * 3600.0  # seconds between log trims while the bot runs


class Cooldowns:
    """One per-user cooldown shared by every command that searches (so /ask and mentions cannot be alternated)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._buckets: dict[int, app_commands.Cooldown] = {}

    def retry_after(self, user_id: int, now: float | None = None) -> float:
        """0 when the user may go ahead (and the use is counted), else the seconds left to wait."""
        if self.seconds <= 0:
            return 0.0
        now = time.time() if now is None else now
        if len(self._buckets) > 10_000:  # forget users whose window has passed, so memory stays bounded
            self._buckets = {k: b for k, b in self._buckets.items() if b.get_tokens(now) < b.rate}
        bucket = self._buckets.setdefault(user_id, app_commands.Cooldown(1, self.seconds))
        return bucket.update_rate_limit(now) or 0.0

    def check(self, interaction: discord.Interaction) -> None:
        """Raise CommandOnCooldown (answered with a friendly wait message) when the user must wait."""
        wait = self.retry_after(interaction.user.id)
        if wait:
            raise app_commands.CommandOnCooldown(app_commands.Cooldown(1, self.seconds), wait)


class NewsTree(app_commands.CommandTree):
    """The command tree, with the bot's one error handler."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await errors.report(interaction, error)


def intents() -> discord.Intents:
    """Guilds and messages, without the privileged Message Content intent: mentions and DMs carry their text."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    return wanted


class NewsBot(commands.Bot):
    """The bot process's client: opens the store and the index once, loads the cogs, syncs commands when needed."""

    def __init__(self, settings: Settings, *, engine: Engine | None = None, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=options.pop("intents", intents()),
            help_command=None,
            allowed_mentions=NONE,
            tree_cls=NewsTree,
            **options,
        )
        self.settings = settings
        # A damaged index is rebuilt from the store by one process of a cluster, the one with shard 0: every
        # process rebuilding the shared index folder would build it once each. The others serve the last intact
        # generation meanwhile and move to the rebuilt one like to any new generation (bot/cluster.py).
        repair = rebuild_index if settings.serves(None) else None
        self.engine = engine or Engine(settings.db, workers=settings.search_workers, repair=repair)
        self.store: AsyncStore = None  # type: ignore[assignment]  # opened in setup_hook
        self._retention: asyncio.Task[None] | None = None
        self.cooldowns = Cooldowns(settings.cooldown_seconds)
        self.live_views: dict[int, discord.ui.View] = {}
        self.view_timeout = 600.0  # seconds buttons stay live: under the 15 minutes an interaction token lasts
        self.started = time.time()
        # Held while the archive is written (/reindex, the feed poller's update), so the two never overlap.
        self.archive_lock = asyncio.Lock()
        self.feed_poller = FeedPoller(self)
        self.follows: Follows | None = None  # the /follow cog: on_update() posts new matching articles
        self.cluster = ClusterSync(self)

    async def setup_hook(self) -> None:
        self.store = await AsyncStore.open(self.settings.db, query_log_days=self.settings.query_log_days)
        self._retention = asyncio.create_task(self._apply_retention(), name="newsbot-log-retention")
        await self.engine.open()
        # The answers' time words are read in this process too: load the date parser now, off the loop, or the
        # first questions would stall the event loop for the ~0.3 s its regexes take to compile.
        await asyncio.to_thread(warm_up)
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        await self.sync_commands()
        # One process polls the feeds for the whole cluster: the one with shard 0 (every process if unsharded).
        if self.serves_guild(None):
            self.feed_poller.start()
        else:
            log.info("feeds are polled by the process that runs shard 0, not this one")
        self.cluster.start()
        # Move everything loaded so far out of the collector's reach: full collections then scan only what
        # questions allocate, instead of pausing the loop for tens of ms over the whole startup heap.
        gc.collect()
        gc.freeze()

    def serves_guild(self, guild_id: int | None) -> bool:
        """Whether this process's shards receive a server's events (``None``: DMs, which arrive on shard 0)."""
        return self.settings.serves(guild_id)

    async def _apply_retention(self) -> None:
        """Trim the query and ingest logs now and once a day: the query log holds what users typed."""
        while True:
            try:
                await self.store.trim_logs()
            except Exception:
                log.exception("log retention failed; it is tried again tomorrow")
            await asyncio.sleep(RETENTION_EVERY)

    async def sync_commands(self) -> str:
        """Sync slash commands: to the dev server at once if set, else globally only when the tree changed.

        Global sync is rate-limited and takes a while to reach every server, so an unchanged tree (same hash of its
        JSON as at the last sync, kept in the store's meta table) is not sent again.

        Returns:
            "guild", "global" or "unchanged".
        """
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            log.info("slash commands synced to development server %s", self.settings.dev_guild_id)
            return "guild"
        digest = self.commands_hash()
        if await self.store.get_meta(COMMANDS_HASH_KEY) == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            return "unchanged"
        await self.tree.sync()
        await self.store.set_meta(COMMANDS_HASH_KEY, digest)
        log.info("slash commands synced globally (they can take a while to appear everywhere)")
        return "global"

    def commands_hash(self) -> str:
        """A hash of the global command tree as Discord receives it."""
        payload = [cmd.to_dict(self.tree) for cmd in self.tree.get_commands()]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def on_message(self, message: discord.Message) -> None:
        # No prefix commands: mentions and DMs are answered by the mentions cog's listener.
        return

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer presses on buttons whose view is gone (timed out, or the bot restarted) instead of failing."""
        if interaction.type is not discord.InteractionType.component:
            return
        cid = (interaction.data or {}).get("custom_id", "")
        if not str(cid).startswith("nb:") or interaction.message is None:
            return
        if interaction.message.id in self.live_views:
            return
        await errors.report(interaction, errors.ButtonsExpired())

    async def close(self) -> None:
        log.info("shutting down")
        try:
            await self.cluster.stop()
            await self.feed_poller.stop()
            await super().close()
        finally:
            await self.engine.close()
            await tasks.stop(self._retention)
            if self.store is not None:
                await self.store.close()
                self.store = None  # type: ignore[assignment]


class ShardedNewsBot(NewsBot, commands.AutoShardedBot):
    """The same bot running several Discord shards in one process (``newsbot run --shards N [--shard-ids ...]``)."""

    def __init__(self, settings: Settings, *, engine: Engine | None = None, **options: Any) -> None:
        options.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            options.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(settings, engine=engine, **options)


def make_bot(settings: Settings, *, engine: Engine | None = None, **options: Any) -> NewsBot:
    """The bot for these settings: sharded when ``settings.shard_count`` is set, else one plain connection."""
    if settings.shard_count:
        return ShardedNewsBot(settings, engine=engine, **options)
    return NewsBot(settings, engine=engine, **options)
