"""The BM25 maths, exactly as rank-bm25 0.2.2 defines it: parameters, idf and each term's passage score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VARIANTS = ("okapi", "plus", "l")
TITLE_MODES = ("every", "first", "none")


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

    Args:
        params: the BM25 variant and parameters.
        idf: each posting's term idf.
        tf: how often the term occurs in the passage.
        doc_len: the passage's length in tokens.
        avgdl: the mean passage length.

    Returns:
        float64 scores, aligned with the inputs.
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


def plus_constant(params: BM25Params, idf: np.ndarray, weights: list[tuple[int, int]]) -> float:
    """What BM25Plus adds to every passage's score for a query (``delta * idf`` per known term); 0 otherwise.

    Args:
        params: the BM25 variant and parameters.
        idf: the index's idf per term id.
        weights: the query's known terms as (term id, repeats).

    Returns:
        The per-query constant.
    """
    if params.variant != "plus":
        return 0.0
    return float(sum(w * idf[tid] for tid, w in weights)) * float(params.delta or 0.0)
