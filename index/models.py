"""Records passed between the stages: articles as read, passages as split, hits and results, composed answers."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Result orders every front end offers; "blend" (relevance with recency, see index.search.recency) is the default.
SORTS = ("blend", "relevance", "newest")


def normalise_for_hash(text: str) -> str:
    """Fold case, compatibility forms (NFKC) and whitespace so re-scrapes of one story hash alike."""
    # str.split() is about twice as fast as a regex here and splits on the same Unicode whitespace.
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclass(slots=True)
class Article:
    """One article as a reader produced it, before it is stored.

    Attributes:
        source_id: the id the article has in its source: the record's own ``id`` for JSON/JSONL/feeds when
            present, else ``path`` (one article per file) or ``path:line`` / ``path#n`` (several per file).
            It is the article's stable key across runs.
        title: the headline ("" when none could be found).
        paragraphs: cleaned body paragraphs, in order, boilerplate removed.
        outlet: publisher or site name ("cnn.com", "NPR"), or None.
        published: ISO 8601 date ("2022-01-07") or datetime with offset, or None when unknown.
        url: canonical link, or None.
        authors: author names.
        origin_path: the file the article came from (as given on the command line, resolved).
        origin_line: 1-based line for JSONL records, item number for feeds, None for one-article files.
        reader: which reader produced it ("text", "html", "json", "jsonl", "markdown", "feed").
        extra: anything else worth keeping (category, copyright year, ...); JSON-serialisable.
    """

    source_id: str
    title: str
    paragraphs: list[str]
    outlet: str | None = None
    published: str | None = None
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    origin_path: str = ""
    origin_line: int | None = None
    reader: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> str:
        """The body as stored: paragraphs joined by a blank line (passage offsets point into this)."""
        return "\n\n".join(self.paragraphs)

    @property
    def content_hash(self) -> str:
        """Hash of the normalised body text; equal for the same story stored twice."""
        return hashlib.blake2b(normalise_for_hash(self.body).encode("utf-8"), digest_size=16).hexdigest()


@dataclass(slots=True)
class Problem:
    """Something a reader could not use: reported in the run summary and the ingest log, never fatal."""

    path: str
    reason: str
    line: int | None = None
    level: str = "error"  # "error" (input lost) or "skip" (nothing to index, e.g. an empty record)
    count: int = 1  # more than 1: this problem stands for as many lines of the file, from ``line`` on

    def __str__(self) -> str:
        # A file name (or a record's title in the reason) may hold newlines or terminal escapes: shown escaped,
        # one problem is always one line and cannot forge another or recolour the terminal.
        path = _printable(self.path)
        where = f"{path}:{self.line}" if self.line is not None else path
        more = f" (and {self.count - 1:,} more lines like it)" if self.count > 1 else ""
        return f"{where}: {_printable(self.reason)}{more}"

    @property
    def kind(self) -> str:
        """The reason without what varies from line to line (quoted titles, numbers): problems of one kind."""
        return _VARYING.sub("…", self.reason)


_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\d[\d,.]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ProblemFolder:
    """Collects a file's problems, at most ``keep`` of each kind one by one; the rest of a kind are counted on the
    first one left out (``count``), so a bad file with a million bad lines costs a few rows, not a million."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.problems: list[Problem] = []
        self._seen: dict[tuple[str, str, str], int] = {}
        self._folded: dict[tuple[str, str, str], Problem] = {}
        self._kinds: dict[str, str] = {}  # reason -> kind: a bad file repeats a handful of reasons many times

    def add(self, p: Problem) -> None:
        kind = self._kinds.get(p.reason)
        if kind is None:
            kind = self._kinds[p.reason] = p.kind
        key = (p.path, p.level, kind)
        folded = self._folded.get(key)
        if folded is not None:
            folded.count += p.count
            return
        seen = self._seen.get(key, 0) + 1
        self._seen[key] = seen
        if seen > self.keep:
            p = self._folded[key] = Problem(p.path, p.reason, p.line, p.level, count=p.count)
        self.problems.append(p)


