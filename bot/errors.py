"""Errors the bot explains to users, and the one handler that answers every failed command or button."""

from __future__ import annotations

import contextlib
import logging
import sqlite3

import discord
from discord import app_commands

from bot.store import ReadOnlyArchive, is_locked

log = logging.getLogger(__name__)

NOT_INDEXED = "The archive is not indexed yet — the bot's owner can run /reindex or `newsbot index PATH`."


class NewsbotError(Exception):
    """An expected failure with a short message for the user (``user_message``); logged without a traceback."""

    user_message = "Something went wrong."

    def __init__(self, user_message: str | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(self.user_message)


class IndexNotReady(NewsbotError):
    """There is no search index yet (nothing was ever indexed)."""

    user_message = NOT_INDEXED


class IndexDamaged(NewsbotError):
    """The search index is damaged, no intact older generation is left to answer from, and no rebuild is running."""

    user_message = (
        "The search index is damaged — the bot's owner can run /reindex or `newsbot index PATH` to rebuild it."
    )


class IndexRepairing(NewsbotError):
    """The search index is damaged and the bot is rebuilding it from the stored articles."""

    user_message = "The search index is damaged and is being rebuilt from the archive — try again in a few minutes."


class IndexBusy(NewsbotError):
    """The index is switching to a new generation and the search could not be retried on it."""

    user_message = "The archive is switching to a freshly built index — try again in a few seconds."


class ArticleGone(NewsbotError):
    """A cited or chosen article is no longer in the store (a re-index removed or replaced it)."""

    user_message = "That article is no longer in the archive (a re-index removed it). Try /search to find it again."


class BadInput(NewsbotError):
    """An option the user gave could not be used; the message says how to write it."""


class ReindexRunning(NewsbotError):
    """A second /reindex while one is running."""

    user_message = "A re-index is already running; its progress message updates until it is done."


class NotArchiveManager(NewsbotError):
    """Someone other than the bot's owner (or, when the owner allows it, a server admin) tried to change the archive."""

    user_message = (
        "Only the bot's owner can re-index the archive, since every server shares it. The owner can let server "
        "admins do it too with NEWSBOT_ADMINS_MANAGE_ARCHIVE=1."
    )


class ButtonsExpired(NewsbotError):
    """A button whose view is gone (timed out, or the bot restarted)."""

    user_message = "These buttons have expired — ask again to get fresh results."


def describe(error: BaseException) -> tuple[str, bool]:
    """The message for the user and whether the error was expected (no traceback in the log).

    The order matters: discord.py wraps a callback's exception in CommandInvokeError, so it is unwrapped first;
    then our own errors, then discord.py's check failures, then the store and Discord's HTTP errors; anything else
    is a bug, logged with its traceback.
    """
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        if isinstance(error, app_commands.TransformerError) and isinstance(error.__cause__, NewsbotError):
            return error.__cause__.user_message, True
        if isinstance(error, app_commands.CommandInvokeError):
            error = error.original
    if isinstance(error, NewsbotError):
        return error.user_message, True
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Easy there — you can ask again in {max(1, round(error.retry_after))} s.", True
    if isinstance(error, app_commands.MissingPermissions):
        return "Only members with the Manage Server permission can do that.", True
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command works in a server, not in DMs.", True
    if isinstance(error, app_commands.TransformerError):
        shown = repr(error.value)
        shown = shown if len(shown) <= 100 else shown[:99] + "…"  # an option value can be far longer than a message
        return f"I couldn't read {shown} for that option; check its description and try again.", True
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here.", True
    if isinstance(error, ReadOnlyArchive):
        return (
            "The archive is read-only right now, so that can't be saved (answers still work). "
            "Tell the bot's owner: its database sits on a read-only disk or lacks write permission.",
            True,
        )
    if isinstance(error, sqlite3.OperationalError) and is_locked(error):
        return "The archive is busy (probably being re-indexed) — try again in a minute.", True
    if isinstance(error, discord.HTTPException):
        return (
            f"Discord refused my reply (HTTP {error.status}). Try again; if it keeps happening, tell a server admin.",
            False,
        )
    return "Something went wrong on my side; it has been logged. Try again in a moment.", False


def context(interaction: discord.Interaction) -> str:
    """Who, where and what, for the log line of a failed interaction (no token, no message contents)."""
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = (
        (interaction.data or {}).get("custom_id") if interaction.type == discord.InteractionType.component else None
    )
    return (
        f"interaction={interaction.id} type={interaction.type.name} command={command} custom_id={custom_id} "
        f"user={interaction.user.id if interaction.user else None} guild={interaction.guild_id} "
        f"channel={interaction.channel_id}"
    )


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user privately what went wrong and log the details with the interaction's context.

    Works whatever state the interaction is in: not yet answered (a private reply), deferred (the "thinking"
    message is replaced by a private follow-up) or already answered (a private follow-up).
    """
    message, expected = describe(error)
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if expected:
        log.info("%s: %s (%s)", type(cause).__name__, cause, context(interaction))
    else:
        log.error("interaction failed (%s)", context(interaction), exc_info=cause)
    none = discord.AllowedMentions.none()
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True, allowed_mentions=none)
            return
        if interaction.response.type == discord.InteractionResponseType.deferred_channel_message and not (
            interaction.extras.get("answered")
        ):
            # A public "thinking…" placeholder would turn the first follow-up public: remove it first.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await interaction.followup.send(message, ephemeral=True, allowed_mentions=none)
    except discord.HTTPException as e:
        # Nothing more can be said to the user (expired token, missing access): the log has it all.
        log.warning("could not tell the user about the error (%s; %s)", e, context(interaction))
