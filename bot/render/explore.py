"""Discord rendering for exploring the archive: coverage of a message, related articles, timelines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import discord

from bot.render import format as fmt
from index.models import Hit

_DISCORD_TOKEN = re.compile(r"<(?:@[!&]?|#|a?:\w+:|t:)\d+(?::\w)?>|<?https?://\S+>?", re.IGNORECASE)
_MARKUP = re.compile(r"[*_~`|>#]+|\[|\]\((?:<)?https?://[^)]*\)")


def message_text(message: discord.Message) -> str:
    """What a message says: its text, else (or also) its embeds' titles, descriptions and fields, in plain words.

    Mentions, channel and emoji tokens, links and markdown marks are dropped: they are not words to search.
    """
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name} {f.value}" for f in embed.fields]
    text = " ".join(p for p in parts if p)
    text = _DISCORD_TOKEN.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split())


def article_lines(hits: Sequence[Hit], *, as_of: datetime | None, per: int = 360) -> list[str]:
    """One line per article: number, linked headline, outlet and date (with its age)."""
    lines = []
    for i, hit in enumerate(hits, start=1):
        outlet = fmt.fit(hit.outlet or "unknown outlet", 60)
        head = f"**{i}.** {fmt.link(hit.title or '(untitled)', hit.url, per - 100)} — {outlet}"
        lines.append(f"{head} · {fmt.date_label(hit.published, as_of)}")
    return lines


def articles_embed(
    title: str,
    hits: Sequence[Hit],
    *,
    as_of: datetime | None,
    intro: str | None = None,
    empty: str = "Nothing in the archive matches; try /search with a few words of your own.",
    footer: str | None = None,
) -> discord.Embed:
    """A list of articles (coverage of a message, related articles): linked headlines with outlet and date."""
    embed = discord.Embed(title=fmt.fit(title, fmt.TITLE), colour=fmt.COLOUR if hits else fmt.NO_MATCH_COLOUR)
    lines = [f"-# {intro}"] if intro else []  # already rendered by the caller (it may hold a link)
    lines += article_lines(hits, as_of=as_of) if hits else [empty]
    embed.description = fmt.fit_lines(lines, fmt.DESCRIPTION)
    if footer:
        embed.set_footer(text=fmt.fit(footer, fmt.FOOTER, lambda t: t))
    return fmt.enforce(embed)
