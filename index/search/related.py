"""Articles like one article, and the words that weigh most in a text: terms weighted by the index's idf."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import numpy as np

from index.models import Hit, Query, Results
from index.store import article_passages, connect, read_article
from index.tokenize import text_to_tokens, tokenize_spans

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

KEY_TERMS = 12  # terms of a text searched for it: enough to name a story, few enough to stay on it
FOLD_DAYS = 7  # an article with the same headline within this many days is a copy of the story, not a sequel

IdfOf = Callable[[list[str]], dict[str, float]]


def weighted_terms(tokens: Iterable[str], idf: IdfOf, n: int = KEY_TERMS) -> list[str]:
    """The ``n`` terms that weigh most in ``tokens``: (1 + log tf) times the index's idf, unknown terms left out.

    Args:
        tokens: the text's terms (tokenized as the index is).
        idf: the index's idf for a list of terms (``Searcher.idf``).
        n: how many terms at most.

    Returns:
        The terms, heaviest first (ties by the term, so the choice is stable).
    """
    tf = Counter(tokens)
    weights = idf(list(tf))
    scored = [((1 + math.log(c)) * weights.get(t, 0.0), t) for t, c in tf.items()]
    return [t for w, t in sorted(scored, key=lambda x: (-x[0], x[1])) if w > 0][:n]


def key_words(text: str, idf: IdfOf, n: int = KEY_TERMS) -> list[str]:
    """The words of ``text`` (as written, in order of first use) whose terms weigh most: a query for the text."""
    runs = tokenize_spans(text)
    best = set(weighted_terms([t for _, _, terms in runs for t in terms], idf, n))
    words: dict[str, str] = {}
    for start, end, terms in runs:
        for t in terms:
            if t in best and t not in words:
                words[t] = text[start:end]
    return list(dict.fromkeys(words.values()))


def related(searcher: Any, article_id: int, k: int = 10, *, as_of: date | datetime | None = None) -> Results | None:
    """The articles most like one article: its weighted terms as a query, itself and its copies left out.

    Args:
        searcher: an open ``Searcher``.
        article_id: the store's row id of the article (a duplicate is followed to its original).
        k: how many articles.
        as_of: never list articles published after this moment (None: now).

    Returns:
        Results ranked by likeness (one hit per article; ``query.raw`` holds the article's headline), or None when
        the article is not stored.
    """
    conn = connect(searcher.db_path, readonly=True)
    try:
        article = read_article(conn, article_id, original=True)
        if article is None:
            return None
        tokens = [t for row in article_passages(conn, article.id) for t in text_to_tokens(row["tokens"])]
    finally:
        conn.close()
    terms = weighted_terms(tokens, searcher.idf)
    q = Query(raw=article.title or "", terms=terms)
    # Copies fold into the article's own hit, and a few near-copies may rank first: ask for some spare hits.
    results = searcher.search(q, k + 5, sort="relevance", as_of=as_of, per_article=True)
    keep = _not_copies(searcher.postings, article.id, results.hits)
    results.hits = keep[:k]
    return results


def _not_copies(st: Any, article_id: int, hits: list[Hit]) -> list[Hit]:
    """``hits`` without the article itself, hits its copies were folded into, and same-headline copies."""
    rowids = np.asarray(st.arrays["art_rowid"])
    numbers = np.flatnonzero(rowids == article_id)
    story = int(st.arrays["art_story"][numbers[0]]) if len(numbers) else 0
    first = st.arrays["art_first"]
    day = int(st.arrays["doc_day"][first[numbers[0]]]) if len(numbers) else -1
    out = []
    for hit in hits:
        if hit.article_id == article_id or any(a.get("article_id") == article_id for a in hit.also_in):
            continue
        if story and _same_story(st, rowids, hit.article_id, story, day):
            continue
        out.append(hit)
    return out


def _same_story(st: Any, rowids: np.ndarray, article_id: int, story: int, day: int) -> bool:
    numbers = np.flatnonzero(rowids == article_id)
    if not len(numbers) or int(st.arrays["art_story"][numbers[0]]) != story:
        return False
    other = int(st.arrays["doc_day"][st.arrays["art_first"][numbers[0]]])
    return day < 0 or other < 0 or abs(other - day) <= FOLD_DAYS
