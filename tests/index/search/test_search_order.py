"""The search's cheaper orderings and filters give what the plain ones give: best-first chunks, survivor-only
checks, the all-words mask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers.searchdb import Doc, searcher_over

from index.search.searcher import Searcher, _all_words_check, _best_first, _Filters, _Phrase


def _walk(chunks) -> list[int]:
    """What the search's walk sees: each position once, in chunk order."""
    seen: set[int] = set()
    out = []
    for chunk in chunks:
        for i in chunk.tolist():
            if i not in seen:
                seen.add(i)
                out.append(i)
    return out


@pytest.mark.parametrize("n", [300, 5000, 40_000])
def test_best_first_chunks_walk_the_whole_order_with_ties(n: int) -> None:
    rng = np.random.default_rng(n)
    # Few distinct scores: many ties straddle every chunk boundary.
    scores = rng.integers(0, 40, n).astype(np.float64)
    docs = rng.permutation(n * 3)[:n].astype(np.int64)
    whole = np.lexsort((docs, -scores)).tolist()
    chunks = list(_best_first(docs, scores))
    assert _walk(chunks) == whole
    # Every chunk is the exact head of the whole order.
    for chunk in chunks:
        assert chunk.tolist() == whole[: len(chunk)]


def test_filters_check_later_conditions_only_on_survivors() -> None:
    docs = np.arange(20)
    seen: list[list[int]] = []

    def even(d: np.ndarray) -> np.ndarray:
        return d % 2 == 0

    def small(d: np.ndarray) -> np.ndarray:
        seen.append(d.tolist())
        return d < 10

    flt = _Filters(state=None)  # type: ignore[arg-type]
    flt.checks = [even, small]
    assert flt(docs).tolist() == ((docs % 2 == 0) & (docs < 10)).tolist()
    assert seen == [list(range(0, 20, 2))]
    flt.checks = [lambda d: d > 100, small]
    assert not flt(docs).any()
    assert seen == [list(range(0, 20, 2))]  # nothing survived the first: the second never ran


DOCS = [
    Doc("Harbour bridge opens", ["The new harbour bridge opened to traffic on Monday."], published="2022-01-02"),
    Doc("Council meeting", ["The council voted on the bridge budget."], published="2022-01-03"),
    Doc("Harbour news", ["Boats filled the harbour at dawn."], published="2022-01-04"),
    Doc("Bridge and harbour plans", ["Nothing about either here."], published="2022-01-05"),
]


@pytest.fixture
def searcher(db_path: Path) -> Iterator[Searcher]:
    with searcher_over(db_path, DOCS) as s:
        yield s


def test_all_words_check_matches_text_or_headline(searcher: Searcher) -> None:
    st = searcher._postings
    docs = np.arange(st.n_passages)
    texts = [r["text"].lower() for r in searcher._rows(st, docs.tolist(), with_body=False).values()]
    assert len(texts) == 4
    check = _all_words_check(_Phrase(st, ["harbour", "bridg"]))
    ok = check(docs).tolist()
    rows = searcher._rows(st, docs.tolist(), with_body=False)
    for d in docs.tolist():
        text, title = rows[d]["text"].lower(), rows[d]["title"].lower()
        expected = ("harbour" in text and "bridge" in text) or ("harbour" in title and "bridge" in title)
        assert ok[d] == expected, rows[d]
    assert sum(ok) == 2  # the first article (text and headline), the last (headline only)
    assert not _all_words_check(_Phrase(st, ["harbour", "zzzunknown"]))(docs).any()
