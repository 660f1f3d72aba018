"""Discord rendering: escaped article text, cited answers and result lists, all within Discord's limits."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

import discord
from discord.utils import escape_markdown, escape_mentions

from index import dates
from index.dates import published_day
from index.models import Answer, AnswerPassage, Citation, Excerpt, Results

# Discord's limits (https://discord.com/developers/docs/resources/message and .../channel#embed-object-limits).
CONTENT = 2000
TITLE = 256
DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FIELDS = 25
FOOTER = 2048
AUTHOR = 256
EMBED_TOTAL = 6000  # title + description + field names and values + footer + author, over all embeds of a message
EMBEDS = 10
CUSTOM_ID = 100
CHOICE_NAME = 100
CHOICE_VALUE = 100
CHOICES = 25
BUTTON_LABEL = 80

ELLIPSIS = "…"
COLOUR = discord.Colour.from_rgb(47, 111, 186)
NO_MATCH_COLOUR = discord.Colour.from_rgb(150, 150, 150)

_WS = re.compile(r"\s+")
_URL = re.compile(r"(?:https?|steam|ftp)://[^\s<>]+", re.IGNORECASE)
# "<@123>", "<#1>", "<:emoji:1>", "<a:x:1>", "<t:1700000000>", "</cmd:1>", "<https://…>": Discord renders all of them.
_ANGLE = re.compile(r"<(?=[@#:/]|a:|t:|id:|https?:)", re.IGNORECASE)
_LINE_START = re.compile(r"^(\s*)(\d+)([.)]\s)")
_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’)\]]*(?=\s|$)|[。！？]")


def _is_cjk(ch: str) -> bool:
    """Scripts written without spaces: any character boundary is a word boundary there."""
    o = ord(ch)
    return (
        0x3040 <= o <= 0x30FF  # kana
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= o <= 0xD7AF  # Hangul
        or 0x0E00 <= o <= 0x0E7F  # Thai
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x3000 <= o <= 0x303F
    )


# Text ------------------------------------------------------------------------------------------------------------


def squash(text: str) -> str:
    """Collapse every run of whitespace (newlines included) into one space."""
    return _WS.sub(" ", text)


def escape_segment(text: str) -> str:
    """Escape text (no URLs in it) so Discord shows it literally: markdown, mentions and "<…>" tokens.

    Every markdown character is escaped wherever it is (not only "as needed"), so escaped pieces can be joined
    and wrapped in bold without one piece's "*" pairing with another's.
    """
    # escape_markdown escapes "[" only in a whole "[text](url)": brackets are set aside and every one escaped, so
    # no link can be assembled from pieces.
    text = text.replace("\x00", "").replace("\x01", "").replace("[", "\x00").replace("]", "\x01")
    text = escape_markdown(text, ignore_links=False)
    text = text.replace("\x00", "\\[").replace("\x01", "\\]")
    text = _ANGLE.sub(r"\\<", text)
    return escape_mentions(text)


def _url_code(url: str) -> str:
    """A URL shown as inline code: visible, but neither a link nor an embed."""
    if "`" in url:
        return escape_segment(url.replace("://", ":/\u200b/"))
    return f"`{url}`"


@functools.lru_cache(maxsize=8192)
def escape(text: str) -> str:
    """Article or user text made safe to show: whitespace squashed, markdown and mentions escaped, links inert.

    Raw URLs are shown as inline code, so article text cannot add links (masked or bare) to an answer.
    """
    text = squash(text)
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        url = m.group().rstrip(".,;:!?'\"")
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url.rstrip(")")
        out.append(escape_segment(text[pos : m.start()]))
        out.append(_url_code(url))
        pos = m.start() + len(url)
    out.append(escape_segment(text[pos:]))
    rendered = "".join(out)
    # A leading "1. " would render as a numbered list (escape_markdown handles "-", "#" and ">").
    return _LINE_START.sub(r"\1\2\\\3", rendered, count=1)


def _boundaries(text: str) -> list[int]:
    """Positions where text may be cut without splitting a word: before spaces, and between CJK characters."""
    cuts = []
    for i in range(1, len(text)):
        a, b = text[i - 1], text[i]
        if a.isspace():
            continue
        if b.isspace() or ((_is_cjk(a) or _is_cjk(b)) and not unicodedata.combining(b)):
            cuts.append(i)
    return cuts


def _sentence_ends(text: str) -> list[int]:
    return [m.end() for m in _SENTENCE_END.finditer(text)]


def fit(
    text: str,
    limit: int,
    render: Callable[[str], str] = escape,
    *,
    ellipsis: str = ELLIPSIS,
    prefer_sentence: float = 0.6,
) -> str:
    """Render ``text`` within ``limit`` characters, cutting the raw text at a sentence or word end if needed.

    The cut is made in the raw text and the prefix rendered again, so escapes and markup are never split; an
    ellipsis marks the cut. A sentence end is preferred when it keeps at least ``prefer_sentence`` of what fits.
    Only a single word longer than the limit is cut inside the word (there is nowhere else to cut).
    """
    rendered = render(text)
    if len(rendered) <= limit:
        return rendered
    if limit <= len(ellipsis):
        return ellipsis[:limit]

    def fits(end: int) -> bool:
        return len(render(text[:end].rstrip()) + ellipsis) <= limit

    cuts = _boundaries(text)
    best = _largest(cuts, fits)
    if best is not None:
        floor = int(best * prefer_sentence)
        ends = [e for e in _sentence_ends(text[:best]) if e >= floor]
        if ends:
            whole = render(text[: ends[-1]].rstrip()) + " " + ellipsis  # a finished sentence, then a spaced mark
            if len(whole) <= limit:
                return whole
        return render(text[:best].rstrip()) + ellipsis
    # One enormous word: cut between characters, never before a combining mark.
    chars = [i for i in range(1, len(text)) if not unicodedata.combining(text[i])]
    best = _largest(chars, fits)
    return (render(text[:best]) if best else "") + ellipsis


def _largest(positions: Sequence[int], ok: Callable[[int], bool]) -> int | None:
    """The largest position for which ``ok`` holds, assuming it holds for a prefix of ``positions``."""
    lo, hi = 0, len(positions) - 1
    found = None
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(positions[mid]):
            found = positions[mid]
            lo = mid + 1
        else:
            hi = mid - 1
    return found


def plain(text: str, limit: int) -> str:
    """User or article text for a title, name or line: escaped and fitted."""
    return fit(text, limit)


def marked(text: str, spans: Iterable[tuple[int, int]]) -> Callable[[str], str]:
    """A renderer for prefixes of ``text`` that shows ``spans`` (offsets into text) in bold.

    Each bold run is escaped on its own and closed where the prefix ends, so a cut never leaves "**" open.
    """
    spans = sorted((max(0, s), e) for s, e in spans if e > s)
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))

    def render(prefix: str) -> str:
        end = len(prefix)
        out: list[str] = []
        pos = 0
        for s, e in merged:
            if s >= end:
                break
            e = min(e, end)
            inner = prefix[s:e]
            core = inner.strip()
            if not core:
                continue
            lead = len(inner) - len(inner.lstrip())
            trail = len(inner) - len(inner.rstrip())
            out.append(escape(prefix[pos : s + lead]))
            # "**" next to a word character would not open bold in Discord; spans are whole words, so this holds.
            out.append(f"**{escape(core)}**")
            pos = e - trail
        out.append(escape(prefix[pos:]))
        return "".join(out)

    return render


def shown(text: str, highlights: Iterable[tuple[int, int]], part: Excerpt, limit: int) -> str:
    """The part of a passage an Answer shows (its excerpt, or its quote), matches in bold, within ``limit``.

    The words are the ones composed (``index.answer.compose``), as in the terminal; an ellipsis marks each side
    where text was left out, and the rendered text is cut further only if escaping pushed it over ``limit``.
    """
    body = text[part.start : part.end]
    spans = [(s - part.start, e - part.start) for s, e in highlights if e > part.start and s < part.end]
    lead = f"{ELLIPSIS} " if part.cut_before else ""
    tail = ""
    if part.cut_after:
        tail = f" {ELLIPSIS}" if _SENTENCE_END.search(body[-3:]) else ELLIPSIS
    render = marked(body, spans)
    whole = render(body)
    room = max(1, limit - len(lead) - len(tail))
    if len(whole) <= room:
        return lead + whole + tail
    # Escapes and bold marks made it too long: cut again, and let that cut carry the ellipsis.
    return lead + fit(body, max(1, limit - len(lead)), render)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable as a masked link or embed URL, or None (other schemes and odd characters refused)."""
    if not url:
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s<>()\[\]`]+$", url, re.IGNORECASE) or len(url) > 1000:
        return None
    return url


def link(text: str, url: str | None, limit: int) -> str:
    """``[text](url)``, text escaped and fitted so the whole link is within ``limit``; the text alone without a URL."""
    url = safe_url(url)
    if url is None:
        return fit(text, limit)
    room = limit - len(url) - 4
    if room < 10:
        return fit(text, limit)
    label = fit(text or url, room)
    return f"[{label}](<{url}>)"


# Dates -----------------------------------------------------------------------------------------------------------


def parse_published(published: str | None) -> date | None:
    """The UTC day of a stored ISO date or datetime, or None (the day every front end shows, see index.dates)."""
    return published_day(published)


def age(published: date, as_of: datetime | date) -> str:
    """How long before the as-of moment the article came out: "same day", "3 days earlier", "2 years earlier"."""
    return dates.age(published, as_of)


def date_label(published: str | None, as_of: datetime | date | None = None) -> str:
    """ "7 Jan 2022 (3 days earlier)", or "undated"."""
    d = parse_published(published)
    return day_label(d, age(d, as_of) if d is not None and as_of is not None else None)


def day_label(day: date | None, age: str | None = None) -> str:
    """A UTC publication day as shown, with its age when known: "7 Jan 2022 (3 days earlier)", or "undated"."""
    if day is None:
        return "undated"
    label = f"{day.day} {day.strftime('%b %Y')}"
    return f"{label} ({age})" if age is not None else label


# Embeds ----------------------------------------------------------------------------------------------------------


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts towards the 6,000 per message for this embed."""
    n = len(embed.title or "") + len(embed.description or "")
    n += sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    n += len(embed.footer.text or "") + len(embed.author.name or "")
    return n


def enforce(embed: discord.Embed) -> discord.Embed:
    """Bring any embed within every per-embed limit (a last guard; builders already fit their parts)."""
    if embed.title and len(embed.title) > TITLE:
        embed.title = _cut_rendered(embed.title, TITLE)
    if embed.description and len(embed.description) > DESCRIPTION:
        embed.description = _cut_rendered(embed.description, DESCRIPTION)
    while len(embed.fields) > FIELDS:
        embed.remove_field(-1)
    for i, f in enumerate(list(embed.fields)):
        if len(f.name) > FIELD_NAME or len(f.value) > FIELD_VALUE:
            embed.set_field_at(
                i, name=_cut_rendered(f.name, FIELD_NAME), value=_cut_rendered(f.value, FIELD_VALUE), inline=f.inline
            )
    if embed.footer.text and len(embed.footer.text) > FOOTER:
        embed.set_footer(text=_cut_rendered(embed.footer.text, FOOTER), icon_url=embed.footer.icon_url)
    # Over the message total: drop fields from the end, then shorten the description.
    while embed_size(embed) > EMBED_TOTAL and len(embed.fields) > 1:
        embed.remove_field(-1)
    excess = embed_size(embed) - EMBED_TOTAL
    if excess > 0 and embed.description:
        embed.description = _cut_rendered(embed.description, max(1, len(embed.description) - excess))
    return embed


def _cut_rendered(rendered: str, limit: int) -> str:
    """Cut already-rendered markdown at a space where no "**" or "`" is left open (last resort)."""
    if len(rendered) <= limit:
        return rendered
    cut = rendered[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    while cut.count("**") % 2 or cut.count("`") % 2 or cut.endswith("\\"):
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def footer_text(results: Results | Answer, *, shown: int, extra: str = "") -> str:
    """ "Results 1–3 of 57 · 12 ms · index 20240101…" plus ``extra``."""
    first = results.offset + 1
    last = results.offset + shown
    span = f"Results {first}–{last}" if shown else "No results"
    passages = f"{results.total:,} matching passage{'s' if results.total != 1 else ''}"
    parts = [span, passages, f"{results.took_ms:.0f} ms"]
    if results.generation:
        parts.append(f"index {str(results.generation)[:24]}")
    if extra:
        parts.append(extra)
    return fit(" · ".join(parts), FOOTER, lambda t: t)


def citation(c: Citation, limit: int) -> str:
    """ "**[1]** [Headline](url) — CNN · 7 Jan 2022 (3 days earlier) · ¶ 3"."""
    outlet = fit(c.outlet or "unknown outlet", 60)
    para = f"¶ {c.paragraph}" if c.paragraph_end == c.paragraph else f"¶ {c.paragraph}–{c.paragraph_end}"
    tail = f" — {outlet} · {day_label(c.day, c.age)} · {para}"
    head = f"**[{c.number}]** "
    title = c.title or "(untitled)"
    return head + link(title, c.url, max(20, limit - len(head) - len(tail))) + tail


def answer_embed(answer: Answer) -> discord.Embed:
    """The /ask answer: the short answer and the quote, then numbered passages with citations and bold matches.

    When the answer found nothing that answers well, the embed says so, suggests what to try, and lists the
    closest headlines only (see :func:`no_match_embed`).
    """
    title = fit(answer.question or "(empty question)", TITLE)
    if not answer.answered:
        return no_match_embed(title, answer)
    embed = discord.Embed(title=title, colour=COLOUR)
    embed.description = fit_lines(_answer_lines(answer), DESCRIPTION)
    for passage in answer.passages:
        name, value = _passage_field(passage)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer_text(answer, shown=len(answer.passages), extra="quotes are from the cited passages"))
    return enforce(embed)


