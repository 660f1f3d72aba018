"""/ask: a question answered with the best sentence and cited passages from the archive."""

from __future__ import annotations

import logging
from datetime import date

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import NewsBot
from bot.exts import _answers, _views
from bot.exts._options import FILTER_HELP, DateOption, source_choices, sources_option

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()


class Ask(commands.Cog):
    """Questions in slash commands."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(
        question="What you want to know, in your own words (the query language works too)",
        **FILTER_HELP,
        private="Show the answer only to you (default: the server's setting)",
    )
    @app_commands.autocomplete(source=source_choices)
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 2000],
        source: str | None = None,
        after: app_commands.Transform[date, DateOption] | None = None,
        before: app_commands.Transform[date, DateOption] | None = None,
        private: bool | None = None,
    ) -> None:
        """Ask the news archive a question; the answer quotes and cites the passages it comes from."""
        self.bot.cooldowns.check(interaction)
        if private is None:
            private = self.bot.store.guild_settings(interaction.guild_id).private_default
        # Discord allows 3 seconds before the interaction fails: defer before any search.
        await interaction.response.defer(thinking=True, ephemeral=private)
        req = _answers.AskRequest(
            question=question,
            as_of=interaction.created_at,
            user_id=interaction.user.id,
            query_id=interaction.id,
            surface="slash",
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            sources=sources_option(source),
            after=after,
            before=before,
            private=private,
        )
        ans = await _answers.answer(self.bot, req)
        if ans.answer is None:
            await _views.follow(interaction, embed=ans.embed, ephemeral=private, allowed_mentions=NONE)
            return
        view = _views.AskView(self.bot, req, ans)
        msg = await _views.follow(
            interaction, embed=ans.embed, view=view, ephemeral=private, wait=True, allowed_mentions=NONE
        )
        view.attach(msg)


async def setup(bot: NewsBot) -> None:
    """Load the Ask cog."""
    await bot.add_cog(Ask(bot))
