"""The postings reader: a memory-mapped generation, term lookups, and the candidate passages of a query."""

from __future__ import annotations

import functools
import json
import math
import mmap
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.search.bm25 import BM25Params, plus_constant
from index.search.encode import Encoder
from index.search.generations import FORMAT_VERSION, damaged_message, verify_files
from index.search.integrity import structure_problem
from index.search.segment import Lists, Segment, SegmentVocabulary
from index.tokenize import TOKENIZER_VERSION

UNDATED_DAY = -1
UNDATED_TS = np.iinfo(np.int64).max  # sorts after every real time; the as-of filter lets undated through


class SearchError(Exception):
    """Base class for search-side errors a front end should show to the user."""


class IndexMissing(SearchError):
    """There is no search index for this database yet."""


class IndexOutdated(SearchError):
    """The index was built by an incompatible tokenizer or file format and must be rebuilt."""


class IndexDamaged(SearchError):
    """A generation's files are missing, truncated or changed since they were written: it must be rebuilt."""

    def __init__(self, generation: str, problem: str) -> None:
        self.generation = generation
        self.problem = problem
        super().__init__(damaged_message(generation, problem))


@dataclass(slots=True)
class Matches:
    """Candidate passages for a query and their scores.

    Every passage not in ``docs`` scores below ``bound`` (``-inf`` when ``docs`` holds every passage that
    matched a query term), so candidates scoring at least ``bound`` are ranked exactly. ``constant`` is added
    to every passage's score, matched or not (BM25Plus's ``delta * idf``); ``scores`` and ``bound`` include it.
    """

    docs: np.ndarray  # int32 passage numbers (index order), unique
    scores: np.ndarray  # float32
    bound: float
    constant: float = 0.0
    # What Postings.score_given would return for the passages ``match(given=...)`` was asked about, read off the
    # scan's accumulator; None when the scan could not tell (the caller scores them itself).
    given: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def exact(self) -> bool:
        """True when ``docs`` holds every matching passage."""
        return self.bound == -math.inf


class _Vocabulary:
    """Sorted terms as one UTF-8 blob plus offsets: looked up by binary search, nothing built at load."""

    def __init__(self, blob: bytes | mmap.mmap, offsets: np.ndarray) -> None:
        self._blob = blob
        self._offsets = offsets
        self._n = len(offsets) - 1
        self._cache: dict[str, int] = {}

    def __len__(self) -> int:
        return self._n

    @property
    def blob(self) -> bytes | mmap.mmap:
        """The sorted terms, UTF-8, concatenated."""
        return self._blob

    @property
    def offsets(self) -> np.ndarray:
        """Term i is ``blob[offsets[i]:offsets[i + 1]]``."""
        return self._offsets

    def term(self, i: int) -> str:
        """The term with id ``i``."""
        return bytes(self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])]).decode("utf-8")

    def position(self, term: str) -> tuple[int, bool]:
        """Where ``term`` is or would be inserted in the sorted vocabulary, and whether it is there."""
        key = term.encode("utf-8")
        lo, hi = 0, self._n
        # ndarray.item gives a Python int directly (int(offs[i]) makes a numpy scalar first): a third less time.
        at, blob = self._offsets.item, self._blob
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[at(mid) : at(mid + 1)] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo, lo < self._n and blob[at(lo) : at(lo + 1)] == key

    def lookup(self, term: str) -> int:
        """The id of ``term``, or -1 when the index has never seen it."""
        got = self._cache.get(term)
        if got is not None:
            return got
        at, there = self.position(term)
        found = at if there else -1
        if len(self._cache) > 100_000:  # bounded: a long-running bot sees unbounded distinct query words
            self._cache.clear()
        self._cache[term] = found
        return found


