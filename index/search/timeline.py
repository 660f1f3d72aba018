"""How coverage of a topic developed: matching articles counted per day, week or month, with each peak's top story."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from index.models import Hit, Query
from index.search import recency
from index.search.postings import UNDATED_DAY, UNDATED_TS, Postings
from index.search.query import normalise_source
from index.search.query import parse as parse_query

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

DAY_SPAN = 92  # up to about three months of coverage is counted per day
WEEK_SPAN = 3 * 366  # up to about three years per week; longer per month
PEAKS = 3  # peaks whose top headline is listed
PEAK_CANDIDATES = 20  # hits of a peak's period searched for its top counted article
PEAK_SHARE = 0.3  # a peak after the busiest has at least this share of its articles


@dataclass(slots=True)
class Peak:
    """A busiest period: its first day, its count of articles, and its best-matching article (if found)."""

    start: date
    count: int
    top: Hit | None = None


@dataclass(slots=True)
class Timeline:
    """Matching articles over time (each story once: duplicates are folded into their original at indexing).

    ``counts[i]`` articles were published in the period starting ``starts[i]`` (``unit`` long); periods without a
    match are present with 0, so the series is continuous from the first match to the last.
    """

    query: Query
    unit: str  # "day" | "week" | "month"
    starts: list[date] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    undated: int = 0  # matching articles without a date (not counted in any period)
    peaks: list[Peak] = field(default_factory=list)
    took_ms: float = 0.0
    message: str | None = None  # nothing to count, or nothing matched: say so to the user

    @property
    def total(self) -> int:
        """Dated matching articles."""
        return sum(self.counts)

    @property
    def first(self) -> date | None:
        """The first period with a match."""
        return self.starts[0] if self.starts else None

    @property
    def last(self) -> date | None:
        """The last period with a match."""
        return self.starts[-1] if self.starts else None


def match_days(st: Postings, q: Query, **filters: Any) -> np.ndarray:
    """The publication days (ordinals; UNDATED_DAY when undated) of every article that matches ``q``.

    See :func:`match_articles` for what matches; ``filters`` are its keyword arguments.
    """
    arts = match_articles(st, q, **filters)
    return np.asarray(st.arrays["doc_day"][st.arrays["art_first"][arts]], np.int32)


def match_articles(
    st: Postings,
    q: Query,
    *,
    sources: list[str] | None = None,
    after: date | None = None,
    before: date | None = None,
    as_of: date | datetime | None = None,
) -> np.ndarray:
    """The article numbers (index order) of every article that matches ``q``.

    An article matches when each of the query's words is in it (in any passage or the headline), its ``title:``
    words are in its headline, none of its ``-words`` is anywhere in it, and it passes the source and date
    filters; a phrase counts as its words. Every matching article counts, not only the best k: this reads the
    postings of the query's words and nothing else (milliseconds, whatever the archive's size).
    """
    words = list(dict.fromkeys(q.terms + q.title_terms))
    if not words:
        return np.zeros(0, np.int32)
    doc_article = st.arrays["doc_article"]
    arts: np.ndarray | None = None
    for word in words:
        tid = st.term_id(word)
        found = np.unique(doc_article[st.postings(tid)[0]]) if tid >= 0 else np.zeros(0, np.int32)
        found = np.union1d(found, st.title_articles(word))
        arts = found if arts is None else np.intersect1d(arts, found, assume_unique=True)
        if not len(arts):
            return np.zeros(0, np.int32)
    assert arts is not None
    for word in dict.fromkeys(q.title_terms):
        arts = np.intersect1d(arts, st.title_articles(word), assume_unique=True)
    for word in dict.fromkeys(q.exclude_terms):
        tid = st.term_id(word)
        if tid >= 0:
            arts = np.setdiff1d(arts, doc_article[st.postings(tid)[0]], assume_unique=False)
        arts = np.setdiff1d(arts, st.title_articles(word))
    first = st.arrays["art_first"][arts]
    keep = np.ones(len(arts), np.bool_)
    wanted = [normalise_source(s) for s in [*q.sources, *(sources or [])] if s.strip()]
    if wanted:
        from index.search.searcher import _source_matches  # the search's own reading of source filters

        ok = [i for i, (outlet, domain) in enumerate(st.sources) if _source_matches(outlet, domain, wanted)]
        keep &= np.isin(st.arrays["doc_source"][first], np.asarray(ok, np.int32))
    days = st.arrays["doc_day"][first]
    lo = max([d for d in (q.after, after) if d], default=None)
    hi = min([d for d in (q.before, before) if d], default=None)
    if lo is not None:
        keep &= (days != UNDATED_DAY) & (days >= lo.toordinal())
    if hi is not None:
        keep &= (days != UNDATED_DAY) & (days < hi.toordinal())
    if as_of is not None:
        ts = st.arrays["doc_ts"][first]
        keep &= (ts <= _cutoff(as_of)) | (ts == UNDATED_TS)
    return arts[keep]


def _cutoff(as_of: date | datetime) -> int:
    if isinstance(as_of, datetime):
        return math.floor((as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp())
    return int(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC).timestamp()) + 86399


def unit_for(span_days: int) -> str:
    """The period to count by for matches spread over ``span_days``: day, week or month."""
    if span_days <= DAY_SPAN:
        return "day"
    return "week" if span_days <= WEEK_SPAN else "month"


def period_start(day: date, unit: str) -> date:
    """The first day of the period ``day`` falls in (weeks start on Monday)."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, unit: str) -> date:
    """The first day of the period after the one starting ``start``."""
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def bucket(days: np.ndarray, lo: date | None = None, hi: date | None = None) -> tuple[str, list[date], list[int]]:
    """Count dated article days per period, every period from ``lo`` to ``hi`` (default: the first and last match).

    The unit (day, week, month) follows the span charted.
    """
    dated = np.sort(days[days != UNDATED_DAY])
    if not len(dated):
        return "day", [], []
    lo = min(lo, date.fromordinal(int(dated[0]))) if lo else date.fromordinal(int(dated[0]))
    hi = max(hi, date.fromordinal(int(dated[-1]))) if hi else date.fromordinal(int(dated[-1]))
    unit = unit_for((hi - lo).days)
    starts = [period_start(lo, unit)]
    while (nxt := next_period(starts[-1], unit)) <= hi:
        starts.append(nxt)
    edges = np.asarray([s.toordinal() for s in [*starts, next_period(starts[-1], unit)]], np.int64)
    counts = np.diff(np.searchsorted(dated, edges, side="left"))
    return unit, starts, [int(c) for c in counts]


