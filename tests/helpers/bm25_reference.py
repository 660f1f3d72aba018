"""The rank-bm25 reference the search tests compare against: tolerance, the published BM25L, a closeness check."""

from __future__ import annotations

import numpy as np
from rank_bm25 import BM25L

REL = 1e-5


class PublishedBM25L(BM25L):
    """rank-bm25's BM25L without the extra tf factor (its issue #5): Lv and Zhai's formula, 0 where tf is 0."""

    def get_scores(self, query: list[str]) -> np.ndarray:
        score = np.zeros(self.corpus_size)
        doc_len = np.array(self.doc_len)
        for q in query:
            q_freq = np.array([(doc.get(q) or 0) for doc in self.doc_freqs])
            ctd = q_freq / (1 - self.b + self.b * doc_len / self.avgdl)
            term = (self.idf.get(q) or 0) * (self.k1 + 1) * (ctd + self.delta) / (self.k1 + ctd + self.delta)
            score += np.where(q_freq > 0, term, 0.0)
        return score


def assert_close(ours: np.ndarray, ref: np.ndarray) -> None:
    scale = np.maximum(np.abs(ref), 1e-9)
    worst = float(np.max(np.abs(ours - ref) / scale)) if len(ref) else 0.0
    assert worst <= REL, f"largest relative difference {worst:.2e}"
