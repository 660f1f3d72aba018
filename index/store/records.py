"""Typed records the store's reads return: stats, outlets, ingest runs, stored articles and headline matches."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class OutletStats:
    """One outlet: its articles (distinct stories) and the dates they span (ISO dates; None when all undated)."""

    outlet: str | None
    articles: int
    first_date: str | None
    last_date: str | None


@dataclass(frozen=True, slots=True)
class IngestRun:
    """One ingest run as recorded: when, what it read, how it ended and its counts."""

    id: int
    started_at: str
    finished_at: str | None
    paths: list[str]
    status: str  # running | ok | failed | interrupted
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoreStats:
    """What the store holds.

    ``articles`` counts distinct stories: an article whose text was already stored is a duplicate, folded into
    the first (``duplicates`` counts those) and not indexed again. ``passages`` are the indexed pieces of text
    that searches match. Dates and outlets cover the distinct stories.
    """

    files: int
    files_by_status: dict[str, int]  # ok | partial | failed | pending -> count
    articles: int
    duplicates: int
    passages: int
    first_date: str | None
    last_date: str | None
    outlets: list[OutletStats]  # biggest first
    last_run: IngestRun | None
    schema_version: int
    tokenizer_version: str | None  # as stored
    db_bytes: int  # the database file and its write-ahead log

    def as_dict(self) -> dict[str, Any]:
        """The stats as JSON-serialisable data (outlets and the last run as nested dicts)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as stored, with how many passages it has (none for a duplicate)."""

    id: int
    source_id: str
    file_id: int | None
    origin_path: str
    origin_line: int | None
    reader: str
    title: str
    body: str
    outlet: str | None
    published: str | None
    url: str | None
    authors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    duplicate_of: int | None = None
    added_at: str = ""
    updated_at: str = ""
    passages: int = 0

    @property
    def paragraphs(self) -> list[str]:
        """The body's non-blank paragraphs (the store joins paragraphs with a blank line)."""
        return [p for p in self.body.split("\n\n") if p.strip()]


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """An article as a headline list names it: enough to pick it."""

    id: int
    title: str
    outlet: str | None
    published: str | None
