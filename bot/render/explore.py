"""Discord rendering for exploring the archive: coverage of a message, related articles, timelines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import discord

from bot.render import format as fmt
from index.models import Hit
from index.search.timeline import Timeline, label, summary

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


def timeline_embed(query: str, line: Timeline, *, as_of: datetime | None, chart: str | None) -> discord.Embed:
    """/timeline: the plain summary (what a screen reader reads), the chart image, each peak's top headline linked."""
    has = bool(line.total)
    embed = discord.Embed(
        title=fmt.fit(f"Timeline: {query}", fmt.TITLE), colour=fmt.COLOUR if has else fmt.NO_MATCH_COLOUR
    )
    lines = [fmt.fit(summary(line, query), 1500)]
    if line.peaks and sum(1 for c in line.counts if c) > 1:
        lines.append("\n**Peaks** (the top story of each):")
    elif line.peaks:
        lines.append("\n**Top story:**")
    for p in line.peaks:
        when = label(p.start, line.unit)
        count = f"{p.count} article{'s' if p.count != 1 else ''}"
        if p.top is None:
            lines.append(f"• {when} — {count}")
            continue
        outlet = fmt.fit(p.top.outlet or "unknown outlet", 60)
        head = fmt.link(p.top.title or "(untitled)", p.top.url, 400)
        lines.append(f"• {when} — {count}: {head} — {outlet}, {fmt.date_label(p.top.published, as_of)}")
    if not has:
        lines.append("Try fewer words (every word must be in an article), or remove `after`/`before`.")
    embed.description = fmt.fit_lines(lines, fmt.DESCRIPTION)
    if chart:
        embed.set_image(url=f"attachment://{chart}")
    if has:
        embed.set_footer(text=f"Articles per {line.unit} · each story once · {line.took_ms:.0f} ms")
    return fmt.enforce(embed)


def chart_alt(query: str, line: Timeline) -> str:
    """The chart's alt text (Discord allows 1,024 characters): what it shows, in words."""
    return fmt.fit(f"Bar chart of articles per {line.unit} about {query}. {summary(line, query)}", 1024, lambda t: t)
