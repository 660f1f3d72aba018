"""Search calls the bot runs off its event loop: in a worker process (or a thread in tests); no discord import here."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from index import store
from index.answer.compose import VOTE_DEPTH, compose, runner_up_options
from index.models import Answer, Results
from index.search.highlight import highlight

# The worker process's searcher, opened on first use and moved to a newer generation when a call asks for one.
_searcher: Any = None


def call(db_path: str, generation: str | None, func: Callable[..., Any], *args: Any) -> Any:
    """Run ``func(searcher, *args)`` in this worker, first switching to ``generation`` if it is newer.

    The bot's engine picks ``generation`` (an older intact one while the current one is damaged), so the worker
    opens exactly that one rather than whatever ``CURRENT`` names.

    Raises:
        IndexMissing: there is no index for ``db_path``.
        IndexDamaged: ``generation`` is missing or damaged.
    """
    global _searcher
    if _searcher is None:
        from index.search.searcher import Searcher

        _searcher = Searcher.open(store.locate(db_path), generation=generation)
    elif generation is not None and _searcher.generation != generation:
        _searcher.reload(generation)
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
    options = dict(options)
    window = options.pop("window", None)
    if window is not None:
        query = _with_window(query, window, options.get("as_of"))
    # The hits past the page are read too: the short answer's vote counts the first VOTE_DEPTH, as in `ask`.
    # With each article's runner-up passages, so the answer shows the passage that answers, as `ask` does.
    results = searcher.search(query, max(k + 1, VOTE_DEPTH), **options, **runner_up_options(options, k))
    # The index's idf weighs the question's words for the confidence check (rare names count most), the quote
    # and the vote.
    idf = searcher.idf(results.query.terms + results.query.title_terms)
    for hit in results.hits:
        if hit.words is None:
            highlight(hit, results.query)
    answer = compose(results, question=question, idf=idf, passages=k)
    more = len(results.hits) > (answer.ranked or k)  # the next page starts after the articles shown
    del results.hits[k:]
    for hit in results.hits + [p.hit for p in answer.passages]:
        hit.words = None  # read by compose; not worth pickling back to the bot
        hit.alternates = []  # the answer holds those it shows
    return results, answer, more


def _with_window(query: str, window: tuple[Any, Any], as_of: Any) -> Any:
    """``query`` parsed, with ``window`` (a follow-up's carried time window) unless its own words give one."""
    from datetime import UTC, datetime

    from index.search.recency import as_of_day
    from index.search.searcher import parse_query

    parsed = parse_query(query, today=as_of_day(as_of or datetime.now(UTC)))
    if parsed.window is None:
        parsed.window = (window[0], window[1])
    return parsed


def key_words(searcher: Any, text: str, n: int) -> list[str]:
    """The ``n`` words of ``text`` that weigh most in the index (``index.search.related.key_words``)."""
    from index.search.related import key_words as weigh

    return weigh(text, searcher.idf, n)


def coverage(searcher: Any, text: str, k: int, options: dict[str, Any]) -> tuple[list[str], Results]:
    """Articles about ``text``: its weightiest words searched, one hit per article."""
    words = key_words(searcher, text, 12)
    return words, searcher.search(" ".join(words), k, per_article=True, **options)


def related(searcher: Any, article_id: int, k: int, as_of: Any) -> Results | None:
    """The articles most like one article (``index.search.related.related``); None when it is not stored."""
    from index.search.related import related as find

    return find(searcher, article_id, k, as_of=as_of)


def timeline(searcher: Any, query: str, options: dict[str, Any], title: str) -> tuple[Any, bytes | None]:
    """The timeline of ``query`` (``index.search.timeline``) and its chart as PNG bytes (None when nothing matched).

    The chart is drawn here, off the event loop: in a worker process, or a thread when searches run in threads.
    """
    from index.chart import draw_timeline
    from index.search.timeline import timeline as count

    line = count(searcher, query, **options)
    return line, draw_timeline(line, title) if line.total else None