def _printable(text: str) -> str:
    """``text`` with control characters written as escapes (\\n, \\x1b, \\u2028)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(slots=True)
class Passage:
    """A window of an article's body, the unit that is searched and quoted.

    ``char_start``/``char_end`` are offsets into ``Article.body``; ``paragraph`` is the 1-based number of the
    paragraph where the passage starts (``paragraph_end`` where it ends), for "paragraph 3" citations.
    """

    ordinal: int
    text: str
    paragraph: int
    paragraph_end: int
    char_start: int
    char_end: int


@dataclass(slots=True)
class Query:
    """A parsed query (see ``index.search.query.parse``): what is scored, what must or must not match, and filters.

    ``terms`` are the BM25 terms (tokenized free words and the words of phrases, repeats kept, as rank-bm25
    scores repeats); ``phrases`` must occur as written in the passage (or its headline); ``title_terms`` must be
    in the headline; ``after`` is inclusive and ``before`` exclusive (dates, UTC); ``sources`` match an
    article's outlet or its URL's domain, case-insensitively; ``window`` is the date range a time expression
    ("last week") resolved to, which boosts rather than filters; ``notes`` says how odd input was read.
    """

    raw: str
    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    exclude_terms: list[str] = field(default_factory=list)
    exclude_phrases: list[str] = field(default_factory=list)
    title_terms: list[str] = field(default_factory=list)
    title_phrases: list[str] = field(default_factory=list)  # title:"a phrase": its words are in title_terms too
    sources: list[str] = field(default_factory=list)
    after: date | None = None
    before: date | None = None
    window: tuple[date, date] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when there is nothing to score (empty or stopword-only text)."""
        return not (self.terms or self.title_terms)


@dataclass(slots=True)
class Hit:
    """One search result: a passage, its article's citation data, and where the query matched.

    Offsets in ``highlights`` and ``best_sentence`` are into ``text`` (the passage), so a front end can mark
    them in its own markup after escaping the text.
    """

    passage_id: int
    article_id: int  # the store's article row id
    source_id: str  # the id the article has in its source (JSONL id, else file path)
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    paragraph: int
    paragraph_end: int
    text: str
    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)
    best_sentence: tuple[int, int] | None = None
    sentence_score: float = 0.0  # how well best_sentence answers the query; comparable across one search's hits
    also_in: list[dict[str, Any]] = field(default_factory=list)  # same story elsewhere: {outlet, url, title, ...}
    matched_terms: list[str] = field(default_factory=list)
    # The passage's word runs (``index.tokenize.tokenize_spans``) once highlighted, so the answer reads the text
    # without tokenizing it again; None until then. Not part of any output.
    words: list[tuple[int, int, tuple[str, ...]]] | None = field(default=None, repr=False, compare=False)
    # Runner-up passages of the same article from the search's pool, best first (``Searcher.search(alternates=n)``;
    # empty otherwise): an answer may show one of them instead when it answers better. Not part of any output.
    alternates: list[Hit] = field(default_factory=list, repr=False, compare=False)


@dataclass(slots=True)
class Correction:
    """A query word the index did not know, searched as the closest word it knows ("searched for ... instead").

    Attributes:
        word: the word as typed ("Zelenksy").
        term: its BM25 term, unknown to the index ("zelenksi").
        corrected: the known term searched instead ("zelenski").
        shown: how to name the correction to a reader: a word of the hits with that term ("Zelensky"), else
            the term itself.
    """

    word: str
    term: str
    corrected: str
    shown: str


@dataclass(slots=True)
class Results:
    """The answer to one search: ranked hits plus what a front end needs to explain them."""

    query: Query
    hits: list[Hit]
    total: int  # candidates that matched before paging
    took_ms: float
    offset: int = 0
    generation: str | None = None
    message: str | None = None  # set when there is nothing to search or nothing matched; say it to the user
    as_of: date | datetime | None = None  # the moment searched as of: ages ("3 days earlier") count from it
    corrections: list[Correction] = field(default_factory=list)  # unknown words searched as known ones


