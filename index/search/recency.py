"""Recency in ranking: Elasticsearch-style decay functions and the BM25 blend with an age decay and a window boost."""

# The "blend" sort multiplies each candidate passage's BM25 score by
#
#     1 + recency_weight * recency(age) + window_weight * window(distance)
#
# where ``age`` is how many days before the as-of day the article was published, ``distance`` is how many days its
# publication day lies outside the window a time expression in the question resolved to (0 inside, no term at all
# without a time expression), and both decays are Elasticsearch's decay functions (1 up to ``offset`` days, then
# falling to ``decay`` at ``offset + scale`` days). A product keeps BM25's scale free: the same weights mean the
# same thing for a two-word query and a twenty-word one. Undated articles get a factor of exactly 1: never boosted,
# never pushed out. The defaults were chosen on the RealTime QA dev questions (see ``bench/blend_grid.py``).
#
# The blend re-ranks a candidate pool, not every matching passage: the ``pool`` best by BM25 plus, when the
# question has a time window, the ``window_pool`` best inside it (so an in-window story that BM25 alone ranks
# 400th can still surface). A passage outside both pools would need its BM25 score times its factor to beat a
# pooled one; with the default weights that takes a recent story that BM25 ranks below the pool.

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from index import dates
from index.search.postings import UNDATED_DAY, Matches, Postings

log = logging.getLogger(__name__)

DECAY_FUNCTIONS = ("gauss", "exp", "linear")
# Windows holding at most this many passages are scored passage by passage (about 1 ms for 10,000); wider ones
# ("this year") go through the postings with a window filter.
WINDOW_SCAN_MAX = 20_000

Eligible = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Decay:
    """A decay over a distance in days, defined as Elasticsearch's ``gauss``, ``exp`` and ``linear`` decays.

    The value is 1 for distances up to ``offset``, ``decay`` at ``offset + scale``, and falls towards 0 beyond
    (``linear`` reaches 0 at ``offset + scale / (1 - decay)``; ``gauss`` falls fastest after ``scale``, ``exp`` keeps
    the longest tail).

    Attributes:
        scale: days past ``offset`` at which the value has fallen to ``decay``.
        offset: days of no decay at all.
        decay: the value at ``offset + scale`` (between 0 and 1, exclusive).
        function: "gauss", "exp" or "linear".
    """

    scale: float
    offset: float = 0.0
    decay: float = 0.5
    function: str = "exp"

    def __post_init__(self) -> None:
        if self.function not in DECAY_FUNCTIONS:
            raise ValueError(f"unknown decay function {self.function!r}: use one of {', '.join(DECAY_FUNCTIONS)}")
        if not self.scale > 0 or not 0 < self.decay < 1 or not self.offset >= 0:
            raise ValueError("a decay needs scale > 0, offset >= 0 and 0 < decay < 1")

    def __call__(self, distance: np.ndarray) -> np.ndarray:
        """The decay at each distance (days; the sign is ignored), as float64 in [0, 1]."""
        x = np.maximum(np.abs(np.asarray(distance, np.float64)) - self.offset, 0.0) / self.scale
        if self.function == "gauss":
            # exp(-d^2 / (2 sigma^2)) with sigma^2 = -scale^2 / (2 ln decay), which is decay ** ((d / scale)^2)
            return np.power(self.decay, x * x)
        if self.function == "exp":
            return np.power(self.decay, x)
        return np.maximum(0.0, 1.0 - (1.0 - self.decay) * x)


