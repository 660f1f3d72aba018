"""The one way the tests build a store: articles written through the store's own API, passages split or given."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from index import store
from index.ingest.split import split_article
from index.models import Article, Passage
from index.search.build import rebuild
from index.search.searcher import Searcher
from index.tokenize import tokenize, tokens_to_text


@dataclass
class Doc:
    """A test article whose passages are given explicitly (no splitter involved)."""

    title: str
    passages: list[str]
    outlet: str | None = "Example News"
    published: str | None = "2022-01-05"
    url: str | None = None
    source_id: str | None = None
    duplicate_of: int | None = None  # index into the list given to make_store
    extra: dict = field(default_factory=dict)


def given_passages(texts: list[str]) -> list[Passage]:
    """Passages stored exactly as given, one paragraph each, with offsets into the paragraphs joined by blank lines."""
    passages, pos = [], 0
    for i, text in enumerate(texts):
        passages.append(Passage(i, text, i + 1, i + 1, pos, pos + len(text)))
        pos += len(text) + 2
    return passages


def write_articles(
    db_path: Path,
    articles: Iterable[tuple[Article, list[Passage] | None, int | None, str | None]],
) -> list[int]:
    """Store ``(article, passages or None to split, index of the original or None, content hash or None)`` tuples.

    Returns the article row ids in order; duplicates get no passages, as in the pipeline.
    """
    conn = store.connect(db_path)
    ids: list[int] = []
    try:
        with store.transaction(conn):
            for article, passages, original, content_hash in articles:
                dup = ids[original] if original is not None else None
                aid = store.insert_article(
                    conn,
                    article,
                    file_id=None,
                    content_hash=content_hash or article.content_hash,
                    title_tokens=tokens_to_text(tokenize(article.title)),
                    duplicate_of=dup,
                )
                ids.append(aid)
                if dup is None:
                    passages = split_article(article) if passages is None else passages
                    store.replace_passages(conn, aid, passages, [tokens_to_text(tokenize(p.text)) for p in passages])
    finally:
        conn.close()
    return ids


def make_store(db_path: Path, docs: list[Doc]) -> list[int]:
    """Write ``docs`` into a fresh store (no postings built); returns their article row ids in order."""

    def rows() -> Iterable[tuple[Article, list[Passage], int | None, str]]:
        for i, d in enumerate(docs):
            article = Article(
                source_id=d.source_id or f"doc-{i}",
                title=d.title,
                paragraphs=list(d.passages),
                outlet=d.outlet,
                published=d.published,
                url=d.url or f"https://www.example.com/{i}",
                origin_path=f"/tmp/doc-{i}.txt",
                reader="test",
                extra=d.extra,
            )
            yield article, given_passages(d.passages), d.duplicate_of, f"hash-{i}"

    return write_articles(db_path, rows())


@contextmanager
def searcher_over(db_path: Path, docs: list[Doc]) -> Iterator[Searcher]:
    """A searcher over ``docs`` written into a fresh store at ``db_path`` with its postings built; closed after."""
    make_store(db_path, docs)
    rebuild(db_path, progress=False)
    s = Searcher.open(db_path)
    try:
        yield s
    finally:
        s.close()


def build_db(path: Path, articles: Iterable[Article], *, raw_passages: dict[str, list[str]] | None = None) -> None:
    """Store ``articles`` (split as the pipeline splits them) and build the postings: a real, small index.

    ``raw_passages`` maps a source id to passage texts stored as they are (to make enormous passages).
    """
    from index.search.build import rebuild

    raw = raw_passages or {}
    write_articles(
        path,
        ((a, given_passages(raw[a.source_id]) if a.source_id in raw else None, None, None) for a in articles),
    )
    rebuild(path, progress=False)
