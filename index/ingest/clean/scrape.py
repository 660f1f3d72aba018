"""Cleaning of news pages scraped to plain text: the headline, the story's lines, and metadata from boilerplate."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.ingest.clean.text import CleanText, is_boilerplate_line, key_of, normalise, take_copyright
from index.tokenize import STOPWORDS

# "caption: ...", "Image caption ...", "Photo caption: ..." lines introduce an image's caption.
_CAPTION = re.compile(r"^(?:image |photo |video )?caption\s*[:\-–]?\s*", re.IGNORECASE)
# Agencies and picture libraries that credit photos; a credit line is short and names one of them.
_AGENCIES = (
    r"ap|afp|reuters|getty(?: images)?|epa|efe|ansa|dpa|xinhua|tass|upi|pa(?: images| wire| media)?|"
    r"associated press|shutterstock|istock(?:photo)?|alamy|corbis|bloomberg|sipa|zuma(?: press| wire)?|"
    r"imago|rex features|rex|nurphoto|anadolu(?: agency)?|sopa images|lightrocket|mediapunch|wireimage|"
    r"filmmagic|ap images|the associated press|courtesy|handout|file|file photo|pool|staff|nasa|"
    r"usa today(?: network| sports)?|imagn(?: images)?|(?:ap|afp|epa|reuters) photo"
).replace(" ", r"\s")  # the pattern below is verbose, where a plain space would be ignored
_CREDIT = re.compile(
    rf"""^(?:
        (?:photo|image|picture|credit|photograph|photographer|illustration|video|graphic)s?(?:\s+(?:by|credit))?\s*[:\-–/]\s*.{{1,80}}
      | (?:photo|image|picture|illustration|graphic)s?\s+(?:by|courtesy\s+of)\s+.{{1,80}}
      | courtesy(?:\s+of)?\s+.{{1,80}}
      | (?:.{{1,60}}\s*[/|]\s*)?(?:{_AGENCIES})(?:\s*(?:via|/|for)\s*.{{1,60}})?
      | (?P<name>.{{1,60}}?)\s+(?:for|via)\s+(?:{_AGENCIES}|the\s.{{1,40}})
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_CREDIT_MAX_WORDS = 10
# "Claire Harbage/NPR", "Jane Doe for The Example Times", "Sam Lee via Reuters": a capitalised name, a slash or
# "for"/"via", and a capitalised organisation. Case matters here: "out now for the PC" is a sentence.
_NAMED_CREDIT = re.compile(
    r"^(?:[A-Z][\w.'’-]*\s){0,3}[A-Z][\w.'’-]*\s?(?:/|\sfor\s|\svia\s)\s?(?:[Tt]he\s)?[A-Z][\w&.'’-]*(?:\s[A-Z][\w&.'’-]*){0,4}$"
)

# "Why you can trust KUOW": a station or site footer that names the publisher.
_TRUST_FOOTER = re.compile(r"^why you can trust\s+(?P<who>.{1,60}?)[.!]?$", re.IGNORECASE)
# Site-wide legal and account furniture; a line mentioning these is never part of a story.
_LEGAL = re.compile(
    r"privacy (?:policy|notice|rights)|terms (?:of|and conditions of) (?:use|service)|cookie (?:policy|settings)|"
    r"\buse of this (?:site|website)\b|user agreement|all rights reserved|may not be (?:re)?produced|"
    r"\bad ?choices\b|do not sell my|©|\bcopyright\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^(?:by|written by|words by|reporting by|posted by|story by)[:\s]+(?P<names>[^.!?]{2,80})$", re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATELINE = re.compile(
    rf"""^(?:(?:published|updated|posted|last\ updated|first\ published|modified)\b[:\s]*(?:on\s)?)?
        (?P<date>(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?
            (?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|\d{{4}}-\d\d-\d\d)
            (?:,?\s*(?:at\s+)?\d{{1,2}}[:.]\d\d(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{{2,4}})?)?)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Lines about the page rather than the story: sharing, following, commenting, timestamps of posting.
_SOCIAL = re.compile(r"\b(?:follow|twitter|facebook|e-?mail|comments?|share|subscribe|posted|updated)\b", re.I)
_LIST_ITEM = re.compile(r"^(?:[-*•·–—]|\d{1,2}[.)])\s+\S")
# Headers that open what follows a story on a page. Reader comments always come after the story, so the text is
# cut at the first header that opens a comment section ("Leave a comment", not a "12 Comments" count, which
# often sits in the byline); lists of other stories may sit in a sidebar before the
# story too, so they are walls the story never runs across. Both are matched against key_of(line).
_COMMENTS_HEADER = re.compile(
    r"""^(?:
        (?:leave|post|add|write|submit)\sa\s(?:comment|reply)|cancel\sreply|comments\sare\sclosed
      | comments\son\sthis\s(?:article|story|post)(?:\s\d+)?|(?:reader\s)?comments\s\(\d+\)
      | join\sthe\s(?:discussion|conversation)|discussion\sguidelines|(?:show|view|read|load)\s(?:all\s)?\d*\s*comments
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_RELATED_HEADER = re.compile(
    r"""^(?:
        related(?:\s(?:stories|articles|content|coverage|links|posts|news|videos|reading))?
      | more\s(?:stories|news|articles|headlines|from\s.{1,40}|on\s.{1,40})
      | recommended(?:\s(?:for\syou|stories|reading|articles))?|editor'?s\s(?:picks|choice)
      | you\s(?:may|might)\s(?:also\s)?(?:like|enjoy)|from\saround\sthe\sweb|around\sthe\sweb
      | most\s(?:popular|read|viewed|shared|emailed|commented)|trending(?:\s(?:now|stories|news))?|top\sstories
      | what\sto\sread\snext|read\snext|up\snext|latest\s(?:news|stories|headlines|videos)|also\son\s.{1,40}
      | sponsored\s(?:content|stories|links)|promoted\s(?:stories|content)|paid\scontent|in\scase\syou\smissed\sit
      | filed\sunder
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Prose words that must come before a comment header for it to end the story (a "Comments" link in the page's
# top bar ends nothing).
_PROSE_BEFORE_COMMENTS = 50
_WALL = -1000.0
# Sentence ends, including a closing quote or bracket after the stop.
_SENTENCE_END = (".", "!", "?", "…", '"', "”", "’", "'", ")", ":", ";")
# English function words: running prose is full of them, menus and lists of links are not. The tokenizer's
# stopword list is exactly such a list.
_FUNCTION_WORDS = STOPWORDS
# A line of this many words seen twice is a copy (a caption shown twice, a pull quote); shorter lines such as
# "Winners meet in final match" may rightly repeat.
_REPEAT_WORDS = 8
# Menu-like lines in a row, inside one block, that mark a text as a whole-page dump.
_DUMP_RUN = 4
# Words an English sentence does not end with: a line ending in one was cut before an inline link.
_NEVER_LAST = frozenset({"the", "a", "an", "of", "to", "and", "or", "with", "by", "for", "from", "in", "on", "at"})
# Hard-wrapped paragraphs are seldom longer than this; a longer block of lines is a list or a page dump.
_WRAPPED_MAX_LINES = 40
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@dataclass(slots=True)
class _Line:
    """One kept line of the page: its text, the blank-line block it came from, and its word count."""

    text: str
    block: int
    words: int


def is_credit_line(line: str) -> bool:
    """True for a photo credit: a short line naming an agency or photographer ("AP", "Jane Doe/Getty Images").

    Args:
        line: one normalised line.

    Returns:
        Whether it is a credit line.
    """
    if len(line) > 120 or len(line.split()) > _CREDIT_MAX_WORDS:
        return False
    stripped = line.strip(" ()[]")
    if stripped.endswith((".", "!", "?", '"', "”")) and not stripped.lower().endswith(("images.", "photo.", "ap.")):
        return False
    if _NAMED_CREDIT.match(stripped):
        return True
    match = _CREDIT.match(stripped)
    if not match:
        return False
    # "Jane Doe for The Times" credits a photographer; "The game is out now for the PC" is a sentence.
    name = match.group("name")
    return name is None or all(word[:1].isupper() for word in name.split())


def clean_page(text: str) -> CleanText:
    """Clean a news page scraped to plain text: find its headline and drop the page furniture around the story.

    Always removes skip links, captions ("caption: ..." lines) and their repeats, "Enlarge Icon"/"toggle caption"
    controls, photo credits, advertising and promotion lines, share lines and legal footers; turns copyright
    notes ("[Copyright 2019 NPR]") into the outlet and year, "Why you can trust KUOW" into the publisher, and a
    byline or date line near the top into authors and date. When the text is a whole page dump (menus, link
    lists and footers around the story), the story is the stretch of lines with the most running prose. A clean
    text file (headline, blank line, body) comes through unchanged.

    Args:
        text: the page text as decoded from the file.

    Returns:
        The headline ("" when none was found), body paragraphs, outlet, and ``extra`` with ``copyright_year``,
        ``publisher``, ``byline`` and ``date_line`` when found.
    """
    result = CleanText(title="", paragraphs=[])
    lines = _kept_lines(normalise(text), result)
    if not lines:
        return result
    english = _is_english(lines)
    scores = [_score(line, english) for line in lines]
    if _is_dump(lines):
        cut = _comments_start(lines, scores)
        start, end = _best_region(scores[:cut])
        title = _title_before(lines, start)
        body = [ln for ln in lines[start:end] if not (_LEGAL.search(ln.text) or _stray(ln))]
        head = lines[max(0, start - 12) : start]
    else:
        title = 0 if len(lines) > 1 and _leads_with_title(lines, scores) else None
        body = lines[(title + 1 if title is not None else 0) :]
        head = body[:4]
    if title is not None:
        result.title = lines[title].text
    body = _take_metadata(body, head, result)
    paragraphs = _paragraphs(body)
    for i, para in enumerate(paragraphs):
        rest, owner, year = take_copyright(para)
        if owner or year:
            result.note_copyright(owner, year)
            paragraphs[i] = rest
    result.paragraphs = [p for p in paragraphs if p]
    return result


def _kept_lines(text: str, result: CleanText) -> list[_Line]:
    """The page's lines minus those no page ever needs: boilerplate, captions and repeats, credits, notes."""
    kept: list[_Line] = []
    seen: set[str] = set()
    for block_no, block in enumerate(text.split("\n\n")):
        after_caption = False
        for line in _unwrap(block.split("\n")):
            key = key_of(line)
            if not key:
                continue
            if key in seen:
                # A repeated caption (or any repeated long line) is a copy; the credit may follow it.
                after_caption = True
                continue
            caption = _CAPTION.match(line)
            if caption and len(line.split()) > 1:
                seen.add(key_of(line[caption.end() :]))
                after_caption = True
                continue
            if is_boilerplate_line(line):
                continue
            trust = _TRUST_FOOTER.match(line)
            if trust:
                result.extra.setdefault("publisher", trust.group("who").strip())
                continue
            rest, owner, year = take_copyright(line)
            if (owner or year) and not rest:
                result.note_copyright(owner, year)
                continue
            if is_credit_line(line) or (after_caption and _short_name(line)):
                after_caption = False
                continue
            after_caption = False
            if len(key) > 20 and len(key.split()) >= _REPEAT_WORDS:
                seen.add(key)
            kept.append(_Line(line, block_no, len(line.split())))
    return kept


def _unwrap(lines: list[str]) -> list[str]:
    """Rejoin what a scraper split: hard-wrapped prose, and sentences cut where an inline link began or ended."""
    lines = [ln for ln in lines if ln]
    if 3 <= len(lines) <= _WRAPPED_MAX_LINES:
        inner = lines[:-1]
        ends = sum(1 for ln in inner if ln.endswith(_SENTENCE_END))
        lengths = sorted(len(ln) for ln in inner)
        wrapped = (
            ends < 0.5 * len(inner) and lengths[0] >= 20 and lengths[len(lengths) // 2] >= 40 and lengths[-1] <= 120
        )
        if wrapped and not any(_LIST_ITEM.match(ln) for ln in lines):
            return [" ".join(lines)]
    out: list[str] = []
    for line in lines:
        if out and not out[-1].endswith(_SENTENCE_END) and (_continues(line) or _unfinished(out[-1])):
            glue = "" if line[0] in ",.;:!?)" or out[-1][-1] in "([" else " "
            out[-1] = out[-1] + glue + line
        else:
            out.append(line)
    return out


def _continues(line: str) -> bool:
    """A line that cannot start a sentence or a heading: it starts in lower case or with punctuation."""
    first = line[0]
    return first.islower() or first in ",.;:!?)"


def _unfinished(line: str) -> bool:
    """A line that stops mid-sentence: on an opening bracket, a comma, or a word no sentence ends with."""
    if line[-1] in "([,":
        return True
    last = line.rsplit(" ", 1)[-1].lower()
    return line.count(" ") >= 2 and last in _NEVER_LAST


def _short_name(line: str) -> bool:
    """A short line without sentence punctuation: after a caption, that is the photographer's credit."""
    return 0 < len(line.split()) <= 6 and not line.endswith((".", "!", "?", ":"))


def _is_english(lines: list[_Line]) -> bool:
    """Whether the function-word test applies: the long lines are English prose."""
    words = [w.lower() for ln in lines if ln.words >= 8 for w in _WORD.findall(ln.text)]
    return bool(words) and sum(1 for w in words if w in _FUNCTION_WORDS) >= 0.15 * len(words)


def _score(line: _Line, english: bool) -> float:
    """How much a line counts as story text, in words: positive for running prose, negative for furniture.

    A story's paragraphs are sentences: ten or more words, ending in sentence punctuation, with the function
    words of running prose. Everything else (menus, link lists, headlines of other stories, buttons) costs as
    many words as it has, so the best stretch of lines stops where the furniture starts to outweigh the prose.
    """
    text, words = line.text, line.words
    if words <= 8 and _RELATED_HEADER.match(key_of(text)):
        return _WALL
    if words < 60 and _LEGAL.search(text):
        return -5.0
    density = 1.0
    if english:
        tokens = _WORD.findall(text.lower())
        density = sum(1 for t in tokens if t in _FUNCTION_WORDS) / len(tokens) if tokens else 0.0
    sentence = text.endswith(_SENTENCE_END)
    if words >= 10 and sentence and density >= 0.15:
        return float(words)
    if words >= 25 and density >= 0.15:
        return words / 2  # a long paragraph whose last sentence lost its stop (or ends in a link)
    if words >= 5 and sentence and density >= 0.1:
        return words / 2
    return -max(3.0, float(words))


def _stray(line: _Line) -> bool:
    """Inside the story of a page dump, a stray control or label: three words or fewer, not a sentence
    ("Previous", "Enlarge", "A A A", a tag, an image file name)."""
    return line.words <= 3 and not line.text.endswith(_SENTENCE_END)


def _comments_start(lines: list[_Line], scores: list[float]) -> int:
    """Where reader comments begin: the first comment header after some prose (else the end of the text)."""
    prose = 0.0
    for i, line in enumerate(lines):
        if prose >= _PROSE_BEFORE_COMMENTS and line.words <= 8 and _COMMENTS_HEADER.match(key_of(line.text)):
            return i
        prose += max(scores[i], 0.0)
    return len(lines)


def _best_region(scores: list[float]) -> tuple[int, int]:
    """The stretch of lines with the highest total score (maximum subarray): the story between menus."""
    best, best_start, best_end = 0.0, 0, 0
    total, start = 0.0, 0
    for i, score in enumerate(scores):
        if total <= 0:
            total, start = 0.0, i
        total += score
        if total > best:
            best, best_start, best_end = total, start, i + 1
    return best_start, best_end


def _title_before(lines: list[_Line], start: int) -> int | None:
    """The headline of a page dump: among the headline-like lines just above the story, the one sharing most
    words with the story's opening (headlines restate the lead; menu entries and teasers do not)."""
    lead = {w for ln in lines[start : start + 3] for w in _WORD.findall(ln.text.lower()) if w not in _FUNCTION_WORDS}
    best, best_shared = None, 0
    for i in range(start - 1, max(-1, start - 13), -1):
        text = lines[i].text
        if not (3 <= lines[i].words <= 25 and _is_headline(text)) or _LEGAL.search(text) or _SOCIAL.search(text):
            continue
        if text.endswith((")", "]")) or is_credit_line(text):
            continue  # a caption with its credit, not a headline
        shared = len({w for w in _WORD.findall(text.lower()) if w not in _FUNCTION_WORDS} & lead)
        if shared > best_shared:
            best, best_shared = i, shared
    return best


def _is_headline(text: str) -> bool:
    """A line that can be a headline: a few words, no full stop at the end, not a byline or a date."""
    words = len(text.split())
    if not 2 <= words <= 30 or len(text) > 250 or text.endswith("."):
        return False
    return not (_BYLINE.match(text) or _DATELINE.match(text))


def _leads_with_title(lines: list[_Line], scores: list[float]) -> bool:
    """Whether the first line of a clean text is its headline: alone in its block (a full stop allowed), or
    headline-like and followed by prose in the same block."""
    if lines[1].block != lines[0].block:
        return _is_title_block(lines[0].text)
    return _is_headline(lines[0].text) and scores[1] > 0


def _is_title_block(text: str) -> bool:
    """A first line standing alone in its block that can be a headline (a full stop is allowed there)."""
    return 2 <= len(text.split()) <= 30 and len(text) <= 250 and not (_BYLINE.match(text) or _DATELINE.match(text))


def _menu_like(line: _Line) -> bool:
    """A navigation-style line: a few words, no sentence punctuation, not a list item."""
    return line.words <= 6 and not line.text.endswith(_SENTENCE_END) and not _LIST_ITEM.match(line.text)


def _is_dump(lines: list[_Line]) -> bool:
    """Whether the text is a whole-page dump: somewhere, four or more menu-like lines follow each other inside
    one block. Clean files and article scrapes separate their short lines (headlines, team lists, credits) with
    blank lines, so they are left alone; a dump of a page keeps its menus and link lists line after line.
    """
    run = 0
    for i, line in enumerate(lines):
        if _menu_like(line) and (run == 0 or lines[i - 1].block == line.block):
            run += 1
            if run >= _DUMP_RUN:
                return True
        else:
            run = 1 if _menu_like(line) else 0
    return False


def _take_metadata(body: list[_Line], head: list[_Line], result: CleanText) -> list[_Line]:
    """Move a byline ("By Jane Doe") and a date line found around the top of the story into ``extra``."""
    drop: set[int] = set()
    for line in head:
        if line.words > 12:
            continue
        byline = _BYLINE.match(line.text)
        if byline and "byline" not in result.extra:
            result.extra["byline"] = byline.group("names").strip()
            drop.add(id(line))
            continue
        date = _DATELINE.match(line.text)
        if date:
            # The first date line is the publication date; a later one ("Updated ...") is kept as metadata too,
            # never left in the body.
            key = "date_line" if "date_line" not in result.extra else "updated_line"
            result.extra.setdefault(key, date.group("date").strip())
            drop.add(id(line))
    return [ln for ln in body if id(ln) not in drop]


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Lines as paragraphs: each line is one, except list items, which stay with the line before in their block."""
    out: list[str] = []
    prev_block = -1
    for line in lines:
        if out and line.block == prev_block and _LIST_ITEM.match(line.text):
            out[-1] = f"{out[-1]}\n{line.text}"
        else:
            out.append(line.text)
        prev_block = line.block
    return out
