"""/timeline: how coverage of a topic developed, as a chart of articles per day, week or month, with the peaks."""

from __future__ import annotations

import io
import logging
from datetime import date

import discord
from discord import app_commands
from discord.ext import commands

from bot import search_worker
from bot.bot import NewsBot
from bot.exts import _views
from bot.exts._answers import log_interaction
from bot.exts._options import DateOption
from bot.render import explore

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
CHART = "timeline.png"


class Timeline(commands.Cog):
    """Coverage over time."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(
        query="The topic's words; an article counts when it holds all of them (the query language works)",
        after="Only articles published on or after this date (YYYY-MM-DD, YYYY-MM or YYYY)",
        before="Only articles published before this date (YYYY-MM-DD, YYYY-MM or YYYY)",
    )
    async def timeline(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 300],
        after: app_commands.Transform[date, DateOption] | None = None,
        before: app_commands.Transform[date, DateOption] | None = None,
    ) -> None:
        """Chart how coverage of a topic developed: articles per day, week or month, and each peak's top story."""
        self.bot.cooldowns.check(interaction)
        # Counting and drawing take a moment: acknowledge first, then draw off the event loop (search worker).
        await interaction.response.defer(thinking=True)
        as_of = interaction.created_at
        options = {"after": after, "before": before, "as_of": as_of}
        line, png = await self.bot.engine.run(search_worker.timeline, query, options, query)
        log_interaction(self.bot, interaction, "timeline", query, as_of, took_ms=line.took_ms, n_results=line.total)
        limit = getattr(interaction, "filesize_limit", 8 * 1024 * 1024)
        if png is not None and len(png) > limit:  # never at 800 x 300, but an upload over the limit fails
            log.warning("timeline chart of %d bytes is over the upload limit %d; sent without it", len(png), limit)
            png = None
        embed = explore.timeline_embed(query, line, as_of=as_of, chart=CHART if png else None)
        if png is None:
            await _views.follow(interaction, embed=embed, allowed_mentions=NONE)
            return
        chart = discord.File(io.BytesIO(png), filename=CHART, description=explore.chart_alt(query, line))
        await _views.follow(interaction, embed=embed, file=chart, allowed_mentions=NONE)


async def setup(bot: NewsBot) -> None:
    """Load the Timeline cog."""
    await bot.add_cog(Timeline(bot))
