"""The match threshold: the depth-th best eligible score, whether the filters are checked on a few or on all."""

from __future__ import annotations

import math

import numpy as np

from index.search.postings import _kth


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