@dataclass(frozen=True, slots=True)
class Blend:
    """How the "blend" sort combines BM25 with recency and a question's time window.

    Attributes:
        recency: decay over an article's age in days at the as-of moment.
        recency_weight: how much a fresh article's score grows (0.2: up to 20%).
        window: decay over the days an article lies outside the question's window (0 inside it).
        window_weight: how much an article inside the window grows.
        pool: BM25 candidates re-ranked by the blend.
        window_pool: the best in-window candidates added to the pool when the question has a window.
    """

    recency: Decay
    recency_weight: float
    window: Decay
    window_weight: float
    pool: int = 200
    window_pool: int = 100

    def __post_init__(self) -> None:
        if self.recency_weight < 0 or self.window_weight < 0 or self.pool < 1 or self.window_pool < 0:
            raise ValueError("blend weights must be >= 0 and the pool at least 1")

    @property
    def max_factor(self) -> float:
        """The largest factor any passage can get."""
        return 1.0 + self.recency_weight + self.window_weight

    def factors(self, days: np.ndarray, today: int, window: tuple[int, int] | None = None) -> np.ndarray:
        """Each passage's multiplier: 1 for undated ones, up to :attr:`max_factor` for fresh in-window ones.

        Args:
            days: publication days as date ordinals (``UNDATED_DAY`` when unknown).
            today: the as-of day as a date ordinal.
            window: first and last day (ordinals, inclusive) the question's time words point at, or None.

        Returns:
            float64 factors, one per day.
        """
        days = np.asarray(days)
        dated = days != UNDATED_DAY
        day = days.astype(np.float64)
        out = 1.0 + self.recency_weight * self.recency(np.maximum(today - day, 0.0))
        if window is not None and self.window_weight:
            lo, hi = window
            outside = np.maximum(np.maximum(lo - day, day - hi), 0.0)
            out += self.window_weight * self.window(outside)
        out[~dated] = 1.0
        return out


# Chosen on the 119 RealTime QA dev questions with bench/blend_grid.py (grid and figures in docs/time.md): an age
# decay that halves every two weeks and adds up to half a passage's BM25 score (a same-day story counts 1.5x), and
# a window boost that adds its whole score inside the question's window and half of it a week outside. Scales of
# 7-14 days and weights of 0.5-2 form a plateau within about 0.01 MRR; of those, recency 0.5 keeps the effect on
# questions without time words small (it scores the same on them as 1) and lets an explicit time ("last month")
# outweigh mere freshness.
DEFAULT_BLEND = Blend(
    recency=Decay(scale=14.0, offset=0.0, decay=0.5, function="exp"),
    recency_weight=0.5,
    window=Decay(scale=7.0, offset=0.0, decay=0.5, function="exp"),
    window_weight=1.0,
)


def as_of_day(as_of: date | datetime) -> date:
    """The UTC calendar day of an as-of moment (a naive datetime is UTC, as the search's cutoff reads it)."""
    return dates.as_of_day(as_of)


def candidates(
    st: Postings,
    terms: list[str],
    *,
    eligible: Eligible | None,
    depth: int,
    window: tuple[date, date] | None,
    blend: Blend,
    sample: np.ndarray | None = None,
) -> Matches:
    """The passages the blend re-ranks: the best ``max(depth, blend.pool)`` by BM25, plus the in-window best.

    Args:
        st: the postings.
        terms: the query's BM25 terms.
        eligible: the query's filters (a mask over passage numbers), or None.
        depth: how many candidates the caller needs at least.
        window: the question's time window (inclusive days), or None.
        blend: the blend settings (pool sizes).
        sample: passages the main pool's threshold is taken from (``Postings.match``), or None.

    Returns:
        The union of both pools, each passage once. ``bound`` is the main pool's: a caller that runs out of
        candidates asks again with ``exact=True``.
    """
    inside, lo, hi = None, 0, 0
    if window is not None and blend.window_pool and blend.window_weight:
        lo, hi = window[0].toordinal(), window[1].toordinal()
        inside = window_passages(st, lo, hi)
        # A narrow window (days, weeks): its few passages are scored directly. Through match() the filter would
        # leave too few eligible passages to set a threshold, and every matching passage would come back.
        if len(inside) <= WINDOW_SCAN_MAX and eligible is not None and len(inside):
            inside = inside[eligible(inside)]
    narrow = inside is not None and len(inside) <= WINDOW_SCAN_MAX
    # The main scan adds up every posting anyway: it reads the narrow window's scores off its accumulator (the
    # same float32 sums score_passages adds), which saves a second pass over the terms' postings.
    main = st.match(
        terms, eligible=eligible, depth=max(depth, blend.pool), given=inside if narrow else None, sample=sample
    )
    if inside is None or main.exact:
        return main
    if narrow:
        if main.given is not None:
            scores, held = main.given
            docs, scores = inside[held], scores[held]
        else:
            docs, scores = score_passages(st, terms, inside)
        if len(docs) > blend.window_pool:
            best = np.argpartition(-scores, blend.window_pool - 1)[: blend.window_pool]
            docs, scores = docs[best], scores[best]
        extra_docs, extra_scores = docs, scores + np.float32(main.constant)
    else:
        doc_day = st.arrays["doc_day"]

        def in_window(d: np.ndarray) -> np.ndarray:
            day = doc_day[d]
            ok = (day >= lo) & (day <= hi)
            return ok & eligible(d) if eligible is not None else ok

        # The threshold from the window's own passages: the rarest term's may hold too few of them to set one.
        extra = st.match(terms, eligible=in_window, depth=blend.window_pool, sample=inside)
        extra_docs, extra_scores = extra.docs, extra.scores
    if len(main.docs) and len(extra_docs):
        # match() returns passage numbers in ascending order: a binary search finds the ones already pooled.
        pos = np.minimum(np.searchsorted(main.docs, extra_docs), len(main.docs) - 1)
        new = main.docs[pos] != extra_docs
        extra_docs, extra_scores = extra_docs[new], extra_scores[new]
    docs = np.concatenate([main.docs, extra_docs.astype(main.docs.dtype)])
    scores = np.concatenate([main.scores, extra_scores.astype(main.scores.dtype)])
    return Matches(docs, scores, main.bound, main.constant)


