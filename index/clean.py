"""Text normalisation and boilerplate removal for scraped news text: pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# Characters that render as nothing or as a plain space; scrapes are full of them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u205f\u3000"), " ")
_TRANSLATE = {**_INVISIBLE, **_SPACES, ord("\t"): " ", ord("\f"): "\n", ord("\v"): "\n"}
# C0/C1 control characters other than newline (tab, form feed, vertical tab are translated first).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
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
    if not text.isascii():
        text = unicodedata.normalize("NFC", text.translate(_TRANSLATE))
    else:
        text = text.replace("\t", " ").replace("\f", "\n").replace("\v", "\n")
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


# Whole lines that are boilerplate wherever they appear, compared after _key(): lower case, outer punctuation
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
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_PROMO_MAX = 220  # longer lines are prose, whatever they start with

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


def _key(line: str) -> str:
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
    key = _key(line)
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
    if "opyright" not in paragraph and "©" not in paragraph and "(c)" not in paragraph.lower():
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
    owner = _ALL_RIGHTS.sub("", m.group("owner") or "").strip(" .,;")
    year = int(m.group("year")) if m.group("year") else None
    return before, owner or None, year


@dataclass(slots=True)
class CleanText:
    """A cleaned text: its headline (if it had one), body paragraphs, and metadata recovered from boilerplate."""

    title: str
    paragraphs: list[str]
    outlet: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def clean_paragraphs(paragraphs: list[str]) -> CleanText:
    """Light, safe cleaning for text that came from a structured record (JSON, feed, Markdown).

    Drops whole-line boilerplate ("Advertisement", "Sign up for our newsletter ...") and moves a trailing
    copyright note into metadata; never drops a sentence of reporting.

    Args:
        paragraphs: normalised paragraphs.

    Returns:
        The kept paragraphs, with ``outlet``/``extra["copyright_year"]`` when a copyright note named them.
    """
    out: list[str] = []
    result = CleanText(title="", paragraphs=out)
    for para in paragraphs:
        if len(para) <= _PROMO_MAX and is_boilerplate_line(para):
            continue
        para, owner, year = take_copyright(para)
        if owner or year:
            _note_copyright(result, owner, year)
        if para:
            out.append(para)
    return result


def _note_copyright(result: CleanText, owner: str | None, year: int | None) -> None:
    """Record a copyright note's owner as the outlet (first one wins) and its year."""
    if owner and not result.outlet:
        result.outlet = owner
    if year and "copyright_year" not in result.extra:
        result.extra["copyright_year"] = year


