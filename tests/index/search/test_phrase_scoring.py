"""A quoted phrase's few passages are scored directly: the same hits, order and scores as the full scan."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from helpers.searchdb import Doc, make_store

import index.search.searcher as searcher_module
from index.search.bm25 import BM25Params
from index.search.build import rebuild
from index.search.searcher import Searcher

WORDS = [f"w{i}" for i in range(300)]
WEIGHTS = [1 / (i + 1) ** 1.05 for i in range(300)]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, WEIGHTS, k=rng.randint(4, 30)))


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    """400 dated articles of Zipfian words; some passages hold "gold leaf", some headlines do."""
    rng = random.Random(5)
    docs = []
    for i in range(400):
        passages = [_sentence(rng) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.15:
            j = rng.randrange(len(passages))
            passages[j] = f"{passages[j]} gold leaf {_sentence(rng)}"
        if rng.random() < 0.1:
            passages[0] = f"{passages[0]} leaf and gold"  # both words, not the phrase
        title = f"{_sentence(rng)[:40]} gold leaf" if rng.random() < 0.05 else _sentence(rng)[:40]
        docs.append(Doc(title, passages, published=f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}"))
    db: Path = tmp_path_factory.mktemp("phrases") / "news.db"
    make_store(db, docs)
    rebuild(db, progress=False)
    return Searcher.open(db)


def _queries() -> list[str]:
    rng = random.Random(9)
    out = []
    for _ in range(40):
        words = " ".join(rng.choices(WORDS, WEIGHTS, k=rng.randint(1, 6)))
        out.append(f'{words} "gold leaf"' if rng.random() < 0.7 else f'"gold leaf" {words} title:gold')
    return out


def _run(searcher: Searcher, query: str, **options: object) -> tuple[list[tuple[int, float]], int]:
    r = searcher.search(query, k=8, **options)
    return [(h.passage_id, round(h.score, 5)) for h in r.hits], r.total


@pytest.mark.parametrize("sort", ["blend", "relevance", "newest"])
@pytest.mark.parametrize("as_of", [None, date(2022, 6, 15)])
def test_direct_scoring_ranks_as_the_scan_does(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch, sort: str, as_of: date | None
) -> None:
    direct = [_run(searcher, q, sort=sort, as_of=as_of)[0] for q in _queries()]
    monkeypatch.setattr(searcher_module, "PHRASE_SCAN_MAX", 0)  # nothing is few enough: every search scans,
    sampled = [_run(searcher, q, sort=sort, as_of=as_of)[0] for q in _queries()]  # its threshold from them
    monkeypatch.setattr(searcher_module, "PHRASE_SAMPLE_MAX", 0)  # or from the rarest term's passages
    scanned = [_run(searcher, q, sort=sort, as_of=as_of)[0] for q in _queries()]
    assert direct == sampled == scanned
    assert sum(bool(hits) for hits in direct) >= 20


def test_direct_scoring_is_what_runs_and_counts_every_match(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored: list[int] = []
    direct = searcher_module.recency.score_passages

    def spy(st: object, terms: list[str], docs: object) -> object:
        scored.append(len(docs))  # type: ignore[arg-type]
        return direct(st, terms, docs)  # type: ignore[arg-type]

    monkeypatch.setattr(searcher_module.recency, "score_passages", spy)
    r = searcher.search('w3 "gold leaf"', k=5, sort="relevance")
    assert scored, "a rare phrase's passages are scored directly"
    # Every passage the phrase allows and a query word matches is counted: the exact total, not a pruned pool's.
    assert r.total == scored[0]
    assert all("gold leaf" in (h.text + " " + h.title).lower() for h in r.hits)


def test_a_common_phrase_still_scans(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searcher_module, "PHRASE_SCAN_MAX", 3)
    called: list[int] = []
    monkeypatch.setattr(searcher_module.recency, "score_passages", lambda *a: called.append(1))
    assert searcher.search('w1 "gold leaf"', k=5, sort="relevance").hits
    assert not called


@pytest.mark.parametrize("title", ["every", "first", "none"])
def test_a_phrase_only_in_the_headline_finds_the_article_s_passages(tmp_path: Path, title: str) -> None:
    """Whether or not the postings hold the headline's words (``BM25Params.title``), its passages can be hits."""
    docs = [
        Doc("Gold leaf ceiling restored", ["The old roof was mended.", "Craftsmen restored the chapel ceiling."]),
        Doc("Chapel reopens", ["The chapel reopened with its gold ceiling and a new leaf motif."]),  # words apart
    ]
    make_store(tmp_path / "news.db", docs)
    rebuild(tmp_path / "news.db", progress=False, params=BM25Params(title=title))
    r = Searcher.open(tmp_path / "news.db").search('chapel "gold leaf"', k=5)
    assert [h.title for h in r.hits] == ["Gold leaf ceiling restored"]