class Postings:
    """A loaded generation: vocabulary, per-term postings with scores, and per-passage/per-article arrays.

    Passages are numbered 0..n-1 in (article, ordinal) order, so an article's passages are a contiguous run.
    Arrays are read-only (memory-mapped when loaded from disk); per-thread scratch buffers make :meth:`match`
    safe to call from several threads at once.
    """

    # Postings adding up to less than 1/_SPARSE_SHARE of the passages are merged by sorting; longer ones are
    # added into a dense per-thread accumulator (see _score).
    _SPARSE_SHARE = 64

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        params: dict[str, Any],
        vocab: _Vocabulary,
        sources: list[list[str | None]],
        path: Path | None = None,
        seg_vocab: _Vocabulary | None = None,
    ) -> None:
        self.arrays = arrays
        self.params = params
        self.bm25 = BM25Params(**params["bm25"])
        self.base_vocab = vocab  # the sorted vocabulary the base arrays (offsets, docs, scores) are laid out by
        self.vocab: _Vocabulary | SegmentVocabulary = vocab
        self.sources = sources
        self.path = path
        self.generation: str = params.get("generation", "memory")
        self.offsets = arrays["offsets"]
        self.docs = arrays["docs"]
        self.scores = arrays["scores"]
        self.term_max = arrays["term_max"]
        self.idf = arrays["idf"]
        self.doc_len = arrays["doc_len"]
        self.n_passages = int(params["passages"])  # passage numbers in use (a grown generation's dead ones too)
        self.n_articles = int(params.get("articles", 0))
        self.live_passages = self.n_passages  # passages still in the index
        self.live_articles = self.n_articles
        # A grown generation: its base's stale scores plus a segment, read through one overlay (segment.py).
        self.segment: Segment | None = None
        if "segment" in params:
            self.segment = Segment(arrays, params, self.bm25)
            self.vocab = SegmentVocabulary(vocab, seg_vocab, arrays["seg_terms"])
            self.idf = self.segment.idf
            self.live_passages = int(params["segment"]["live_passages"])
            self.live_articles = int(params["segment"]["live_articles"])
        self._local = threading.local()

    # -- loading

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Memory-map a generation folder and check it: file sizes against its manifest, then its structure.

        Fast whatever the size (nothing is parsed into Python objects; the checks read the per-term and
        per-passage arrays and a sample of the postings). Checksums are not read here: see ``index.search.health``.

        Raises:
            IndexOutdated: written by another tokenizer version or file format.
            IndexDamaged: the folder or one of its files is missing, truncated or malformed.
        """
        problem = verify_files(folder, checksums=False)
        if problem:
            raise IndexDamaged(folder.name, problem)
        try:
            params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
            if not isinstance(params, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as e:
            raise IndexDamaged(folder.name, f"params.json: {_reason(e)}") from e
        _check_version(folder, params)
        arrays, blob, sources = _map_files(folder)
        seg_blob = _map_blob(folder, "seg_vocab.bin") if "segment" in params else b""
        problem = structure_problem(arrays, params, len(blob), len(sources), len(seg_blob))
        if problem:
            raise IndexDamaged(folder.name, problem)
        try:
            seg_vocab = _Vocabulary(seg_blob, arrays["seg_vocab_offsets"]) if "segment" in params else None
            return cls(arrays, params, _Vocabulary(blob, arrays["vocab_offsets"]), sources, folder, seg_vocab)
        except (KeyError, TypeError, ValueError) as e:  # params.json parsed, but not as the builder wrote it
            raise IndexDamaged(folder.name, "params.json: malformed") from e

    @classmethod
    def from_tokens(cls, passages: Sequence[Sequence[str]], params: BM25Params | None = None) -> Postings:
        """An in-memory index over already tokenized passages (one article each, undated): tests and benchmarks.

        Args:
            passages: the token list of each passage, exactly as a rank-bm25 reference would be built on
                (terms hold no whitespace, as the tokenizer guarantees).
            params: the BM25 variant and parameters (default: BM25Okapi with rank-bm25's defaults).

        Returns:
            The index, numbered as ``passages`` is ordered.
        """
        params = params or BM25Params()
        n = len(passages)
        enc = Encoder()
        for toks in passages:
            enc.add(toks)
        core = enc.finish(params)
        arrays = dict(core.arrays)
        arrays.update(_passage_arrays_trivial(n))
        meta = core.meta(params, "memory", n, n)
        return cls(arrays, meta, _Vocabulary(core.blob, arrays["vocab_offsets"]), [[None, None]])

    # -- per-term access

    def term_id(self, term: str) -> int:
        """The id of ``term`` in this index, or -1."""
        return self.vocab.lookup(term)

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers (ascending) and their score contributions for term id ``tid``."""
        if self.segment is not None:
            return self.segment.postings(tid)
        a, b = int(self.offsets[tid]), int(self.offsets[tid + 1])
        return self.docs[a:b], self.scores[a:b]

    def df(self, tid: int) -> int:
        """How many passages hold term id ``tid``."""
        if self.segment is not None:
            return int(self.segment.df[tid])
        return int(self.offsets[tid + 1] - self.offsets[tid])

    def term_dfs(self) -> np.ndarray:
        """How many passages hold each term, by term id (int64)."""
        if self.segment is not None:
            return np.asarray(self.segment.df, np.int64)
        return np.diff(np.asarray(self.offsets, np.int64))

    def live_mask(self) -> np.ndarray | None:
        """Per passage number: still in the index; None when every one is (a grown generation drops, not renumbers)."""
        if self.segment is None or not self.segment.has_dead:
            return None
        return np.asarray(self.segment.live, np.bool_)

    def term_idf(self, term: str) -> float:
        """The idf the index gives ``term`` (0 when unknown)."""
        tid = self.term_id(term)
        return float(self.idf[tid]) if tid >= 0 else 0.0

    def weights(self, terms: Iterable[str]) -> list[tuple[int, int]]:
        """Known query terms as (term id, how many times the query repeats it); unknown terms score 0."""
        counts = Counter(self.term_id(t) for t in terms)
        counts.pop(-1, None)
        return sorted(counts.items())

    def _scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's zeroed score accumulator and candidate mark (callers leave them zeroed)."""
        buf = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._local.buf = (np.zeros(self.n_passages, np.float32), np.zeros(self.n_passages, np.bool_))
        return buf

    def _held_mark(self) -> np.ndarray:
        """This thread's second zeroed passage mark (callers leave it zeroed)."""
        held = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = np.zeros(self.n_passages, np.bool_)
        return held

    # A term's postings longer than this many times the passages asked about are binary-searched for them;
    # shorter ones are read whole through a mark of those passages (a byte read per posting beats a search).
    _GIVEN_SEARCH_RATIO = 64

    def score_given(self, weights: list[tuple[int, int]], docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The scores of the passages ``docs`` (any order, repeats allowed) and whether each holds a term.

        Terms are added in the order given, each passage's score in float32 as :meth:`match` adds them; no
        BM25Plus constant.
        """
        if not len(docs):
            return np.zeros(0, np.float32), np.zeros(0, np.bool_)
        acc, mark = self._scratch()
        held = self._held_mark()
        ranked: np.ndarray | None = None
        # Only postings between the lowest and highest passage given can be among them: a window's passages are
        # mostly close together in passage order (articles are numbered as stored), so two binary searches a term
        # leave a small part of its postings to read (0.5% at the median of the dev questions' windows).
        first, last = int(docs.min()), int(docs.max())
        try:
            mark[docs] = True
            for tid, w in weights:
                post, contrib = self.postings(tid)
                # Bounds in the postings' own dtype: a Python int would make searchsorted convert the whole array.
                a = int(np.searchsorted(post, post.dtype.type(first)))
                b = int(np.searchsorted(post, post.dtype.type(last), "right"))
                post, contrib = post[a:b], contrib[a:b]
                if len(post) > self._GIVEN_SEARCH_RATIO * len(docs):
                    if ranked is None:
                        ranked = np.unique(docs)
                    pos = np.searchsorted(post, ranked)
                    pos[pos == len(post)] = 0
                    found = post[pos] == ranked
                    at, add = ranked[found], contrib[pos[found]]
                else:
                    # np.take: half the cost of mark[post] (fancy indexing) for these int32 indices.
                    inside = np.flatnonzero(np.take(mark, post))
                    at, add = np.take(post, inside), np.take(contrib, inside)
                # Each passage once per term, so ufunc.at adds exactly what `acc[at] += ...` would, at half the cost.
                np.add.at(acc, at, add * np.float32(w))
                held[at] = True
            return np.take(acc, docs), np.take(held, docs)
        finally:
            mark[docs] = False
            held[docs] = False
            acc[docs] = 0

    # -- scoring

    def dense_scores(self, terms: Sequence[str]) -> np.ndarray:
        """Every passage's score, like rank-bm25's ``get_scores`` (float64; used by tests and benchmarks)."""
        out = np.zeros(self.n_passages, np.float64)
        for tid, w in self.weights(terms):
            d, s = self.postings(tid)
            out[d] += w * s.astype(np.float64)
        out += self._constant(self.weights(terms))
        live = self.live_mask()
        if live is not None:  # removed passages are not in the collection: they score nothing
            out[~live] = 0.0
        return out

    def _constant(self, weights: list[tuple[int, int]]) -> float:
        return plus_constant(self.bm25, self.idf, weights)

    def constant(self, terms: Sequence[str]) -> float:
        """What every passage scores for ``terms`` without holding one (BM25Plus's ``delta * idf``; 0 otherwise):
        :meth:`match` adds it to its scores."""
        return self._constant(self.weights(terms))

    def match(
        self,
        terms: Sequence[str],
        *,
        eligible: Callable[[np.ndarray], np.ndarray] | None = None,
        depth: int = 10,
        exact: bool = False,
        given: np.ndarray | None = None,
        sample: np.ndarray | None = None,
    ) -> Matches:
        """Score the passages that hold query terms: all of them, or a set sure to hold the best ``depth``.

        Unless ``exact``, the candidates may leave out passages that cannot reach the ``depth``-th best
        eligible score: ``Matches.bound`` then says how high those could score, and a caller that needs to go
        deeper than the candidates scoring at least that much calls again with ``exact=True``.

        Args:
            terms: query terms, repeats kept (a repeated term counts again, as in rank-bm25).
            eligible: the filters: maps passage numbers to a bool mask of those allowed.
            depth: how many eligible passages the caller expects to need.
            exact: return every passage that holds a query term.
            given: passages (any order) whose :meth:`score_given` scores are wanted too (a time window's): when
                the scan adds every posting into its accumulator, they are read off it, in ``Matches.given``.
            sample: passages among which ``depth`` eligible ones are likely (those a quoted phrase allows): the
                threshold is taken from their scores when the rarest terms' passages, which a strict filter may
                leave too few of, set none. Any passages give a valid threshold.

        Returns:
            The candidates with their scores.
        """
        weights = self.weights(terms)
        constant = self._constant(weights)
        if not weights:
            return Matches(np.zeros(0, np.int32), np.zeros(0, np.float32), -math.inf, constant)
        if given is not None and not self._positive(weights):
            given = None
        docs, scores, bound, picked = self._score(weights, eligible, max(depth, 1), exact, given, sample)
        if constant:
            scores = scores + np.float32(constant)
            bound = bound + constant
        # Every contribution is positive (see _positive), so a passage holds a term exactly when its sum is above 0.
        held = None if picked is None else (picked, picked > 0)
        return Matches(docs, scores, bound, constant, held)

    # A term's contributions are its idf times a positive tf factor: with an idf this far above 0, every one is a
    # positive float32 (none rounds to 0).
    _MIN_IDF = 1e-30

    def _positive(self, weights: list[tuple[int, int]]) -> bool:
        """True when every posting of these terms adds a positive score (idf well above 0; Okapi floors it)."""
        return all(float(self.idf[tid]) > self._MIN_IDF for tid, _ in weights)

    def _score(
        self,
        weights: list[tuple[int, int]],
        eligible: Callable[[np.ndarray], np.ndarray] | None,
        depth: int,
        exact: bool,
        given: np.ndarray | None = None,
        sample: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
        """The candidates, their scores, the bound, and the accumulated scores of ``given`` (None: not read)."""
        n = self.n_passages
        by_df = sorted(weights, key=lambda tw: self.df(tw[0]))
        if len(by_df) == 1:
            ((tid, w),) = by_df
            d, s = self.postings(tid)
            return d, (s * np.float32(w) if w != 1 else s.copy()), -math.inf, None
        total = sum(self.df(tid) for tid, _ in by_df)
        if total * self._SPARSE_SHARE < n:
            cand, scores, picked = self._sparse(by_df, self._scratch()[0], given)
            return cand, scores, -math.inf, picked
        seg = self.segment
        if seg is not None:
            given = None  # a grown generation's postings come through its overlay: score_given reads those
        if seg is not None and not exact and seg.approximable([tid for tid, _ in by_df]):
            # Candidates from the base's stale scores within their bounds, then scored exactly (segment.py).
            lists, margin = seg.approximate_lists(by_df)
            live = seg.live if seg.has_dead else None
            cand, _, bound, sample, _ = self._scan(lists, eligible, depth, False, margin, live)
            if bound > -math.inf:
                # The sample's passages among the candidates (a mark, not a binary search of the whole sample).
                mark = self._scratch()[1]
                mark[cand] = True
                sample = sample[np.take(mark, sample)]
                mark[cand] = False
                return (*_tighten(cand, seg.rescore(cand, by_df), sample, eligible, depth, bound), None)
        lists = [(*self.postings(tid), float(w)) for tid, w in by_df]
        cand, scores, bound, _, picked = self._scan(lists, eligible, depth, exact, (1.0, 1.0), None, given, sample)
        return cand, scores, bound, picked

    def _scan(
        self,
        lists: Lists,
        eligible: Callable[[np.ndarray], np.ndarray] | None,
        depth: int,
        exact: bool,
        margin: tuple[float, float],
        live: np.ndarray | None,
        given: np.ndarray | None = None,
        hint: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray | None]:
        """All postings added into the accumulator; the candidates sure to hold the best ``depth`` eligible ones.

        ``margin`` (lo, hi): each accumulated score is within [lo, hi] times the exact one (1, 1 when exact);
        ``live`` drops dead passages (a grown generation's approximate lists hold them). Returns the candidates,
        their accumulated scores, the bound, the sample the threshold was taken from, and the accumulated scores
        of the ``given`` passages (None without them): the same float32 sums, in the same term order, that
        :meth:`score_given` adds, at the cost of one gather instead of a pass over every term's postings. When
        the rarest terms' passages set no threshold, it comes from the ``hint`` passages (:meth:`match`'s
        ``sample``).
        """
        acc, mark = self._scratch()
        lo, hi = margin
        total = sum(len(d) for d, _, _ in lists)
        try:
            for d, s, w in lists:
                # ufunc.at has a fast path for this since numpy 1.25: about 3x a fancy-index `acc[d] += s`.
                np.add.at(acc, d, s if w == 1 else s * np.float32(w))
            picked = None if given is None else np.take(acc, given)
            theta = -math.inf
            sample = lists[0][0][:0]
            if not exact:
                # Any depth eligible passages give a lower bound for the depth-th best score; the rarest term's
                # passages are few and score high, so the bound is tight and the threshold scan keeps few.
                sample = lists[0][0]
                if len(sample) < 4 * depth:
                    sample = _sorted_union([d for d, _, _ in lists[:3]])
                if live is not None:
                    sample = sample[np.take(live, sample)]
                theta = _kth(sample, np.take(acc, sample) * np.float32(lo), eligible, depth)
                if not theta > 0 and hint is not None:
                    # A strict filter left too few of them: the hint's passages (more, and costlier to rank).
                    sample = hint if live is None else hint[np.take(live, hint)]
                    theta = _kth(sample, np.take(acc, sample) * np.float32(lo), eligible, depth)
            if theta > 0:
                cut = theta if hi == lo == 1.0 else theta / hi * (1 - 1e-5)
                cand = np.flatnonzero(acc >= cut).astype(np.int32)
                bound = theta  # every passage left out scores below theta
            else:
                for d, _, _ in lists:
                    mark[d] = True
                cand = np.flatnonzero(mark).astype(np.int32)
                mark[cand] = False
                bound = -math.inf
            scores = np.take(acc, cand)
        finally:
            if total * 8 < len(acc):
                for d, _, _ in lists:
                    acc[d] = 0
            else:
                acc.fill(0)
        if live is not None:
            keep = np.take(live, cand)
            cand, scores = cand[keep], scores[keep]
        return cand, scores, bound, sample, picked

    def _sparse(
        self, terms: list[tuple[int, int]], acc: np.ndarray, given: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Every passage of a few short postings, merged by sorting, with exact scores (and ``given``'s, as _scan)."""
        lists = [(*self.postings(tid), w) for tid, w in terms]
        cand: np.ndarray | None = None
        try:
            for d, s, w in lists:
                np.add.at(acc, d, s if w == 1 else s * np.float32(w))
            picked = None if given is None else np.take(acc, given)
            cand = _sorted_union([d for d, _, _ in lists])
            scores = np.take(acc, cand)
        finally:
            if cand is not None:
                acc[cand] = 0
            else:  # an error before the candidates were known: clear the lot
                acc.fill(0)
        return cand, scores, picked

    # -- per-passage data

    @functools.cached_property
    def max_article_id(self) -> int:
        """The highest article row id this generation covers (0 when empty): articles past it are not searchable."""
        rows = self.arrays["art_rowid"]
        return int(rows.max()) if len(rows) else 0

    def passage_ids(self, docs: np.ndarray) -> np.ndarray:
        """The store's passage row ids for passage numbers."""
        return self.arrays["doc_pid"][docs]

    @functools.cached_property
    def by_day(self) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers sorted by publication day, and those days (built on first use: 3.4 ms for 376k passages)."""
        doc_day = np.asarray(self.arrays["doc_day"])
        order = np.argsort(doc_day, kind="stable").astype(np.int32)
        live = self.live_mask()
        if live is not None:  # a grown generation's dead passages are in no window
            order = order[live[order]]
        return order, doc_day[order]

    @functools.cached_property
    def latest_ts(self) -> int:
        """The publication time (epoch seconds) of the newest dated passage, -1 when none is dated."""
        ts = self.arrays["doc_ts"]
        live = self.live_mask()
        if live is not None:  # a removed article's date says nothing about the archive
            ts = ts[live]
        dated = ts[ts != UNDATED_TS]
        return int(dated.max()) if len(dated) else -1

    def title_articles(self, term: str) -> np.ndarray:
        """Article numbers (ascending) whose headline holds ``term``."""
        tid = self.term_id(term)
        if tid < 0:
            return np.zeros(0, np.int32)
        if self.segment is not None:
            return self.segment.title_articles(tid)
        offs = self.arrays["title_offsets"]
        return self.arrays["title_arts"][int(offs[tid]) : int(offs[tid + 1])]


def _check_version(folder: Path, params: dict[str, Any]) -> None:
    """Refuse a generation another file format or tokenizer wrote (IndexOutdated)."""
    if params.get("format") != FORMAT_VERSION:
        raise IndexOutdated(
            f"the search index at {folder} has format {params.get('format')}, this newsbot reads "
            f"{FORMAT_VERSION}: run `newsbot index PATH` on your archive to rebuild it"
        )
    if params.get("tokenizer_version") != TOKENIZER_VERSION:
        raise IndexOutdated(
            f"the search index at {folder} was built with tokenizer {params.get('tokenizer_version')}, "
            f"this newsbot uses {TOKENIZER_VERSION}: run `newsbot index PATH` on your archive to rebuild it"
        )


def _map_files(folder: Path) -> tuple[dict[str, np.ndarray], bytes | mmap.mmap, list[list[str | None]]]:
    """A generation's arrays (memory-mapped), vocabulary blob and source list; IndexDamaged naming the bad file."""
    arrays: dict[str, np.ndarray] = {}
    name = "vocab.bin"
    try:
        for path in folder.glob("*.npy"):
            name = path.name
            # Plain ndarray views of the maps: np.memmap's Python-level __getitem__ costs microseconds per slice.
            arrays[path.stem] = np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
        name = "sources.json"
        sources = json.loads((folder / name).read_text(encoding="utf-8"))
        if not isinstance(sources, list):
            raise ValueError("not a list")
    except (OSError, ValueError, EOFError) as e:  # np.load: ValueError for a bad header or a truncated file
        raise IndexDamaged(folder.name, f"{name}: {_reason(e)}") from e
    return arrays, _map_blob(folder, "vocab.bin"), sources


def _map_blob(folder: Path, name: str) -> bytes | mmap.mmap:
    """A vocabulary blob, memory-mapped; IndexDamaged when it cannot be read."""
    try:
        with open(folder / name, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as e:
        raise IndexDamaged(folder.name, f"{name}: {_reason(e)}") from e


def _reason(error: BaseException) -> str:
    """A short reason for a file that cannot be read."""
    if isinstance(error, FileNotFoundError):
        return "missing"
    if isinstance(error, OSError):
        return f"unreadable ({error.strerror or error})"
    return "malformed"


def _sorted_union(arrays: list[np.ndarray]) -> np.ndarray:
    """The distinct passage numbers of ``arrays``, ascending (what ``np.unique`` of their concatenation gives).

    Sorting and dropping repeats is 20-30x faster than ``np.unique`` on these int32 arrays: NumPy 2's hash-based
    unique took 0.4-8 ms for the three rarest terms' postings of a common-word query.
    """
    cat = np.concatenate(arrays)
    cat.sort()
    keep = np.empty(len(cat), np.bool_)
    keep[:1] = True
    np.not_equal(cat[1:], cat[:-1], out=keep[1:])
    return cat[keep]


def _kth(
    docs: np.ndarray, scores: np.ndarray, eligible: Callable[[np.ndarray], np.ndarray] | None, depth: int
) -> float:
    """The depth-th best score among the eligible passages, or -inf when there are fewer."""
    if eligible is not None and len(docs) > 4 * depth:
        # The filters (a gather per passage, or several) cost more than ranking the scores: check only the best
        # 2 * depth (ties included). When depth of them pass, the depth-th best eligible score is among them, as
        # every passage left out scores no higher than any kept one; else check them all.
        cut = len(scores) - 2 * depth
        head = np.flatnonzero(scores >= np.partition(scores, cut)[cut])
        ok = eligible(docs[head])
        if np.count_nonzero(ok) >= depth:
            best = scores[head[ok]]
            return float(np.partition(best, len(best) - depth)[len(best) - depth])
    if eligible is not None and len(docs):
        scores = scores[eligible(docs)]
    if len(scores) < depth:
        return -math.inf
    return float(np.partition(scores, len(scores) - depth)[len(scores) - depth])


def _tighten(
    cand: np.ndarray,
    scores: np.ndarray,
    sample: np.ndarray,
    eligible: Callable[[np.ndarray], np.ndarray] | None,
    depth: int,
    bound: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Exactly scored candidates cut at the threshold exact scores give (what a freshly built index would keep).

    The sample's passages that matter are all candidates: ``depth`` of them score at least ``bound``. ``sample``
    holds candidates only.
    """
    if len(cand) and len(sample):
        pos = np.minimum(np.searchsorted(cand, sample), len(cand) - 1)
        found = cand[pos] == sample
        theta = _kth(sample[found], scores[pos[found]], eligible, depth)
        if theta >= bound:
            keep = scores >= theta
            return cand[keep], scores[keep], theta
    return cand, scores, bound


def _passage_arrays_trivial(n: int) -> dict[str, np.ndarray]:
    """Per-passage arrays for an in-memory index where each passage is its own undated article."""
    ids = np.arange(n, dtype=np.int32)
    return {
        "doc_pid": ids.astype(np.int64),
        "doc_article": ids,
        "doc_day": np.full(n, UNDATED_DAY, np.int32),
        "doc_ts": np.full(n, UNDATED_TS, np.int64),
        "doc_source": np.zeros(n, np.int32),
        "art_rowid": ids.astype(np.int64),
        "art_first": np.arange(n + 1, dtype=np.int32),
        "art_story": np.zeros(n, np.int64),
        "title_offsets": np.zeros(1, np.int64),
        "title_arts": np.zeros(0, np.int32),
    }