# "caption: ...", "Image caption ...", "Photo caption: ..." lines introduce an image's caption.
_CAPTION = re.compile(r"^(?:image |photo |video )?caption\s*[:\-–]?\s*", re.IGNORECASE)
# Agencies and picture libraries that credit photos; a credit line is short and names one of them.
_AGENCIES = (
    r"ap|afp|reuters|getty(?: images)?|epa|efe|ansa|dpa|xinhua|tass|upi|pa(?: images| wire| media)?|"
    r"associated press|shutterstock|istock(?:photo)?|alamy|corbis|bloomberg|sipa|zuma(?: press| wire)?|"
    r"imago|rex features|rex|nurphoto|anadolu(?: agency)?|sopa images|lightrocket|mediapunch|wireimage|"
    r"filmmagic|ap images|the associated press|courtesy|handout|file|file photo|pool|staff|nasa|nbc|cbs|abc|"
    r"cnn|usa today(?: network)?|imagn(?: images)?|usa today sports"
)
_CREDIT = re.compile(
    rf"""^(?:
        (?:photo|image|picture|credit|photograph|illustration|video|source)s?(?:\s+(?:by|credit))?\s*[:\-–/]\s*.{{1,80}}
      | (?:photo|image|picture|illustration)s?\s+(?:by|courtesy\s+of)\s+.{{1,80}}
      | courtesy(?:\s+of)?\s+.{{1,80}}
      | (?:.{{1,60}}\s*[/|]\s*)?(?:{_AGENCIES})(?:\s*(?:via|/|for)\s*.{{1,60}})?
      | (?:.{{1,60}}\s+(?:for|via)\s+)(?:{_AGENCIES}|the\ .{{1,40}})
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_CREDIT_MAX_WORDS = 10


def is_credit_line(line: str) -> bool:
    """True for a photo credit: a short line naming an agency or photographer ("AP", "Jane Doe/Getty Images")."""
    if len(line) > 120 or len(line.split()) > _CREDIT_MAX_WORDS:
        return False
    stripped = line.strip(" ()[]")
    if stripped.endswith((".", "!", "?", '"', "”")) and not stripped.lower().endswith(("images.", "photo.", "ap.")):
        return False
    return bool(_CREDIT.match(stripped))


def _copyright_line(line: str) -> tuple[str | None, int | None] | None:
    """(owner, year) when a whole line is a copyright note, else None."""
    rest, owner, year = take_copyright(line)
    if (owner or year) and not rest:
        return owner, year
    return None


def clean_page(text: str) -> CleanText:
    """Clean a news page scraped to plain text: find its headline and drop the page furniture around the story.

    Removes skip links, captions ("caption: ..." lines) and their repeats, "Enlarge Icon"/"toggle caption"
    controls, photo credits, advertising and promotion lines, share lines and outlet footers; turns copyright
    notes ("[Copyright 2019 NPR]") and "Why you can trust KUOW" footers into metadata. A clean text file
    (headline, blank line, body) comes through unchanged.

    Args:
        text: the page text as decoded from the file.

    Returns:
        The headline (first substantial line), the body paragraphs, the outlet from a copyright note, and
        ``extra`` with ``copyright_year`` and ``publisher`` when found.
    """
    blocks = [block.split("\n") for block in normalise(text).split("\n\n") if block]
    result = CleanText(title="", paragraphs=[])
    seen: set[str] = set()
    kept: list[list[str]] = []
    for block in blocks:
        out: list[str] = []
        after_caption = False
        for line in block:
            key = _key(line)
            if key in seen and len(key) > 0:
                after_caption = after_caption or len(line.split()) > 3
                continue
            if _CAPTION.match(line) and len(line.split()) > 1:
                seen.add(_key(_CAPTION.sub("", line, count=1)))
                after_caption = True
                continue
            if is_boilerplate_line(line):
                continue
            trust = _TRUST_FOOTER.match(line)
            if trust:
                result.extra.setdefault("publisher", trust.group("who").strip())
                continue
            note = _copyright_line(line)
            if note:
                _note_copyright(result, *note)
                continue
            if is_credit_line(line) or (after_caption and _looks_like_byline_credit(line)):
                after_caption = False
                continue
            after_caption = False
            if len(key) > 20:
                seen.add(key)
            out.append(line)
        if out:
            kept.append(out)
    paragraphs: list[str] = []
    for block in kept:
        # One-line-per-node scrapes put every paragraph on its own line without blank lines between; a block
        # of several sentence lines is then several paragraphs. Wrapped prose (lines not ending a sentence)
        # is joined instead.
        if len(block) > 1 and sum(1 for ln in block if ln.endswith((".", "!", "?", '"', "”", ":"))) >= len(block) // 2:
            paragraphs.extend(block)
        else:
            paragraphs.append(" ".join(block))
    final: list[str] = []
    for para in paragraphs:
        para, owner, year = take_copyright(para)
        if owner or year:
            _note_copyright(result, owner, year)
        if para:
            final.append(para)
    if final and _is_headline(final[0]):
        result.title = final.pop(0)
    result.paragraphs = final
    return result


def _looks_like_byline_credit(line: str) -> bool:
    """A short line without sentence punctuation right after a caption: the photographer's name."""
    words = line.split()
    return 0 < len(words) <= 6 and not line.endswith((".", "!", "?", ":"))


def _is_headline(line: str) -> bool:
    """A line that can be a headline: a few words, not a sentence-long paragraph."""
    words = len(line.split())
    return 2 <= words <= 30 and len(line) <= 250
