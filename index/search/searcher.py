"""The search API the CLI and the bot share: ``Searcher.open(db).search(query, k) -> Results``."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from index import store
from index.models import SORTS, Correction, Hit, Query, Results
from index.search import recency
from index.search.generations import current_generation, index_dir
from index.search.highlight import highlight
from index.search.postings import (
    UNDATED_DAY,
    UNDATED_TS,
    IndexDamaged,
    IndexMissing,
    IndexOutdated,
    Matches,
    Postings,
    SearchError,
)
from index.search.query import EMPTY_MESSAGE, normalise_source
from index.search.query import parse as _parse_query
from index.search.rerank import DEFAULT_RERANK, Rerank
from index.search.rerank import rerank as _rerank
from index.search.spelling import DEFAULT_SPELLING, Spelling, correct_query, name_corrections
from index.search.spelling import note as _correction_note
from index.store import hit_rows, passage_rows, search_connection, stored_copies
from index.tokenize import fold, tokenize

__all__ = ["SORTS", "IndexDamaged", "IndexMissing", "IndexOutdated", "SearchError", "Searcher"]

log = logging.getLogger(__name__)

# "blend" (the default): BM25 times a recency decay against the as-of moment and a boost inside the question's time
# window (index.search.recency); "relevance": BM25 alone; "newest": publication time, then BM25.
DEFAULT_SORT = "blend"

FOLD_DAYS = 7  # a republished story with the same headline appears within days, not years (recurring columns)
FOLD_JACCARD = 0.8  # passages sharing this share of their terms are the same text, lightly edited
FOLD_MIN_TERMS = 12  # shorter passages (a dateline, a caption) are too small to call copies
MAX_PHRASE_CHECKS = 20_000  # texts read to verify phrases before giving up on finding more matches
# A quoted phrase's passages (those holding all its words, or under a headline that does) are scored directly
# when there are at most this many: scoring 5,000 costs about what the scan does when its threshold holds (2 to
# 2.5 ms at 376k passages), while the scan, its sample holding too few passages the phrase allows, can take 8 ms.
PHRASE_SCAN_MAX = 5_000
PHRASE_SAMPLE_MAX = 200_000  # up to this many, they set the scan's threshold (any passages give a valid one)
SQLITE_MMAP_BYTES = 1 << 30  # of the database file each search connection maps
_NONWORD = re.compile(r"[\W_]+")


def _norm_text(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form for phrase checks, padded with spaces."""
    return f" {_NONWORD.sub(' ', fold(text).casefold()).strip()} "


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _cutoff_ts(as_of: date | datetime) -> int:
    """The last epoch second an article may be published at to count as before ``as_of``."""
    if isinstance(as_of, datetime):
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        return math.floor(moment.timestamp())
    # A bare date covers that whole day.
    end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) + timedelta(days=1)
    return int(end.timestamp()) - 1


@dataclass(slots=True)
class _Request:
    """One search call's parsed query and options."""

    q: Query
    k: int
    offset: int
    sort: str
    per_article: bool
    as_of: date | datetime
    sources: list[str] | None
    after: date | None
    before: date | None
    rerank: bool = True  # run the second stage (index.search.rerank) with "blend"
    alternates: int = 0  # runner-up passages of its own article to attach to each hit (per_article only)
    alternates_for: int | None = None  # only to the page's first this many hits (None: every hit)

    @property
    def need(self) -> int:
        """Hits to collect: the page and every page before it."""
        return self.offset + self.k


