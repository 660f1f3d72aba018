"""Message context menus: "Ask newsbot" answers a message's text, "Find coverage" lists articles about it."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors, search_worker
from bot.bot import NewsBot
from bot.exts import _answers, _views
from bot.render import explore
from bot.render import format as fmt

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
QUESTION_CHARS = 2000  # as much of a message as /ask takes
LONG_WORDS = 30  # a message longer than this is searched by its weightiest words, not all of them
KEY_WORDS = 12
COVERAGE = 8  # articles listed by "Find coverage"
NO_TEXT = (
    "That message has no text I can search (only images, files or stickers). "
    "Try /ask or /search with a few words about it."
)


class Menus(commands.Cog):
    """Right-click (or long-press) a message → Apps → "Ask newsbot" or "Find coverage"."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        # Context menus cannot be declared with a decorator inside a cog: they are built and added here.
        self.menus = [
            app_commands.ContextMenu(name="Ask newsbot", callback=self.ask_message),
            app_commands.ContextMenu(name="Find coverage", callback=self.find_coverage),
        ]
        for menu in self.menus:
            bot.tree.add_command(menu)

    async def cog_unload(self) -> None:
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)

    async def ask_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Answer the message's text as a question, privately."""
        self.bot.cooldowns.check(interaction)
        await interaction.response.defer(thinking=True, ephemeral=True)
        text = explore.message_text(message)
        if not text:
            raise errors.BadInput(NO_TEXT)
        req = _answers.AskRequest(
            question=text[:QUESTION_CHARS],
            as_of=interaction.created_at,
            user_id=interaction.user.id,
            query_id=interaction.id,
            surface="menu",
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            private=True,
        )
        if len(text.split()) > LONG_WORDS:
            words = await self.bot.engine.run(search_worker.key_words, text, KEY_WORDS)
            req.search = " ".join(words)
            req.note = f"A long message: searched for its key words: {req.search}"
        req = _answers.limit_to_channel(self.bot, req, getattr(interaction.channel, "parent_id", None))
        ans = await _answers.answer(self.bot, req)
        if ans.answer is None:
            await _views.follow(interaction, embed=ans.embed, ephemeral=True, allowed_mentions=NONE)
            return
        view = _views.AskView(self.bot, req, ans)
        msg = await _views.follow(
            interaction, embed=ans.embed, view=view, ephemeral=True, wait=True, allowed_mentions=NONE
        )
        view.attach(msg)

    async def find_coverage(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """List articles about what the message talks about, privately."""
        self.bot.cooldowns.check(interaction)
        await interaction.response.defer(thinking=True, ephemeral=True)
        text = explore.message_text(message)
        if not text:
            raise errors.BadInput(NO_TEXT)
        as_of = interaction.created_at
        parent = getattr(interaction.channel, "parent_id", None)
        limit = self.bot.store.guild_settings(interaction.guild_id).sources_in(interaction.channel_id, parent)
        options = {"as_of": as_of, "sources": list(limit) or None}
        words, results = await self.bot.engine.run(search_worker.coverage, text, COVERAGE, options)
        searched = " ".join(words)
        _answers.log_interaction(
            self.bot,
            interaction,
            "coverage",
            searched or text[:QUESTION_CHARS],
            as_of,
            took_ms=results.took_ms,
            n_results=results.total,
            passage_ids=[h.passage_id for h in results.hits],
        )
        about = fmt.link("this message", message.jump_url, 300)
        embed = explore.articles_embed(
            f"Coverage: {searched or text}",
            results.hits,
            as_of=as_of,
            intro=f"Articles about {about} — searched for: {fmt.fit(searched or text, 500)}",
            footer=f"{len(results.hits)} articles, best match first"
            + (f" · this channel's sources only: {', '.join(limit)}" if limit else ""),
        )
        await _views.follow(interaction, embed=embed, ephemeral=True, allowed_mentions=NONE)


async def setup(bot: NewsBot) -> None:
    """Load the Menus cog."""
    await bot.add_cog(Menus(bot))
