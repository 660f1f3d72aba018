"""The match threshold: the depth-th best eligible score, whether the filters are checked on a few or on all."""

from __future__ import annotations

import math

import numpy as np

from index.search.bm25 import BM25Params
from index.search.postings import Postings, _kth


def _reference(scores: np.ndarray, allowed: np.ndarray, depth: int) -> float:
    kept = sorted(scores[allowed].tolist(), reverse=True)
    return kept[depth - 1] if len(kept) >= depth else -math.inf


def test_kth_is_the_depth_th_best_eligible_score_with_ties_and_sparse_filters() -> None:
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = int(rng.integers(1, 400))
        depth = int(rng.integers(1, 30))
        # Few distinct values, so ties straddle the 2 * depth cut; filters from nearly none to nearly all passing.
        scores = rng.integers(0, 12, n).astype(np.float32) / np.float32(4)
        docs = np.sort(rng.choice(10_000, n, replace=False)).astype(np.int32)
        allowed = rng.random(10_000) < rng.choice([0.02, 0.3, 0.9, 1.0])
        calls: list[int] = []

        def eligible(d: np.ndarray, allowed: np.ndarray = allowed, calls: list[int] = calls) -> np.ndarray:
            calls.append(len(d))
            return allowed[d]

        assert _kth(docs, scores, eligible, depth) == _reference(scores, allowed[docs], depth), trial
        assert _kth(docs, scores, None, depth) == _reference(scores, np.ones(n, np.bool_), depth), trial


def test_kth_checks_only_the_best_passages_when_enough_of_them_pass() -> None:
    scores = np.arange(1000, dtype=np.float32)
    docs = np.arange(1000, dtype=np.int32)
    seen: list[int] = []

    def eligible(d: np.ndarray) -> np.ndarray:
        seen.append(len(d))
        return np.ones(len(d), np.bool_)

    assert _kth(docs, scores, eligible, 10) == 990.0
    assert seen == [20]


def test_a_sample_of_any_passages_keeps_the_best_eligible_ones() -> None:
    """``match(sample=...)`` takes the threshold from the sample's scores: whichever passages it holds (none
    eligible, a few, the filter's own), the candidates still hold the depth best eligible passages, scored as
    the exact match scores them."""
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(200)]
    weights = np.array([1 / (i + 1) for i in range(200)])
    docs = [list(rng.choice(words, int(rng.integers(3, 40)), p=weights / weights.sum())) for _ in range(3000)]
    st = Postings.from_tokens(docs, BM25Params())
    for trial in range(60):
        terms = list(rng.choice(words[:40], int(rng.integers(2, 7))))
        allowed = rng.random(len(docs)) < rng.choice([0.01, 0.1, 0.5])

        def eligible(d: np.ndarray, allowed: np.ndarray = allowed) -> np.ndarray:
            return allowed[d]

        exact = st.match(terms, eligible=eligible, exact=True)
        keep = allowed[exact.docs]
        want = sorted(zip(-exact.scores[keep], exact.docs[keep], strict=True))[:50]
        for sample in (np.flatnonzero(allowed), np.flatnonzero(~allowed)[:100], rng.choice(len(docs), 20)):
            m = st.match(terms, eligible=eligible, depth=50, sample=sample.astype(np.int32))
            kept = allowed[m.docs]
            got = sorted(zip(-m.scores[kept], m.docs[kept], strict=True))[:50]
            assert got == want, trial
