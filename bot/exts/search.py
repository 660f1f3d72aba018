"""/search: matching articles, one line each, paged with buttons; the query language works here."""

from __future__ import annotations

import logging
from datetime import date
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import NewsBot
from bot.exts import _views
from bot.exts._answers import log_interaction
from bot.exts._options import FILTER_HELP, DateOption, source_choices, sources_option
from bot.render import format as fmt

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
PAGE = 5  # articles per page


class Search(commands.Cog):
    """Article search in slash commands."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(
        query='Words to find; "exact phrase", -exclude, source:cnn.com, after:2022-01-01, before:2022-02, title:word',
        **FILTER_HELP,
        sort="Best matches, recent ones first (blend, default); best matches only (relevance); newest first",
    )
    @app_commands.autocomplete(source=source_choices)
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 2000],
        source: str | None = None,
        after: app_commands.Transform[date, DateOption] | None = None,
        before: app_commands.Transform[date, DateOption] | None = None,
        sort: Literal["blend", "relevance", "newest"] | None = None,
    ) -> None:
        """Find articles in the archive: headline, outlet, date and a snippet for each."""
        self.bot.cooldowns.check(interaction)
        await interaction.response.defer(thinking=True)
        as_of = interaction.created_at
        options = {
            "sources": sources_option(source) or None,
            "after": after,
            "before": before,
            "as_of": as_of,
            "per_article": True,
        }
        if sort:
            options["sort"] = sort
        first = True

        async def render(page: int) -> tuple[discord.Embed, bool]:
            nonlocal first
            # One more than a page: ``total`` counts passages, not articles, so only an extra article shows
            # that a next page exists.
            results = await self.bot.engine.search(query, PAGE + 1, offset=page * PAGE, **options)
            if first:
                first = False
                log_interaction(
                    self.bot,
                    interaction,
                    "search",
                    query,
                    as_of,
                    took_ms=results.took_ms,
                    n_results=results.total,
                    passage_ids=[h.passage_id for h in results.hits[:PAGE]],
                )
            embed = fmt.search_embed(query, results, as_of=as_of, page_size=PAGE)
            return embed, len(results.hits) > PAGE

        embed, has_next = await render(0)
        if not has_next:
            await _views.follow(interaction, embed=embed, allowed_mentions=NONE)
            return
        view = _views.PagerView(self.bot, interaction.user.id, interaction.id, render, has_next=True)
        msg = await _views.follow(interaction, embed=embed, view=view, wait=True, allowed_mentions=NONE)
        view.attach(msg)


async def setup(bot: NewsBot) -> None:
    """Load the Search cog."""
    await bot.add_cog(Search(bot))
