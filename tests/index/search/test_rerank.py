"""The second stage: the query's burst of coverage re-ranks BM25's pool; off, the ranking is BM25's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from helpers.searchdb import Doc, searcher_over

from index.search.rerank import DEFAULT_RERANK, Rerank, burst_profile, profile_articles, rerank
from index.search.searcher import Searcher

# An eruption covered in a burst (January 2022), and an older story that matches the words a little better.
BURST = [
    Doc(f"Tonga eruption update {i}", [f"The volcano eruption near Tonga: day {i} of the relief effort."], published=d)
    for i, d in enumerate(["2022-01-15", "2022-01-16", "2022-01-16", "2022-01-17"])
]
OLD = Doc(
    "Volcano eruption, volcano eruption",
    ["A volcano eruption in 2019: the volcano eruption near Tonga and the volcano eruption after it."],
    published="2019-06-01",
)
UNDATED = Doc(
    "Undated note",
    ["A note with no date, about a volcano somewhere far from the sea and from any town."],
    published=None,
)
LATER = date(2026, 12, 1)  # long after every story: recency says nothing


@pytest.fixture
def searcher(db_path: Path) -> Iterator[Searcher]:
    with searcher_over(db_path, [OLD, *BURST, UNDATED]) as s:
        yield s


def ids(results) -> list[int]:
    return [h.passage_id for h in results.hits]


def test_the_burst_lifts_a_story_from_the_days_the_news_clustered(searcher: Searcher) -> None:
    searcher.rerank = Rerank(burst_weight=0.5, burst_power=1.0)
    plain = searcher.search("volcano eruption Tonga", as_of=LATER, rerank=False)
    staged = searcher.search("volcano eruption Tonga", as_of=LATER)
    assert plain.hits[0].title == OLD.title
    assert staged.hits[0].title.startswith("Tonga eruption update")
    assert {h.passage_id for h in plain.hits} == {h.passage_id for h in staged.hits}  # the pool is the same


def test_off_gives_the_bm25_ranking_exactly(searcher: Searcher) -> None:
    relevance = searcher.search("volcano eruption Tonga", as_of=LATER, sort="relevance")
    assert ids(relevance) == ids(searcher.search("volcano eruption Tonga", as_of=LATER, sort="relevance", rerank=False))
    assert [h.score for h in relevance.hits] == sorted((h.score for h in relevance.hits), reverse=True)
    # The blend without the stage is the blend as before: the flag, a weight of 0 and None all agree.
    off = searcher.search("volcano eruption Tonga", as_of=LATER, rerank=False)
    searcher.rerank = replace(DEFAULT_RERANK, burst_weight=0.0)
    assert ids(searcher.search("volcano eruption Tonga", as_of=LATER)) == ids(off)
    searcher.rerank = None
    assert ids(searcher.search("volcano eruption Tonga", as_of=LATER)) == ids(off)
    assert [h.score for h in searcher.search("volcano eruption Tonga", as_of=LATER).hits] == [h.score for h in off.hits]


def test_fresh_news_is_left_to_recency(searcher: Searcher) -> None:
    # The best match is younger than min_age_days at the as-of day: the stage stays out of the way.
    searcher.rerank = Rerank(burst_weight=0.5, burst_power=1.0, min_age_days=365 * 10)
    off = searcher.search("volcano eruption Tonga", as_of=LATER, rerank=False)
    assert ids(searcher.search("volcano eruption Tonga", as_of=LATER)) == ids(off)


def test_scores_are_bounded_and_undated_passages_unchanged(searcher: Searcher) -> None:
    st = searcher.postings
    m = st.match(["volcano", "erupt", "tonga"], exact=True)
    settings = Rerank(burst_weight=0.5)
    out = rerank(st, m, settings=settings, as_of_day=LATER.toordinal())
    assert np.array_equal(out.docs, m.docs)
    ratio = out.scores / m.scores
    assert (ratio >= 1 - 1e-6).all() and (ratio <= 1.5 + 1e-6).all()
    undated = st.arrays["doc_day"][m.docs] == -1
    assert undated.any() and np.allclose(ratio[undated], 1.0)
    ref = profile_articles(st, m.docs, m.scores.astype(np.float64), 20)
    density = burst_profile(st, m.docs, m.scores.astype(np.float64), settings, ref)
    assert density.max() == pytest.approx(1.0) and density.min() >= 0


def test_filters_keep_their_passages_out_of_the_profile(searcher: Searcher) -> None:
    st = searcher.postings
    m = st.match(["volcano", "erupt", "tonga"], exact=True)
    day = st.arrays["doc_day"]
    only_old = lambda d: (day[d] >= 0) & (day[d] < date(2020, 1, 1).toordinal())  # noqa: E731
    ref = profile_articles(st, m.docs, m.scores.astype(np.float64), 20, only_old)
    assert len(ref) == 1 and st.arrays["doc_day"][m.docs[ref[0]]] == date(2019, 6, 1).toordinal()


def test_pages_agree_with_one_long_page(searcher: Searcher) -> None:
    searcher.rerank = Rerank(burst_weight=0.5, burst_power=1.0)
    whole = ids(searcher.search("volcano eruption Tonga", k=6, as_of=LATER, per_article=False))
    paged = [
        h.passage_id
        for off in range(0, 6, 2)
        for h in searcher.search("volcano eruption Tonga", k=2, offset=off, as_of=LATER, per_article=False).hits
    ]
    assert paged == whole and len(whole) == 6


def test_many_candidates_get_the_same_density_from_the_day_table(searcher: Searcher) -> None:
    # Broad queries bring far more candidates than days: the density is then looked up per day.
    st = searcher.postings
    m = st.match(["volcano", "erupt", "tonga"], exact=True)
    scores = m.scores.astype(np.float64)
    ref = profile_articles(st, m.docs, scores, 20)
    direct = burst_profile(st, m.docs, scores, DEFAULT_RERANK, ref)
    many = np.repeat(np.arange(len(m.docs)), 400)  # 2,400 candidates over a span of about 1,000 days
    table = burst_profile(st, m.docs[many], scores[many], DEFAULT_RERANK, np.searchsorted(many, ref))
    assert np.allclose(table, direct[many])


def test_nothing_to_profile_changes_nothing(searcher: Searcher) -> None:
    st = searcher.postings
    m = st.match(["volcano", "erupt", "tonga"], exact=True)
    nothing = lambda d: np.zeros(len(d), np.bool_)  # noqa: E731  (filters that let no passage through)
    out = rerank(st, m, eligible=nothing, as_of_day=LATER.toordinal())
    assert np.array_equal(out.scores, m.scores)
    zero = replace(m, scores=np.zeros_like(m.scores))
    assert np.array_equal(rerank(st, zero, as_of_day=LATER.toordinal()).scores, zero.scores)


def test_the_fresh_lead_test_decides_as_the_profile_does(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    """Skipping the profile when the best candidate is fresh changes nothing: over random as-of days, filters and
    ties, the stage's scores are those it gives when the profile is always built."""
    import index.search.rerank as stage

    rng = np.random.default_rng(3)
    months, mdays = rng.integers(0, 12, 80), rng.integers(0, 28, 80)
    days = [f"2022-{1 + int(m):02d}-{1 + int(d):02d}" for m, d in zip(months, mdays, strict=True)]
    docs = [
        Doc(  # lengths vary, so scores rarely tie
            f"Story {i}",
            [f"volcano {'eruption ' * int(rng.integers(1, 4))} report {'ash cloud ' * int(rng.integers(0, 40))}"],
            published=day,
        )
        for i, day in enumerate(days)
    ]
    with searcher_over(db_path, [*docs, UNDATED]) as s:
        st = s.postings
        m = st.match(["volcano", "erupt", "report"], exact=True)
        settings = Rerank(burst_weight=0.5, burst_power=1.0, min_age_days=56)
        allowed = rng.random(len(st.arrays["doc_day"])) < 0.7
        doc_day = st.arrays["doc_day"]

        def old_only(day: int) -> Callable[[np.ndarray], np.ndarray]:
            return lambda d: doc_day[d] <= day - 60  # the freshest passages are not eligible

        cases = [(day, flt) for day in range(738160, 738760) for flt in (None, lambda d: allowed[d], old_only(day))]
        fast = [rerank(st, m, settings=settings, eligible=flt, as_of_day=day).scores for day, flt in cases]
        assert sum(stage._fresh_lead(st, m.docs, m.scores, flt, day - 56) for day, flt in cases) >= 10
        monkeypatch.setattr(stage, "_fresh_lead", lambda *a: False)
        slow = [rerank(st, m, settings=settings, eligible=flt, as_of_day=day).scores for day, flt in cases]
        assert all(np.array_equal(a, b) for a, b in zip(fast, slow, strict=True))
        assert any(not np.array_equal(a, m.scores) for a in slow)  # some days the stage re-scores
        assert any(np.array_equal(a, m.scores) for a in slow)  # on others the fresh lead leaves the pool be
