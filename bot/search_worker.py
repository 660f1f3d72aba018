"""Search calls the bot runs off its event loop: in a worker process (or a thread in tests); no discord import here."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.answer.compose import VOTE_DEPTH, compose
from index.models import Answer, Results
from index.search.highlight import highlight

# The worker process's searcher, opened on first use and moved to a newer generation when a call asks for one.
_searcher: Any = None


def call(db_path: str, generation: str | None, func: Callable[..., Any], *args: Any) -> Any:
    """Run ``func(searcher, *args)`` in this worker, first switching to ``generation`` if it is newer.

    Raises:
        IndexMissing: there is no index for ``db_path``.
    """
    global _searcher
    if _searcher is None:
        from index.search.searcher import Searcher

        _searcher = Searcher.open(Path(db_path))
    if generation is not None and _searcher.generation != generation:
        _searcher.reload()
    return func(_searcher, *args)


def warm(searcher: Any) -> int:
    """Open the index, load the date parser and build the speller, so the first question waits for none."""
    from index.search.spelling import prepare
    from index.search.timeparse import warm_up

    warm_up()
    prepare(searcher)
    return os.getpid()


def search(searcher: Any, query: Any, k: int, options: dict[str, Any]) -> Results:
    """``searcher.search`` with keyword options (picklable for a process pool)."""
    results = searcher.search(query, k, **options)
    for hit in results.hits:
        hit.words = None  # the answer's reading aid, not worth pickling back to the bot
    return results


def search_and_compose(
    searcher: Any, query: str, k: int, options: dict[str, Any], question: str | None = None
) -> tuple[Results, Answer, bool]:
    """Search, mark the matched words, and compose the answer (``index.answer.compose``) off the event loop.

    Returns the results (``k`` hits at most), the answer composed from them, and whether another page has hits:
    one more hit is asked for (at least ``VOTE_DEPTH``, which the vote reads), because ``total`` counts passages
    and a page shows one passage per article.
    """
    # The hits past the page are read too: the short answer's vote counts the first VOTE_DEPTH, as in `ask`.
    results = searcher.search(query, max(k + 1, VOTE_DEPTH), **options)
    more = len(results.hits) > k
    # The index's idf weighs the question's words for the confidence check (rare names count most), the quote
    # and the vote.
    idf = searcher.idf(results.query.terms + results.query.title_terms)
    for hit in results.hits:
        if hit.words is None:
            highlight(hit, results.query)
    answer = compose(results, question=question, idf=idf, passages=k)
    del results.hits[k:]
    for hit in results.hits:
        hit.words = None  # read by compose; not worth pickling back to the bot
    return results, answer, more