def _answer_lines(answer: Answer) -> list[str]:
    """The description: time note, short answer and quote with their citations, and the search's note."""
    lines: list[str] = []
    if answer.corrections:
        # A word the archive does not know was searched as a near one: say so, so a wrong guess is visible.
        fixed = ", ".join(f"“{c.shown}” instead of “{c.word}”" for c in answer.corrections)
        lines.append(f"-# {fit('Searched for ' + fixed, 300)}")
    if answer.time_note:
        # Asked about "this week" but the best evidence is months old: say so before the quote.
        lines.append(f"**{escape(answer.time_note)}**")
    if answer.short_answer is not None and answer.short_answer_passage is not None:
        # The short answer, in bold above the quote, cites the shown passage that supports it.
        lines.append(f"**{fit(answer.short_answer, 200)}** [{answer.short_answer_passage + 1}]")
    quote = answer.quote
    if quote is not None:
        # The quote may come from any shown passage; it cites that passage.
        quoted = answer.passages[quote.passage]
        lines.append(f"> {shown(quoted.hit.text, quoted.hit.highlights, quote.shown, 900)}")
        lines.append(f"— {citation(quoted.citation, 600)}")
    if answer.message:
        lines.append(f"-# {fit(answer.message, 300)}")
    return lines


def _passage_field(passage: AnswerPassage) -> tuple[str, str]:
    """One numbered field: the passage's excerpt and its citation (and other outlets that ran the story)."""
    c, hit = passage.citation, passage.hit
    prefix = f"[{c.number}] "
    name = prefix + fit(c.title or "(untitled)", FIELD_NAME - len(prefix))
    cite = citation(c, 420)
    value = f"{shown(hit.text, hit.highlights, passage.excerpt, FIELD_VALUE - len(cite) - 1)}\n{cite}"
    if hit.also_in:
        outlets = ", ".join(str(a.get("outlet") or a.get("url") or "?") for a in hit.also_in[:5])
        more = f"\n-# {fit('Also in: ' + outlets, 200)}"
        if len(value) + len(more) <= FIELD_VALUE:
            value += more
    return name, value


