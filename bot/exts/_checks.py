"""Checks shared by the cogs that change the shared archive (/reindex, /feeds)."""

from __future__ import annotations

import discord

from bot import errors
from bot.bot import NewsBot


async def check_archive_manager(bot: NewsBot, interaction: discord.Interaction, refusal: str | None = None) -> None:
    """Let the bot's owner through, and server admins too when the owner allowed it; refuse anyone else.

    The archive is shared by every server the bot is in, so by default only the application's owner (or its
    team, as Discord reports it) may change it; Manage Server in one server is not enough.

    Raises:
        errors.NotArchiveManager: with ``refusal`` as its message when given.
    """
    if await bot.is_owner(interaction.user):
        return
    # The member's permissions in this channel, as Discord resolved them for the interaction.
    if bot.settings.admins_manage_archive and interaction.guild is not None and interaction.permissions.manage_guild:
        return
    raise errors.NotArchiveManager(refusal)
