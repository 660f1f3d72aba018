"""Text normalisation and boilerplate removal for scraped news text: pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# Characters that render as nothing, and odd spaces that render as a plain space; scrapes are full of them.
# Regexes, not str.translate: translate with a table is several times slower on non-ASCII text.
# Control characters other than newline go too (tab, form feed and vertical tab are dealt with first).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ODD_SPACE = re.compile("[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_INNER_WS = re.compile(r" {2,}")
_BLANK_RUN = re.compile(r"\n[ \n]*\n")


def normalise(text: str) -> str:
    """Normalise a text's characters and whitespace, keeping its line structure.

    Newlines become ``\\n``; no-break and other odd spaces become a plain space; invisible characters (zero-width,
    soft hyphen, BOM) and control characters go; runs of spaces shrink to one; lines lose their outer spaces;
    runs of blank lines shrink to one.

    Args:
        text: any text as decoded from a file.

    Returns:
        The text in NFC form, stripped.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\f" in text or "\v" in text:
        text = text.replace("\f", "\n").replace("\v", "\n")
    if not text.isascii():
        text = unicodedata.normalize("NFC", _ODD_SPACE.sub(" ", _INVISIBLE.sub("", text)))
    else:
        if "\t" in text:
            text = text.replace("\t", " ")
        text = _CONTROL.sub("", text)
    if "  " in text:
        text = _INNER_WS.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n", text).strip()


def split_paragraphs(text: str) -> list[str]:
    """Split normalised text into paragraphs: on blank lines when there are any, else on line breaks.

    Lines inside a blank-line-separated block are joined with a space, as scrapers often wrap long paragraphs.

    Args:
        text: text as returned by :func:`normalise`.

    Returns:
        Non-empty paragraphs in order.
    """
    if not text:
        return []
    if "\n\n" in text:
        return [" ".join(block.split("\n")) for block in text.split("\n\n") if block]
    return [line for line in text.split("\n") if line]


# Whole lines that are boilerplate wherever they appear, compared after key_of(): lower case, outer punctuation
# and spaces stripped. Only phrases that never make up a sentence of an article on their own.
BOILERPLATE_LINES: frozenset[str] = frozenset(
    {
        "advertisement",
        "advertisements",
        "ad",
        "ad feedback",
        "video ad feedback",
        "sponsored",
        "sponsored content",
        "paid content",
        "story continues below",
        "story continues below advertisement",
        "article continues below",
        "article continues below advertisement",
        "continue reading",
        "continue reading below",
        "continue reading the main story",
        "read more",
        "read more below",
        "read full article",
        "read the full story",
        "see more",
        "show more",
        "load more",
        "more",
        "skip to main content",
        "skip to content",
        "skip to navigation",
        "skip to search",
        "skip navigation",
        "skip to footer",
        "jump to content",
        "enlarge icon",
        "enlarge this image",
        "toggle caption",
        "hide caption",
        "show caption",
        "expand caption",
        "close caption",
        "image",
        "photo",
        "video",
        "close",
        "menu",
        "share",
        "share this",
        "share this article",
        "share this story",
        "share on facebook",
        "share on twitter",
        "share on x",
        "share via email",
        "share article",
        "share page",
        "copy link",
        "link copied",
        "email",
        "print",
        "comments",
        "comment",
        "leave a comment",
        "view comments",
        "show comments",
        "facebook",
        "twitter",
        "linkedin",
        "pinterest",
        "whatsapp",
        "reddit",
        "tweet",
        "pin it",
        "subscribe",
        "subscribe now",
        "sign up",
        "sign in",
        "log in",
        "register",
        "newsletter",
        "back to top",
        "top of page",
        "related",
        "related stories",
        "related articles",
        "related content",
        "recommended",
        "recommended stories",
        "most popular",
        "most read",
        "trending",
        "trending now",
        "up next",
        "next story",
        "previous story",
        "more from",
        "you may also like",
        "you might also like",
        "we recommend",
        "listen",
        "listen to this article",
        "audio",
        "play",
        "pause",
        "watch",
        "loading",
        "loading...",
        "please enable javascript",
        "report an ad",
        "report ad",
        "feedback",
        "sponsor message",
        "sponsored message",
        "toggle more options",
        "more options",
        "download",
        "embed",
        "transcript",
        "playlist",
        "listen live",
        "live radio",
        "now playing",
        "listen now",
        "donate",
        "donate now",
        "support us",
        "image source",
        "media caption",
        "getty images",
    }
)

