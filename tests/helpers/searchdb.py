"""Builds small stores for the search tests: articles and passages written straight into the schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index.store import connect, transaction
from index.tokenize import tokenize, tokens_to_text


@dataclass
class Doc:
    """A test article: its passages are given explicitly (no splitter involved)."""

    title: str
    passages: list[str]
    outlet: str | None = "Example News"
    published: str | None = "2022-01-05"
    url: str | None = None
    source_id: str | None = None
    duplicate_of: int | None = None  # index into the list given to make_store
    extra: dict = field(default_factory=dict)


def make_store(db_path: Path, docs: list[Doc]) -> list[int]:
    """Write ``docs`` into a fresh store; returns their article row ids in order."""
    conn = connect(db_path)
    ids: list[int] = []
    with transaction(conn):
        for i, d in enumerate(docs):
            dup = ids[d.duplicate_of] if d.duplicate_of is not None else None
            body = "\n\n".join(d.passages)
            row = conn.execute(
                """INSERT INTO articles(source_id, origin_path, reader, title, body, outlet, published, url,
                       content_hash, duplicate_of, title_tokens, added_at, updated_at)
                   VALUES (?, ?, 'test', ?, ?, ?, ?, ?, ?, ?, ?, '2022-01-01', '2022-01-01') RETURNING id""",
                (
                    d.source_id or f"doc-{i}",
                    f"/tmp/doc-{i}.txt",
                    d.title,
                    body,
                    d.outlet,
                    d.published,
                    d.url or f"https://www.example.com/{i}",
                    f"hash-{i}",
                    dup,
                    tokens_to_text(tokenize(d.title)),
                ),
            ).fetchone()
            ids.append(int(row[0]))
            if dup is not None:
                continue
            start = 0
            for n, text in enumerate(d.passages):
                conn.execute(
                    """INSERT INTO passages(article_id, ordinal, paragraph, paragraph_end, char_start, char_end,
                           text, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    (ids[-1], n, n + 1, n + 1, start, start + len(text), text, tokens_to_text(tokenize(text))),
                )
                start += len(text) + 2
    conn.close()
    return ids