def no_match_embed(title: str, answer: Answer) -> discord.Embed:
    """ "Nothing matched well": why, what to try next, and the closest headlines (not presented as answers)."""
    embed = discord.Embed(title=title, colour=NO_MATCH_COLOUR)
    lines = [fit(answer.message or "I found nothing that answers this well.", 500)]
    lines.extend(f"• {fit(s, 300)}" for s in answer.suggestions[:4])
    if answer.closest:
        lines.append("\n**Closest headlines** (not checked as answers):")
        for c in answer.closest[:5]:
            outlet = fit(c.outlet or "unknown outlet", 60)
            lines.append(f"• {link(c.title or '(untitled)', c.url, 300)} — {outlet}, {day_label(c.day)}")
    embed.description = fit_lines(lines, DESCRIPTION)
    embed.set_footer(text=footer_text(answer, shown=0))
    return enforce(embed)


def fit_lines(lines: Sequence[str], limit: int) -> str:
    """Join rendered lines with newlines, dropping whole lines from the end that do not fit."""
    out: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if out else 0)
        if size + extra > limit:
            break
        out.append(line)
        size += extra
    return "\n".join(out)


def search_embed(query: str, results: Results, *, as_of: datetime | None, page_size: int) -> discord.Embed:
    """/search results: one entry per article with headline link, outlet, date and a one-line snippet."""
    embed = discord.Embed(title=fit(f"Search: {query}" if query else "Search", TITLE), colour=COLOUR)
    if not results.hits:
        embed.colour = NO_MATCH_COLOUR
        embed.description = fit_lines(
            [
                fit(results.message or "No article matches that search.", 500),
                "Try fewer words, a different spelling, or remove `source:`, `after:` and `before:` filters.",
            ],
            DESCRIPTION,
        )
        embed.set_footer(text=footer_text(results, shown=0))
        return enforce(embed)
    per = (DESCRIPTION - 100) // max(1, page_size)
    lines = []
    for i, hit in enumerate(results.hits[:page_size], start=results.offset + 1):
        outlet = fit(hit.outlet or "unknown outlet", 60)
        head = f"**{i}.** {link(hit.title or '(untitled)', hit.url, min(400, per // 2))} — {outlet} · "
        head += date_label(hit.published, as_of)
        snippet = fit(hit.text, max(40, min(220, per - len(head) - 4)), marked(hit.text, hit.highlights))
        lines.append(f"{head}\n{snippet}")
    embed.description = fit_lines(lines, DESCRIPTION)
    embed.set_footer(text=footer_text(results, shown=len(results.hits[:page_size])))
    return enforce(embed)


