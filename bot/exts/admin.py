"""Server-admin commands: /reindex (ingest and rebuild in the background) and /config (where and how to answer)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors
from bot.bot import NewsBot
from bot.exts import _views
from bot.exts._checks import check_archive_manager
from bot.exts._options import source_choices
from bot.reindex import ReindexJob, archive_target, run_reindex, summarise
from bot.render import format as fmt

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
PROGRESS_EVERY = 5.0  # seconds between edits of the progress message (well inside Discord's edit rate limit)
FEEDS_UPDATING = "The archive is storing new articles from its feeds right now; try /reindex again in a minute."
TOKEN_LIFE = 14 * 60.0  # an interaction token lasts 15 minutes; after that the message is edited as a bot


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _plain(text: str) -> str:
    return text.replace("`", "")


class Admin(commands.Cog):
    """Commands that change the shared archive (the bot's owner) or one server's settings (its admins)."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.job: ReindexJob | None = None
        self.work = run_reindex  # replaced in tests
        self.progress_every = PROGRESS_EVERY

    @app_commands.command()
    @app_commands.describe(
        path="A folder or file inside the archive, relative to it (default: the whole NEWSBOT_ARCHIVE)",
        prune="Also remove articles whose files are gone from that folder",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction, path: str | None = None, prune: bool = False) -> None:
        """Re-read the news archive and rebuild the search index; the bot keeps answering meanwhile."""
        await self._check_archive_manager(interaction)
        if self.job is not None and self.job.running:
            raise errors.ReindexRunning()
        if self.bot.archive_lock.locked():
            raise errors.ReindexRunning(FEEDS_UPDATING)
        async with self.bot.archive_lock:  # the feed poller waits for it, so the two never write at once
            await self._reindex(interaction, path, prune)

    async def _reindex(self, interaction: discord.Interaction, path: str | None, prune: bool) -> None:
        root = self.bot.settings.archive
        # Only the archive the owner configured can be read: never another file on the bot's machine.
        target = archive_target(path, root)
        assert root is not None  # archive_target refuses when no archive is configured
        within = root.resolve()
        job = ReindexJob([target], self.bot.settings.db, prune=prune, within=within, work=self.work)
        self.job = job
        # Named relative to the archive: the reply does not tell other servers where the bot's files live.
        shown = "the archive" if target == within else f"`{fmt.fit(str(target.relative_to(within)), 300, _plain)}`"
        callback = await interaction.response.send_message(
            f"Re-indexing {shown} — starting…",
            allowed_mentions=NONE,
        )
        message_id = getattr(callback, "message_id", None)
        future = job.start()
        while True:
            done, _ = await asyncio.wait({future}, timeout=self.progress_every)
            if done:
                break
            await self._show(interaction, message_id, job, f"Re-indexing — {job.phase}… ({_elapsed(job.elapsed)})")
        try:
            summary = future.result()
        except Exception as e:
            log.exception("re-index of %s failed", target)
            await self._show(
                interaction,
                message_id,
                job,
                f"Re-index failed after {_elapsed(job.elapsed)}: {fmt.fit(str(e), 300)}. "
                "The previous index is still in service; the bot log has the details.",
            )
            return
        changed = await self.bot.engine.reload()
        # Followed topics look for new articles in the index just switched to (the Follows cog listens).
        self.bot.dispatch("archive_updated", "reindex")
        generation = self.bot.engine.generation or "none"
        note = "now in service" if changed else "unchanged"
        counts = summarise(summary)
        text = f"Re-index done in {_elapsed(job.elapsed)}. Index generation {fmt.fit(generation, 60)} {note}."
        if counts:
            text += f"\n-# {fmt.fit(counts, 600)}"
        await self._show(interaction, message_id, job, text)

    async def _check_archive_manager(self, interaction: discord.Interaction) -> None:
        await check_archive_manager(self.bot, interaction)

    async def _show(self, interaction: discord.Interaction, message_id: int | None, job: ReindexJob, text: str) -> None:
        """Edit the one progress message (as the interaction while its token lives, then as the bot)."""
        text = text[: fmt.CONTENT]
        try:
            if job.elapsed < TOKEN_LIFE or message_id is None:
                await interaction.edit_original_response(content=text, allowed_mentions=NONE)
            elif isinstance(interaction.channel, discord.abc.Messageable):
                await interaction.channel.get_partial_message(message_id).edit(content=text, allowed_mentions=NONE)
        except discord.HTTPException as e:
            log.info("could not update the re-index progress message: %s", e)

    @app_commands.command()
    @app_commands.describe(
        answer_in="Answer @mentions in this channel (adds it to the list)",
        stop_answering_in="Stop answering @mentions in this channel",
        everywhere="Answer @mentions in every channel again (clears the list)",
        private="Make /ask answers visible only to the asker by default",
        sources="Answer in a channel only from these outlets, comma-separated (e.g. ESPN, BBC Sport)",
        sources_in="The channel the sources apply to (default: this one)",
        all_sources="Let that channel's answers come from every outlet again",
    )
    @app_commands.autocomplete(sources=source_choices)
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def config(
        self,
        interaction: discord.Interaction,
        answer_in: discord.TextChannel | discord.Thread | None = None,
        stop_answering_in: discord.TextChannel | discord.Thread | None = None,
        everywhere: bool | None = None,
        private: bool | None = None,
        sources: app_commands.Range[str, 1, 500] | None = None,
        sources_in: discord.TextChannel | discord.Thread | None = None,
        all_sources: bool | None = None,
    ) -> None:
        """Choose where the bot answers @mentions, whether answers are private, and each channel's sources."""
        assert interaction.guild_id is not None  # guild_only
        # A write can wait for a re-index's lock longer than Discord's 3 seconds: defer first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Start from what the store holds: another bot process may have changed this server's settings since
        # this one last read them (a server moved between processes when the shards were laid out anew).
        await self.bot.store.reload_settings(interaction.guild_id)
        if sources is not None or all_sources:
            channel = sources_in.id if sources_in is not None else interaction.channel_id
            outlets = [] if all_sources else [s.strip() for s in (sources or "").split(",") if s.strip()][:20]
            await self.bot.store.set_guild_settings(interaction.guild_id, channel_sources=(channel, outlets))
        current = self.bot.store.guild_settings(interaction.guild_id)
        channels = list(current.answer_channels)
        if everywhere:
            channels = []
        if answer_in is not None and answer_in.id not in channels:
            channels.append(answer_in.id)
        if stop_answering_in is not None:
            with contextlib.suppress(ValueError):
                channels.remove(stop_answering_in.id)
        changed = everywhere or answer_in or stop_answering_in or private is not None
        if changed:
            current = await self.bot.store.set_guild_settings(
                interaction.guild_id, answer_channels=channels, private_default=private
            )
        where = ", ".join(f"<#{c}>" for c in current.answer_channels) if current.answer_channels else "every channel"
        limits = [f"<#{c}>: {', '.join(v)}" for c, v in current.channel_sources.items()]
        saved = changed or sources is not None or all_sources
        text = (
            f"{'Saved. ' if saved else ''}I answer @mentions in: {where}.\n"
            f"/ask answers are {'private (only the asker sees them)' if current.private_default else 'public'} "
            "by default.\n"
            + (
                "Channels limited to some outlets: " + "; ".join(limits) + "."
                if limits
                else "Every channel is answered from every outlet."
            )
        )
        await _views.follow(interaction, fmt.fit(text, fmt.CONTENT, lambda t: t), ephemeral=True, allowed_mentions=NONE)


async def setup(bot: NewsBot) -> None:
    """Load the Admin cog."""
    await bot.add_cog(Admin(bot))