@dataclass(slots=True)
class Excerpt:
    """The part of a passage's text a front end shows: ``text[start:end]``, and whether text was left out."""

    start: int
    end: int
    cut_before: bool = False  # shown with an ellipsis before it
    cut_after: bool = False  # shown with an ellipsis after it


@dataclass(slots=True)
class Citation:
    """Where a shown passage (or a closest headline) comes from, as every front end cites it.

    ``day`` is the UTC publication day (``index.dates.published_day``) and ``age`` its distance from the as-of
    moment ("3 days earlier"); both come from ``index.dates`` so every front end states the same.
    """

    number: int  # the [n] shown: 1 for the first passage of the answer's page
    title: str  # "" when the article has no headline
    outlet: str | None
    day: date | None  # None when undated
    url: str | None
    paragraph: int
    paragraph_end: int
    age: str | None = None  # None without an as-of moment or without a date
    published: str | None = None  # the stored date text, for scripts
    article_id: int | None = None  # the store's article row id (to open the article)


@dataclass(slots=True)
class AnswerPassage:
    """One passage shown in an answer: the hit (text, highlight spans, ids), its citation and its excerpt."""

    hit: Hit
    citation: Citation
    excerpt: Excerpt


@dataclass(slots=True)
class Quote:
    """The words quoted as the answer: one or two consecutive sentences of one shown passage.

    ``start``/``end`` are offsets into ``Answer.passages[passage].hit.text`` (from the first sentence's start to
    the last one's end); ``spans`` are the sentences' own offsets; ``shown`` is the part displayed (all of it: a
    quote is at most ``index.answer.compose.QUOTE_CHARS`` characters).
    """

    passage: int  # index into Answer.passages; cited as [passage + 1]
    start: int
    end: int
    shown: Excerpt
    text: str  # the whole quote, as in the passage
    spans: tuple[tuple[int, int], ...] = ()  # each quoted sentence's (start, end)


@dataclass(slots=True)
class Answer:
    """A question's answer, composed once (``index.answer.compose.compose``) and rendered by every front end.

    When nothing answers well, ``passages`` is empty and ``message``, ``suggestions`` and ``closest`` say so;
    otherwise ``quote`` (when a sentence matched) and ``passages`` are the answer, ``short_answer`` (first page
    only) gives it in a few words when the top passages agree on them, and ``time_note`` warns when the best
    evidence lies far outside the time the question asks about.
    """

    question: str
    as_of: date | datetime | None
    confident: bool  # the best hit answers well enough (index.answer.compose.assess)
    passages: list[AnswerPassage] = field(default_factory=list)
    quote: Quote | None = None
    short_answer: str | None = None  # a few words that answer, shown only when the passages agree on them
    short_answer_passage: int | None = None  # index into passages of the one that supports it; cited as [n + 1]
    short_answer_kind: str | None = None  # what kind of answer it is (person, place, money, ...)
    time_note: str | None = None
    message: str | None = None  # nothing matched well: why; else a note from the search, if any
    suggestions: list[str] = field(default_factory=list)
    closest: list[Citation] = field(default_factory=list)  # nothing matched well: the nearest headlines
    notes: list[str] = field(default_factory=list)  # how odd input in the question was read
    corrections: list[Correction] = field(default_factory=list)  # unknown words searched as known ones
    coverage: float = 0.0
    total: int = 0  # matching passages before paging
    offset: int = 0  # passages before this page
    took_ms: float = 0.0
    generation: str | None = None

    @property
    def answered(self) -> bool:
        """True when passages are shown as the answer (False: the "no good match" reply)."""
        return bool(self.passages)

    @property
    def ranked(self) -> int:
        """Hits of the ranking this page shows: its articles (one hit each), after which the next page starts.
        Fewer than the passages when one is a shown article's second passage (``index.answer.choice``)."""
        return len({p.hit.article_id for p in self.passages})
