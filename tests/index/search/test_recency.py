"""Recency: the decay functions, the blend factors, the candidate pool and the "blend" sort end to end."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from helpers.searchdb import Doc, make_store

from index.search import recency
from index.search.build import rebuild
from index.search.postings import UNDATED_DAY
from index.search.recency import DEFAULT_BLEND, Blend, Decay
from index.search.searcher import Searcher

# --- decay functions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["gauss", "exp", "linear"])
def test_decay_is_one_up_to_offset_and_decay_at_offset_plus_scale(function: str) -> None:
    d = Decay(scale=10.0, offset=3.0, decay=0.4, function=function)
    values = d(np.array([0.0, 2.0, 3.0, 13.0, -13.0]))
    assert values[:3] == pytest.approx([1.0, 1.0, 1.0])
    assert values[3] == pytest.approx(0.4) and values[4] == pytest.approx(0.4)  # distance, either side
    far = d(np.arange(0.0, 200.0))
    assert np.all(np.diff(far) <= 0) and np.all((far >= 0) & (far <= 1))


def test_decay_matches_elasticsearch_formulas() -> None:
    scale, offset, decay = 7.0, 2.0, 0.5
    x = np.array([0.0, 1.0, 5.0, 9.0, 20.0, 40.0])
    d = np.maximum(0.0, np.abs(x) - offset)
    sigma2 = -(scale**2) / (2 * math.log(decay))
    lam = math.log(decay) / scale
    s = scale / (1.0 - decay)
    assert Decay(scale, offset, decay, "gauss")(x) == pytest.approx(np.exp(-(d**2) / (2 * sigma2)))
    assert Decay(scale, offset, decay, "exp")(x) == pytest.approx(np.exp(lam * d))
    assert Decay(scale, offset, decay, "linear")(x) == pytest.approx(np.maximum(0.0, (s - d) / s))
    assert Decay(scale, offset, decay, "linear")(np.array([offset + s]))[0] == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scale": 0.0},
        {"scale": 5.0, "decay": 1.0},
        {"scale": 5.0, "decay": 0.0},
        {"scale": 5.0, "offset": -1.0},
        {"scale": 5.0, "function": "cubic"},
    ],
)
def test_decay_rejects_bad_settings(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Decay(**kwargs)


def test_blend_rejects_negative_weights() -> None:
    with pytest.raises(ValueError):
        replace(DEFAULT_BLEND, recency_weight=-0.1)


# --- factors -------------------------------------------------------------------------------------------------

TODAY = date(2022, 1, 7).toordinal()


def test_factors_fresh_in_window_is_max_and_undated_is_one() -> None:
    b = DEFAULT_BLEND
    days = np.array([TODAY, TODAY - 14, TODAY - 400, UNDATED_DAY], np.int32)
    f = b.factors(days, TODAY, (TODAY - 6, TODAY))
    assert f[0] == pytest.approx(b.max_factor)
    assert f[1] == pytest.approx(1 + b.recency_weight * 0.5 + b.window_weight * b.window(np.array([8.0]))[0])
    assert f[2] == pytest.approx(1.0, abs=1e-6)  # a year old and far from the window: BM25 alone
    assert f[3] == 1.0  # undated: never boosted


def test_factors_without_window_only_recency() -> None:
    b = DEFAULT_BLEND
    f = b.factors(np.array([TODAY, TODAY - 14], np.int32), TODAY)
    assert f == pytest.approx([1 + b.recency_weight, 1 + b.recency_weight / 2])


def test_factors_window_is_flat_inside_and_decays_outside() -> None:
    b = replace(DEFAULT_BLEND, recency_weight=0.0)
    lo, hi = TODAY - 60, TODAY - 30  # last month, say
    days = np.array([lo - 7, lo, lo + 10, hi, hi + 7, TODAY], np.int32)
    f = b.factors(days, TODAY, (lo, hi))
    assert f[1] == f[2] == f[3] == pytest.approx(1 + b.window_weight)
    assert f[0] == pytest.approx(f[4]) == pytest.approx(1 + b.window_weight / 2)  # a week outside: half the boost
    assert f[5] < f[4]
    # Ages count from the as-of moment, never negatively: an article dated after it gets no extra boost.
    assert b.factors(np.array([TODAY + 5], np.int32), TODAY)[0] == pytest.approx(1.0)


def test_as_of_day_is_the_utc_day() -> None:
    assert recency.as_of_day(datetime(2022, 1, 7, 23, 30, tzinfo=UTC)) == date(2022, 1, 7)
    tokyo = datetime(2022, 1, 8, 1, 30, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))  # 10:30 there
    assert recency.as_of_day(tokyo) == date(2022, 1, 8)
    assert recency.as_of_day(datetime(2022, 1, 8, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))) == date(2022, 1, 7)
    assert recency.as_of_day(date(2022, 1, 7)) == date(2022, 1, 7)


# --- searching -------------------------------------------------------------------------------------------------

AS_OF = date(2022, 3, 31)


def day(n: int) -> str:
    """The date n days before AS_OF, as stored."""
    return (AS_OF - timedelta(days=n)).isoformat()


@pytest.fixture
def store(db_path: Path) -> Path:
    filler = [
        Doc(
            f"Unrelated story {i}",
            [f"Farmers reported a good harvest of apples and pears number {i}."],
            published=day(i),
        )
        for i in range(20)
    ]
    docs = [
        # 0, 1: the same text; only the dates differ
        Doc("Ferry service suspended", ["The harbor ferry service was suspended after the storm."], published=day(400)),
        Doc("Ferry service suspended", ["The harbor ferry service was suspended after the storm."], published=day(2)),
        # 2: undated copy of the same text
        Doc("Ferry service suspended", ["The harbor ferry service was suspended after the storm."], published=None),
        # 3: old but far more relevant: every word, several times, and in the headline
        Doc(
            "Harbor ferry strike: ferry workers strike over harbor ferry pay",
            ["Harbor ferry workers began a ferry strike; the harbor ferry strike halted every ferry in the harbor."],
            published=day(700),
        ),
        # 4: fresh, barely relevant
        Doc(
            "Weather roundup", ["Rain and wind across the region; a ferry was mentioned in passing."], published=day(1)
        ),
        *filler,
    ]
    make_store(db_path, docs)
    rebuild(db_path, progress=False)
    return db_path


def ranked(searcher: Searcher, text: str, **kw: object) -> list[str]:
    return [f"{h.title}|{h.published}" for h in searcher.search(text, k=10, per_article=False, **kw).hits]


def test_blend_is_the_default_and_prefers_the_fresh_copy(store: Path) -> None:
    with Searcher.open(store) as s:
        blend = s.search("harbor ferry suspended", k=3, per_article=False, as_of=AS_OF, annotate=False)
        relevance = s.search("harbor ferry suspended", k=3, per_article=False, as_of=AS_OF, sort="relevance")
    assert blend.hits[0].published == day(2)
    assert {h.published for h in blend.hits[1:3]} == {day(400), None}  # factor ~1 both: a tie
    # The same text scores the same BM25; relevance keeps index order (oldest first here).
    assert relevance.hits[0].score == pytest.approx(relevance.hits[1].score)
    assert relevance.hits[0].published == day(400)
    # The hit's score is the blended one: BM25 times its factor.
    factor = DEFAULT_BLEND.factors(np.array([(AS_OF - timedelta(days=2)).toordinal()]), AS_OF.toordinal())[0]
    assert blend.hits[0].score == pytest.approx(relevance.hits[0].score * factor, rel=1e-5)


def test_blend_keeps_undated_articles_unboosted(store: Path) -> None:
    with Searcher.open(store) as s:
        hits = s.search("harbor ferry suspended", k=5, per_article=False, as_of=AS_OF).hits
        plain = {h.passage_id: h.score for h in s.search("harbor ferry suspended", k=5, sort="relevance").hits}
    undated = [h for h in hits if h.published is None]
    assert len(undated) == 1 and undated[0].score == pytest.approx(plain[undated[0].passage_id])


def test_blend_effect_is_bounded_a_much_better_old_match_still_wins(store: Path) -> None:
    with Searcher.open(store) as s:
        relevance = s.search("harbor ferry strike workers", k=10, as_of=AS_OF, sort="relevance").hits
        scores = {h.title: h.score for h in relevance}
        old, fresh = (
            scores["Harbor ferry strike: ferry workers strike over harbor ferry pay"],
            scores["Weather roundup"],
        )
        assert old > DEFAULT_BLEND.max_factor * fresh  # the test's premise
        blend = s.search("harbor ferry strike workers", k=10, as_of=AS_OF).hits
    assert blend[0].title.startswith("Harbor ferry strike")


def test_time_window_boosts_articles_inside_it(store: Path) -> None:
    with Searcher.open(store) as s:
        # "in March 2021" is about a year before AS_OF: the 400-day-old copy is near it, the fresh one is not.
        no_recency = replace(DEFAULT_BLEND, recency_weight=0.0)
        s.blend = no_recency
        r = s.search("harbor ferry suspended in February 2021", k=3, per_article=False, as_of=AS_OF)
        assert r.query.window == (date(2021, 2, 1), date(2021, 2, 28))
        assert r.hits[0].published == day(400)  # 2021-02-24: inside the window
        s.blend = DEFAULT_BLEND
        r = s.search("harbor ferry suspended", k=3, per_article=False, as_of=AS_OF)
        assert r.query.window is None and r.hits[0].published == day(2)


def test_window_pool_surfaces_an_in_window_passage_bm25_ranks_low(db_path: Path) -> None:
    strong = [
        Doc(
            f"Bridge vote {i}",
            [f"Bridge bridge vote: the council bridge vote {i} on the bridge."],
            published=day(300 + i),
        )
        for i in range(30)
    ]
    weak = Doc("Council notes", ["Among other business, a bridge was discussed."], published=day(3))
    make_store(db_path, [*strong, weak])
    rebuild(db_path, progress=False)
    with Searcher.open(db_path) as s:
        plain = [h.title for h in s.search("bridge vote", k=40, as_of=AS_OF, sort="relevance").hits]
        assert plain.index("Council notes") == 30  # BM25 alone puts it last
        s.blend = replace(DEFAULT_BLEND, pool=5, window_pool=5, recency_weight=0.0, window_weight=4.0)
        top = s.search("bridge vote this week", k=3, as_of=AS_OF).hits
        assert top[0].title == "Council notes"
        s.blend = replace(s.blend, window_pool=0)  # without the window pool it is not a candidate...
        m = recency.candidates(
            s.postings, ["bridg", "vote"], eligible=None, depth=3, window=(AS_OF - timedelta(6), AS_OF), blend=s.blend
        )
        assert len(m.docs) < 31 and not m.exact
        # ...yet the search still finds enough hits (it re-ranks every match when the pool runs out).
        assert len(s.search("bridge vote this week", k=31, as_of=AS_OF).hits) == 31


@pytest.mark.parametrize("wide", [False, True])
def test_candidates_add_in_window_passages_with_their_bm25_scores(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, wide: bool
) -> None:
    if wide:  # force the path for wide windows (through the postings with a window filter)
        monkeypatch.setattr(recency, "WINDOW_SCAN_MAX", 0)
    docs = [
        Doc(f"Story {i}", [f"bridge vote {'bridge ' * (i % 5)} council {i}"], published=day(i * 3)) for i in range(60)
    ]
    make_store(db_path, docs)
    rebuild(db_path, progress=False)
    with Searcher.open(db_path) as s:
        st = s.postings
        terms = ["bridg", "vote"]
        window = (AS_OF - timedelta(days=20), AS_OF - timedelta(days=10))
        blend = replace(DEFAULT_BLEND, pool=4, window_pool=3)
        m = recency.candidates(st, terms, eligible=None, depth=1, window=window, blend=blend)
        assert len(np.unique(m.docs)) == len(m.docs)
        exact = st.match(terms, exact=True)
        full = dict(zip(exact.docs.tolist(), exact.scores.tolist(), strict=True))
        for d, score in zip(m.docs.tolist(), m.scores.tolist(), strict=True):
            assert score == pytest.approx(full[d], rel=1e-5)
        lo, hi = window[0].toordinal(), window[1].toordinal()
        days = st.arrays["doc_day"]
        inside = [d for d in full if lo <= days[d] <= hi]
        best_inside = sorted(inside, key=lambda d: -full[d])[:3]
        assert set(best_inside) <= set(m.docs.tolist())


def test_score_passages_equals_the_postings_scores(store: Path) -> None:
    with Searcher.open(store) as s:
        st = s.postings
        terms = ["harbor", "ferri", "ferri", "storm"]
        docs, scores = recency.score_passages(st, terms, np.arange(st.n_passages, dtype=np.int32)[::-1])
        dense = st.dense_scores(terms)
        assert set(docs.tolist()) == set(np.flatnonzero(dense > 0).tolist())
        assert scores == pytest.approx(dense[docs], rel=1e-5)


@pytest.mark.parametrize("repeat", [False, True])
def test_score_passages_keeps_the_order_given_for_few_passages(store: Path, repeat: bool) -> None:
    # Few passages (rare terms are then looked up the other way round), shuffled, and with repeats: each passage
    # given is scored where it stands, as many times as it is given.
    with Searcher.open(store) as s:
        st = s.postings
        terms = ["harbor", "ferri", "storm"]
        dense = st.dense_scores(terms)
        given = np.random.default_rng(3).permutation(st.n_passages).astype(np.int32)[: max(2, st.n_passages // 2)]
        if repeat:
            given = np.concatenate([given, given[:2]])
        docs, scores = recency.score_passages(st, terms, given)
        expected = [d for d in given.tolist() if dense[d] > 0]
        assert docs.tolist() == expected
        assert scores == pytest.approx(dense[expected], rel=1e-5)


def test_search_without_as_of_is_as_of_now(db_path: Path) -> None:
    make_store(
        db_path,
        [
            Doc("Launch planned", ["The rocket launch is planned."], published="2099-01-01"),
            Doc("Launch done", ["The rocket launch went well."], published="2022-01-01"),
        ],
    )
    rebuild(db_path, progress=False)
    with Searcher.open(db_path) as s:
        r = s.search("rocket launch")
        assert [h.title for h in r.hits] == ["Launch done"]  # nothing published after now
        assert isinstance(r.as_of, datetime) and abs(r.as_of - datetime.now(UTC)) < timedelta(minutes=1)
        assert {h.title for h in s.search("rocket launch", as_of=date(2099, 1, 1)).hits} == {
            "Launch planned",
            "Launch done",
        }


def test_newest_and_relevance_still_available(store: Path) -> None:
    with Searcher.open(store) as s:
        newest = s.search("ferry", k=5, sort="newest", as_of=AS_OF, per_article=False).hits
        dated = [h.published for h in newest if h.published]
        assert dated == sorted(dated, reverse=True)


def test_describe_names_the_settings() -> None:
    text = recency.describe(Blend(Decay(14), 1.0, Decay(7, function="gauss"), 1.0))
    assert "exp(scale 14d" in text and "gauss(scale 7d" in text and "pool 200+100" in text
