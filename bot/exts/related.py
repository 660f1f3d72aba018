"""/related: the articles most like one article, oldest first with dates, so a reader can follow a story."""

from __future__ import annotations

import logging
from datetime import date

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors, search_worker
from bot.bot import NewsBot
from bot.exts import _views
from bot.exts._answers import log_interaction
from bot.render import explore
from bot.render import format as fmt
from bot.store import StoredArticle
from index.models import Hit

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
RELATED = 8  # articles listed
MAX_ID_DIGITS = 18  # as /article: a longer number cannot be a row id


def _day(hit: Hit) -> date:
    return fmt.parse_published(hit.published) or date.max  # undated last


class Related(commands.Cog):
    """Following a story from one article."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(article="Start typing a headline and pick the article from the list")
    async def related(self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 100]) -> None:
        """List the articles most like one article, oldest first with their dates, to follow a story."""
        self.bot.cooldowns.check(interaction)
        await interaction.response.defer(thinking=True)
        stored = await self._pick(article)
        as_of = interaction.created_at
        results = await self.bot.engine.run(search_worker.related, stored.id, RELATED, as_of)
        if results is None:
            raise errors.ArticleGone()
        log_interaction(
            self.bot,
            interaction,
            "related",
            f"related:{stored.id}",
            as_of,
            took_ms=results.took_ms,
            n_results=len(results.hits),
            passage_ids=[h.passage_id for h in results.hits],
        )
        hits = sorted(results.hits, key=_day)
        source = fmt.link(stored.title or "(untitled)", stored.url, 400)
        outlet = fmt.fit(stored.outlet or "unknown outlet", 60)
        embed = explore.articles_embed(
            f"Related: {stored.title or '(untitled)'}",
            hits,
            as_of=as_of,
            intro=f"Most like {source} — {outlet}, {fmt.date_label(stored.published)}; oldest first",
            empty="No other article is much like this one yet. Try /search with a few of its words.",
            footer=f"{len(hits)} articles · alike by their weightiest words · copies of the story left out",
        )
        await _views.follow(interaction, embed=embed, allowed_mentions=NONE)

    async def _pick(self, typed: str) -> StoredArticle:
        """The article chosen from the list (its id) or, typed without choosing, the best headline match."""
        typed = typed.strip()
        if typed.isascii() and typed.isdigit() and len(typed) <= MAX_ID_DIGITS:
            found = await self.bot.store.get_article(int(typed))
            if found is not None:
                return found
        refs = await self.bot.store.find_articles(typed, limit=1)
        found = await self.bot.store.get_article(refs[0].id) if refs else None
        if found is None:
            raise errors.BadInput(
                f"No headline contains “{fmt.fit(typed, 60, lambda t: t)}”; pick an article from the list as you "
                "type, or try /search."
            )
        return found

    @related.autocomplete("article")
    async def article_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        found = await self.bot.store.find_articles(current, limit=fmt.CHOICES)
        return [
            app_commands.Choice(name=fmt.choice_name(a.title, a.outlet, a.published), value=str(a.id)) for a in found
        ]


async def setup(bot: NewsBot) -> None:
    """Load the Related cog."""
    await bot.add_cog(Related(bot))
