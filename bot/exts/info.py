"""/sources and /stats: what the archive holds and how fresh its index is."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import NewsBot
from bot.exts import _views
from bot.render import format as fmt

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
# Said under the counts so nobody has to guess which is which (the same counts as `newsbot stats`).
COUNTS_NOTE = (
    "Articles are distinct stories; a duplicate (the same text stored again) is folded into the first and not "
    "counted as an article. Passages are the indexed pieces of the stories that answers quote."
)


class Info(commands.Cog):
    """Overview commands."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command()
    async def sources(self, interaction: discord.Interaction) -> None:
        """List the outlets in the archive with their article counts and date ranges."""
        await interaction.response.defer(thinking=True)
        outlets = await self.bot.store.sources()
        embed = discord.Embed(title="Sources in the archive", colour=fmt.COLOUR)
        if not outlets:
            embed.description = "The archive is empty — the bot's owner can run /reindex or `newsbot index PATH`."
        else:
            lines = []
            for s in outlets:
                span = f"{s.first_date} → {s.last_date}" if s.first_date else "undated"
                lines.append(f"**{fmt.fit(s.outlet or 'unknown outlet', 80)}** — {s.articles:,} articles, {span}")
            text = fmt.fit_lines(lines, fmt.DESCRIPTION - 60)
            shown = text.count("\n") + 1
            if shown < len(lines):
                text += f"\n… and {len(lines) - shown} more outlets."
            embed.description = text
            embed.set_footer(text=f"{len(outlets)} outlets · {sum(s.articles for s in outlets):,} articles")
        await _views.follow(interaction, embed=fmt.enforce(embed), allowed_mentions=NONE)

    @app_commands.command()
    async def stats(self, interaction: discord.Interaction) -> None:
        """Show how many articles and passages are indexed, the last index run and the index generation."""
        await interaction.response.defer(thinking=True)
        st = await self.bot.store.stats()
        embed = discord.Embed(title="Archive statistics", colour=fmt.COLOUR)
        embed.add_field(name="Articles", value=f"{st.articles:,}", inline=True)
        embed.add_field(name="Passages", value=f"{st.passages:,}", inline=True)
        embed.add_field(name="Duplicates folded", value=f"{st.duplicates:,}", inline=True)
        if st.last_run:
            run = st.last_run
            when = run.finished_at or run.started_at or "?"
            embed.add_field(name="Last index run", value=fmt.fit(f"{run.status} · {when}", 200), inline=False)
        else:
            embed.add_field(name="Last index run", value="never", inline=False)
        generation = self.bot.engine.generation
        embed.add_field(
            name="Index generation",
            value=fmt.fit(generation, 200) if generation else "not indexed yet — the bot's owner can run /reindex",
            inline=False,
        )
        embed.set_footer(text=COUNTS_NOTE)
        await _views.follow(interaction, embed=fmt.enforce(embed), allowed_mentions=NONE)


async def setup(bot: NewsBot) -> None:
    """Load the Info cog."""
    await bot.add_cog(Info(bot))
