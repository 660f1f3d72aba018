"""Mentions and DMs: "@newsbot question" in an enabled channel, or any DM, is answered like /ask, as a reply."""

from __future__ import annotations

import logging
import re

import discord
from discord.ext import commands

from bot import errors
from bot.bot import NewsBot
from bot.exts import _answers, _followup, _views
from bot.store import Conversation

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
COURTESY = frozenset(
    {"thanks", "thank", "you", "thx", "ty", "ok", "okay", "cool", "great", "nice", "perfect", "got", "it"}
)


def guild_of(message: discord.Message) -> int | None:
    """The server a message was posted in (also when the server is not cached), or None for a DM."""
    if message.guild is not None:
        return message.guild.id
    return getattr(message.channel, "guild_id", None)


class Mentions(commands.Cog):
    """Answers to messages that mention the bot, and to DMs."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    def question(self, message: discord.Message) -> str | None:
        """The question in a message meant for the bot, or None when the message is not for it."""
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None or message.author.id == me.id:
            return None
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None
        guild_id = guild_of(message)
        if guild_id is None:
            text = message.content
        else:
            # A direct mention of the bot counts (not @everyone), and so does a reply to one of its messages that
            # pings it: Discord sends the text of both without the Message Content intent.
            direct = me.id in message.raw_mentions and re.search(rf"<@!?{me.id}>", message.content) is not None
            pinged = any(user.id == me.id for user in message.mentions)
            if not (direct or (pinged and self.replies_to_me(message))):
                return None
            settings = self.bot.store.guild_settings(guild_id)
            parent = getattr(message.channel, "parent_id", None)
            if not settings.answers_in(message.channel.id, parent):
                return None
            text = re.sub(rf"<@!?{me.id}>", " ", message.content)
        text = " ".join(text.split())
        # "Thanks!" in reply to an answer closes the conversation; it is not a question to search.
        if self.replies_to_me(message) and set(re.findall(r"\w+", text.lower())) <= COURTESY:
            return None
        return text

    def replies_to_me(self, message: discord.Message) -> bool:
        """Whether ``message`` replies to one of the bot's own messages."""
        ref = message.reference
        if ref is None or ref.message_id is None or self.bot.user is None:
            return False
        resolved = ref.resolved
        return isinstance(resolved, discord.Message) and resolved.author.id == self.bot.user.id

    async def context(self, message: discord.Message) -> tuple[Conversation | None, list[int]]:
        """The conversation a message continues, and the thread anchors its context is kept under.

        A reply to an answer continues that answer's conversation; a mention in a thread opened from an answer
        continues the thread's.
        """
        # A thread opened from an answer has the answer's id, so its context is kept under the channel id; the
        # thread may not be cached (it is then a PartialMessageable), so every channel is looked up.
        thread = await self.bot.store.conversation(message.channel.id)
        anchors = [message.channel.id] if thread is not None else []
        ref = message.reference
        if ref is not None and ref.message_id is not None:
            convo = await self.bot.store.conversation(ref.message_id)
            if convo is not None:
                return convo, anchors
        return thread, anchors

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        question = self.question(message)
        if question is None:
            return
        try:
            await self.reply(message, question)
        except Exception as e:
            await self.report(message, e)

    async def reply(self, message: discord.Message, question: str) -> None:
        wait = self.bot.cooldowns.retry_after(message.author.id)
        if wait:
            await message.reply(
                f"Easy there — you can ask again in {max(1, round(wait))} s.",
                mention_author=False,
                allowed_mentions=NONE,
            )
            return
        req = _answers.AskRequest(
            question=question,
            as_of=message.created_at,
            user_id=message.author.id,
            query_id=message.id,
            surface="dm" if guild_of(message) is None else "mention",
            guild_id=guild_of(message),
            channel_id=message.channel.id,
        )
        convo, anchors = await self.context(message)
        if convo is not None:
            follow = _followup.follow_up(question, convo)
            note = _followup.note(follow, had_context=True, expired=convo.expired())
            req = _followup.apply(req, follow, note)
        req = _answers.limit_to_channel(self.bot, req, getattr(message.channel, "parent_id", None))
        ans = await _answers.answer(self.bot, req)
        if ans.answer is None:
            await message.reply(embed=ans.embed, mention_author=False, allowed_mentions=NONE)
            return
        view = _views.AskView(self.bot, req, ans)
        sent = await message.reply(embed=ans.embed, view=view, mention_author=False, allowed_mentions=NONE)
        view.attach(sent)
        await _followup.remember(self.bot, req, ans, [sent.id, *anchors])

    async def report(self, message: discord.Message, error: BaseException) -> None:
        """The mentions counterpart of the interaction error handler: a short reply, details in the log."""
        text, expected = errors.describe(error)
        where = f"message={message.id} user={message.author.id} guild={guild_of(message)} "
        where += f"channel={message.channel.id}"
        if expected:
            log.info("%s: %s (%s)", type(error).__name__, error, where)
        else:
            log.error("mention failed (%s)", where, exc_info=error)
        try:
            await message.reply(text, mention_author=False, allowed_mentions=NONE)
        except discord.HTTPException as e:
            log.warning("could not tell the user about the error (%s; %s)", e, where)


async def setup(bot: NewsBot) -> None:
    """Load the Mentions cog."""
    await bot.add_cog(Mentions(bot))
