"""A grown generation's overlay: the postings added since its base was scored, dead passages, and exact scores."""

# A grown generation keeps its base's big arrays as they were written (hard links, never rewritten), so their stored
# scores were computed with the base's N, avgdl and idf. Per term the idf change is an exact factor; the avgdl change
# moves each posting's tf part by a factor within [min(1, r), max(1, r)], r = avgdl now / avgdl then. Queries select
# candidates with those bounds from the stale scores, then score the candidates exactly from tfs and doc_len; the
# segment's own postings are scored with the current statistics when written, so they are exact as stored.

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from index.search.bm25 import BM25Params, term_scores

# Float32 accumulation rounds each approximate score by a few ulps: candidates are kept this much below the cut.
SLACK = 1e-5

Lists = list[tuple[np.ndarray, np.ndarray, float]]


class SegmentVocabulary:
    """Term ids over a base vocabulary and a segment's: base terms keep their ids, new ones follow them."""

    def __init__(self, base: Any, seg: Any, seg_terms: np.ndarray) -> None:
        self.base = base
        self.seg = seg
        self._seg_terms = seg_terms
        self._n_base = len(base)
        new = np.flatnonzero(seg_terms >= self._n_base)
        self._new = np.empty(len(new), np.int64)  # combined id - n_base -> segment term index
        self._new[seg_terms[new] - self._n_base] = new
        self._n = self._n_base + len(new)
        self._cache: dict[str, int] = {}

    def __len__(self) -> int:
        return self._n

    def term(self, i: int) -> str:
        """The term with combined id ``i``."""
        return self.base.term(i) if i < self._n_base else self.seg.term(int(self._new[i - self._n_base]))

    def lookup(self, term: str) -> int:
        """The combined id of ``term``, or -1 when neither part holds it."""
        got = self._cache.get(term)
        if got is not None:
            return got
        found = self.base.lookup(term)
        if found < 0:
            j = self.seg.lookup(term)
            found = int(self._seg_terms[j]) if j >= 0 else -1
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[term] = found
        return found


