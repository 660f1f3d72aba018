"""Retrieval gate on the bundled sample corpus: each sample question finds its gold article in the top 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.evaluate import evaluate
from index.ingest.pipeline import ingest
from index.search.build import rebuild
from index.search.searcher import Searcher

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
TOP = 3


@pytest.fixture(scope="module")
def sample_searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    db = tmp_path_factory.mktemp("sample") / "sample.db"
    summary = ingest([CORPUS / "articles"], db, progress=False, workers=0)
    assert summary.status == "ok", summary.problems
    rebuild(db, progress=False)
    with Searcher.open(db) as searcher:
        yield searcher


def test_every_sample_question_finds_its_gold_article_in_the_top_3(sample_searcher: Searcher) -> None:
    report = evaluate(sample_searcher, CORPUS / "questions.jsonl", k=10, use_as_of=True)
    assert report.scored >= 20, "the sample corpus ships questions with gold articles"
    for run in report.runs:
        missed = [(o.question, o.rank) for o in run.outcomes if o.rank is None or o.rank > TOP]
        assert not missed, f"{run.label}: gold article not in the top {TOP}: {missed}"
