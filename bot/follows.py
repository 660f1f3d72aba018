"""Matching new articles against a followed topic, run by the search engine off the event loop (no discord here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from index.answer.compose import annotate, assess
from index.dates import published_day
from index.models import Hit, Query, Results
from index.search.query import parse

SCAN = 300  # matching articles a follow's search walks, newest first, to find the new ones among them


def check_query(text: str) -> Query:
    """The follow's query as the search reads it; ``empty`` when it has no word to match (nothing, or exclusions)."""
    return parse(text)


def earliest_day(published: list[str | None]) -> date | None:
    """The first publication day among new articles, to narrow the search to them; None if any is undated."""
    days = [published_day(p) for p in published]
    if not days or any(d is None for d in days):
        return None  # the search's after: filter drops undated articles
    return min(d for d in days if d is not None)


def indexed_upto(searcher: Any) -> int:
    """The highest article id the search index in service covers: newer articles cannot be matched yet."""
    return searcher.postings.max_article_id


def match_new(searcher: Any, query: str, candidates: list[int], after: date | None, scan: int = SCAN) -> list[Hit]:
    """The hits among ``candidates`` (article row ids) that match ``query`` well enough, newest first.

    The follow's query runs as /search runs it (query language, filters, republished copies folded), newest first
    and from the candidates' first day on, so the new articles are at the top; each is then held to the same
    "well enough" test /ask uses for its best passage (``index.answer.compose.assess``). Module-level, so the
    engine can run it in a worker process.
    """
    results = searcher.search(query, scan, sort="newest", per_article=True, after=after, annotate=False)
    wanted = set(candidates)
    idf = searcher.idf(results.query.terms + results.query.title_terms)
    found = []
    for hit in results.hits:
        if hit.article_id not in wanted:
            continue
        annotate(hit, results.query, idf)
        if assess(Results(results.query, [hit], 1, 0.0), idf).confident:
            found.append(hit)
    return found
