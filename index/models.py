"""Records passed between the stages: articles as read, passages as split, problems as reported."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

_WS = re.compile(r"\s+")


def normalise_for_hash(text: str) -> str:
    """Fold case, accents-preserving NFKC form and whitespace so re-scrapes of one story hash alike."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


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
