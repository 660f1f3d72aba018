"""The question files of our own wording (bench/): well formed, and honest to their gold articles."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from index.evaluate import answer_matches, load_questions, normalise_answer

BENCH = Path(__file__).resolve().parents[2] / "bench"
OWN = (
    "rtqa_own_questions.jsonl",
    "rtqa_fresh_questions.jsonl",
    "rtqa_fresh2_questions.jsonl",
    "rtqa_fresh3_questions.jsonl",
)
RUN = 6  # words in a row a question may not share with its gold article (it is our wording, not the article's)


@pytest.mark.parametrize("name", OWN)
def test_question_files_are_well_formed(name: str) -> None:
    questions = load_questions(BENCH / name)
    assert len(questions) == 40
    assert len({q.qid for q in questions}) == len(questions)
    for q in questions:
        assert q.as_of is not None and q.answers and q.gold_ids, q.qid
        assert not answer_matches(q.question, q.answers), f"{q.qid}: the question gives its answer away"


@pytest.mark.parametrize("name", OWN)
def test_answers_come_from_the_gold_article_and_the_wording_does_not(name: str, shared_data: Path) -> None:
    rows = [json.loads(line) for line in (BENCH / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    wanted = {g for r in rows for g in r["gold_article_ids"]}
    articles: dict[str, str] = {}
    with gzip.open(shared_data / "realtimeqa" / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            article = json.loads(line)
            if article["id"] in wanted:
                articles[article["id"]] = f"{article.get('title') or ''}\n{article.get('text') or ''}"
    for r in rows:
        text = articles[r["gold_article_ids"][0]]
        assert answer_matches(text, r["answer"][:1]), f"{r['qid']}: its answer is not in its gold article"
        shared = _runs(normalise_answer(r["question"])) & _runs(normalise_answer(text))
        assert not shared, f"{r['qid']} repeats its article: {' '.join(sorted(shared)[0])}"


def _runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text)
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}
