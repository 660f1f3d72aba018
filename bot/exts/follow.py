"""/follow, /unfollow, /follows: a channel follows a topic, and new matching articles are posted there once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import tasks
from bot.bot import NewsBot
from bot.exts import _views
from bot.follows import check_query, earliest_day, indexed_upto, match_new
from bot.render import format as fmt
from bot.store import Follow
from index.answer.compose import passage_excerpt
from index.ingest.feeds import CycleReport
from index.models import Hit

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
MAX_FOLLOWS = 25  # per server: also what one autocomplete list can show
MAX_QUERY = 300
PER_MESSAGE = 5  # articles in one message (one embed each); a bigger burst ends with "and N more"
HOURLY_CAP = 6  # messages per follow per rolling hour; past it, new matches wait for the hour to free up
CHECK_EVERY = 60.0  # seconds between checks for an index built behind the bot's back (`newsbot index`)
PASSAGE_CHARS = 700  # of the matching passage shown per article: five fit well inside 6,000 per message
# Errors after which posting cannot work until someone acts: the follow is disabled instead of retried.
UNKNOWN_CHANNEL = 10003
NO_ACCESS = (50001, 50013)
# A thread that was archived (50083) or locked (160005) refuses posts until a moderator reopens it.
CLOSED_THREAD = (50083, 160005)
WHO = {
    "manage_channels": "the Manage Channels permission",
    "manage_guild": "the Manage Server permission",
}
EXAMPLE = '`/follow query: harbour bridge` or `/follow query: "city council" budget -football source:gazette.example`'


def disabling_reason(error: discord.HTTPException) -> str | None:
    """Why posting to a channel cannot work again on its own (deleted, or no access), or None to retry later."""
    if isinstance(error, discord.NotFound) and error.code == UNKNOWN_CHANNEL:
        return "the channel was deleted"
    if isinstance(error, discord.Forbidden) and error.code in NO_ACCESS:
        return "I may not post there (I need View Channel, Send Messages and Embed Links)"
    if error.code in CLOSED_THREAD:
        return "the thread is archived or locked (reopen it, or follow in another channel)"
    return None


def article_embed(hit: Hit) -> discord.Embed:
    """One matching article: headline linked, the matching passage (matches in bold), outlet and date."""
    embed = discord.Embed(title=fmt.fit(hit.title or "(untitled)", fmt.TITLE), url=fmt.safe_url(hit.url))
    embed.colour = fmt.COLOUR
    passage = fmt.shown(hit.text, hit.highlights, passage_excerpt(hit), PASSAGE_CHARS)
    outlet = fmt.fit(hit.outlet or "unknown outlet", 80)
    embed.description = f"{passage}\n— {outlet} · {fmt.date_label(hit.published)}"
    return fmt.enforce(embed)


def post_body(follow: Follow, hits: list[Hit], more: int) -> tuple[str, list[discord.Embed]]:
    """The message for a burst: a line naming the follow, up to PER_MESSAGE embeds, and how many more matched."""
    query = fmt.fit(follow.query, 300)
    count = f"{len(hits)} new article{'s' if len(hits) != 1 else ''}"
    lines = [f"**{count}** for the followed topic **{query}**"]
    if more:
        lines.append(f"…and {more} more: `/search` with the same query lists them.")
    lines.append(f"-# Follow #{follow.id} · stop with `/unfollow`")
    return fmt.fit_lines(lines, fmt.CONTENT), [article_embed(h) for h in hits]


def _member_can_post(interaction: discord.Interaction, channel_id: int) -> bool:
    """Whether the member who asked may see and write in ``channel_id``, as Discord resolved it for the command."""
    channels = ((interaction.data or {}).get("resolved") or {}).get("channels") or {}
    raw = (channels.get(str(channel_id)) or {}).get("permissions")
    if raw is None:
        return True  # not resolved: Discord only offers channels the member can see
    allowed = discord.Permissions(int(raw))
    return allowed.view_channel and allowed.send_messages


class Follows(commands.Cog):
    """Followed topics: the commands, and the posting after each update of the archive."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # replaced in tests
        self._lock = asyncio.Lock()  # one pass at a time: two passes could post one article twice
        self._retry = False  # something waits (hourly cap, a failed send): the next check tries again
        self._generation: str | None = None  # the index generation the last pass saw
        self._task: asyncio.Task[None] | None = None
        self.max_follows = MAX_FOLLOWS
        # Discord hides /follow and /unfollow from members without the permission the operator chose.
        need = bot.settings.follow_permission
        hidden = None if need == "everyone" else discord.Permissions(**{need: True})
        for command in (self.follow, self.unfollow):
            command.default_permissions = hidden

    async def cog_load(self) -> None:
        self.bot.follows = self
        self.bot.feed_poller.listeners.append(self.on_feed_cycle)
        self._task = asyncio.create_task(self._watch_index(), name="newsbot-follows")

    async def cog_unload(self) -> None:
        with contextlib.suppress(ValueError):
            self.bot.feed_poller.listeners.remove(self.on_feed_cycle)
        await tasks.stop(self._task)
        if self.bot.follows is self:
            self.bot.follows = None

    # Posting ---------------------------------------------------------------------------------------------------

    async def on_feed_cycle(self, report: CycleReport) -> None:
        """After a watch cycle stored articles (the poller has reloaded the index by then)."""
        await self.on_update("feeds")

    @commands.Cog.listener()
    async def on_archive_updated(self, reason: str = "reindex") -> None:
        """After /reindex switched to its new index (dispatched by the Admin cog)."""
        await self.on_update(reason)

    async def _watch_index(self) -> None:
        """Once connected, and every minute: catch up with an index built outside the bot, and retry what waits."""
        await self.bot.wait_until_ready()
        await self.on_update("start")  # what was indexed while the bot was down
        while True:
            await asyncio.sleep(CHECK_EVERY)
            try:
                await self.check_index()
            except Exception:
                log.exception("follow check failed; trying again in %.0f s", CHECK_EVERY)

    async def check_index(self) -> int:
        """Pick up a generation `newsbot index` built behind the bot's back, or retry what waits; messages sent.

        The reload is cheap when nothing changed (one small file read); any reload elsewhere (self-healing
        searches included) is noticed too, since the generation differs from the one the last pass saw.
        """
        changed = await self.bot.engine.reload()
        if changed or self._retry or self.bot.engine.generation != self._generation:
            return await self.on_update("new index" if changed else "retry")
        return 0

    async def on_update(self, reason: str = "update") -> int:
        """Post, for every active follow, the new articles that match it well enough; returns messages sent.

        "New" is past the follow's high-water mark of article ids (it starts at the newest article when the
        follow is made); each posted article is recorded per follow, so nothing is posted twice.
        """
        async with self._lock:
            self._generation = self.bot.engine.generation
            self._retry = False
            if not self.bot.engine.ready:
                return 0
            # Not past what the index in service covers: articles stored by an index run still building are
            # matched on a later pass, once they are searchable, instead of being marked seen unmatched.
            upto = min(await self.bot.store.max_article_id(), await self.bot.engine.run(indexed_upto))
            sent = 0
            for follow in await self.bot.store.follows(active=True):
                # With shards across processes, each process posts for the servers its shards receive.
                if follow.last_article_id >= upto or not self.bot.serves_guild(follow.guild_id):
                    continue
                try:
                    sent += await self._update(follow, upto)
                except Exception:  # one follow's failure must not stop the others; it is retried at the next check
                    log.exception("follow %d (%r) failed; retrying at the next check", follow.id, follow.query)
                    self._retry = True
            if sent:
                log.info("follows: %d message(s) posted after %s", sent, reason)
            return sent

    async def _update(self, follow: Follow, upto: int) -> int:
        store = self.bot.store
        new = await store.new_articles(follow.last_article_id, upto)
        hits: list[Hit] = []
        if new:
            ids = [article_id for article_id, _ in new]
            after = earliest_day([published for _, published in new])
            hits = await self.bot.engine.run(match_new, follow.query, ids, after)
            done = await store.posted_articles(follow.id, [h.article_id for h in hits])
            hits = [h for h in hits if h.article_id not in done]
        if not hits:
            await store.advance_follow(follow.id, upto)
            return 0
        now = self.clock()
        if await store.follow_messages_since(follow.id, _stamp(now - timedelta(hours=1))) >= HOURLY_CAP:
            # Deferred, not dropped: the mark stays, so the next check after the hour posts them (grouped).
            log.info(
                "follow %d: hourly cap of %d messages reached; %d article(s) wait", follow.id, HOURLY_CAP, len(hits)
            )
            self._retry = True
            return 0
        return await self._post(follow, hits, upto, _stamp(now))

    async def _post(self, follow: Follow, hits: list[Hit], upto: int, at: str) -> int:
        store = self.bot.store
        shown = hits[:PER_MESSAGE]
        reserved = set(await store.reserve_posts(follow.id, [h.article_id for h in shown], at))
        shown = [h for h in shown if h.article_id in reserved]
        if not shown:  # all taken by another pass meanwhile
            await store.advance_follow(follow.id, upto)
            return 0
        ids = [h.article_id for h in shown]
        content, embeds = post_body(follow, shown, max(0, len(hits) - PER_MESSAGE))
        channel = self.bot.get_channel(follow.channel_id) or self.bot.get_partial_messageable(
            follow.channel_id, guild_id=follow.guild_id
        )
        try:
            message = await channel.send(content=content, embeds=embeds, allowed_mentions=NONE)  # type: ignore[union-attr]
        except discord.HTTPException as e:
            await store.release_posts(follow.id, ids)
            reason = disabling_reason(e)
            if reason is None:
                log.warning("follow %d: could not post in %d (%s); retrying at the next check", follow.id,
                            follow.channel_id, e)  # fmt: skip
                self._retry = True
                return 0
            log.warning("follow %d (%r) disabled: %s (channel %d, server %d)", follow.id, follow.query, reason,
                        follow.channel_id, follow.guild_id)  # fmt: skip
            await store.disable_follow(follow.id, reason)
            return 0
        await store.confirm_posts(follow.id, ids, message.id, upto, at)
        return 1

    # Commands --------------------------------------------------------------------------------------------------

    def _allowed(self, interaction: discord.Interaction) -> str | None:
        """None when the member may change follows here, else the refusal."""
        need = self.bot.settings.follow_permission
        if need == "everyone" or getattr(interaction.permissions, need, False):
            return None
        return f"Following topics in this server needs {WHO.get(need, need)}: ask someone who has it."

    async def _say(self, interaction: discord.Interaction, text: str) -> None:
        await _views.follow(interaction, fmt.fit(text, fmt.CONTENT, lambda t: t), ephemeral=True, allowed_mentions=NONE)

    @app_commands.command()
    @app_commands.describe(
        query='What to follow: words, "exact phrase", -exclude, source:cnn.com, title:word',
        channel="Where new articles are posted (default: this channel)",
    )
    @app_commands.guild_only()
    async def follow(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, MAX_QUERY],
        channel: discord.TextChannel | discord.Thread | None = None,
    ) -> None:
        """Follow a topic: new articles that match it are posted in a channel as they reach the archive."""
        assert interaction.guild_id is not None  # guild_only
        refusal = self._allowed(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if refusal:
            await self._say(interaction, refusal)
            return
        text = " ".join(query.split())
        if check_query(text).empty:
            await self._say(interaction, f"Tell me at least one word to look for (exclusions alone match nothing), "
                            f"e.g. {EXAMPLE}.")  # fmt: skip
            return
        where = channel.id if channel is not None else interaction.channel_id
        assert where is not None
        if channel is not None and not _member_can_post(interaction, where):
            # Otherwise a member could send a topic's posts into a channel they cannot see or write in.
            await self._say(
                interaction, "You can only follow a topic in a channel where you can see and send messages."
            )
            return
        follow, status = await self.bot.store.add_follow(
            interaction.guild_id, where, text, interaction.user.id, self.max_follows
        )
        if follow is None:
            await self._say(interaction, f"This server follows {self.max_follows} topics already, the most it can: "
                            "remove one with `/unfollow` first.")  # fmt: skip
            return
        shown = fmt.fit(follow.query, 300)
        if status == "exists":
            await self._say(interaction, f"<#{where}> already follows **{shown}** (follow #{follow.id}).")
            return
        log.info("follow %d added by %s in %s: %r", follow.id, interaction.user.id, interaction.guild_id, text)
        await self._say(
            interaction,
            f"Following **{shown}** in <#{where}> (follow #{follow.id}). New matching articles are posted there "
            f"once, grouped, at most {HOURLY_CAP} messages an hour. `/follows` lists them, `/unfollow` stops one.",
        )

    @app_commands.command()
    @app_commands.describe(follow="The follow to stop (pick it from the list, or type its number)")
    @app_commands.guild_only()
    async def unfollow(self, interaction: discord.Interaction, follow: str) -> None:
        """Stop following a topic in this server."""
        assert interaction.guild_id is not None  # guild_only
        refusal = self._allowed(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if refusal:
            await self._say(interaction, refusal)
            return
        number = follow.strip().lstrip("#")
        removed = None
        if number.isascii() and number.isdigit() and len(number) < 19:
            removed = await self.bot.store.remove_follow(interaction.guild_id, int(number))
        if removed is None:
            await self._say(interaction, "No such follow in this server: `/follows` lists them with their numbers.")
            return
        log.info("follow %d removed by %s: %r", removed.id, interaction.user.id, removed.query)
        shown = fmt.fit(removed.query, 300)
        await self._say(interaction, f"Stopped following **{shown}** in <#{removed.channel_id}>.")

    @unfollow.autocomplete("follow")
    async def _follow_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        typed = current.strip().casefold()
        choices = []
        for f in await self.bot.store.follows(interaction.guild_id):
            channel = self.bot.get_channel(f.channel_id)
            where = f"#{getattr(channel, 'name', None) or f.channel_id}"
            name = fmt.squash(f"#{f.id} {f.query} — {where}")
            if typed and typed not in name.casefold():
                continue
            cut = name if len(name) <= fmt.CHOICE_NAME else name[: fmt.CHOICE_NAME - 1] + fmt.ELLIPSIS
            choices.append(app_commands.Choice(name=cut, value=str(f.id)))
        return choices[: fmt.CHOICES]

    @app_commands.command()
    @app_commands.guild_only()
    async def follows(self, interaction: discord.Interaction) -> None:
        """The topics this server follows: query, channel, since when, last post."""
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = await self.bot.store.follows(interaction.guild_id)
        if not rows:
            await self._say(interaction, f"This server follows no topic yet. Start with {EXAMPLE}.")
            return
        lines = []
        for f in rows:
            last = _when(f.last_post_at) if f.last_post_at else "nothing posted yet"
            since = _when(f.created_at)
            line = f"**#{f.id}** {fmt.fit(f.query, 80)} → <#{f.channel_id}> · since {since} · last post {last}"
            if f.disabled_reason:
                line += f"\n⚠ disabled: {fmt.fit(f.disabled_reason, 120)}. `/unfollow` it and follow again."
            lines.append(line)
        embed = discord.Embed(title=f"Followed topics: {len(rows)} of at most {self.max_follows}", colour=fmt.COLOUR)
        embed.description = fmt.fit_lines(lines, fmt.DESCRIPTION - 100)
        shown = embed.description.count("**#")
        if shown < len(rows):  # very long lists: say so rather than drop follows silently
            embed.description += f"\n…and {len(rows) - shown} more: the `/unfollow` list shows them all."
        await _views.follow(interaction, embed=fmt.enforce(embed), ephemeral=True, allowed_mentions=NONE)


def _stamp(moment: datetime) -> str:
    """A UTC time as the store writes it (ISO, seconds): stored times compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _when(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return fmt.escape(stamp)
    return discord.utils.format_dt(moment.replace(tzinfo=moment.tzinfo or UTC), "R")


async def setup(bot: NewsBot) -> None:
    """Load the Follows cog."""
    await bot.add_cog(Follows(bot))
