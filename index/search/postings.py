"""The search postings: per-term passage lists with precomputed BM25 scores, saved as memory-mapped generations."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import math
import mmap
import operator
import os
import shutil
import threading
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from index.dates import published_moment

# The locations live in a numpy-free module so commands that only need them start fast; re-exported here.
from index.search.locations import CURRENT_FILE, index_dir
from index.search.locations import GEN_RE as _GEN_RE
from index.search.locations import INDEX_SUFFIX as INDEX_SUFFIX
from index.search.locations import current_generation as current_generation
from index.store import connect
from index.tokenize import TOKENIZER_VERSION, text_to_tokens

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
LOCK_FILE = "build.lock"
KEEP_GENERATIONS = 2  # the current one and the one before, which a reader that has not reloaded may still use

VARIANTS = ("okapi", "plus", "l")
TITLE_MODES = ("every", "first", "none")
UNDATED_DAY = -1
UNDATED_TS = np.iinfo(np.int64).max  # sorts after every real time; the as-of filter lets undated through
MIN_STORY_TITLE_TERMS = 4  # shorter headlines ("Opinion", "Live updates") say too little to fold stories on


@dataclass(slots=True)
class BM25Params:
    """How passages are scored; stored in each generation's ``params.json``.

    Attributes:
        variant: "okapi" (rank-bm25's BM25Okapi, the default), "plus" (BM25Plus) or "l" (BM25L, the
            published formula: rank-bm25 0.2.2 multiplies its term score by tf once more, its issue #5).
        k1, b: the usual BM25 saturation and length-normalisation parameters (rank-bm25's defaults).
        epsilon: Okapi only: a term in more than half the passages gets idf ``epsilon * mean idf``.
        delta: BM25Plus/BM25L lower-bound shift; None uses rank-bm25's default (1.0 for plus, 0.5 for l).
        title: how headline terms join passage text: "every" passage of the article (default, chosen on the
            dev questions, see docs/search.md), only the "first", or "none".
    """

    variant: str = "okapi"
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    delta: float | None = None
    title: str = "every"

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown BM25 variant {self.variant!r}: use one of {', '.join(VARIANTS)}")
        if self.title not in TITLE_MODES:
            raise ValueError(f"unknown title mode {self.title!r}: use one of {', '.join(TITLE_MODES)}")
        if self.delta is None:
            self.delta = {"okapi": 0.0, "plus": 1.0, "l": 0.5}[self.variant]


@dataclass(slots=True)
class BuildInfo:
    """What a rebuild produced."""

    generation: str
    path: Path
    passages: int
    articles: int
    terms: int
    postings: int
    seconds: float
    bytes: int
    params: dict[str, Any] = field(default_factory=dict)


class SearchError(Exception):
    """Base class for search-side errors a front end should show to the user."""


class IndexMissing(SearchError):
    """There is no search index for this database yet."""


class IndexOutdated(SearchError):
    """The index was built by an incompatible tokenizer or file format and must be rebuilt."""


# ---------------------------------------------------------------------------------------------------- files


def _fsync_dir(path: Path) -> None:
    # Makes a rename durable; not possible on every platform, where the rename itself is still atomic.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """One rebuild at a time per index folder (a second one waits for the first)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: builds are not serialised, the atomic CURRENT switch still holds
        log.warning("no file locking on this platform: do not run two index builds at once")
        yield
        return

    with open(root / LOCK_FILE, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# ------------------------------------------------------------------------------------------------------ scoring


def idf_for(params: BM25Params, df: np.ndarray, n_passages: int) -> np.ndarray:
    """The idf of each term, with rank-bm25 0.2.2's definitions (terms with df 0 get 0: they score nothing).

    Args:
        params: the BM25 variant and parameters.
        df: passages holding each term.
        n_passages: passages in the index.

    Returns:
        float64 idf per term.
    """
    df64 = df.astype(np.float64)
    present = df > 0
    idf = np.zeros(len(df), dtype=np.float64)
    n = float(n_passages)
    with np.errstate(divide="ignore", invalid="ignore"):
        if params.variant == "okapi":
            raw = np.log(n - df64 + 0.5) - np.log(df64 + 0.5)
            idf[present] = raw[present]
            if present.any():
                # rank-bm25: the mean is over every term's raw idf, negatives included, then negatives are floored.
                floor = params.epsilon * float(idf[present].mean())
                idf[present & (raw < 0)] = floor
        elif params.variant == "plus":
            idf[present] = np.log((n + 1) / df64[present])
        else:
            idf[present] = np.log(n + 1) - np.log(df64[present] + 0.5)
    return idf


def term_scores(params: BM25Params, idf: np.ndarray, tf: np.ndarray, doc_len: np.ndarray, avgdl: float) -> np.ndarray:
    """The BM25 contribution of a term to a passage, for aligned arrays of (idf, tf, passage length).

    For BM25Plus this leaves out the ``idf * delta`` every passage gets for every known query term (it is a
    per-query constant, added at search time); BM25L follows the published formula (no extra tf factor).
    """
    k1, b = params.k1, params.b
    tf = tf.astype(np.float64)
    norm = k1 * (1 - b + b * doc_len / avgdl)
    if params.variant == "okapi":
        return idf * (tf * (k1 + 1) / (tf + norm))
    if params.variant == "plus":
        return idf * (tf * (k1 + 1) / (norm + tf))
    ctd = tf / (1 - b + b * doc_len / avgdl)
    delta = float(params.delta or 0.0)
    return idf * (k1 + 1) * (ctd + delta) / (k1 + ctd + delta)


# ---------------------------------------------------------------------------------------------------- the index


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

    def term(self, i: int) -> str:
        """The term with id ``i``."""
        return bytes(self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])]).decode("utf-8")

    def lookup(self, term: str) -> int:
        """The id of ``term``, or -1 when the index has never seen it."""
        got = self._cache.get(term)
        if got is not None:
            return got
        key = term.encode("utf-8")
        lo, hi = 0, self._n
        offs, blob = self._offsets, self._blob
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[int(offs[mid]) : int(offs[mid + 1])] < key:
                lo = mid + 1
            else:
                hi = mid
        found = lo if lo < self._n and blob[int(offs[lo]) : int(offs[lo + 1])] == key else -1
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
    ) -> None:
        self.arrays = arrays
        self.params = params
        self.bm25 = BM25Params(**params["bm25"])
        self.vocab = vocab
        self.sources = sources
        self.path = path
        self.generation: str = params.get("generation", "memory")
        self.offsets = arrays["offsets"]
        self.docs = arrays["docs"]
        self.scores = arrays["scores"]
        self.term_max = arrays["term_max"]
        self.idf = arrays["idf"]
        self.doc_len = arrays["doc_len"]
        self.n_passages = int(params["passages"])
        self.n_articles = int(params.get("articles", 0))
        self._local = threading.local()

    # -- loading

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Memory-map a generation folder (fast: nothing is parsed into Python objects).

        Raises:
            IndexOutdated: written by another tokenizer version or file format.
            FileNotFoundError: the folder or one of its files is missing.
        """
        params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
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
        # Plain ndarray views of the maps: np.memmap's Python-level __getitem__ costs microseconds per slice.
        arrays = {p.stem: np.load(p, mmap_mode="r", allow_pickle=False).view(np.ndarray) for p in folder.glob("*.npy")}
        with open(folder / "vocab.bin", "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            blob: bytes | mmap.mmap = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        vocab = _Vocabulary(blob, arrays["vocab_offsets"])
        sources = json.loads((folder / "sources.json").read_text(encoding="utf-8"))
        return cls(arrays, params, vocab, sources, folder)

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
        enc = _Encoder()
        for toks in passages:
            enc.add(toks)
        core = enc.finish(params)
        arrays = dict(core.arrays)
        arrays.update(_passage_arrays_trivial(n))
        meta = _params_json(params, "memory", n, n, core)
        return cls(arrays, meta, _Vocabulary(core.blob, arrays["vocab_offsets"]), [[None, None]])

    # -- per-term access

    def term_id(self, term: str) -> int:
        """The id of ``term`` in this index, or -1."""
        return self.vocab.lookup(term)

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers (ascending) and their score contributions for term id ``tid``."""
        a, b = int(self.offsets[tid]), int(self.offsets[tid + 1])
        return self.docs[a:b], self.scores[a:b]

    def df(self, tid: int) -> int:
        """How many passages hold term id ``tid``."""
        return int(self.offsets[tid + 1] - self.offsets[tid])

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

    # -- scoring

    def dense_scores(self, terms: Sequence[str]) -> np.ndarray:
        """Every passage's score, like rank-bm25's ``get_scores`` (float64; used by tests and benchmarks)."""
        out = np.zeros(self.n_passages, np.float64)
        for tid, w in self.weights(terms):
            d, s = self.postings(tid)
            out[d] += w * s.astype(np.float64)
        return out + self._constant(self.weights(terms))

    def _constant(self, weights: list[tuple[int, int]]) -> float:
        if self.bm25.variant != "plus":
            return 0.0
        return float(sum(w * self.idf[tid] for tid, w in weights)) * float(self.bm25.delta or 0.0)

    def match(
        self,
        terms: Sequence[str],
        *,
        eligible: Callable[[np.ndarray], np.ndarray] | None = None,
        depth: int = 10,
        exact: bool = False,
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

        Returns:
            The candidates with their scores.
        """
        weights = self.weights(terms)
        constant = self._constant(weights)
        if not weights:
            return Matches(np.zeros(0, np.int32), np.zeros(0, np.float32), -math.inf, constant)
        docs, scores, bound = self._score(weights, eligible, max(depth, 1), exact)
        if constant:
            scores = scores + np.float32(constant)
            bound = bound + constant
        return Matches(docs, scores, bound, constant)

    def _score(
        self,
        weights: list[tuple[int, int]],
        eligible: Callable[[np.ndarray], np.ndarray] | None,
        depth: int,
        exact: bool,
    ) -> tuple[np.ndarray, np.ndarray, float]:
        n = self.n_passages
        by_df = sorted(weights, key=lambda tw: self.df(tw[0]))
        if len(by_df) == 1:
            ((tid, w),) = by_df
            d, s = self.postings(tid)
            return d, (s * np.float32(w) if w != 1 else s.copy()), -math.inf
        acc, mark = self._scratch()
        lists = [(*self.postings(tid), w) for tid, w in by_df]
        total = sum(len(d) for d, _, _ in lists)
        if total * self._SPARSE_SHARE < n:
            cand, scores = self._sparse(by_df, acc)
            return cand, scores, -math.inf
        try:
            for d, s, w in lists:
                # ufunc.at has a fast path for this since numpy 1.25: about 3x a fancy-index `acc[d] += s`.
                np.add.at(acc, d, s if w == 1 else s * np.float32(w))
            theta = -math.inf
            if not exact:
                # Any depth eligible passages give a lower bound for the depth-th best score; the rarest term's
                # passages are few and score high, so the bound is tight and the threshold scan keeps few.
                sample = lists[0][0]
                if len(sample) < 4 * depth:
                    sample = np.unique(np.concatenate([d for d, _, _ in lists[:3]]))
                theta = _kth(sample, acc[sample], eligible, depth)
            if theta > 0:
                cand = np.flatnonzero(acc >= theta).astype(np.int32)
                bound = theta  # every passage left out scores below theta
            else:
                for d, _, _ in lists:
                    mark[d] = True
                cand = np.flatnonzero(mark).astype(np.int32)
                mark[cand] = False
                bound = -math.inf
            scores = acc[cand]
        finally:
            if total * 8 < n:
                for d, _, _ in lists:
                    acc[d] = 0
            else:
                acc.fill(0)
        return cand, scores, bound

    def _sparse(self, terms: list[tuple[int, int]], acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every passage of a few short postings, merged by sorting, with exact scores."""
        lists = [(*self.postings(tid), w) for tid, w in terms]
        cand: np.ndarray | None = None
        try:
            for d, s, w in lists:
                np.add.at(acc, d, s if w == 1 else s * np.float32(w))
            cat = np.concatenate([d for d, _, _ in lists])
            cat.sort()
            keep = np.empty(len(cat), np.bool_)
            keep[:1] = True
            np.not_equal(cat[1:], cat[:-1], out=keep[1:])
            cand = cat[keep]
            scores = acc[cand]
        finally:
            if cand is not None:
                acc[cand] = 0
            else:  # an error before the candidates were known: clear the lot
                acc.fill(0)
        return cand, scores

    # -- per-passage data

    def passage_ids(self, docs: np.ndarray) -> np.ndarray:
        """The store's passage row ids for passage numbers."""
        return self.arrays["doc_pid"][docs]

    @functools.cached_property
    def by_day(self) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers sorted by publication day, and those days (built on first use: 3.4 ms for 376k passages)."""
        doc_day = np.asarray(self.arrays["doc_day"])
        order = np.argsort(doc_day, kind="stable").astype(np.int32)
        return order, doc_day[order]

    @functools.cached_property
    def latest_ts(self) -> int:
        """The publication time (epoch seconds) of the newest dated passage, -1 when none is dated."""
        ts = self.arrays["doc_ts"]
        dated = ts[ts != UNDATED_TS]
        return int(dated.max()) if len(dated) else -1

    def title_articles(self, term: str) -> np.ndarray:
        """Article numbers (ascending) whose headline holds ``term``."""
        tid = self.term_id(term)
        if tid < 0:
            return np.zeros(0, np.int32)
        offs = self.arrays["title_offsets"]
        return self.arrays["title_arts"][int(offs[tid]) : int(offs[tid + 1])]


def _kth(
    docs: np.ndarray, scores: np.ndarray, eligible: Callable[[np.ndarray], np.ndarray] | None, depth: int
) -> float:
    """The depth-th best score among the eligible passages, or -inf when there are fewer."""
    if eligible is not None and len(docs):
        scores = scores[eligible(docs)]
    if len(scores) < depth:
        return -math.inf
    return float(np.partition(scores, len(scores) - depth)[len(scores) - depth])


# ------------------------------------------------------------------------------------------------------ building


@dataclass(slots=True)
class _Core:
    arrays: dict[str, np.ndarray]
    blob: bytes
    avgdl: float
    n_postings: int


class _Encoder:
    """Turns passages' token text into (term, passage, tf) triples, a chunk of passages at a time.

    Each chunk is split in one call and mapped to term ids with one C-level dict lookup per token; the
    chunk's (term, passage) pairs are counted with one sort, so no per-token Python object outlives a chunk.
    """

    CHUNK = 32_768
    _SEP = "\x00"  # never a token (tokens are word characters), it marks where a passage ends

    def __init__(self) -> None:
        self.ids: defaultdict[str, int] = defaultdict(count().__next__)
        self.ids[self._SEP]  # id 0
        self._pending: list[str] = []
        self._lens: list[np.ndarray] = []
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n = 0

    def add(self, toks: Sequence[str]) -> None:
        self.add_text(" ".join(toks))

    def add_text(self, stored: str) -> None:
        self._pending.append(stored)
        if len(self._pending) >= self.CHUNK:
            self._flush()

    def term_id(self, term: str) -> int:
        return self.ids[term]

    def _flush(self) -> None:
        texts, self._pending = self._pending, []
        if not texts:
            return
        sep = self._SEP
        words = f"{sep} {f' {sep} '.join(texts)} {sep}".split()
        tok = np.fromiter(operator.itemgetter(*words)(self.ids), np.int32, len(words))
        del words
        marks = np.flatnonzero(tok == 0)
        lens = (np.diff(marks) - 1).astype(np.int32)
        tok = tok[tok != 0]
        base = self.n
        self.n += len(texts)
        self._lens.append(lens)
        # (term << 32 | passage): one sort groups the chunk's tokens by term, then passage; runs are the tf.
        key = tok.astype(np.int64) << 32
        key |= np.repeat(np.arange(base, base + len(texts), dtype=np.int64), lens)
        del tok
        key.sort()
        if not len(key):
            return
        new = np.empty(len(key), np.bool_)
        new[0] = True
        np.not_equal(key[1:], key[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        tf = np.diff(starts, append=len(key)).astype(np.int32)
        pairs = key[starts]
        self._chunks.append(((pairs >> 32).astype(np.int32), (pairs & 0xFFFFFFFF).astype(np.int32), tf))

    def finish(self, params: BM25Params, extra_terms: Iterable[str] = ()) -> _Core:
        """Sort the vocabulary, lay the postings out by term and precompute their scores."""
        self._flush()
        for t in extra_terms:
            # Registers headline-only terms so title: filters can find them.
            self.ids[t]
        terms = list(self.ids)[1:]  # without the separator
        n_terms = len(terms)
        order = sorted(range(n_terms), key=terms.__getitem__)
        # rank[insertion id] = position in the sorted vocabulary (insertion id 0 is the separator).
        rank = np.empty(n_terms + 1, np.int64)
        rank[0] = -1
        rank[np.asarray(order, np.int64) + 1] = np.arange(n_terms, dtype=np.int64)
        encoded = [terms[i].encode("utf-8") for i in order]
        blob = b"".join(encoded)
        vocab_offsets = np.zeros(n_terms + 1, np.int64)
        np.cumsum([len(e) for e in encoded], out=vocab_offsets[1:])
        del encoded, terms, order
        self.rank = rank

        lens = np.concatenate(self._lens) if self._lens else np.zeros(0, np.int32)
        n = len(lens)
        df = np.zeros(n_terms, np.int64)
        for term, _, _ in self._chunks:
            df += np.bincount(rank[term], minlength=n_terms)
        offsets = np.zeros(n_terms + 1, np.int64)
        np.cumsum(df, out=offsets[1:])
        n_postings = int(offsets[-1])
        docs = np.empty(n_postings, np.int32)
        tfs = np.empty(n_postings, np.int32)
        # Counting sort: chunks come in passage order and are grouped by term inside, so writing each term's
        # group at that term's cursor keeps every term's postings in passage order.
        cursor = offsets[:-1].copy()
        while self._chunks:
            term, doc, tf = self._chunks.pop(0)
            r = rank[term]
            new = np.empty(len(term), np.bool_)
            new[:1] = True
            np.not_equal(term[1:], term[:-1], out=new[1:])
            starts = np.flatnonzero(new)
            counts = np.diff(starts, append=len(term))
            within = np.arange(len(term)) - np.repeat(starts, counts)
            pos = cursor[r] + within
            docs[pos] = doc
            tfs[pos] = tf
            cursor[r[starts]] += counts
        total = int(lens.sum())
        avgdl = total / n if n else 0.0
        idf = idf_for(params, df, n)
        scores = np.empty(n_postings, np.float32)
        term_max = np.zeros(n_terms, np.float32)
        if n_postings:
            dl = lens.astype(np.float64)
            step = 1 << 23
            term_of = np.repeat(np.arange(n_terms, dtype=np.int32), df)
            for a in range(0, n_postings, step):
                b = min(n_postings, a + step)
                d = docs[a:b]
                scores[a:b] = term_scores(params, idf[term_of[a:b]], tfs[a:b], dl[d], avgdl)
            del term_of
            present = np.flatnonzero(df > 0)
            term_max[present] = np.maximum.reduceat(scores, offsets[:-1][present])
        arrays = {
            "vocab_offsets": vocab_offsets,
            "offsets": offsets,
            "docs": docs,
            "scores": scores,
            "term_max": term_max,
            "idf": idf,
            "doc_len": lens,
        }
        return _Core(arrays, blob, avgdl, n_postings)


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


def _params_json(params: BM25Params, generation: str, passages: int, articles: int, core: _Core) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "generation": generation,
        "bm25": asdict(params),
        "tokenizer_version": TOKENIZER_VERSION,
        "passages": passages,
        "articles": articles,
        "terms": len(core.arrays["vocab_offsets"]) - 1,
        "postings": core.n_postings,
        "avgdl": core.avgdl,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def parse_published(value: str | None) -> tuple[int, int]:
    """An article's publication time as (UTC day ordinal, UTC epoch seconds); undated -> (-1, UNDATED_TS).

    A date without a time counts from the start of that day, so an as-of moment later that day includes it.
    """
    moment = published_moment(value)
    if moment is None:
        return UNDATED_DAY, int(UNDATED_TS)
    return moment.date().toordinal(), int(moment.timestamp())


def source_key(outlet: str | None, url: str | None) -> tuple[str | None, str | None]:
    """An article's (outlet, domain) in the case-folded forms source filters compare against."""
    domain = None
    if url:
        with contextlib.suppress(ValueError):
            domain = (urlsplit(url).hostname or "").lower() or None
        if domain and domain.startswith("www."):
            domain = domain[4:]
    return (outlet.strip().casefold() or None) if outlet else None, domain


def _story_key(title_tokens: str) -> int:
    terms = title_tokens.split()
    if len(terms) < MIN_STORY_TITLE_TERMS:
        return 0
    digest = hashlib.blake2b(" ".join(terms).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1


def rebuild(db_path: str | os.PathLike[str], *, progress: bool = True, params: BM25Params | None = None) -> BuildInfo:
    """Build a new postings generation from the store's passages and switch the index to it atomically.

    Reads the stored tokens (no input file is read again); duplicates have no passages and are left out.
    The new generation is written beside the one in service and ``CURRENT`` is switched only once it is
    complete, so a crash leaves the old one serving; generations older than the last two are removed.

    Args:
        db_path: the SQLite database.
        progress: show a progress bar on stderr while reading passages.
        params: BM25 variant and parameters (default: BM25Okapi with rank-bm25's defaults, headline in
            every passage).

    Returns:
        What was built.
    """
    db_path = Path(db_path)
    params = params or BM25Params()
    if not db_path.exists():
        raise IndexMissing(f"no database at {db_path}: ingest some articles first with `newsbot index PATH`")
    root = index_dir(db_path)
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _build_lock(root):
        for stale in root.glob(".tmp-*"):  # left by a crashed build: we hold the lock, so nobody is writing it
            shutil.rmtree(stale, ignore_errors=True)
        numbers = [int(m.group(1)) for p in root.iterdir() if (m := _GEN_RE.fullmatch(p.name))]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        tmp = root / f".tmp-{name}-{os.getpid()}"
        tmp.mkdir()
        try:
            meta = _build_into(db_path, tmp, name, params, progress)
            os.rename(tmp, root / name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _fsync_dir(root)
        pointer = root / f".{CURRENT_FILE}.tmp-{os.getpid()}"
        with open(pointer, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, root / CURRENT_FILE)
        _fsync_dir(root)
        _prune(root, name)
    folder = root / name
    size = sum(p.stat().st_size for p in folder.iterdir())
    info = BuildInfo(
        generation=name,
        path=folder,
        passages=meta["passages"],
        articles=meta["articles"],
        terms=meta["terms"],
        postings=meta["postings"],
        seconds=time.perf_counter() - started,
        bytes=size,
        params=meta["bm25"],
    )
    log.info("built search index %s: %d passages, %d terms in %.1f s", name, info.passages, info.terms, info.seconds)
    return info


def _prune(root: Path, current: str) -> None:
    """Remove generations older than the last KEEP_GENERATIONS (never the current one)."""
    gens = sorted((int(m.group(1)), p) for p in root.iterdir() if (m := _GEN_RE.fullmatch(p.name)) and p.is_dir())
    for _, path in gens[:-KEEP_GENERATIONS]:
        if path.name != current:
            shutil.rmtree(path, ignore_errors=True)


_PASSAGES_SQL = (
    "SELECT p.id, p.article_id, p.tokens FROM passages p JOIN articles a ON a.id = p.article_id "
    "WHERE a.duplicate_of IS NULL ORDER BY p.article_id, p.ordinal"
)


def _indexed_texts(
    rows: Iterable[tuple[int, int, str]], titles: dict[int, str], mode: str
) -> Iterator[tuple[int, int, bool, str]]:
    """(passage id, article id, first of its article, indexed token text) with the headline joined per ``mode``."""
    last_article = None
    title = ""
    for pid, aid, tokens in rows:
        first = aid != last_article
        if first:
            last_article = aid
            title = titles[aid] if mode != "none" else ""
            yield pid, aid, True, f"{title} {tokens}" if title else tokens
            if mode == "first":
                title = ""
        else:
            yield pid, aid, False, f"{title} {tokens}" if title else tokens


def passage_token_lists(db_path: str | os.PathLike[str], params: BM25Params | None = None) -> list[list[str]]:
    """The token list of every indexed passage, in index order, exactly as :func:`rebuild` scores them.

    For building reference scorers (rank-bm25 and the benchmark's peers) on the same input.

    Args:
        db_path: the SQLite database.
        params: the title mode to apply (default: the default parameters).

    Returns:
        One list of terms per passage.
    """
    params = params or BM25Params()
    conn = connect(db_path, readonly=True)
    conn.row_factory = None
    try:
        conn.execute("BEGIN")
        titles = dict(conn.execute("SELECT id, title_tokens FROM articles WHERE duplicate_of IS NULL").fetchall())
        interned: dict[str, str] = {}
        out = []
        for _, _, _, text in _indexed_texts(conn.execute(_PASSAGES_SQL), titles, params.title):
            out.append([interned.setdefault(t, t) for t in text.split()])
        conn.execute("COMMIT")
    finally:
        conn.close()
    return out


def _build_into(db_path: Path, folder: Path, name: str, params: BM25Params, progress: bool) -> dict[str, Any]:
    conn = connect(db_path, readonly=True)
    conn.row_factory = None
    try:
        # One read transaction: articles and passages come from the same snapshot even if an ingest is running.
        conn.execute("BEGIN")
        (n_expected,) = conn.execute(
            "SELECT count(*) FROM passages p JOIN articles a ON a.id = p.article_id WHERE a.duplicate_of IS NULL"
        ).fetchone()
        articles: dict[int, tuple[str, str | None, str | None, str | None]] = {}
        for rowid, title_tokens, published, outlet, url in conn.execute(
            "SELECT id, title_tokens, published, outlet, url FROM articles WHERE duplicate_of IS NULL"
        ):
            articles[rowid] = (title_tokens or "", published, outlet, url)
        titles = {a: v[0] for a, v in articles.items()}
        enc = _Encoder()
        pids = array("q")
        doc_art = array("i")
        art_rows: list[int] = []
        art_first = array("i")
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n_expected, unit="passage", desc="postings", leave=False)
        for i, (pid, aid, first, text) in enumerate(_indexed_texts(conn.execute(_PASSAGES_SQL), titles, params.title)):
            if first:
                art_first.append(len(pids))
                art_rows.append(aid)
            enc.add_text(text)
            pids.append(pid)
            doc_art.append(len(art_rows) - 1)
            if bar is not None and i % 20_000 == 19_999:
                bar.update(20_000)
        if bar is not None:
            bar.close()
        conn.execute("COMMIT")
    finally:
        conn.close()

    n = len(pids)
    n_art = len(art_rows)
    art_first.append(n)
    titles = [text_to_tokens(articles[a][0]) for a in art_rows]
    core = enc.finish(params, (t for tt in titles for t in tt))
    # Headline postings (article numbers per term) serve title: filters whatever the title mode.
    rank = enc.rank
    t_terms: list[int] = []
    t_arts: list[int] = []
    for i, tt in enumerate(titles):
        for t in set(tt):
            t_terms.append(int(rank[enc.term_id(t)]))
            t_arts.append(i)
    t_term_arr = np.asarray(t_terms, np.int64)
    t_art_arr = np.asarray(t_arts, np.int32)
    order = np.lexsort((t_art_arr, t_term_arr))
    n_terms = len(core.arrays["vocab_offsets"]) - 1
    title_offsets = np.zeros(n_terms + 1, np.int64)
    np.cumsum(np.bincount(t_term_arr, minlength=n_terms), out=title_offsets[1:])

    # Per-article facts, then spread to passages so filters are one gather per candidate.
    art_day = np.empty(n_art, np.int32)
    art_ts = np.empty(n_art, np.int64)
    art_src = np.empty(n_art, np.int32)
    art_story = np.empty(n_art, np.int64)
    src_ids: dict[tuple[str | None, str | None], int] = {}
    for i, a in enumerate(art_rows):
        title_tokens, published, outlet, url = articles[a]
        art_day[i], art_ts[i] = parse_published(published)
        art_src[i] = src_ids.setdefault(source_key(outlet, url), len(src_ids))
        art_story[i] = _story_key(title_tokens)
    doc_article = np.frombuffer(doc_art, dtype=np.int32).copy()
    arrays = dict(core.arrays)
    arrays.update(
        {
            "doc_pid": np.frombuffer(pids, dtype=np.int64).copy(),
            "doc_article": doc_article,
            "doc_day": art_day[doc_article],
            "doc_ts": art_ts[doc_article],
            "doc_source": art_src[doc_article],
            "art_rowid": np.asarray(art_rows, np.int64),
            "art_first": np.frombuffer(art_first, dtype=np.int32).copy(),
            "art_story": art_story,
            "title_offsets": title_offsets,
            "title_arts": t_art_arr[order],
        }
    )
    for key, arr in arrays.items():
        _save(folder / f"{key}.npy", arr)
    _write_bytes(folder / "vocab.bin", core.blob)
    sources = [list(k) for k in sorted(src_ids, key=src_ids.__getitem__)]
    _write_bytes(folder / "sources.json", json.dumps(sources).encode("utf-8"))
    meta = _params_json(params, name, n, n_art, core)
    # params.json last: a folder without it is incomplete (the rename happens only after it is written anyway).
    _write_bytes(folder / "params.json", json.dumps(meta, indent=2).encode("utf-8"))
    return meta


def _save(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
