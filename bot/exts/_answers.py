"""The question -> cited answer path shared by /ask, mentions, DMs and the "More" button."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import discord

from bot import errors, search_worker
from bot.render import format as fmt
from bot.store import QueryLogEntry
from index.answer.compose import PASSAGES
from index.models import Answer, Query
from index.search.query import normalise_source

if TYPE_CHECKING:
    from bot.bot import NewsBot

log = logging.getLogger(__name__)

EMPTY_QUESTION = (
    "Ask me a question about the news, for example `/ask question: what did the council decide about the budget?`"
)


@dataclass(slots=True)
class AskRequest:
    """One question and everything needed to answer it again for the next page."""

    question: str
    as_of: datetime  # the interaction's or message's timestamp: the search never sees later articles
    user_id: int
    query_id: int  # the interaction or message id: also the query_log row id, so buttons can name it
    surface: str = "slash"  # slash | mention | dm
    guild_id: int | None = None
    channel_id: int | None = None
    sources: list[str] = field(default_factory=list)
    after: date | None = None
    before: date | None = None
    private: bool = False
    offset: int = 0
    search: str | None = None  # what is searched when it is not the question itself (a follow-up's carried words)
    window: tuple[date, date] | None = None  # a follow-up's carried time window (its own time words win)
    note: str | None = None  # said above the answer (what a follow-up searched for)

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``Searcher.search`` (and ``window`` for the search worker)."""
        options: dict[str, Any] = {
            "offset": self.offset,
            "sources": self.sources or None,
            "after": self.after,
            "before": self.before,
            "as_of": self.as_of,
        }
        if self.window is not None:
            options["window"] = self.window
        return options

    def next_page(self, ranked: int = PASSAGES) -> AskRequest:
        """The same question, the following passages: after the ``ranked`` hits this page showed (its articles;
        ``Answer.ranked``), so an article is not skipped when a page showed another passage of one of them."""
        return replace(self, offset=self.offset + ranked)


@dataclass(slots=True)
class Reply:
    """What a question produced: the rendered embed and the answer behind it."""

    embed: discord.Embed
    answer: Answer | None  # None for a blank question
    more: bool = False  # the search found hits beyond this page
    query: Query | None = None  # the query as searched (its words and time window carry into follow-ups)

    @property
    def has_more(self) -> bool:
        """Whether "More" has a next page to show (never under a "no good match" reply)."""
        return self.answer is not None and self.answer.answered and self.more

    @property
    def top_article(self) -> int | None:
        """The first cited article (or closest headline), for the Article button."""
        if self.answer is None:
            return None
        # A "no good match" reply opens its closest headline.
        cited = [p.citation for p in self.answer.passages] or self.answer.closest
        return cited[0].article_id if cited else None


def log_interaction(
    bot: NewsBot,
    interaction: discord.Interaction,
    surface: str,
    query: str,
    as_of: datetime,
    *,
    took_ms: float,
    n_results: int,
    passage_ids: list[int] | None = None,
) -> None:
    """Queue an interaction's question for the query log: who asked where, and what it found."""
    bot.store.log_query(
        QueryLogEntry(
            id=interaction.id,
            surface=surface,
            query=query,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_id=interaction.user.id,
            as_of=as_of.isoformat(),
            took_ms=took_ms,
            n_results=n_results,
            results=passage_ids or [],
        )
    )


def empty_embed() -> discord.Embed:
    """The reply to a blank question."""
    return discord.Embed(title="What would you like to know?", description=EMPTY_QUESTION, colour=fmt.NO_MATCH_COLOUR)


async def answer(bot: NewsBot, req: AskRequest, *, log_surface: str | None = None, log_id: int | None = None) -> Reply:
    """Search and compose the answer off the event loop, log the question, and render the answer embed.

    Args:
        bot: the running bot (its engine and store).
        req: the question.
        log_surface: the query-log surface (default ``req.surface``; "more" for later pages).
        log_id: the query-log row id (default ``req.query_id``; a "More" press logs under its own interaction).

    Raises:
        IndexNotReady: nothing is indexed yet.
        IndexBusy: the index moved under the search twice.
    """
    if not req.question.strip():
        return Reply(empty_embed(), None)
    results, composed, more = await bot.engine.run(
        search_worker.search_and_compose, req.search or req.question, PASSAGES, req.options(), req.question
    )
    bot.store.log_query(
        QueryLogEntry(
            id=log_id or req.query_id,
            surface=log_surface or req.surface,
            query=req.question,
            guild_id=req.guild_id,
            channel_id=req.channel_id,
            user_id=req.user_id,
            as_of=req.as_of.isoformat(),
            took_ms=results.took_ms,
            n_results=results.total,
            results=[h.passage_id for h in results.hits],
        )
    )
    embed = fmt.answer_embed(composed)
    if req.note:
        notes = "\n".join(f"-# {fmt.fit(line, 400)}" for line in req.note.split("\n") if line.strip())
        embed.description = f"{notes}\n{embed.description or ''}"
        fmt.enforce(embed)
    return Reply(embed, composed, more, results.query)


def limit_to_channel(bot: NewsBot, req: AskRequest, parent_id: int | None = None) -> AskRequest:
    """``req`` limited to the outlets its channel (or the thread's parent) answers from, said above the answer.

    Raises:
        BadInput: the question names a source outside the channel's outlets.
    """
    limit = bot.store.guild_settings(req.guild_id).sources_in(req.channel_id, parent_id)
    if not limit:
        return req
    names = ", ".join(limit)
    allowed = {normalise_source(s) for s in limit}
    chosen = [normalise_source(s) for s in req.sources] or sorted(allowed)
    if not set(chosen) <= allowed:
        raise errors.BadInput(
            f"This channel answers only from {fmt.fit(names, 300)}: pick one of those as the source, or ask in "
            "another channel."
        )
    note = f"This channel's answers come only from: {names} (set with /config)."
    return replace(req, sources=chosen, note="\n".join(n for n in (req.note, note) if n))