@dataclass(slots=True)
class _Filters:
    """The query's hard filters, evaluated on candidate passage numbers before the top k is taken.

    Each ``add_*`` does nothing once a filter is found ``impossible`` (nothing can pass it).
    """

    state: Postings
    checks: list[Callable[[np.ndarray], np.ndarray]] = field(default_factory=list)
    impossible: bool = False
    phrases: list[_Phrase] = field(default_factory=list)

    def __call__(self, docs: np.ndarray) -> np.ndarray:
        if len(self.checks) == 1:
            return self.checks[0](docs)
        mask = np.ones(len(docs), np.bool_)
        alive = None  # positions still passing; later checks (phrase words cost a binary search each) see only them
        for check in self.checks:
            if alive is None:
                mask = check(docs)
            else:
                mask[alive] = check(docs[alive])
            alive = np.flatnonzero(mask)
            if not len(alive):
                break
        return mask

    def __bool__(self) -> bool:
        return bool(self.checks)

    def add_sources(self, wanted: list[str]) -> None:
        """Only articles from one of these (normalised) outlets or domains."""
        if self.impossible or not wanted:
            return
        st = self.state
        ids = [i for i, (outlet, domain) in enumerate(st.sources) if _source_matches(outlet, domain, wanted)]
        if not ids:
            self.impossible = True
            return
        arr = st.arrays
        allowed = np.asarray(ids, np.int32)
        self.checks.append(lambda d: np.isin(np.take(arr["doc_source"], d), allowed))

    def add_days(self, lo: date | None, hi: date | None) -> None:
        """Only dated articles published on or after ``lo`` and before ``hi`` (UTC days; None: unbounded)."""
        if self.impossible or (lo is None and hi is None):
            return
        lo_o = lo.toordinal() if lo else -math.inf
        hi_o = hi.toordinal() if hi else math.inf
        if lo_o >= hi_o:
            self.impossible = True
            return
        arr = self.state.arrays

        def in_range(d: np.ndarray) -> np.ndarray:
            day = np.take(arr["doc_day"], d)
            return (day != UNDATED_DAY) & (day >= lo_o) & (day < hi_o)

        self.checks.append(in_range)

    def add_as_of(self, as_of: date | datetime | None) -> None:
        """Nothing published after ``as_of``; undated articles pass."""
        # Skipped when nothing is published after the cutoff (as of now, as a rule): it would exclude nothing, yet
        # cost a pass over every candidate and make "Nothing matched" blame a filter the user never set.
        if self.impossible or as_of is None:
            return
        cutoff = _cutoff_ts(as_of)
        if cutoff >= self.state.latest_ts:
            return
        arr = self.state.arrays
        # A passage's day is the UTC day of its time (build.parse_published), so only the cutoff's own day needs
        # the times: a day before it passes (undated, day -1, too), a day after fails. Reading the int32 days and
        # the few times of that day costs about 30% less than reading every int64 time.
        cut_day = _EPOCH_ORDINAL + cutoff // 86400
        days, times = arr["doc_day"], arr["doc_ts"]
        if cutoff % 86400 == 86399:
            # The cutoff is the day's last second (an as-of date, as evaluation asks): the whole cut day passes.
            self.checks.append(lambda d: np.take(days, d) <= cut_day)
            return

        def published_by(d: np.ndarray) -> np.ndarray:
            day = np.take(days, d)  # np.take: about half the cost of days[d] for int32 indices
            ok = day < cut_day
            edge = np.flatnonzero(day == cut_day)
            if len(edge):
                ok[edge] = np.take(times, np.take(d, edge)) <= cutoff
            return ok

        self.checks.append(published_by)

    def add_title_terms(self, terms: list[str]) -> None:
        """Only articles whose headline holds every one of ``terms``."""
        if self.impossible or not terms:
            return
        st = self.state
        allowed_art: np.ndarray | None = None
        for t in dict.fromkeys(terms):
            arts = st.title_articles(t)
            allowed_art = arts if allowed_art is None else np.intersect1d(allowed_art, arts, assume_unique=True)
        if allowed_art is None or not len(allowed_art):
            self.impossible = True
            return
        doc_article = st.arrays["doc_article"]
        mask = np.zeros(st.n_articles, np.bool_)
        mask[allowed_art] = True
        self.checks.append(lambda d: np.take(mask, np.take(doc_article, d)))

    def add_exclusions(self, terms: list[str]) -> None:
        """No article that holds one of ``terms`` anywhere (any passage or the headline)."""
        if self.impossible or not terms:
            return
        st = self.state
        doc_article = st.arrays["doc_article"]
        banned = np.zeros(st.n_articles, np.bool_)
        for t in dict.fromkeys(terms):
            tid = st.term_id(t)
            if tid >= 0:
                banned[doc_article[st.postings(tid)[0]]] = True
            banned[st.title_articles(t)] = True
        if banned.any():
            self.checks.append(lambda d: ~np.take(banned, np.take(doc_article, d)))

    def add_phrases(self, phrases: list[str]) -> None:
        """Only passages that can hold each phrase: every word of it in the passage or the headline."""
        if self.impossible:
            return
        # A phrase can only occur where all its words do: in the passage, or in the article's headline.
        for text in phrases:
            words = list(dict.fromkeys(tokenize(text)))
            if words:
                phrase = _Phrase(self.state, words)
                self.checks.append(_all_words_check(phrase))
                self.phrases.append(phrase)

    def passages(self, limit: int) -> np.ndarray | None:
        """Every passage that can pass the phrase filters (ascending), when there are at most ``limit``; None
        without phrases or when there are more.

        A quoted phrase is rare where its words meet; the passages that hold them all can be scored directly,
        instead of scanning every passage that holds a query word and dropping nearly all of them.
        """
        out: np.ndarray | None = None
        for phrase in self.phrases:
            held = _holding_all_words(phrase, limit)
            if held is None:
                continue
            out = held if out is None else np.intersect1d(out, held, assume_unique=True)
        return out


