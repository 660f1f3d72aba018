"""Scores agree with rank-bm25 0.2.2 (BM25Okapi, BM25Plus) and with the published BM25L, over random queries."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from helpers.bm25_reference import REL, PublishedBM25L, assert_close
from helpers.searchdb import Doc, make_store
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from index.search.bm25 import BM25Params
from index.search.build import passage_token_lists, rebuild
from index.search.postings import Postings
from index.search.searcher import Searcher


def corpus(seed: int, n_docs: int = 400, vocab: int = 600) -> tuple[list[list[str]], list[str], list[float]]:
    """Zipfian passages: the top few terms are in more than half of them (negative Okapi idf)."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    weights = [1 / (i + 1) ** 1.05 for i in range(vocab)]
    docs = [rng.choices(words, weights, k=rng.randint(1, 60)) for _ in range(n_docs)]
    return docs, words, weights


def queries(seed: int, words: list[str], weights: list[float], n: int = 300) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q = rng.choices(words, weights, k=rng.randint(1, 8))
        if rng.random() < 0.3:
            q.append(rng.choice(q))  # a repeated term counts twice
        if rng.random() < 0.3:
            q.append("neverseenterm")
        out.append(q)
    return out


def test_corpus_has_terms_in_more_than_half_the_passages() -> None:
    docs, _, _ = corpus(1)
    bm = BM25Okapi(docs)
    floored = [w for w, f in bm.idf.items() if f == bm.epsilon * bm.average_idf]
    assert floored, "the test corpus must exercise rank-bm25's idf floor"


@pytest.mark.parametrize(
    ("variant", "reference"),
    [("okapi", BM25Okapi), ("plus", BM25Plus), ("l", PublishedBM25L)],
)
def test_scores_match_reference(variant: str, reference: type) -> None:
    docs, words, weights = corpus(7)
    ours = Postings.from_tokens(docs, BM25Params(variant=variant))
    ref = reference(docs)
    for q in queries(8, words, weights):
        assert_close(ours.dense_scores(q), ref.get_scores(q))


@pytest.mark.parametrize(("k1", "b", "epsilon"), [(1.2, 0.75, 0.25), (2.0, 0.3, 0.5), (0.9, 1.0, 0.1)])
def test_okapi_parameters_match_reference(k1: float, b: float, epsilon: float) -> None:
    docs, words, weights = corpus(3)
    ours = Postings.from_tokens(docs, BM25Params(k1=k1, b=b, epsilon=epsilon))
    ref = BM25Okapi(docs, k1=k1, b=b, epsilon=epsilon)
    for q in queries(4, words, weights, n=50):
        assert_close(ours.dense_scores(q), ref.get_scores(q))


def test_rank_bm25_bm25l_differs_from_the_published_formula() -> None:
    """Why BM25L is checked against a corrected reference: rank-bm25 0.2.2 multiplies by tf once more."""
    docs = [["a", "a", "a", "b"], ["a", "c"], ["c", "d"], ["d", "e", "e"]]
    ours = Postings.from_tokens(docs, BM25Params(variant="l")).dense_scores(["a"])
    assert_close(ours, PublishedBM25L(docs).get_scores(["a"]))
    assert not np.allclose(ours, BM25L(docs).get_scores(["a"]))


@pytest.mark.parametrize("variant", ["okapi", "plus", "l"])
def test_candidate_scores_match_dense_scores(variant: str) -> None:
    """The pruned candidate scoring returns the same scores as scoring everything."""
    docs, words, weights = corpus(11, n_docs=3000, vocab=5000)
    ours = Postings.from_tokens(docs, BM25Params(variant=variant))
    for q in queries(12, words, weights, n=200):
        dense = ours.dense_scores(q)
        m = ours.match(q, depth=10)
        assert np.allclose(m.scores, dense[m.docs], rtol=REL, atol=1e-9)
        outside = np.ones(len(dense), bool)
        outside[m.docs] = False
        if outside.any() and m.bound > -math.inf:
            assert dense[outside].max() < m.bound + 1e-6


def test_top_passages_equal_rank_bm25_top_10(db_path) -> None:
    """Through the store: the reference is built on exactly the indexed token lists (headline included)."""
    rng = random.Random(5)
    words = [f"term{i}" for i in range(800)]
    weights = [1 / (i + 1) for i in range(800)]
    docs = []
    for i in range(150):
        title = " ".join(rng.choices(words, weights, k=rng.randint(2, 6)))
        passages = [" ".join(rng.choices(words, weights, k=rng.randint(5, 70))) for _ in range(rng.randint(1, 5))]
        docs.append(Doc(title=title, passages=passages, source_id=f"a{i}"))
    make_store(db_path, docs)
    rebuild(db_path, progress=False)
    lists = passage_token_lists(db_path)
    ref = BM25Okapi(lists)
    with Searcher.open(db_path) as searcher:
        assert searcher.passage_count == len(lists)
        for q in queries(6, words, weights, n=200):
            scores = ref.get_scores(q)
            got, got_scores = searcher.top_passages(q, 10)
            want = np.sort(scores)[::-1][:10]
            # Ties aside: our passages score, under the reference, exactly what its top 10 score.
            mine = np.sort(scores[got])[::-1]
            mine = np.concatenate([mine, np.zeros(len(want) - len(mine))])  # rank-bm25 pads with 0-score passages
            assert np.allclose(mine, want, rtol=REL, atol=1e-9)
            assert np.allclose(got_scores, scores[got], rtol=REL, atol=1e-9)
