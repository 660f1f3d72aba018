"""/ask: a question answered with the best sentence and cited passages from the archive."""

from __future__ import annotations

import logging
from datetime import date

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import NewsBot
from bot.exts import _answers, _followup, _views
from bot.exts._options import FILTER_HELP, DateOption, source_choices, sources_option
from bot.render import format as fmt

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
THREAD_NAME = 100  # Discord's limit on a thread name
THREAD_HINT = "Ask follow-ups here: mention {bot} with your question, and I'll keep the topic of the answer above."
NO_PRIVATE_THREAD = "A private answer can't have a thread; ask again with `private: False` to open one."
NO_THREAD_HERE = "I can only open a thread from an answer in a server text channel."
NO_THREAD_PERMISSION = (
    "I couldn't open a thread: I need the **Create Public Threads** and **Send Messages in Threads** permissions. "
    "You can still reply to the answer to follow up."
)


class Ask(commands.Cog):
    """Questions in slash commands."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(
        question="What you want to know, in your own words (the query language works too)",
        **FILTER_HELP,
        private="Show the answer only to you (default: the server's setting)",
        thread="Open a thread from the answer for follow-up questions (public answers in a server channel)",
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
        thread: bool = False,
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
        req = _answers.limit_to_channel(self.bot, req, getattr(interaction.channel, "parent_id", None))
        ans = await _answers.answer(self.bot, req)
        if ans.answer is None:
            await _views.follow(interaction, embed=ans.embed, ephemeral=private, allowed_mentions=NONE)
            return
        view = _views.AskView(self.bot, req, ans)
        msg = await _views.follow(
            interaction, embed=ans.embed, view=view, ephemeral=private, wait=True, allowed_mentions=NONE
        )
        view.attach(msg)
        if private:
            if thread:
                await _views.follow(interaction, NO_PRIVATE_THREAD, ephemeral=True, allowed_mentions=NONE)
            return
        anchors = [msg.id]
        if thread and await self.open_thread(interaction, msg, question):
            anchors.append(msg.id)  # a thread opened from a message has the message's id
        await _followup.remember(self.bot, req, ans, anchors)

    async def open_thread(self, interaction: discord.Interaction, msg: discord.WebhookMessage, question: str) -> bool:
        """Open a thread from the answer for follow-ups; says why not (privately) when it cannot."""
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):  # not in a thread, a DM, a voice or forum channel
            await _views.follow(interaction, NO_THREAD_HERE, ephemeral=True, allowed_mentions=NONE)
            return False
        name = fmt.fit(" ".join(question.split()), THREAD_NAME, lambda t: t) or "Follow-ups"
        try:
            created = await channel.create_thread(name=name, message=msg, auto_archive_duration=1440)
        except discord.Forbidden:
            await _views.follow(interaction, NO_THREAD_PERMISSION, ephemeral=True, allowed_mentions=NONE)
            return False
        except discord.HTTPException as e:
            log.info("could not open a thread from answer %s: %s", msg.id, e)
            await _views.follow(interaction, NO_THREAD_HERE, ephemeral=True, allowed_mentions=NONE)
            return False
        try:  # the thread is open either way: the hint is a courtesy
            hint = THREAD_HINT.format(bot=self.bot.user.mention if self.bot.user else "newsbot")
            await created.send(hint, allowed_mentions=NONE)
        except discord.HTTPException as e:
            log.info("could not post the follow-up hint in thread %s: %s", created.id, e)
        return True


async def setup(bot: NewsBot) -> None:
    """Load the Ask cog."""
    await bot.add_cog(Ask(bot))
