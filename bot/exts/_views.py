"""Buttons under answers, search results and articles: paging for the asker, article and feedback for all."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot import errors
from bot.exts import _answers, _followup
from bot.render import format as fmt

if TYPE_CHECKING:
    from bot.bot import NewsBot

log = logging.getLogger(__name__)

TIMEOUT = 600.0  # seconds; under the 15 minutes an interaction token lasts, so the expiry edit still works
NONE = discord.AllowedMentions.none()
Callback = Callable[[discord.Interaction], Awaitable[Any]]
SHARED_BY = "-# Shared by {user}, who asked privately"
# What a 👎 can say was wrong (stored as the key; `newsbot feedback` lists them).
REASONS = {"wrong": "Wrong answer", "outdated": "Outdated", "missing": "Not in the archive", "other": "Other"}
COMMENT_CHARS = 500


async def follow(interaction: discord.Interaction, *args: Any, **kwargs: Any) -> Any:
    """Send a follow-up and mark the interaction answered (the error handler then leaves the answer alone)."""
    message = await interaction.followup.send(*args, **kwargs)
    interaction.extras["answered"] = True
    return message


def expired_note(timeout: float) -> str:
    minutes = max(1, round(timeout / 60))
    return f"-# Buttons expired after {minutes} minute{'s' if minutes != 1 else ''} — ask again for more."


class BaseView(discord.ui.View):
    """Buttons with an owner (the asker), one error handler, and an expiry that disables them and says so."""

    def __init__(self, bot: NewsBot, owner_id: int, *, command: str = "/ask", timeout: float | None = None) -> None:
        super().__init__(timeout=timeout or getattr(bot, "view_timeout", TIMEOUT))
        self.bot = bot
        self.owner_id = owner_id
        self.command = command  # what someone else should run to get pages of their own
        self.message: discord.Message | discord.WebhookMessage | None = None
        self.owner_only: set[str] = set()

    def button(
        self,
        action: str,
        key: object,
        callback: Callback,
        *,
        label: str | None = None,
        emoji: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        owner_only: bool = False,
        disabled: bool = False,
    ) -> discord.ui.Button:
        """Add a button whose custom_id is "nb:<action>:<key>"."""
        cid = fmt.custom_id(action, key)
        item: discord.ui.Button = discord.ui.Button(
            label=label, emoji=emoji, style=style, custom_id=cid, disabled=disabled
        )
        item.callback = callback  # type: ignore[method-assign]
        self.add_item(item)
        if owner_only:
            self.owner_only.add(cid)
        return item

    def attach(self, message: discord.Message | discord.WebhookMessage) -> None:
        """Remember the message the buttons are on (for the expiry edit and for spotting expired buttons)."""
        self.message = message
        self.bot.live_views[message.id] = self

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        cid = (interaction.data or {}).get("custom_id")
        if cid in self.owner_only and interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                f"Only the person who asked can page these results — run {self.command} to get your own.",
                ephemeral=True,
                allowed_mentions=NONE,
            )
            return False
        return True

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is None:
            return
        self.bot.live_views.pop(self.message.id, None)
        try:
            await self.message.edit(content=expired_note(self.timeout or TIMEOUT), view=self, allowed_mentions=NONE)
        except discord.HTTPException as e:
            log.info("could not mark buttons of message %s as expired: %s", self.message.id, e)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await errors.report(interaction, error)


class AskView(BaseView):
    """Under an answer: More (the asker's next passages), Article (the first cited article), 👍 / 👎 feedback."""

    def __init__(self, bot: NewsBot, req: _answers.AskRequest, ans: _answers.Reply) -> None:
        super().__init__(bot, req.user_id)
        self.req = req
        self.article_id = ans.top_article
        qid = req.query_id
        self.more = self.button(
            "more", qid, self.on_more, label="More", style=discord.ButtonStyle.primary, owner_only=True
        )
        self.article = self.button("article", qid, self.on_article, label="Article")
        self.button("up", qid, self.on_up, emoji="👍")
        self.button("down", qid, self.on_down, emoji="👎")
        self.reply = ans
        self.share: discord.ui.Button | None = None
        if req.private:  # a private answer can be posted for the channel to see, by the asker
            self.share = self.button("share", qid, self.on_share, label="Share in channel", owner_only=True)
        self.sync(ans)

    def sync(self, ans: _answers.Reply) -> None:
        """Enable only what makes sense for the page shown."""
        self.more.disabled = not ans.has_more
        self.article.disabled = ans.top_article is None
        self.article_id = ans.top_article
        self.reply = ans

    async def on_share(self, interaction: discord.Interaction) -> None:
        """Post the page shown publicly, attributed to the asker (named, not pinged); the button then retires."""
        await interaction.response.defer()
        text = SHARED_BY.format(user=interaction.user.mention)
        shared = await follow(
            interaction, text, embed=self.reply.embed, ephemeral=False, wait=True, allowed_mentions=NONE
        )
        if self.share is not None:
            self.share.disabled = True
            self.share.label = "Shared"
        await interaction.edit_original_response(view=self, allowed_mentions=NONE)
        await _followup.remember(self.bot, self.req, self.reply, [shared.id])  # replies to it follow up on it

    async def on_more(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        shown = self.reply.answer
        self.req = self.req.next_page(shown.ranked if shown is not None and shown.ranked else _answers.PASSAGES)
        ans = await _answers.answer(self.bot, self.req, log_surface="more", log_id=interaction.id)
        self.sync(ans)
        await interaction.edit_original_response(embed=ans.embed, view=self, allowed_mentions=NONE)

    async def on_article(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if self.article_id is None:
            raise errors.ArticleGone()
        await send_article(self.bot, interaction, self.article_id, ephemeral=True)

    async def on_up(self, interaction: discord.Interaction) -> None:
        await self._feedback(interaction, 1)

    async def on_down(self, interaction: discord.Interaction) -> None:
        # The form must be the first response; the vote is stored after it, so closing the form still counts it.
        await interaction.response.send_modal(WhyModal(self.bot, self.req.query_id))
        try:
            await self.bot.store.add_feedback(self.req.query_id, interaction.user.id, -1)
        except (LookupError, sqlite3.OperationalError) as e:
            log.info("thumbs down on question %s not stored: %s", self.req.query_id, e)

    async def _feedback(self, interaction: discord.Interaction, value: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await self.bot.store.add_feedback(self.req.query_id, interaction.user.id, value)
        except LookupError as e:
            raise errors.NewsbotError("I couldn't save that: this question was not logged. Thanks all the same!") from e
        thanks = "Thanks — glad it helped." if value > 0 else "Thanks — noted. Try /search to dig further."
        await follow(interaction, thanks, ephemeral=True, allowed_mentions=NONE)


class WhyModal(discord.ui.Modal):
    """The form a 👎 opens: what was wrong (a choice) and, optionally, what the user wants to add."""

    def __init__(self, bot: NewsBot, query_id: int) -> None:
        super().__init__(
            title="What was wrong with the answer?", timeout=TIMEOUT, custom_id=fmt.custom_id("why", query_id)
        )
        self.bot = bot
        self.query_id = query_id
        self.reason: discord.ui.Select = discord.ui.Select(
            options=[discord.SelectOption(label=label, value=key) for key, label in REASONS.items()],
            placeholder="Choose one",
        )
        self.comment: discord.ui.TextInput = discord.ui.TextInput(
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=COMMENT_CHARS,
            placeholder="What were you looking for? (optional)",
        )
        self.add_item(discord.ui.Label(text="Reason", component=self.reason))
        self.add_item(discord.ui.Label(text="Anything to add?", component=self.comment))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reason = self.reason.values[0] if self.reason.values else "other"
        comment = (self.comment.value or "").strip() or None
        try:
            await self.bot.store.add_feedback(self.query_id, interaction.user.id, -1, reason=reason, comment=comment)
        except LookupError as e:
            raise errors.NewsbotError("I couldn't save that: this question was not logged. Thanks all the same!") from e
        text = f"Thanks — noted ({REASONS.get(reason, 'Other').lower()}). Try /search to dig further."
        await follow(interaction, text, ephemeral=True, allowed_mentions=NONE)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await errors.report(interaction, error)


class PagerView(BaseView):
    """Previous / Next for the owner, over pages produced by ``render(page) -> Embed`` (async)."""

    def __init__(
        self,
        bot: NewsBot,
        owner_id: int,
        key: object,
        render: Callable[[int], Awaitable[tuple[discord.Embed, bool]]],
        *,
        page: int = 0,
        has_next: bool = False,
        command: str = "/search",
    ) -> None:
        super().__init__(bot, owner_id, command=command)
        self.page = page
        self.render = render
        self.prev = self.button("prev", key, self.on_prev, label="Previous", owner_only=True, disabled=page == 0)
        self.next = self.button("next", key, self.on_next, label="Next", owner_only=True, disabled=not has_next)

    async def _go(self, interaction: discord.Interaction, page: int) -> None:
        await interaction.response.defer()
        embed, has_next = await self.render(page)
        self.page = page
        self.prev.disabled = page == 0
        self.next.disabled = not has_next
        await interaction.edit_original_response(embed=embed, view=self, allowed_mentions=NONE)

    async def on_prev(self, interaction: discord.Interaction) -> None:
        await self._go(interaction, max(0, self.page - 1))

    async def on_next(self, interaction: discord.Interaction) -> None:
        await self._go(interaction, self.page + 1)


async def send_article(bot: NewsBot, interaction: discord.Interaction, article_id: int, *, ephemeral: bool) -> None:
    """Follow up a deferred interaction with one article, its body paged if long.

    Raises:
        ArticleGone: the article is no longer stored.
    """
    article = await bot.store.get_article(article_id)
    if article is None:
        raise errors.ArticleGone()
    pages = fmt.article_pages(article.paragraphs)
    as_of = interaction.created_at

    async def render(page: int) -> tuple[discord.Embed, bool]:
        page = min(page, len(pages) - 1)
        return fmt.article_embed(article, page, pages, as_of=as_of), page + 1 < len(pages)

    embed, has_next = await render(0)
    if len(pages) <= 1:
        await follow(interaction, embed=embed, ephemeral=ephemeral, allowed_mentions=NONE)
        return
    key = f"art{article.id}:{interaction.id}"
    view = PagerView(bot, interaction.user.id, key, render, has_next=has_next, command="/article")
    msg = await follow(interaction, embed=embed, view=view, ephemeral=ephemeral, wait=True, allowed_mentions=NONE)
    view.attach(msg)
