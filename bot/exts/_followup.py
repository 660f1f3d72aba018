"""Follow-ups: whether a reply carries the earlier question's topic, filters and time window, and what it searches."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from bot.exts._answers import AskRequest, Reply
from bot.store import Conversation
from index.models import Query
from index.tokenize import tokenize, tokenize_spans

if TYPE_CHECKING:
    from bot.bot import NewsBot

log = logging.getLogger(__name__)

MAX_TOPIC_WORDS = 12  # a long conversation keeps its latest words, not an ever longer query
# Words that point back at the earlier question ("how much will *it* cost?"): the follow-up needs its topic.
BACK_REFERENCES = frozenset(
    {"it", "its", "it's", "they", "them", "their", "theirs", "that", "this", "these", "those", "there"}
    | {"he", "she", "him", "his", "her", "hers", "such", "same"}
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How a follow-up is searched: its own words plus, when carried, the earlier topic, filters and window."""

    carried: bool
    search: str  # the text searched (the follow-up, then the earlier topic words when carried)
    topic: tuple[str, ...] = ()  # the earlier words added
    sources: tuple[str, ...] = ()
    after: date | None = None
    before: date | None = None
    window: tuple[date, date] | None = None
    earlier: str = ""  # the earlier question, for the note under the answer


def topic_words(text: str, query: Query | None) -> tuple[str, ...]:
    """The words of ``text`` that were searched (as typed): stopwords, operators and time words left out."""
    if query is None:
        return ()
    scored = set(query.terms) | set(query.title_terms)
    out: dict[tuple[str, ...], str] = {}
    for start, end, terms in tokenize_spans(text):
        word = text[start:end].strip("\"'“”‘’()[]{}.,;:!?")
        if word and ":" not in word and all(t in scored for t in terms):
            out.setdefault(terms, word)
    return tuple(out.values())[-MAX_TOPIC_WORDS:]


def names_new_topic(text: str, earlier: tuple[str, ...]) -> bool:
    """Whether a follow-up names a topic of its own (then it starts afresh) rather than leaning on the earlier one.

    In order: a word shared with the earlier topic continues it; a capitalised word inside the sentence (a name)
    that the earlier topic lacks starts a new one; a word pointing back ("it", "they", "that") continues; three or
    more words of substance start a new one; anything shorter ("and the cost?") continues.
    """
    own = set(tokenize(text))
    before = {t for w in earlier for t in tokenize(w)}
    if own & before:
        return False
    words = _WORD.findall(text)
    if any(w[0].isupper() and not set(tokenize(w)) <= before for w in words[1:]):
        return True
    if any(w.lower() in BACK_REFERENCES for w in words):
        return False
    return len(own) >= 3


def follow_up(text: str, convo: Conversation | None) -> FollowUp:
    """How to search a follow-up ``text`` to the conversation ``convo`` (None or expired: on its own)."""
    if convo is None or convo.expired() or names_new_topic(text, convo.topic):
        return FollowUp(False, text, earlier=convo.question if convo else "")
    own = set(tokenize(text))
    added = tuple(w for w in convo.topic if not set(tokenize(w)) <= own)
    search = " ".join([text, *added]).strip()
    return FollowUp(
        True,
        search,
        added,
        convo.sources,
        convo.after,
        convo.before,
        convo.window,
        convo.question,
    )


def note(follow: FollowUp, *, had_context: bool, expired: bool) -> str | None:
    """The line above a follow-up's answer that says what it searched for (None for a question on its own)."""
    if follow.carried:
        return f"Follow-up to “{follow.earlier}” — searched for: {follow.search}"
    if expired:
        return "The earlier conversation has expired, so this was searched on its own."
    if had_context:
        return "A new topic, so this was searched on its own."
    return None


def context_of(req: AskRequest, reply: Reply) -> Conversation | None:
    """What a later follow-up to this answer carries: its searched words, filters and time window."""
    q = reply.query
    if reply.answer is None or q is None:
        return None
    return Conversation(
        query_id=req.query_id,
        question=req.question,
        topic=topic_words(req.search or req.question, q),
        sources=tuple(dict.fromkeys([*req.sources, *q.sources])),
        after=max([d for d in (req.after, q.after) if d], default=None),
        before=min([d for d in (req.before, q.before) if d], default=None),
        window=q.window,
        guild_id=req.guild_id,
        channel_id=req.channel_id,
        user_id=req.user_id,
    )


async def remember(bot: NewsBot, req: AskRequest, reply: Reply, anchors: list[int]) -> None:
    """Keep the answer's context under ``anchors`` (its message, its thread); a locked database only loses it."""
    convo = context_of(req, reply)
    if convo is None or not anchors:
        return
    # Queued with the query log, not written at once: a commit per answer was a good share of the bot's own work
    # under load, and nobody waits for it (a follow-up's read of it waits for the queue).
    bot.store.keep_conversation(convo, anchors)


def apply(req: AskRequest, follow: FollowUp, note_text: str | None) -> AskRequest:
    """``req`` searched as the follow-up says: carried words, filters and window added (the user's own win)."""
    if not follow.carried:
        return replace(req, note=note_text)
    return replace(
        req,
        search=follow.search,
        sources=req.sources or list(follow.sources),
        after=req.after or follow.after,
        before=req.before or follow.before,
        window=follow.window,
        note=note_text,
    )
