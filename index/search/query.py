"""The query language: free words, "phrases", -exclusions and source:/after:/before:/title: filters."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from index.dates import parse_typed_date
from index.models import Query
from index.search.timeparse import resolve_window
from index.tokenize import tokenize

log = logging.getLogger(__name__)

EMPTY_MESSAGE = "Your question has no searchable words — try adding a name, place or topic."

# Straight, typographic and guillemet quotes all open and close a phrase: people paste text from everywhere,
# and phones turn " into “ ” on their own.
QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02'
_QUOTE_SET = frozenset(QUOTES)
# The exclusion prefix: a hyphen, or the minus sign some keyboards give. En and em dashes are prose punctuation
# ("a Level 5 alert – the highest"), never an exclusion.
_DASHES = "-\u2212"
_PROSE_DASHES = frozenset("-\u2212\u2010\u2011\u2012\u2013\u2014\u2015")

_OPERATOR = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
OPERATORS = ("source", "after", "before", "title")
# Other names people type for the same operators (search engines' habits).
_ALIASES = {"site": "source", "outlet": "source", "since": "after", "until": "before", "intitle": "title"}
# Colon-words that are plainly not meant as operators, so they need no note (links, clock times are digits).
_NOT_OPERATORS = frozenset({"http", "https", "mailto", "ftp"})


@dataclass(slots=True)
class _Piece:
    """One lexical piece of the query: a word or a quoted phrase, possibly negated or behind an operator."""

    text: str
    quoted: bool = False
    negated: bool = False
    operator: str | None = None  # as typed, lower case
    raw: str = ""  # the piece as typed, for notes and for reading it back as plain words


@dataclass(slots=True)
class Draft:
    """A query being built: the plain text left for scoring and the parts already read.

    A parse step (such as the time step) may rewrite ``free`` (for example remove "last week" from it) and set
    ``window``; the free text is tokenized into BM25 terms only after every step has run.
    """

    free: list[str] = field(default_factory=list)
    query: Query = field(default_factory=lambda: Query(raw=""))
    today: date | None = None


# A step takes the draft after the operators are read and before the free text is tokenized.
Step = Callable[[Draft], None]


def time_step(draft: Draft) -> None:
    """Resolve the free text's time words ("last week") against the as-of day into ``Query.window``.

    The relative words are taken out of the free text, so they are not scored as BM25 terms; calendar names
    ("March", "2021") stay, as stories contain them too. Quoted phrases and ``after:``/``before:`` are untouched.
    """
    if not draft.free:
        return
    today = draft.today or datetime.now(UTC).date()
    window, remaining = resolve_window(" ".join(draft.free), today)
    if window is None:
        return
    draft.query.window = window
    draft.free = [remaining] if remaining else []


STEPS: list[Step] = [time_step]


def parse(text: str, *, today: date | None = None) -> Query:
    """Read a query string into a :class:`~index.models.Query`; never raises on odd input.

    Args:
        text: what the user typed: free words, "exact phrases", ``-word``, ``-"phrase"``, ``source:cnn.com``
            (repeatable, any of them), ``after:2022-01-01`` (inclusive), ``before:2022-02`` (exclusive),
            ``title:word`` or ``title:"a phrase"``. Dates may be YYYY-MM-DD, YYYY-MM or YYYY.
        today: the as-of day time expressions ("this week") are resolved against (None: today, UTC); the
            window they resolve to is set in ``Query.window`` and their relative words are not scored.

    Returns:
        The parsed query. Malformed or unknown operators, unclosed quotes and lone dashes are read as plain
        words, with a short note in ``notes``. ``Query.empty`` is true when nothing is left to score.
    """
    draft = Draft(query=Query(raw=text), today=today)
    for piece in _lex(text, draft.query.notes):
        _read(piece, draft)
    for step in STEPS:
        step(draft)
    q = draft.query
    q.terms = tokenize(" ".join(draft.free)) + [t for p in q.phrases for t in tokenize(p)]
    if q.after and q.before and q.after >= q.before:
        q.notes.append(f"after:{q.after} is not earlier than before:{q.before}, so no article can match.")
    if not q.terms and not q.title_terms and draft.free:
        log.debug("query %r has only stopwords", text)
    return q


# What can make a piece more than a plain word: a quote anywhere, an operator's colon, a dash opening a word.
_SYNTAX = re.compile(f"[{re.escape(QUOTES)}:]|(?:^|\\s)[{re.escape(_DASHES)}]")


def _lex(text: str, notes: list[str]) -> list[_Piece]:
    """Split the text into words and quoted phrases, each with its prefix (``-`` or ``name:``)."""
    if not _SYNTAX.search(text):
        # Plain words only (most questions): the character walk below would split at the same whitespace
        # (str.split and str.isspace agree on it), at a tenth of the cost.
        return [_Piece(word, raw=word) for word in text.split()]
    pieces: list[_Piece] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = False
        operator = None
        # A prefix is only a prefix when something follows it directly: "- word" is a lone dash.
        # "-40 degrees" is a number, not an exclusion.
        nxt = text[i + 1] if i + 1 < n else " "
        if text[i] in _DASHES and not nxt.isspace() and nxt not in _DASHES and not nxt.isdigit():
            negated = True
            i += 1
        if not negated:
            m = _OPERATOR.match(text, i)
            if m and i + len(m.group(1)) + 1 < n and not text[i + len(m.group(1)) + 1].isspace():
                operator = m.group(1).lower()
                i += len(m.group(1)) + 1
        if i < n and text[i] in _QUOTE_SET:
            close = next((j for j in range(i + 1, n) if text[j] in _QUOTE_SET), -1)
            if close < 0:
                notes.append("A quote was not closed, so the words after it were searched as plain words.")
                # Drop the stray quote and read the rest as if it were not there.
                prefix = text[start:i]
                rest = text[i + 1 :]
                if prefix:
                    pieces.append(_Piece(prefix, negated=negated, operator=operator, raw=prefix))
                pieces.extend(_lex(rest, notes))
                return pieces
            phrase = " ".join(text[i + 1 : close].split())
            i = close + 1
            if phrase:
                pieces.append(_Piece(phrase, quoted=True, negated=negated, operator=operator, raw=text[start:i]))
            else:
                notes.append("Empty quotes were ignored.")
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in _QUOTE_SET:
            j += 1
        pieces.append(_Piece(text[i:j], negated=negated, operator=operator, raw=text[start:j]))
        i = j
    return pieces


def _read(piece: _Piece, draft: Draft) -> None:
    """Apply one piece to the draft: a filter, an exclusion, a phrase or plain words."""
    q = draft.query
    if piece.operator is not None:
        _read_operator(piece, piece.operator, draft)
        return
    if piece.negated:
        _read_exclusion(piece, q)
        return
    if piece.quoted:
        q.phrases.append(piece.text)
        return
    if piece.text and all(c in _PROSE_DASHES for c in piece.text):
        if piece.text in _DASHES:  # a lone "-" was likely meant as an exclusion
            q.notes.append("A lone dash excludes nothing; put it right before a word, as in -word.")
        return
    draft.free.append(piece.text)


def _read_operator(piece: _Piece, operator: str, draft: Draft) -> None:
    """Apply a piece typed behind ``operator:``: a source, date or title filter, or plain words if none of them."""
    name = _ALIASES.get(operator, operator)
    if name not in OPERATORS:
        if operator not in _NOT_OPERATORS:
            draft.query.notes.append(f"'{operator}:' is not a search operator, so '{piece.raw}' was searched as words.")
        _plain(piece, draft)
    elif name == "source":
        _read_source(piece, draft)
    elif name in ("after", "before"):
        _read_date(piece, draft, name)
    else:
        _read_title(piece, draft.query)


def _read_source(piece: _Piece, draft: Draft) -> None:
    """``source:value``: one more outlet or site the hits may come from."""
    q = draft.query
    source = normalise_source(piece.text)
    if source:
        if source not in q.sources:
            q.sources.append(source)
    else:
        q.notes.append(f"'{piece.raw}' names no source, so it was searched as words.")
        _plain(piece, draft)


def _read_date(piece: _Piece, draft: Draft, name: str) -> None:
    """``after:date`` or ``before:date`` (``name``): narrows the query's date range."""
    q = draft.query
    day = parse_date(piece.text, end=False)
    if day is None:
        q.notes.append(f"'{piece.raw}' is not a date (use YYYY-MM-DD, YYYY-MM or YYYY), so it was searched as words.")
        _plain(piece, draft)
    elif name == "after":
        q.after = day if q.after is None else max(q.after, day)
    else:
        q.before = day if q.before is None else min(q.before, day)


