"""/feeds add|list|remove: the RSS/Atom feeds the bot polls into the shared archive (its owner only, by default)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import NewsBot
from bot.exts import _views
from bot.exts._checks import check_archive_manager
from bot.render import format as fmt
from index.ingest import feeds

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
REFUSED = (
    "Only the bot's owner can change the feeds, since every server shares the archive. The owner can let server "
    "admins do it too with NEWSBOT_ADMINS_MANAGE_ARCHIVE=1."
)
SHOW_FEEDS = 25


def _url(url: str) -> str:
    """A URL shown as inline code: visible, but no link preview and no markdown."""
    return fmt.escape(url) if "://" in url else fmt.escape(url[:300])


def _when(stamp: str | None) -> str:
    """A stored UTC time as Discord's relative timestamp ("5 minutes ago")."""
    if not stamp:
        return "never"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return fmt.escape(stamp)
    return discord.utils.format_dt(moment.replace(tzinfo=moment.tzinfo or UTC), "R")


class Feeds(commands.Cog):
    """The feeds polled into the archive."""

    group = app_commands.Group(
        name="feeds",
        description="The RSS/Atom feeds polled into the archive (the bot's owner)",
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def _begin(self, interaction: discord.Interaction) -> None:
        await check_archive_manager(self.bot, interaction, REFUSED)
        # Adding resolves the host and every command writes the store: defer within Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)

    async def _say(self, interaction: discord.Interaction, text: str) -> None:
        await _views.follow(interaction, fmt.fit(text, fmt.CONTENT, lambda t: t), ephemeral=True, allowed_mentions=NONE)

    @group.command(name="add")
    @app_commands.describe(url="The feed's address (http or https)", name="The outlet name its articles get")
    async def add(self, interaction: discord.Interaction, url: str, name: str | None = None) -> None:
        """Add an RSS/Atom feed; its new articles are stored at every poll."""
        await self._begin(interaction)
        allow = self.bot.settings.fetch_allow_private
        try:
            feed, added = await asyncio.to_thread(
                feeds.add_feed, self.bot.settings.db, url[:2000], (name or "")[:200] or None, allow_private=allow
            )
        except feeds.FeedError as err:
            await self._say(interaction, f"Feed not added: {fmt.escape(str(err))}.")
            return
        shown = _url(feed["url"]) + (f" as **{fmt.escape(feed['name'])}**" if feed["name"] else "")
        if not added:
            await self._say(interaction, f"Already polled: {shown}.")
            return
        log.info("feed added by %s: %s", interaction.user.id, feed["url"])
        interval = self.bot.feed_poller.interval
        when = f"within {max(1, round(interval / 60))} min" if interval > 0 else "when polling is on"
        await self._say(interaction, f"Added {shown}. Its new articles are read at the next poll ({when}).")

    @group.command(name="list")
    async def list_(self, interaction: discord.Interaction) -> None:
        """The feeds, with how their last check went."""
        await self._begin(interaction)
        rows = await asyncio.to_thread(feeds.list_feeds, self.bot.settings.db)
        if not rows:
            await self._say(interaction, "No feeds yet. Add one with `/feeds add url`.")
            return
        lines = []
        for row in rows[:SHOW_FEEDS]:
            name = fmt.escape(row["name"] or row["title"] or "(name from the feed)")
            status = fmt.escape(str(row["last_status"] or "not checked yet")[:200])
            checked = _when(row["last_checked"])
            line = f"• **{name}** {_url(row['url'])} — {row['items']} items · checked {checked}: {status}"
            if row["failures"]:
                line += f" (next try {_when(row['next_attempt_at'])})"
            lines.append(line)
        if len(rows) > SHOW_FEEDS:
            lines.append(f"… and {len(rows) - SHOW_FEEDS} more (`newsbot feeds list` shows them all).")
        await self._say(interaction, fmt.fit_lines(lines, fmt.CONTENT))

    @group.command(name="remove")
    @app_commands.describe(url="The feed's address, as /feeds list shows it")
    async def remove(self, interaction: discord.Interaction, url: str) -> None:
        """Stop polling a feed; its articles already stored stay in the archive."""
        await self._begin(interaction)
        removed = await asyncio.to_thread(feeds.remove_feed, self.bot.settings.db, url[:2000])
        if not removed:
            await self._say(interaction, f"No such feed: {_url(url)}. `/feeds list` shows the feeds.")
            return
        log.info("feed removed by %s: %s", interaction.user.id, url)
        await self._say(interaction, f"Removed {_url(url)}. Its articles already stored stay in the archive.")


async def setup(bot: NewsBot) -> None:
    """Load the Feeds cog."""
    await bot.add_cog(Feeds(bot))