class Searcher:
    """Searches the current postings generation of a database; safe to share between threads.

    Every call reads the generation in service when it starts, so :meth:`reload` can switch generations
    while other threads are searching. Passage and article rows come from SQLite, one read-only connection
    per thread.
    """

    def __init__(self, db_path: Path, postings: Postings) -> None:
        self.db_path = store.locate(db_path)
        self._postings = postings
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self.blend = recency.DEFAULT_BLEND  # the "blend" sort's settings; replace to tune
        # The second stage (index.search.rerank) and typo correction (index.search.spelling): replace to tune,
        # None turns them off for every search.
        self.rerank: Rerank | None = DEFAULT_RERANK
        self.spelling: Spelling | None = DEFAULT_SPELLING

    # -- lifecycle

    @classmethod
    def open(cls, db_path: str | os.PathLike[str], *, generation: str | None = None) -> Searcher:
        """Load the database's current postings generation (memory-mapped: fast, whatever the size).

        Args:
            db_path: the SQLite database the index was built from.
            generation: load this generation instead of the one ``CURRENT`` names (the bot serves an older
                intact one while the current one is damaged; see ``index.search.health``).

        Returns:
            A searcher.

        Raises:
            IndexMissing: no database or no index yet (the message says what to run).
            IndexOutdated: the index was built by an incompatible version and must be rebuilt.
            IndexDamaged: the generation is missing or its files are damaged (the message says what to run).
        """
        db_path = store.locate(db_path)
        if not store.exists(db_path):
            raise IndexMissing(f"No database at {db_path}: add articles first with `newsbot index PATH`.")
        if generation is not None:
            return cls(db_path, Postings.load(index_dir(db_path) / generation))
        return cls(db_path, _load_current(db_path))

    def reload(self, generation: str | None = None) -> bool:
        """Switch to a newer generation if a rebuild finished since this one was loaded.

        A new current generation that turns out damaged is not switched to: this one keeps serving (logged).

        Args:
            generation: switch to this generation instead of the one ``CURRENT`` names (damage then raises).

        Returns:
            True when the generation changed.

        Raises:
            IndexDamaged: ``generation`` was given and is damaged or missing.
        """
        if generation is not None:
            if generation == self._postings.generation:
                return False
            self._postings = Postings.load(index_dir(self.db_path) / generation)
        else:
            name = current_generation(self.db_path)
            if name is None or name == self._postings.generation:
                return False
            try:
                self._postings = _load_current(self.db_path)
            except IndexDamaged as e:
                log.warning("%s; still serving %s", e, self._postings.generation)
                return False
        log.info("search index reloaded: generation %s", self._postings.generation)
        return True

    def close(self) -> None:
        """Close the SQLite connections (searches after this reopen one)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(*store.db_errors()):  # closed from its own thread meanwhile
                conn.close()
        self._local = threading.local()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def generation(self) -> str:
        """The name of the generation in use."""
        return self._postings.generation

    @property
    def passage_count(self) -> int:
        """Passages in the index."""
        return self._postings.live_passages

    @property
    def article_count(self) -> int:
        """Articles with at least one passage in the index (duplicates are folded into their original)."""
        return self._postings.live_articles

    @property
    def postings(self) -> Postings:
        """The loaded generation (for benchmarks and diagnostics)."""
        return self._postings

    def idf(self, terms: list[str]) -> dict[str, float]:
        """The index's idf for each term (0 for unknown terms): weights for snippets and confidence."""
        st = self._postings
        return {t: st.term_idf(t) for t in dict.fromkeys(terms)}

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = search_connection(self.db_path, mmap_bytes=SQLITE_MMAP_BYTES)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    # -- searching

    def top_passages(self, terms: list[str], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages for BM25 terms, no filters or folding: (passage numbers, scores), best first.

        Passage numbers are positions in index order (``postings.passage_ids`` maps them to row ids); ties
        are broken by passage number. Used to compare with rank-bm25 and by the benchmarks.
        """
        st = self._postings
        m = st.match(terms, depth=k)
        order = _top(m.scores, m.docs, k)
        if m.bound > -math.inf and (len(order) < k or m.scores[order[-1]] < m.bound):
            m = st.match(terms, exact=True)
            order = _top(m.scores, m.docs, k)
        return m.docs[order], m.scores[order]

    def search(
        self,
        query: str | Query,
        k: int = 10,
        *,
        offset: int = 0,
        sort: str = DEFAULT_SORT,
        sources: list[str] | None = None,
        after: date | None = None,
        before: date | None = None,
        as_of: date | datetime | None = None,
        per_article: bool = True,
        annotate: bool = True,
        rerank: bool = True,
        correct: bool = True,
        alternates: int = 0,
        alternates_for: int | None = None,
    ) -> Results:
        """Search the index.

        Args:
            query: the text as typed (parsed with the query language) or a parsed :class:`Query`.
            k: hits to return.
            offset: hits to skip (paging).
            sort: "blend" (BM25 with recency and the question's time window, see ``index.search.recency``),
                "relevance" (BM25) or "newest" (publication time, undated last, then BM25).
            sources: only these outlets or site domains (added to the query's ``source:`` filters).
            after: only articles published on or after this day (UTC); undated articles are left out.
            before: only articles published before this day (UTC); undated articles are left out.
            as_of: never return articles published after this moment (a date covers that whole day);
                undated articles are kept. Time words in the query ("this week") are read against it, and
                "blend" measures age from it. None: now.
            per_article: at most one passage per article (its best), and republished copies of a story folded
                into one hit listing them in ``also_in``; False returns passages as ranked.
            annotate: mark each hit's matched words (``index.search.highlight``); batch runs and evaluation skip it.
            rerank: with "blend", re-score BM25's best passages with the second stage (``index.search.rerank``,
                settings in ``self.rerank``); "relevance" and "newest" never use it.
            correct: search a query word the index does not know as the closest word it knows
                (``index.search.spelling``); the corrections are in ``Results.corrections`` and noted in
                ``Results.query.notes``.
            alternates: with ``per_article``, give each hit up to this many runner-up passages of its own article
                from the scored pool (``Hit.alternates``, best first; read in one batch, not annotated), so an
                answer can show the passage that answers best. The hits and their order are the same either way.
            alternates_for: only the page's first this many hits get runner-ups (None: every hit).

        Returns:
            Ranked hits with citations; ``message`` says what to do when there is nothing to show. ``total``
            counts the matching passages that passed the filters (a lower bound for very broad queries, where
            passages that cannot reach the page are not all scored).
        """
        started = time.perf_counter()
        req = _request(query, k, offset, sort, per_article, as_of, sources, after, before)
        req.rerank = rerank
        req.alternates, req.alternates_for = alternates, alternates_for
        st = self._postings
        corrections: list[Correction] = []
        if correct and self.spelling is not None:  # typo tolerance (index.search.spelling)
            req.q, corrections = correct_query(st, req.q, self.spelling)
        hits, total, message = self._page(st, req)
        if corrections:
            name_corrections(corrections, hits)
            req.q.notes.append(_correction_note(corrections))
        if annotate:
            for hit in hits:
                highlight(hit, req.q)
        took = (time.perf_counter() - started) * 1000
        return Results(req.q, hits, total, took, offset, st.generation, message, req.as_of, corrections)

    # -- internals

    def _page(self, st: Postings, req: _Request) -> tuple[list[Hit], int, str | None]:
        """The requested page of hits (not annotated), the total, and what to say when there is nothing."""
        q = req.q
        if q.empty:
            return [], 0, EMPTY_MESSAGE
        flt = _filters(st, req)
        if flt.impossible:
            return [], 0, _nothing_message(q, filtered=True)
        terms = _scored_terms(q)
        hits, total, complete = self._collect(st, req, self._candidates(st, req, terms, flt), flt)
        if not complete:
            hits, total, complete = self._collect(st, req, st.match(terms, exact=True), flt)
        hits = hits[req.offset : req.need]
        if req.per_article and hits:
            self._add_stored_copies(hits)
        message = None
        if not hits and req.k > 0:
            message = _nothing_message(q, filtered=bool(flt) or bool(q.phrases), paged=req.offset > 0)
        return hits, total, message

    def _candidates(self, st: Postings, req: _Request, terms: list[str], flt: _Filters) -> Matches:
        """Scored candidates deep enough for the page, given how many per-article folding and checks may reject."""
        q = req.q
        checks_text = bool(q.phrases or q.exclude_phrases or q.title_phrases)
        depth = max(req.need, 1) * (3 if req.per_article else 1) * (4 if checks_text else 1)
        few = flt.passages(PHRASE_SAMPLE_MAX)
        if few is not None and len(few) <= PHRASE_SCAN_MAX:
            # Every passage that can pass, scored exactly: the same scores and ranking as the scan would give.
            few = few[flt(few)] if len(few) else few
            docs, scores = recency.score_passages(st, terms, few)
            constant = st.constant(terms)
            m = Matches(docs, scores + np.float32(constant), -math.inf, constant)
        elif req.sort == "blend":
            # More of them: the scan's threshold is taken from them (the rarest term's may hold too few that pass).
            m = recency.candidates(
                st, terms, eligible=flt or None, depth=depth, window=q.window, blend=self.blend, sample=few
            )
        else:
            return st.match(terms, eligible=flt or None, depth=depth, exact=req.sort != "relevance", sample=few)
        if req.sort == "blend" and req.rerank and self.rerank is not None:
            # The second stage (index.search.rerank) re-scores the pool.
            day = recency.as_of_day(req.as_of).toordinal()
            m = _rerank(st, m, settings=self.rerank, eligible=flt or None, as_of_day=day)
        return m

    def _collect(self, st: Postings, req: _Request, m: Matches, flt: _Filters) -> tuple[list[Hit], int, bool]:
        """Walk the ranked candidates, verifying text conditions, until ``req.need`` hits are accepted.

        Returns:
            (hits, total eligible candidates, complete); complete is False when the walk reached passages the
            pruned scoring could not rank (scores below ``m.bound``) before it had enough hits.
        """
        docs, scores = m.docs, m.scores
        if flt and len(docs):
            keep = flt(docs)
            docs, scores = docs[keep], scores[keep]
        total = len(docs)
        if req.need == 0 or total == 0:
            return [], total, True
        if req.sort == "blend":
            # Hits carry the score they are ranked by: BM25 times the recency and window factor.
            scores = recency.blended(st, docs, scores, req.as_of, req.q.window, self.blend)
        walk = _Walk(self._rows, self._passage_rows, st, req, docs, scores)
        for chunk in self._order(st, docs, scores, req.sort, m.bound, req.q, req.as_of):
            if chunk is None:  # reached the pruning bound: the caller rescores exactly
                return walk.hits, total, False
            if walk.feed(chunk):
                break
        if req.alternates and req.per_article:
            walk.add_alternates(req.alternates, req.offset, req.alternates_for)
        return walk.hits, total, True

    def _order(
        self,
        st: Postings,
        docs: np.ndarray,
        scores: np.ndarray,
        sort: str,
        bound: float,
        q: Query,
        as_of: date | datetime | None,
    ) -> Iterator[np.ndarray | None]:
        """Candidate positions best first, in growing chunks; None once the next ones score below ``bound``.

        Every chunk repeats the earlier ones (sorted the same way) so ties cut differently by argpartition are
        never lost; the caller skips what it has seen. "blend" gets a candidate pool whose scores ``_collect``
        has already blended (``index.search.recency``): it is ordered whole, then None if the pool was not every match;
        "newest" gets every matching passage (``bound`` is -inf).
        """
        n = len(docs)
        if sort == "blend":  # scores are already blended (see _collect)
            yield from _best_first(docs, scores)
            if bound > -math.inf:
                yield None  # the pool ran out: the caller re-ranks every matching passage
            return
        if sort == "newest":
            # Undated last: UNDATED_TS is the largest value, so map it below every real time (+1 keeps -ts finite).
            ts = st.arrays["doc_ts"][docs]
            neg_ts = -np.where(ts == UNDATED_TS, np.iinfo(np.int64).min + 1, ts)
            size = 64
            while True:
                if size >= n:
                    yield np.lexsort((docs, -scores, neg_ts))
                    return
                # The newest `size`, plus everything published at the same second as the last of them.
                part = np.argpartition(neg_ts, size - 1)[:size]
                part = np.flatnonzero(neg_ts <= neg_ts[part].max())
                yield part[np.lexsort((docs[part], -scores[part], neg_ts[part]))]
                size *= 4
        size = 64
        while True:
            if size >= n:
                order = np.lexsort((docs, -scores))
            else:
                part = np.argpartition(-scores, size - 1)[:size]
                order = part[np.lexsort((docs[part], -scores[part]))]
            if bound > -math.inf:
                below = scores[order] < bound
                if below.any():
                    yield order[: int(np.argmax(below))]
                    yield None
                    return
            yield order
            if size >= n:
                if bound > -math.inf:
                    yield None  # every candidate seen, yet passages outside them might still rank next
                return
            size *= 4

    def _rows(self, st: Postings, docs: list[int], *, with_body: bool) -> dict[int, dict[str, Any]]:
        """Passage and article rows for passage numbers, keyed by passage number."""
        pids = st.passage_ids(np.asarray(docs, np.int64)).tolist()
        by_pid = dict(zip(pids, docs, strict=True))
        return {by_pid[row["id"]]: row for row in hit_rows(self._conn(), pids, with_body=with_body)}

    def _passage_rows(self, st: Postings, docs: list[int]) -> dict[int, tuple[Any, ...]]:
        """``passage_rows`` for passage numbers (id, article id, paragraphs, text), keyed by passage number."""
        pids = st.passage_ids(np.asarray(docs, np.int64)).tolist()
        by_pid = dict(zip(pids, docs, strict=True))
        return {by_pid[row[0]]: row for row in passage_rows(self._conn(), pids)}

    def _add_stored_copies(self, hits: list[Hit]) -> None:
        """List in ``also_in`` the stored duplicates of each hit's article (they have no passages)."""
        by_article = {h.article_id: h for h in hits}
        rows = stored_copies(self._conn(), [h.article_id for h in hits])
        for dup_of, *copy in rows:
            by_article[dup_of].also_in.append(dict(zip(_ALSO_FIELDS, copy, strict=True)))


def parse_query(query: str | Query, today: date | None = None) -> Query:
    """A :class:`Query` for what the caller passed: parsed with the query language (time words read against
    ``today``) when it is a string."""
    if isinstance(query, Query):
        return query
    return _parse_query(query, today=today)


def _request(
    query: str | Query,
    k: int,
    offset: int,
    sort: str,
    per_article: bool,
    as_of: date | datetime | None,
    sources: list[str] | None,
    after: date | None,
    before: date | None,
) -> _Request:
    """Check the options of :meth:`Searcher.search` and parse the query (time words read against ``as_of``)."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    if k < 0 or offset < 0:
        raise ValueError("k and offset must be >= 0")
    if as_of is None:
        as_of = datetime.now(UTC)
    q = parse_query(query, today=recency.as_of_day(as_of))
    return _Request(q, k, offset, sort, per_article, as_of, sources, after, before)


def _scored_terms(q: Query) -> list[str]:
    """The BM25 terms of a query: its words, then headline words it does not already hold (they score too)."""
    return q.terms + [t for t in q.title_terms if t not in q.terms]


def _filters(st: Postings, req: _Request) -> _Filters:
    """The hard filters of a request: the query's operators and the call's options together."""
    q = req.q
    flt = _Filters(st)
    flt.add_sources([normalise_source(s) for s in [*q.sources, *(req.sources or [])] if s.strip()])
    lo = max([x for x in (q.after, req.after) if x is not None], default=None)
    hi = min([x for x in (q.before, req.before) if x is not None], default=None)
    flt.add_days(lo, hi)
    flt.add_as_of(req.as_of)
    flt.add_title_terms(q.title_terms)
    flt.add_exclusions(q.exclude_terms)
    flt.add_phrases(q.phrases)
    return flt


class _Walk:
    """The ranked candidates of one search, walked best first: rows fetched, text checked, copies folded.

    Rows are fetched in batches that start at about what is still needed and double (few rows for the usual
    page, few round trips when checks reject many).
    """

    def __init__(
        self,
        rows: Callable[..., dict[int, dict[str, Any]]],
        passages: Callable[..., dict[int, tuple[Any, ...]]],
        st: Postings,
        req: _Request,
        docs: np.ndarray,
        scores: np.ndarray,
    ) -> None:
        self._rows = rows
        self._passages = passages
        self.st = st
        self.docs = docs
        self.scores = scores
        self.need = req.need
        self.per_article = req.per_article
        self.doc_article = st.arrays["doc_article"]
        self.phrases = [_norm_text(p) for p in req.q.phrases]
        self.title_phrases = [_norm_text(p) for p in req.q.title_phrases]
        self.excluded = [_norm_text(p) for p in req.q.exclude_phrases]
        self.text_checks = bool(self.phrases or self.title_phrases or self.excluded)
        self.hits: list[Hit] = []
        self.hit_docs: list[int] = []  # each hit's passage number
        self.accepted: dict[int, tuple[Hit, int, frozenset[str]]] = {}  # article number -> (hit, day, passage terms)
        self.stories: dict[int, int] = {}  # story key -> article number of the hit that holds it
        self.seen: set[int] = set()
        self.checks = 0
        # Without text checks a passage taken is a hit unless it folds into one (rare: 1 dev question in 119), so
        # the first batch is the page itself; text checks reject more, so they start with a little more.
        self.size = req.need + 2 if self.text_checks else max(req.need, 1)

    def feed(self, chunk: np.ndarray) -> bool:
        """Walk a chunk of candidate positions, best first; True once the walk is over.

        It is over when enough hits are accepted or the phrase check budget is spent.
        """
        docs, doc_article, seen, accepted = self.docs, self.doc_article, self.seen, self.accepted
        skip_pending = self.per_article and not self.text_checks
        pending: list[int] = []
        pending_articles: set[int] = set()
        for i in chunk:
            d = int(docs[i])
            if d in seen:
                continue
            seen.add(d)
            a = int(doc_article[d])
            if self.per_article and (a in accepted or (skip_pending and a in pending_articles)):
                continue  # without text checks an article's best passage is always the one taken
            pending.append(i)
            pending_articles.add(a)
            if len(pending) >= self.size:
                if self._take(pending) is not False:
                    return True
                pending, pending_articles = [], set()
                self.size = min(self.size * 2, 256)
        return bool(pending) and self._take(pending) is not False

    def _take(self, part: list[int]) -> bool | None:
        """Verify and accept a batch in rank order; True when enough hits, None when out of budget."""
        rows = self._rows(self.st, [int(self.docs[i]) for i in part], with_body=bool(self.excluded))
        for i in part:
            d = int(self.docs[i])
            a = int(self.doc_article[d])
            row = rows.get(d)
            if row is None or (self.per_article and a in self.accepted):
                continue  # a passage deleted since the build, or its article already answered
            if self.text_checks:
                self.checks += 1
                if not _text_ok(row, self.phrases, self.title_phrases, self.excluded):
                    if self.checks >= MAX_PHRASE_CHECKS:
                        log.info("phrase check budget spent after %d passages", self.checks)
                        return None
                    continue
            hit = _hit(row, float(self.scores[i]))
            if self.per_article and self._fold(hit, row, d, a):
                continue
            self.hits.append(hit)
            self.hit_docs.append(d)
            if len(self.hits) >= self.need:
                return True
        return False

    def add_alternates(self, per_hit: int, offset: int, first: int | None) -> None:
        """Attach to the page's first ``first`` hits (None: all) up to ``per_hit`` runner-up passages of their own
        articles from the pool.

        The pool already holds them, scored and filtered: only their rows are read, in one batch.
        """
        page = self.hit_docs[offset:] if first is None else self.hit_docs[offset : offset + first]
        if not page:
            return
        docs, own = self.docs, [int(self.doc_article[d]) for d in page]
        # An article's passages are numbered in one run (art_first), so its passages in the pool are found by
        # comparing passage numbers: no gather of every pooled passage's article.
        starts = self.st.arrays["art_first"]
        mask = np.zeros(len(docs), np.bool_)
        for a in own:  # a few articles: two comparisons each
            mask |= (docs >= starts[a]) & (docs < starts[a + 1])
        idx = np.flatnonzero(mask)
        idx = idx[np.lexsort((docs[idx], -self.scores[idx]))]
        arts = np.take(self.doc_article, docs[idx])
        skip = set(page)
        chosen: dict[int, list[int]] = {a: [] for a in own}
        for j, i in enumerate(idx.tolist()):
            mine = chosen[int(arts[j])]
            if len(mine) < per_hit and int(docs[i]) not in skip:
                mine.append(i)
        wanted = [i for mine in chosen.values() for i in mine]
        if not wanted:
            return
        # Only the passages' own fields are read: the article's are its hit's.
        rows = self._passages(self.st, [int(docs[i]) for i in wanted])
        # The article passed the exclusions already; a phrase must still be in this passage or headline (without
        # phrases there is nothing to check: normalising the headline alone was most of this loop's cost).
        phrases = bool(self.phrases or self.title_phrases)
        for hit, a in zip(self.hits[offset:], own, strict=False):
            for i in chosen[a]:
                row = rows.get(int(docs[i]))
                if row is None:
                    continue  # deleted since the build
                alt = _runner_up(hit, row, float(self.scores[i]))
                if not phrases or _text_ok(
                    {"title": alt.title, "text": alt.text}, self.phrases, self.title_phrases, []
                ):
                    hit.alternates.append(alt)

    def _fold(self, hit: Hit, row: dict[str, Any], d: int, a: int) -> bool:
        """Fold ``hit`` into an accepted hit it repeats (True), or record it for later ones to fold into (False)."""
        terms = frozenset(row["tokens"].split())
        day = int(self.st.arrays["doc_day"][d])
        story = int(self.st.arrays["art_story"][a])
        host = self._fold_target(story, day, terms)
        if host is not None:
            host.also_in.append(_also(hit))
            self.accepted[a] = (host, day, frozenset())
            return True
        self.accepted[a] = (hit, day, terms)
        if story:
            self.stories.setdefault(story, a)
        return False

    def _fold_target(self, story: int, day: int, terms: frozenset[str]) -> Hit | None:
        """The accepted hit this one repeats (same headline within days, or nearly the same text), if any."""
        if story and story in self.stories:
            host, host_day, _ = self.accepted[self.stories[story]]
            if day == UNDATED_DAY or host_day == UNDATED_DAY or abs(day - host_day) <= FOLD_DAYS:
                return host
        n = len(terms)
        if n >= FOLD_MIN_TERMS:
            for host, _, host_terms in self.accepted.values():
                m = len(host_terms)
                # Sets of sizes n <= m share at most n terms of at least m: when n < 0.8 m they cannot be
                # copies, and their intersection (most of this loop's cost) is not needed.
                if m >= FOLD_MIN_TERMS and min(n, m) >= FOLD_JACCARD * max(n, m) and _near_copies(terms, host_terms):
                    return host
        return None


def _near_copies(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when the sets share at least ``FOLD_JACCARD`` of their union: ``|a & b| >= FOLD_JACCARD * |a | b|``.

    The smaller set's terms missing from the larger are counted, and the count stops as soon as even every term
    left could not reach the share (the test only grows with the intersection): passages of two stories, nearly
    every pair compared, differ within a few terms.
    """
    n, m = len(a), len(b)
    small, large = (a, b) if n <= m else (b, a)
    most = len(small)  # at most this many shared: each term found missing lowers it
    for t in small:
        if t not in large:
            most -= 1
            if most < FOLD_JACCARD * (n + m - most):
                return False
    return most >= FOLD_JACCARD * (n + m - most)


def _load_current(db_path: Path) -> Postings:
    """Load the generation CURRENT names, retrying if a concurrent rebuild removes it under our feet."""
    for attempt in range(5):
        name = current_generation(db_path)
        if name is None:
            raise IndexMissing(
                f"No search index for {db_path} yet: run `newsbot index PATH` on your archive to build it."
            )
        try:
            return Postings.load(index_dir(db_path) / name)
        except IndexDamaged:
            # A rebuild may have switched CURRENT and removed this generation since it was read: only when
            # CURRENT still names it is it really damaged.
            if attempt == 4 or current_generation(db_path) == name:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _top(scores: np.ndarray, docs: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores, best first, ties by passage number."""
    n = len(scores)
    if k <= 0 or n == 0:
        return np.zeros(0, np.int64)
    if k < n:
        part = np.argpartition(-scores, k - 1)[:k]
        # Take every candidate tied with the k-th so the tie order is by passage number, as documented.
        kth = scores[part].min()
        part = np.flatnonzero(scores >= kth)
    else:
        part = np.arange(n)
    return part[np.lexsort((docs[part], -scores[part]))][:k]


def _best_first(docs: np.ndarray, scores: np.ndarray) -> Iterator[np.ndarray]:
    """Positions best first (score down, then passage number), in growing chunks that repeat the earlier ones.

    Each chunk is the exact head of the whole order: every candidate tied with its last score is in it. Sorting
    the whole pool (a thousand or more candidates; every matching passage, hundreds of thousands, when the blend's
    pool ran out) costs more than the page, a few hits deep, needs.
    """
    n = len(docs)
    size = 64
    while size < n:
        # Every position scoring at least the size-th best score: what an argpartition's head and its ties give,
        # from a partition of the scores themselves (no negated copy, no index array).
        part = np.flatnonzero(scores >= np.partition(scores, n - size)[n - size])
        yield part[np.lexsort((docs[part], -scores[part]))]
        if len(part) >= n:
            return
        size *= 8
    yield np.lexsort((docs, -scores))


class _Phrase:
    """A quoted phrase's words, and the passages whose text holds them all (found once, for whichever of the
    search's steps asks first: the direct scoring, the threshold's sample or the filter)."""

    def __init__(self, st: Postings, words: list[str]) -> None:
        self.state = st
        self.words = words  # never empty

    @functools.cached_property
    def in_text(self) -> np.ndarray:
        """The passages (ascending) whose text holds every word (none when one is unknown)."""
        st = self.state
        tids = [st.term_id(w) for w in self.words]
        if any(t < 0 for t in tids):
            return np.zeros(0, np.int32)
        # Rarest first: the other terms are looked up only in the passages that hold it.
        posts = sorted((st.postings(t)[0] for t in tids), key=len)
        alive = posts[0]
        for post in posts[1:]:
            if not len(alive):
                break
            pos = np.searchsorted(post, alive)
            pos[pos == len(post)] = 0
            alive = alive[post[pos] == alive]
        return alive


def _all_words_check(phrase: _Phrase) -> Callable[[np.ndarray], np.ndarray]:
    """Passages holding every word of the phrase, in their text or in their article's headline."""
    st = phrase.state
    doc_article = st.arrays["doc_article"]
    title_ok: np.ndarray | None = None  # articles whose headline holds every word
    if st.bm25.title != "every":  # with "every", a passage's postings hold its headline's words: in_text has them
        title_ok = np.ones(st.n_articles, np.bool_)
        for w in phrase.words:
            m = np.zeros(st.n_articles, np.bool_)
            m[st.title_articles(w)] = True
            title_ok &= m
    held: list[np.ndarray] = []  # a mask of the passages holding every word, built on the first call

    def check(d: np.ndarray) -> np.ndarray:
        # One search calls this on its pools, up to every matching passage: a mask lookup per candidate beats
        # a binary search per candidate and word.
        if not held:
            mask = np.zeros(len(doc_article), np.bool_)
            mask[phrase.in_text] = True
            held.append(mask)
        ok = np.take(held[0], d)
        return ok if title_ok is None else ok | np.take(title_ok, np.take(doc_article, d))

    return check


def _holding_all_words(phrase: _Phrase, limit: int) -> np.ndarray | None:
    """The passages (ascending) whose text or headline holds every word of the phrase: the passages it can be
    in; None when there are more than ``limit``."""
    st, in_text = phrase.state, phrase.in_text
    if st.bm25.title == "every":
        # Every passage's postings hold its headline's words: those under a headline that holds them are in.
        return in_text if len(in_text) <= limit else None
    arts = st.title_articles(phrase.words[0])
    for w in phrase.words[1:]:
        arts = np.intersect1d(arts, st.title_articles(w), assume_unique=True)
    first = st.arrays["art_first"]
    starts = np.take(first, arts)
    sizes = np.take(first, arts + 1) - starts
    if len(in_text) + int(sizes.sum()) > limit:
        return None
    # Each such article's passages: its run of passage numbers, from art_first.
    offsets = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
    in_title = (np.arange(len(offsets)) + offsets).astype(in_text.dtype)
    return np.union1d(in_text, in_title)


def _source_matches(outlet: str | None, domain: str | None, wanted: list[str]) -> bool:
    """Does an article's (outlet, domain) answer one of the ``source:`` values?"""
    for s in wanted:
        if outlet and (s == outlet or s == outlet.replace(" ", "")):
            return True
        if domain and (s == domain or domain.endswith("." + s) or domain.split(".")[0] == s):
            return True
    return False


def _text_ok(row: dict[str, Any], phrases: list[str], title_phrases: list[str], excluded: list[str]) -> bool:
    """Phrases occur as written (case, accents and punctuation aside); excluded ones nowhere in the article."""
    title = _norm_text(row["title"] or "")
    if any(p not in title for p in title_phrases):
        return False
    if phrases:
        text = _norm_text(row["text"])
        if any(p not in text and p not in title for p in phrases):
            return False
    if excluded:
        body = _norm_text(row.get("body") or row["text"])
        if any(p in body or p in title for p in excluded):
            return False
    return True


def _runner_up(hit: Hit, row: tuple[Any, ...], score: float) -> Hit:
    """A runner-up passage of ``hit``'s article, from its ``passage_rows`` row (the article's fields are the hit's)."""
    pid, article_id, paragraph, paragraph_end, text = row
    return Hit(
        passage_id=pid,
        article_id=article_id,
        source_id=hit.source_id,
        title=hit.title,
        outlet=hit.outlet,
        published=hit.published,
        url=hit.url,
        paragraph=paragraph,
        paragraph_end=paragraph_end,
        text=text,
        score=score,
    )


def _hit(row: dict[str, Any], score: float) -> Hit:
    return Hit(
        passage_id=row["id"],
        article_id=row["article_id"],
        source_id=row["source_id"],
        title=row["title"],
        outlet=row["outlet"],
        published=row["published"],
        url=row["url"],
        paragraph=row["paragraph"],
        paragraph_end=row["paragraph_end"],
        text=row["text"],
        score=score,
    )


# What ``Hit.also_in`` lists for each copy of a story, folded or stored (in _add_stored_copies' column order).
_ALSO_FIELDS = ("article_id", "source_id", "outlet", "url", "title", "published")


def _also(hit: Hit) -> dict[str, Any]:
    return {name: getattr(hit, name) for name in _ALSO_FIELDS}


def _nothing_message(q: Query, *, filtered: bool, paged: bool = False) -> str:
    if paged:
        return "No more results: that was the last page."
    if filtered:
        return "Nothing matches all of that: try removing a filter or a quoted phrase, or use fewer words."
    return "Nothing in the archive matches those words: try other words or a broader question."