def peaks(starts: list[date], counts: list[int], n: int = PEAKS) -> list[Peak]:
    """The ``n`` busiest periods that stand above their neighbours (biggest first, earlier first on ties)."""
    tops = []
    for i, c in enumerate(counts):
        left = counts[i - 1] if i else -1
        right = counts[i + 1] if i + 1 < len(counts) else -1
        if c > 0 and c > left and c >= right:  # a plateau is one peak, at its first period
            tops.append((c, i))
    tops.sort(key=lambda x: (-x[0], x[1]))
    # Beyond the busiest, a peak must stand out: a lone article in a quiet stretch is no peak.
    floor = max(2, tops[0][0] * PEAK_SHARE) if tops else 0
    return [Peak(starts[i], c) for k, (c, i) in enumerate(tops[:n]) if k == 0 or c >= floor]


def timeline(
    searcher: Any,
    query: str | Query,
    *,
    sources: list[str] | None = None,
    after: date | None = None,
    before: date | None = None,
    as_of: date | datetime | None = None,
    n_peaks: int = PEAKS,
) -> Timeline:
    """Count the articles matching ``query`` over time and find each peak's best-matching article.

    Args:
        searcher: an open ``Searcher`` (its postings, and its search for the peaks' top stories).
        query: the words (the query language works: ``source:``, ``after:``, ``-word``, ``title:``).
        sources, after, before: filters, as for ``Searcher.search``.
        as_of: never count articles published after this moment (None: now).
        n_peaks: how many peaks get their top headline.

    Returns:
        The timeline; ``message`` says why it is empty when it is.
    """
    started = time.perf_counter()
    as_of = as_of or datetime.now(UTC)
    q = query if isinstance(query, Query) else parse_query(query, today=recency.as_of_day(as_of))
    if q.empty:
        return Timeline(q, "day", message="Give me a word or two to chart, for example `bridge` or `election`.")
    st = searcher.postings
    arts = match_articles(st, q, sources=sources, after=after, before=before, as_of=as_of)
    days = np.asarray(st.arrays["doc_day"][st.arrays["art_first"][arts]], np.int32)
    # The range asked for is charted whole (quiet stretches included), up to the as-of day.
    lo = max([d for d in (q.after, after) if d], default=None)
    hi = min([d for d in (q.before, before) if d], default=None)
    last = min(hi - timedelta(days=1), recency.as_of_day(as_of)) if hi else None
    unit, starts, counts = bucket(days, lo, last)
    line = Timeline(q, unit, starts, counts, undated=int(np.sum(days == UNDATED_DAY)))
    if not line.total:
        line.message = "No dated article mentions all of those words: try fewer or other words, or widen the dates."
    line.peaks = peaks(starts, counts, n_peaks)
    matched = set(st.arrays["art_rowid"][arts].tolist()) if line.peaks else set()
    for peak in line.peaks:
        hi = min(next_period(peak.start, unit), before) if before else next_period(peak.start, unit)
        lo = max(peak.start, after) if after else peak.start
        # The best-scoring article of the period that was counted (the search also ranks partial matches).
        res = searcher.search(q, PEAK_CANDIDATES, sort="relevance", sources=sources, after=lo, before=hi, as_of=as_of)
        peak.top = next((h for h in res.hits if h.article_id in matched), None)
    line.took_ms = (time.perf_counter() - started) * 1000
    return line


def label(start: date, unit: str) -> str:
    """A period as people say it: "4 Mar 2024", "week of 4 Mar 2024", "Mar 2024"."""
    if unit == "month":
        return start.strftime("%b %Y")
    day = f"{start.day} {start.strftime('%b %Y')}"
    return f"week of {day}" if unit == "week" else day


def summary(line: Timeline, words: str) -> str:
    """The timeline in one or two plain sentences, for screen readers and the terminal (no markup)."""
    if not line.total:
        return line.message or "Nothing to chart."
    n = line.total
    busy = [s for s, c in zip(line.starts, line.counts, strict=True) if c]
    text = (
        f"{n:,} article{'s' if n != 1 else ''} about {words} from {label(busy[0], line.unit)} to "
        f"{label(busy[-1], line.unit)}, counted per {line.unit} over {len(line.starts)} {line.unit}s."
    )
    if len(busy) == 1:
        on = "on" if line.unit == "day" else "in"
        text = f"{n:,} article{'s' if n != 1 else ''} about {words}, all {on} {label(busy[0], line.unit)}."
    if line.peaks and len(busy) > 1:
        busiest = ", ".join(f"{label(p.start, line.unit)} ({p.count})" for p in line.peaks)
        text += f" Busiest: {busiest}."
    if line.undated:
        text += f" {line.undated} undated article{'s' if line.undated != 1 else ''} not charted."
    return text
