"""A second stage on top of exact BM25: the query's own burst of news coverage re-ranks BM25's pool."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.search.postings import UNDATED_DAY, Matches, Postings

log = logging.getLogger(__name__)

Eligible = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Rerank:
    """Settings of the second stage (``Searcher.search(rerank=False)`` turns it off).

    Chosen by 5-fold cross-validation over the dev questions (``bench/rerank_cv.py``, see docs/search.md).

    Attributes:
        burst_articles: the best articles by BM25 whose publication days make the query's temporal profile.
        burst_halflife: days from a profile article at which its pull halves (an exponential kernel).
        burst_power: profile articles weigh (score / best score) to this power: the top ones count most.
        burst_weight: a passage published at the profile's peak gains this share of its score, less elsewhere;
            undated passages gain nothing. 0 turns it off.
        min_age_days: the stage runs only when every profile article is at least this many days older than the
            as-of day: then the blend's recency decay (halving every two weeks) no longer tells stories apart,
            while with fresh news among the best matches it already does, better (cross-validation: without this
            condition the burst cost dated questions).
    """

    burst_articles: int = 20
    burst_halflife: float = 7.0
    burst_power: float = 3.0
    burst_weight: float = 0.25
    min_age_days: int = 56


DEFAULT_RERANK = Rerank()


def rerank(
    st: Postings,
    matches: Matches,
    *,
    settings: Rerank = DEFAULT_RERANK,
    eligible: Eligible | None = None,
    as_of_day: int | None = None,
) -> Matches:
    """Re-score BM25's candidates by the query's burst of coverage; the pool stays the same.

    News about one event comes in a burst: the best BM25 matches cluster around the days it happened, while
    matches from other years share words but not days. The profile is a score-weighted kernel density over the
    publication days of the ``burst_articles`` best articles (as in temporal feedback, Peetz et al. 2014); each
    candidate is multiplied by ``1 + burst_weight * density(day) / peak``.

    Args:
        st: the postings.
        matches: the first stage's candidates (any order); every passage outside them stays outside.
        settings: the stage's parameters.
        eligible: the query's filters; the profile comes only from passages that pass them.
        as_of_day: the search's as-of day (a date ordinal), for ``min_age_days``; None: no age condition.

    Returns:
        The same candidates with new scores (never higher than ``(1 + burst_weight)`` times BM25; ``bound`` and
        ``constant`` unchanged).
    """
    docs = matches.docs
    if not len(docs) or not settings.burst_weight or settings.burst_articles <= 0:
        return matches
    if as_of_day is not None and _fresh_lead(st, docs, matches.scores, eligible, as_of_day - settings.min_age_days):
        return matches  # as below, known before the profile is built: its best article is fresh news
    scores = matches.scores.astype(np.float64)
    ref = profile_articles(st, docs, scores, settings.burst_articles, eligible)
    if as_of_day is not None and len(ref):
        days = st.arrays["doc_day"][docs[ref]]
        dated = days[days != UNDATED_DAY]
        if len(dated) and as_of_day - int(dated.max()) < settings.min_age_days:
            return matches  # fresh news among the best: the blend's recency already points at its days
    factor = 1 + settings.burst_weight * burst_profile(st, docs, scores, settings, ref)
    return Matches(docs, (scores * factor).astype(np.float32), matches.bound, matches.constant)


def _fresh_lead(st: Postings, docs: np.ndarray, scores: np.ndarray, eligible: Eligible | None, after: int) -> bool:
    """True when the best candidate, alone at the top and eligible, is dated after day ``after``: it is the
    profile's first article, so the profile holds fresh news (a test for the usual case, before the profile)."""
    best = int(np.argmax(scores))
    top = scores[best]
    if np.count_nonzero(scores == top) > 1:
        return False  # ties: which articles lead is the profile's to say
    doc = docs[best : best + 1]
    day = int(st.arrays["doc_day"][doc[0]])
    return day != UNDATED_DAY and day > after and (eligible is None or bool(eligible(doc)[0]))


def burst_profile(st: Postings, docs: np.ndarray, scores: np.ndarray, settings: Rerank, ref: np.ndarray) -> np.ndarray:
    """Each candidate's temporal-profile density relative to the highest among them, in [0, 1] (0 when undated).

    ``ref`` holds the positions of the profile's articles (see :func:`profile_articles`); undated ones are skipped.
    The density depends on the day alone, so it is computed once per day of the candidates' span and looked up:
    a broad query brings hundreds of thousands of candidates.
    """
    days = st.arrays["doc_day"][docs]
    ref = ref[days[ref] != UNDATED_DAY]
    out = np.zeros(len(docs), np.float64)
    dated = days != UNDATED_DAY
    if not len(ref) or not dated.any() or scores[ref].max() <= 0:
        return out
    pull = (np.maximum(scores[ref], 0) / scores[ref].max()) ** settings.burst_power
    ref_days = days[ref][None, :].astype(np.float64)
    first, last = int(days[dated].min()), int(days[dated].max())
    if int(dated.sum()) <= last - first + 1:  # the usual pool of a few hundred: each candidate directly
        dist = np.abs(days[dated][:, None].astype(np.float64) - ref_days)
        out[dated] = (np.exp2(-dist / settings.burst_halflife) * pull).sum(axis=1)
    else:
        span = np.arange(first, last + 1, dtype=np.float64)
        table = (np.exp2(-np.abs(span[:, None] - ref_days) / settings.burst_halflife) * pull).sum(axis=1)
        out[dated] = table[days[dated] - first]
    peak = out.max()
    return out / peak if peak > 0 else out


def profile_articles(
    st: Postings, docs: np.ndarray, scores: np.ndarray, n: int, eligible: Eligible | None = None
) -> np.ndarray:
    """Positions (into ``docs``) of the best passage of each of (at most) the ``n`` best articles, best first.

    They are looked for among the best ``16 * n`` candidates (an article rarely has more than a few of them).
    """
    top = min(len(docs), 16 * n)
    part = np.argpartition(-scores, top - 1)[:top] if top < len(docs) else np.arange(len(docs))
    order = part[np.lexsort((docs[part], -scores[part]))]
    if eligible is not None and len(order):
        order = order[eligible(docs[order])]
    # Each article's best passage is its first in rank order; the walk stops at the n-th article (np.unique's
    # sort of all of them cost more than the whole walk).
    seen: set[int] = set()
    first: list[int] = []
    for i, art in enumerate(np.take(st.arrays["doc_article"], np.take(docs, order)).tolist()):
        if art not in seen:
            seen.add(art)
            first.append(i)
            if len(first) == n:
                break
    return order[np.asarray(first, np.intp)]


def describe(settings: Rerank | None) -> str:
    """A one-line summary of the settings, for logs and benchmark output."""
    if settings is None:
        return "off"
    return (
        f"burst x{settings.burst_weight:g} over {settings.burst_articles} articles, "
        f"half-life {settings.burst_halflife:g} d, power {settings.burst_power:g}"
    )