def window_passages(st: Postings, lo: int, hi: int) -> np.ndarray:
    """Passage numbers published from day ``lo`` to day ``hi`` (ordinals, inclusive), by day."""
    order, days = st.by_day
    # The bounds in the days' own dtype: a Python int makes searchsorted cast the whole int32 array to int64
    # first (0.16 ms a call at 376k passages, against 2 us for the binary search itself).
    lo_d, hi_d = days.dtype.type(lo), days.dtype.type(hi)
    return order[np.searchsorted(days, lo_d) : np.searchsorted(days, hi_d, "right")]


def score_passages(st: Postings, terms: list[str], docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BM25 scores of the given passages (any order) for ``terms``, without the BM25Plus constant.

    Returns:
        The passages that hold at least one term and their float32 scores.
    """
    if not len(docs):
        return docs[:0], np.zeros(0, np.float32)
    # Rarest term first, as match() adds them, through a mark of the passages (Postings.score_given): a byte
    # read per posting, or a binary search per passage for a term far more common than the passages.
    weights = sorted(st.weights(terms), key=lambda tw: st.df(tw[0]))
    scores, matched = st.score_given(weights, docs)
    return docs[matched], scores[matched]


def blended(
    st: Postings,
    docs: np.ndarray,
    scores: np.ndarray,
    as_of: date | datetime,
    window: tuple[date, date] | None,
    blend: Blend,
) -> np.ndarray:
    """The candidates' blended scores: BM25 times :meth:`Blend.factors`.

    Args:
        st: the postings (for the per-passage publication days).
        docs: candidate passage numbers.
        scores: their BM25 scores.
        as_of: the search's as-of moment (ages count from its UTC day).
        window: the question's time window (inclusive days), or None.
        blend: the blend settings.

    Returns:
        float64 scores, one per candidate.
    """
    days = np.take(st.arrays["doc_day"], docs)
    span = None if window is None else (window[0].toordinal(), window[1].toordinal())
    return scores.astype(np.float64) * blend.factors(days, as_of_day(as_of).toordinal(), span)


def describe(blend: Blend) -> str:
    """A one-line summary of blend settings, for logs and benchmark output."""

    def d(x: Decay) -> str:
        off = f"+{x.offset:g}" if x.offset else ""
        return f"{x.function}(scale {x.scale:g}d{off}, decay {x.decay:g})"

    return (
        f"recency x{blend.recency_weight:g} {d(blend.recency)}; window x{blend.window_weight:g} "
        f"{d(blend.window)}; pool {blend.pool}+{blend.window_pool}"
    )