class Segment:
    """The overlay of a grown generation (see the module comment); :class:`Postings` delegates to it."""

    def __init__(self, arrays: dict[str, np.ndarray], params: dict[str, Any], bm25: BM25Params) -> None:
        info = params["segment"]
        self.bm25 = bm25
        self.n_base = int(info["base_passages"])
        self.n_base_terms = len(arrays["offsets"]) - 1
        self.avgdl = float(params["avgdl"])
        r = self.avgdl / float(info["base_avgdl"]) if info["base_avgdl"] else math.inf
        self.lo, self.hi = min(1.0, r), max(1.0, r)
        self.live = arrays["live"]
        self.has_dead = int(info["dead_passages"]) > 0
        self.idf = arrays["cur_idf"]
        self.df = arrays["cur_df"]
        self.idf0 = arrays["idf"]
        self.offsets, self.docs = arrays["offsets"], arrays["docs"]
        self.tfs, self.scores = arrays["tfs"], arrays["scores"]
        self.seg_offsets, self.seg_docs = arrays["seg_offsets"], arrays["seg_docs"]
        self.seg_scores, self.seg_terms = arrays["seg_scores"], arrays["seg_terms"]
        self.seg_title_offsets, self.seg_title_arts = arrays["seg_title_offsets"], arrays["seg_title_arts"]
        self.title_offsets, self.title_arts = arrays["title_offsets"], arrays["title_arts"]
        self.doc_len = arrays["doc_len"]
        self.art_first = arrays["art_first"]
        self.seg_of = np.full(len(self.idf), -1, np.int64)  # combined term id -> segment term index
        self.seg_of[self.seg_terms] = np.arange(len(self.seg_terms), dtype=np.int64)

    # -- per-term access, exact

    def _base_slice(self, tid: int, live_only: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
        """A base term's passages (live ones only unless told), their term frequencies and where its postings start."""
        if tid >= self.n_base_terms:
            return self.docs[:0], self.tfs[:0], 0
        a, b = int(self.offsets[tid]), int(self.offsets[tid + 1])
        d, tf = self.docs[a:b], self.tfs[a:b]
        if live_only and self.has_dead and len(d):
            keep = self.live[d]
            d, tf = d[keep], tf[keep]
        return d, tf, a

    def _seg_slice(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        j = int(self.seg_of[tid])
        if j < 0:
            return self.seg_docs[:0], self.seg_scores[:0]
        a, b = int(self.seg_offsets[j]), int(self.seg_offsets[j + 1])
        return self.seg_docs[a:b], self.seg_scores[a:b]

    def exact(self, tid: int, docs: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """Base postings' scores with the current statistics (float32; within a few float32 ulps of what a full
        build stores, which computes them in float64)."""
        if not len(docs):
            return np.zeros(0, np.float32)
        if self.bm25.variant == "l":
            return term_scores(self.bm25, self.idf[tid], tf, self.doc_len[docs], self.avgdl).astype(np.float32)
        # Okapi and Plus: idf * (k1 + 1) * tf / (tf + K[passage]), in float32 over a per-passage K computed once:
        # a common term's 500k postings at 1M passages take ~1 ms instead of ~6 ms in float64.
        tf32 = tf.astype(np.float32)
        out = tf32 + self.norm[docs]
        np.divide(tf32, out, out=out)
        out *= np.float32(self.idf[tid] * (self.bm25.k1 + 1))
        return out

    @functools.cached_property
    def norm(self) -> np.ndarray:
        """Per passage, BM25's length norm ``k1 * (1 - b + b * dl / avgdl)`` with the current avgdl (float32)."""
        k1, b = self.bm25.k1, self.bm25.b
        dl = np.asarray(self.doc_len, np.float64)
        return (k1 * (1 - b + b * dl / self.avgdl)).astype(np.float32) if self.avgdl else np.ones(len(dl), np.float32)

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """Live passage numbers (ascending) of ``tid`` in both parts and their exact scores."""
        d, tf, _ = self._base_slice(tid)
        sd, ss = self._seg_slice(tid)
        if not len(sd):
            return d, self.exact(tid, d, tf)
        if not len(d):
            return sd, ss
        return np.concatenate([d, sd]), np.concatenate([self.exact(tid, d, tf), ss])

    def title_articles(self, tid: int) -> np.ndarray:
        """Live article numbers (ascending) whose headline holds ``tid``."""
        parts = []
        if tid < self.n_base_terms:
            arts = self.title_arts[int(self.title_offsets[tid]) : int(self.title_offsets[tid + 1])]
            if self.has_dead and len(arts):
                arts = arts[self.art_live[arts]]
            parts.append(arts)
        j = int(self.seg_of[tid])
        if j >= 0:
            parts.append(self.seg_title_arts[int(self.seg_title_offsets[j]) : int(self.seg_title_offsets[j + 1])])
        return np.concatenate(parts).astype(np.int32, copy=False) if parts else np.zeros(0, np.int32)

    @functools.cached_property
    def art_live(self) -> np.ndarray:
        """Per article: still in the index (an article's passages die together)."""
        first = np.asarray(self.art_first[:-1])
        return np.asarray(self.live)[np.minimum(first, max(len(self.live) - 1, 0))]

    # -- approximate lists for the threshold scan

    def approximable(self, tids: list[int]) -> bool:
        """True when every base term's stale scores can be corrected by its idf ratio (both idfs positive)."""
        return all(
            tid >= self.n_base_terms or (self.idf0[tid] > 0 and self.idf[tid] > 0) for tid in tids
        ) and math.isfinite(self.hi)

    def approximate_lists(self, weights: list[tuple[int, int]]) -> tuple[Lists, tuple[float, float]]:
        """Per term: its base postings with their stale scores (dead ones included) and its segment postings
        (exact), with the query's weights; and (lo, hi) such that every passage's exact score is within lo and hi
        times the sum of its weighted scores in the lists.

        The idf ratios are folded into (lo, hi) rather than multiplied into the scores: the scan then adds the
        stored arrays as they are (a multiplication is a pass over each list), and the ratios of a few new
        articles in a large archive are within 1e-4 of 1.
        """
        out: Lists = []
        lo, hi = 1.0, 1.0  # a segment posting is exact
        for tid, w in weights:
            if tid < self.n_base_terms:
                a, b = int(self.offsets[tid]), int(self.offsets[tid + 1])
                if b > a:
                    out.append((self.docs[a:b], self.scores[a:b], float(w)))
                    ratio = float(self.idf[tid] / self.idf0[tid])
                    lo, hi = min(lo, ratio * self.lo), max(hi, ratio * self.hi)
            sd, ss = self._seg_slice(tid)
            if len(sd):
                out.append((sd, ss, float(w)))
        return out, (lo, hi)

    def rescore(self, cand: np.ndarray, weights: list[tuple[int, int]]) -> np.ndarray:
        """Exact scores of candidate passages (ascending, live), terms added in ``weights`` order like the scan."""
        if self.bm25.variant == "l":
            return self._rescore_each(cand, weights)
        # Okapi and Plus: each term's hits found by binary search, then all of them scored in one vectorised pass
        # and added in term order (a passage is in the base or the segment, so its terms add up as in the scan).
        in_base = int(np.searchsorted(cand, self.n_base))
        base, seg = cand[:in_base], cand[in_base:]
        at: list[np.ndarray] = []
        tfs: list[np.ndarray] = []
        coef: list[np.ndarray] = []
        weight: list[np.ndarray] = []
        seg_at: list[np.ndarray] = []
        seg_val: list[np.ndarray] = []
        k1p = self.bm25.k1 + 1
        for tid, w in weights:
            d, tf, _ = self._base_slice(tid, live_only=False)  # the candidates are live: no need to filter the list
            if len(d) and len(base):
                pos, found = _find(d, base)
                hit = np.flatnonzero(found)
                at.append(hit)
                tfs.append(tf[pos[hit]])
                coef.append(np.full(len(hit), self.idf[tid] * k1p, np.float32))
                weight.append(np.full(len(hit), w, np.float32))
            sd, ss = self._seg_slice(tid)
            if len(sd) and len(seg):
                pos, found = _find(sd, seg)
                hit = np.flatnonzero(found)
                seg_at.append(hit + in_base)
                seg_val.append(ss[pos[hit]] * np.float32(w) if w != 1 else ss[pos[hit]])
        out = np.zeros(len(cand), np.float32)
        if at:
            idx = np.concatenate(at)
            tf32 = np.concatenate(tfs).astype(np.float32)
            s = tf32 / (tf32 + self.norm[cand[idx]]) * np.concatenate(coef)  # as exact() computes it
            np.add.at(out, idx, s * np.concatenate(weight))
        if seg_at:
            np.add.at(out, np.concatenate(seg_at), np.concatenate(seg_val))
        return out

    def _rescore_each(self, cand: np.ndarray, weights: list[tuple[int, int]]) -> np.ndarray:
        """:meth:`rescore`, a term at a time (BM25L's scores are computed by the builder's own function)."""
        out = np.zeros(len(cand), np.float32)
        in_base = int(np.searchsorted(cand, self.n_base))
        for tid, w in weights:
            wf = np.float32(w)
            d, tf, _ = self._base_slice(tid, live_only=False)  # the candidates are live: no need to filter the list
            if len(d) and in_base:
                pos, found = _find(d, cand[:in_base])
                if found.any():
                    s = self.exact(tid, cand[:in_base][found], tf[pos[found]])
                    out[:in_base][found] += s if w == 1 else s * wf
            sd, ss = self._seg_slice(tid)
            if len(sd) and in_base < len(cand):
                pos, found = _find(sd, cand[in_base:])
                if found.any():
                    s = ss[pos[found]]
                    out[in_base:][found] += s if w == 1 else s * wf
        return out


def _find(post: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``docs`` is in the ascending ``post``, and whether it is there."""
    pos = np.searchsorted(post, docs)
    pos[pos == len(post)] = 0
    return pos, post[pos] == docs