def _read_title(piece: _Piece, q: Query) -> None:
    """``title:word`` or ``title:"a phrase"``: words the headline must hold (a quoted one also as a phrase)."""
    words = tokenize(piece.text)
    if not words:
        q.notes.append(f"'{piece.raw}' has no searchable words, so it was ignored.")
        return
    q.title_terms.extend(w for w in words if w not in q.title_terms)
    if piece.quoted and len(words) > 1:
        q.title_phrases.append(piece.text)


def _read_exclusion(piece: _Piece, q: Query) -> None:
    """``-word`` or ``-"phrase"``: leave out articles that hold it."""
    words = tokenize(piece.text)
    if not words:
        q.notes.append(f"'{piece.raw}' has no searchable words to exclude, so it was ignored.")
    elif piece.quoted or len(words) > 1:
        # "-covid-19" gives covid, 19 and covid-19: excluding each would drop every passage with "19".
        if piece.text not in q.exclude_phrases:
            q.exclude_phrases.append(piece.text)
    elif words[0] not in q.exclude_terms:
        q.exclude_terms.append(words[0])


def _plain(piece: _Piece, draft: Draft) -> None:
    """Read a piece that is not a valid operator as the plain words it is made of."""
    text = piece.raw
    if piece.negated:
        text = text[1:]
    draft.free.append(" ".join(text.replace(":", " ").translate({ord(c): " " for c in QUOTES}).split()))


def normalise_source(value: str) -> str:
    """Case-fold a source filter and drop a scheme, ``www.`` and any path: "https://www.CNN.com/x" -> "cnn.com".

    Case-folded, not lower-cased: outlets are stored case-folded (``index.search.build.source_key``).
    """
    value = value.strip().casefold()
    value = re.sub(r"^[a-z]+://", "", value)
    if value.startswith("www."):
        value = value[4:]
    if "/" in value and "." in value.split("/", 1)[0]:
        value = value.split("/", 1)[0]
    return value.strip("/ ")


def parse_date(value: str, *, end: bool = False) -> date | None:
    """Read YYYY-MM-DD, YYYY-MM or YYYY as the first day of that period (see ``index.dates.parse_typed_date``)."""
    return parse_typed_date(value, end=end)
