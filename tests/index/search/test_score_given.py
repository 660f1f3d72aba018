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


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("exact", [False, True])
def test_match_reads_given_passages_off_its_scan_bit_for_bit(exact: bool) -> None:
    # The time window's scores come from the main scan's accumulator when it adds every posting: they must be
    # score_given's own float32 sums (the blend's pool, and so every answer, depends on them), for the threshold
    # scan, the exact scan and the sparse merge alike.
    st, vocab = _index(7)
    # Short postings only (a word in two passages of 3000): match() merges them by sorting.
    rare = Postings.from_tokens([[f"r{i}", f"r{i + 1}", "x"] for i in range(0, 6000, 2)])
    rng = np.random.default_rng(3)
    for trial in range(40):
        index = rare if trial % 4 == 3 else st
        words = [f"r{int(i) * 2}" for i in rng.integers(0, 3000, 6)] if index is rare else vocab
        terms = list(rng.choice(words, int(rng.integers(2, 6)), replace=False))  # two terms at least
        terms += terms[:1]
        given = rng.permutation(index.n_passages)[: int(rng.integers(0, 500))].astype(np.int32)
        m = index.match(terms, depth=10, exact=exact, given=given)
        assert m.given is not None, trial
        weights = sorted(index.weights(terms), key=lambda tw: index.df(tw[0]))
        scores, held = index.score_given(weights, given)
        assert _same(m.given[0], scores) and _same(m.given[1], held), trial
        # Asking for them changes nothing else.
        plain = index.match(terms, depth=10, exact=exact)
        assert _same(m.docs, plain.docs) and _same(m.scores, plain.scores) and m.bound == plain.bound
    acc, mark = st._scratch()
    assert not acc.any() and not mark.any()


def test_match_leaves_given_to_the_caller_when_it_cannot_tell() -> None:
    st, _ = _index(2)
    given = np.arange(100, dtype=np.int32)
    assert st.match(["w3"], given=given).given is None  # one term: its postings are the answer, no accumulator
    assert st.match(["w3", "w5"]).given is None  # nothing asked