# Lines whose start marks them as promotion or page furniture, when they are short. Kept narrow: each pattern
# must not match the opening of a real news sentence.
_PROMO = re.compile(
    r"""^(?:
        (?:sign[\s-]?up|subscribe|register)\b.{0,160}\b(?:newsletter|newsletters|inbox|here|today|now|free|email|e-mail|updates)\b
      | get\ (?:our|the)\ .{0,60}newsletter
      | (?:click|tap)\ here\b
      | (?:follow|like)\ us\ on\b
      | (?:share|tweet)\ (?:this|on)\b.{0,40}$
      | (?:download|get)\ (?:the|our)\ .{0,40}\bapp\b
      | (?:listen|watch)\ (?:to\ )?(?:this|the)\ (?:article|story|video)\b
      | need\ a\ (?:news\ )?break\?
      | story\ continues\ (?:below|after)
      | (?:article|story)\ continues\ (?:below|after)
      | this\ (?:article|story)\ (?:is|was)\ (?:only\ )?available\ to\ subscribers
      | already\ a\ subscriber\b
      | we\ (?:use|value)\ (?:cookies|your\ privacy)
      | by\ clicking\b.{0,80}\b(?:agree|accept|consent)
      | (?:all\ rights\ reserved)
      | (?:more|read\ more|related|related\ stories|related\ story|see\ also|read\ this|also\ read|read\ next|
         recommended|watch|listen)\ ?:\ ?\S
      | listen\ ?·\ ?\d{1,2}:\d\d | \d{1,2}:\d\d(?::\d\d)?(?:\ \d{1,2}:\d\d(?::\d\d)?)?$
      | (?:embed\ )?<iframe\b
      | heard\ on\ .{1,50}$
      | (?:support|donate\ to)\ (?:us|our\ journalism|local\ journalism|public\ (?:radio|media))\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_PROMO_MAX = 220  # longer lines are prose, whatever they start with
# A dateline on a line of its own: a few words ending in a dash ("CNN —", "New York CNN Business —").
_DATELINE_ALONE = re.compile(r"^\S+(?: \S+){0,5} ?(?:—|–|--)$")

# "[Copyright 2019 NPR]", "Copyright © 2024 Example Radio", "(c) 2020 The Outlet" at the end of a paragraph
# or alone on a line.
_COPYRIGHT = re.compile(
    r"""(?:^|\s)[\[(]?\s*
        (?:copyright\s*(?:©|\(c\))?|©|\(c\))\s*
        (?P<year>(?:19|20)\d\d)?(?:\s*[-–]\s*(?:19|20)?\d\d)?[\s,.]*
        (?P<owner>[^\[\]()]{0,80}?)
        [\s.]*[\])]?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_ALL_RIGHTS = re.compile(r"[.,;]?\s*all rights reserved\.?", re.IGNORECASE)

# "Why you can trust KUOW", "Why you can trust us": a station or site footer naming its publisher.
_TRUST_FOOTER = re.compile(r"^why you can trust\s+(?P<who>.{1,60}?)[.!]?$", re.IGNORECASE)

_KEY_STRIP = " \t.:;,!?|»«›‹>•·*-–—_#=+~[](){}\"'“”‘’"


def key_of(line: str) -> str:
    """Lower-case comparison key of a short line, outer punctuation stripped."""
    return line.strip(_KEY_STRIP).lower()


def is_boilerplate_line(line: str) -> bool:
    """True when a whole line is page furniture: a known boilerplate phrase or a short promotion.

    This is the safe test used on every reader's text: it never matches a sentence of reporting.

    Args:
        line: one line or paragraph, normalised.

    Returns:
        Whether the line can be dropped.
    """
    if len(line) > _PROMO_MAX:
        return False
    key = key_of(line)
    if not key:
        return True
    if key in BOILERPLATE_LINES:
        return True
    return bool(_PROMO.match(key))


def take_copyright(paragraph: str) -> tuple[str, str | None, int | None]:
    """Split a trailing copyright note off a paragraph.

    Args:
        paragraph: one paragraph.

    Returns:
        ``(rest, owner, year)``: the paragraph without the note, and the note's owner and year (None when there
        is no note, or the note names no owner or year).
    """
    if "opyright" not in paragraph and "©" not in paragraph and "(c)" not in paragraph and "(C)" not in paragraph:
        return paragraph, None, None
    m = _COPYRIGHT.search(paragraph)
    if not m:
        return paragraph, None, None
    start = m.start()
    before = paragraph[:start].rstrip()
    bracketed = m.group(0).lstrip().startswith(("[", "("))
    # A bare "Copyright" in running prose ("copyright law") is not a note: demand brackets, a symbol, a year,
    # or the note standing alone.
    if not (bracketed or m.group("year") or "©" in m.group(0) or not before):
        return paragraph, None, None
    # "Copyright 2021 NPR. To see more, visit https://www.npr.org." names NPR; the rest is a pointer.
    owner = _ALL_RIGHTS.sub("", m.group("owner") or "").split(". ")[0].strip(" .,;")
    year = int(m.group("year")) if m.group("year") else None
    return before, owner or None, year


@dataclass(slots=True)
class CleanText:
    """A cleaned text: its headline (if it had one), body paragraphs, and metadata recovered from boilerplate."""

    title: str
    paragraphs: list[str]
    outlet: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def note_copyright(self, owner: str | None, year: int | None) -> None:
        """Record a copyright note: its owner becomes the outlet (the first one wins), its year is kept."""
        if owner and not self.outlet:
            self.outlet = owner
        if year and "copyright_year" not in self.extra:
            self.extra["copyright_year"] = year


def clean_paragraphs(paragraphs: list[str]) -> CleanText:
    """Light, safe cleaning for text that came from a structured record (JSON, feed, Markdown).

    Drops whole-line boilerplate ("Advertisement", "Sign up for our newsletter ...") and moves a trailing
    copyright note into metadata; never drops a sentence of reporting. A dateline left on its own line
    ("Washington CNN —") is put back in front of the paragraph it introduces.

    Args:
        paragraphs: normalised paragraphs.

    Returns:
        The kept paragraphs, with ``outlet``/``extra["copyright_year"]`` when a copyright note named them.
    """
    out: list[str] = []
    result = CleanText(title="", paragraphs=out)
    dateline = ""
    for para in paragraphs:
        if len(para) <= _PROMO_MAX and is_boilerplate_line(para):
            continue
        para, owner, year = take_copyright(para)
        if owner or year:
            result.note_copyright(owner, year)
        if not para:
            continue
        if _DATELINE_ALONE.match(para):
            dateline = f"{dateline} {para}".strip()
            continue
        out.append(f"{dateline} {para}" if dateline else para)
        dateline = ""
    if dateline:
        out.append(dateline)
    return result


def drop_title_repeat(title: str, paragraphs: list[str]) -> list[str]:
    """The paragraphs without a first one that only repeats the headline (extractors often keep the <h1>).

    Args:
        title: the headline.
        paragraphs: body paragraphs.

    Returns:
        The paragraphs, the first dropped when it equals the headline up to case and punctuation.
    """
    if title and paragraphs and key_of(paragraphs[0]) == key_of(title):
        return paragraphs[1:]
    return paragraphs
