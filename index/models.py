"""Records passed between the stages: articles as read, passages as split, problems as reported."""

from __future__ import annotations

import hashlib
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

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


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