def article_pages(paragraphs: Sequence[str], size: int = 3800) -> list[list[str]]:
    """Split an article's paragraphs into pages of escaped text, each within ``size`` characters."""
    pages: list[list[str]] = [[]]
    used = 0
    for para in paragraphs:
        rendered = escape(para)
        if len(rendered) > size:
            rendered = fit(para, size)
        if used + len(rendered) + 2 > size and pages[-1]:
            pages.append([])
            used = 0
        pages[-1].append(rendered)
        used += len(rendered) + 2
    return pages


def article_embed(
    article: object, page: int, pages: Sequence[Sequence[str]], *, as_of: datetime | None = None
) -> discord.Embed:
    """One page of an article: metadata (outlet, date, link, passage count) and part of its body."""
    title = getattr(article, "title", "") or "(untitled)"
    url = safe_url(getattr(article, "url", None))
    embed = discord.Embed(title=fit(title, TITLE), url=url, colour=COLOUR)
    body = "\n\n".join(pages[page]) if pages else "(no text)"
    embed.description = body[:DESCRIPTION] if len(body) <= DESCRIPTION else _cut_rendered(body, DESCRIPTION)
    embed.add_field(name="Outlet", value=fit(getattr(article, "outlet", None) or "unknown", 200), inline=True)
    embed.add_field(name="Published", value=date_label(getattr(article, "published", None), as_of), inline=True)
    embed.add_field(name="Passages", value=str(getattr(article, "passages", 0)), inline=True)
    authors = getattr(article, "authors", None) or []
    if authors:
        embed.add_field(name="By", value=fit(", ".join(authors), 300), inline=False)
    embed.add_field(name="Link", value=fit(url, 1000, lambda t: t) if url else "none stored", inline=False)
    embed.set_footer(
        text=f"Page {page + 1} of {max(1, len(pages))} · article {getattr(article, 'id', '?')}"
        f" · {fit(getattr(article, 'source_id', ''), 200, lambda t: t)}"
    )
    return enforce(embed)


def choice_name(title: str, outlet: str | None, published: str | None) -> str:
    """An autocomplete choice label within 100 characters: "Headline — CNN, 2022-01-07"."""
    d = parse_published(published)
    tail = " — " + ", ".join(x for x in (outlet, d.isoformat() if d else None) if x) if (outlet or d) else ""
    tail = tail[:40]
    head = squash(title).strip() or "(untitled)"
    room = CHOICE_NAME - len(tail)
    if len(head) > room:
        cut = head[: room - 1]
        space = cut.rfind(" ")
        head = (cut[:space] if space > room // 2 else cut).rstrip() + ELLIPSIS
    return (head + tail)[:CHOICE_NAME]


def custom_id(*parts: object) -> str:
    """A component custom_id "nb:part:part…"; raises if it would exceed Discord's 100 characters."""
    value = ":".join(["nb", *(str(p) for p in parts)])
    if len(value) > CUSTOM_ID:
        raise ValueError(f"custom_id too long ({len(value)} > {CUSTOM_ID}): {value[:40]}…")
    return value
