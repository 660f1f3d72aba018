"""Scoring given passages (the time window's pool) adds exactly what match() adds, whichever way it reads a term."""

from __future__ import annotations

import numpy as np
import pytest

from index.search.postings import Postings


def _index(seed: int) -> tuple[Postings, list[str]]:
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(40)]
    # Zipf-like word frequencies: a few terms in most passages, many in a handful.
    p = 1 / np.arange(1, len(vocab) + 1)
    passages = [list(rng.choice(vocab, int(rng.integers(3, 30)), p=p / p.sum())) for _ in range(3000)]
    return Postings.from_tokens(passages), vocab


@pytest.mark.parametrize("ratio", [0, 64, 10**9])  # always binary-searched, chosen per term, always marked
def test_score_given_is_bitwise_what_match_adds(monkeypatch: pytest.MonkeyPatch, ratio: int) -> None:
    monkeypatch.setattr(Postings, "_GIVEN_SEARCH_RATIO", ratio)
    st, vocab = _index(5)
    rng = np.random.default_rng(11)
    for trial in range(40):
        terms = list(rng.choice(vocab, int(rng.integers(1, 6))))
        terms += terms[:1]  # a repeated query word counts twice
        m = st.match(terms, exact=True)
        full = dict(zip(m.docs.tolist(), m.scores.tolist(), strict=True))
        given = rng.permutation(st.n_passages)[: int(rng.integers(1, 400))].astype(np.int32)
        if trial % 2:  # a window: passages close together in passage order
            given = (given % 300 + int(rng.integers(0, st.n_passages - 300))).astype(np.int32)
        given = np.concatenate([given, given[:3]])  # repeats are scored where they stand
        weights = sorted(st.weights(terms), key=lambda tw: st.df(tw[0]))
        scores, held = st.score_given(weights, given)
        assert held.tolist() == [d in full for d in given.tolist()], trial
        assert scores[held].tolist() == [full[d] for d in given[held].tolist()], trial
        assert not scores[~held].any()
    acc, mark = st._scratch()  # left zeroed for the next caller
    assert not acc.any() and not mark.any() and not st._held_mark().any()


def test_score_given_nothing() -> None:
    st, _ = _index(1)
    scores, held = st.score_given(st.weights(["w0"]), np.zeros(0, np.int32))
    assert scores.dtype == np.float32 and held.dtype == np.bool_ and len(scores) == len(held) == 0
