"""/article: one article's metadata, lead, link and passage count, with autocomplete over headlines."""

from __future__ import annotations

import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors
from bot.bot import NewsBot
from bot.exts import _views
from bot.render import format as fmt

log = logging.getLogger(__name__)

MAX_ID_DIGITS = 18  # SQLite integers are 64-bit: a longer number cannot be a row id


class Article(commands.Cog):
    """Reading one article."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(article="Start typing a headline and pick the article from the list")
    async def article(self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 100]) -> None:
        """Show an article from the archive: outlet, date, link, passage count and its text, paged."""
        await interaction.response.defer(thinking=True)
        typed = article.strip()
        # A picked choice is an article id; a typed number (a year, say) that is no stored id is headline text.
        if typed.isascii() and typed.isdigit() and len(typed) <= MAX_ID_DIGITS:
            with contextlib.suppress(errors.ArticleGone):
                await _views.send_article(self.bot, interaction, int(typed), ephemeral=False)
                return
        # Typed text without picking a choice: take the best headline match.
        found = await self.bot.store.find_articles(article, limit=1)
        if not found:
            raise errors.BadInput(
                f"No headline contains “{fmt.fit(article, 60, lambda t: t)}”; pick an article from the list "
                "as you type, or try /search."
            )
        await _views.send_article(self.bot, interaction, found[0].id, ephemeral=False)

    @article.autocomplete("article")
    async def article_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        found = await self.bot.store.find_articles(current, limit=fmt.CHOICES)
        return [
            app_commands.Choice(name=fmt.choice_name(a.title, a.outlet, a.published), value=str(a.id)) for a in found
        ]


async def setup(bot: NewsBot) -> None:
    """Load the Article cog."""
    await bot.add_cog(Article(bot))
