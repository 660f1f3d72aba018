"""Evaluation: question files, gold matching by id or normalised URL, distinct-article ranks and metrics."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from index.evaluate import (
    Question,
    distinct_articles,
    evaluate,
    format_report,
    gold_rank,
    is_gold,
    load_questions,
    metrics,
    normalise_url,
    report_dict,
)
from index.models import Hit, Results
from index.search.query import parse


def hit(article_id: int, source_id: str | None = None, url: str | None = None, **kw: Any) -> Hit:
    return Hit(
        passage_id=article_id * 10 + len(kw),
        article_id=article_id,
        source_id=source_id or f"a{article_id}",
        title=f"Article {article_id}",
        outlet="example.com",
        published="2022-01-05",
        url=url,
        paragraph=1,
        paragraph_end=1,
        text="text",
        score=1.0,
        **kw,
    )


class FakeSearcher:
    """Returns canned hits per question text and records the as-of dates it was given."""

    def __init__(self, answers: dict[str, list[Hit]], windows: set[str] | None = None) -> None:
        self.answers = answers
        self.windows = windows or set()
        self.calls: list[tuple[str, int, Any]] = []
        self.options: list[dict[str, Any]] = []

    def search(self, query: str, k: int = 10, *, as_of: Any = None, **options: Any) -> Results:
        self.calls.append((query, k, as_of))
        self.options.append(options)
        q = parse(query)
        if query in self.windows:
            q.window = (date(2022, 1, 1), date(2022, 1, 8))
        return Results(query=q, hits=self.answers.get(query, [])[:k], total=0, took_ms=0.1)


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.cnn.com/2022/01/02/world/sudan/index.html", "http://cnn.com/2022/01/02/world/sudan/"),
        ("https://www.cnn.com/2022/01/02/world/sudan/index.html/", "cnn.com/2022/01/02/world/sudan"),
        ("https://eu.usatoday.com/story/x/?utm_source=feed#top", "https://EU.USAToday.com/story/x"),
    ],
)
def test_normalise_url_equal_forms(a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b)


def test_normalise_url_keeps_different_paths_apart() -> None:
    assert normalise_url("https://cnn.com/a/b") != normalise_url("https://cnn.com/a/c")


def test_load_questions_formats(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"qid": "q1", "question": "Who?", "gold_article_ids": ["rtqa-1"], "date": "2022/01/07"},
            {"question": "What?", "gold_urls": ["https://www.x.com/a/index.html"]},
            {"id": "q3", "question": "Where?", "gold_source_ids": ["corpus/a.txt"], "as_of": "2023-05-02"},
            {"qid": "q4", "question": "No gold here"},
        ],
    )
    qs = load_questions(path)
    assert [q.qid for q in qs] == ["q1", "2", "q3", "q4"]
    assert qs[0].gold_ids == {"rtqa-1"} and qs[0].as_of == date(2022, 1, 7)
    assert qs[1].gold_urls == {"x.com/a"} and qs[1].as_of is None
    assert qs[2].gold_ids == {"corpus/a.txt"} and qs[2].as_of == date(2023, 5, 2)
    assert not qs[3].has_gold


def test_load_questions_bad_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "ok", "gold_urls": ["a.com/x"]}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"q\.jsonl:2"):
        load_questions(path)


def test_distinct_articles_dedupes_before_cutting() -> None:
    hits = [hit(1), hit(1), hit(2), hit(1), hit(3), hit(4)]
    assert [h.article_id for h in distinct_articles(hits, 3)] == [1, 2, 3]


def test_is_gold_by_id_url_or_folded_duplicate() -> None:
    q = Question("q", "?", frozenset({"rtqa-9"}), frozenset({normalise_url("https://www.x.com/story/")}))
    assert is_gold(hit(1, source_id="rtqa-9"), q)
    assert is_gold(hit(2, url="http://x.com/story/index.html"), q)
    assert is_gold(hit(3, also_in=[{"source_id": "rtqa-9", "outlet": "y.com"}]), q)
    assert not is_gold(hit(4, url="https://x.com/other"), q)


def test_is_gold_relative_path_matches_resolved_path() -> None:
    q = Question("q", "?", frozenset({"corpus/articles/text/a.txt"}), frozenset())
    assert is_gold(hit(1, source_id="/home/me/newsbot/corpus/articles/text/a.txt"), q)
    assert is_gold(hit(1, source_id="corpus/articles/text/a.txt"), q)
    assert not is_gold(hit(1, source_id="/home/me/othercorpus/articles/text/a.txt.bak"), q)
    assert not is_gold(hit(1, source_id="/x/notcorpus/articles/text/a.txt"), q)


def test_gold_rank_counts_distinct_articles() -> None:
    q = Question("q", "?", frozenset({"a3"}), frozenset())
    top = distinct_articles([hit(1), hit(1), hit(2), hit(2), hit(3)], 10)
    assert gold_rank(top, q) == 3
    assert gold_rank(top[:2], q) is None


def test_metrics_values() -> None:
    from index.evaluate import Outcome

    outs = [Outcome("a", "", 1, 1.0, False), Outcome("b", "", 4, 3.0, False), Outcome("c", "", None, 2.0, True)]
    m = metrics(outs, 10)
    assert m.n == 3
    assert m.recall == {1: pytest.approx(1 / 3), 5: pytest.approx(2 / 3), 10: pytest.approx(2 / 3)}
    assert m.mrr == pytest.approx((1 + 1 / 4) / 3)
    assert m.mean_ms == pytest.approx(2.0)
    assert metrics([], 10).n == 0


def test_evaluate_runs_with_and_without_as_of(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"qid": "hit1", "question": "first this week", "gold_article_ids": ["a1"], "date": "2022/01/07"},
            {"qid": "hit2", "question": "second", "gold_urls": ["https://www.x.com/s/"], "date": "2022/01/07"},
            {"qid": "miss", "question": "third", "gold_article_ids": ["zzz"], "date": "2022/01/07"},
            {"qid": "nogold", "question": "fourth"},
        ],
    )
    fake = FakeSearcher(
        {
            "first this week": [hit(1), hit(2)],
            "second": [hit(5), hit(5), hit(6, url="http://x.com/s")],  # rank 2 once article 5 is deduped
            "third": [hit(7)],
        },
        windows={"second"},
    )
    report = evaluate(fake, path)
    assert report.scored == 3 and [q.qid for q in report.no_gold] == ["nogold"]
    assert [r.label for r in report.runs] == ["with as-of dates", "without as-of dates"]
    as_of_calls = [c for c in fake.calls if c[2] is not None]
    assert len(as_of_calls) == 3 and all(c[2] == date(2022, 1, 7) for c in as_of_calls)
    assert len(fake.calls) == 6 and "fourth" not in [c[0] for c in fake.calls]
    first = report.runs[0]
    assert [o.time_words for o in first.outcomes] == [True, True, False]
    assert {o.qid: o.rank for o in first.outcomes} == {"hit1": 1, "hit2": 2, "miss": None}
    assert first.metrics.recall[1] == pytest.approx(1 / 3)
    assert first.metrics.recall[5] == pytest.approx(2 / 3)
    assert first.metrics.mrr == pytest.approx((1 + 0.5) / 3)
    assert [o.qid for o in first.missed] == ["miss"]
    # "second" has a window from the searcher's parser; "first this week" is found by the time-expression reader.
    assert first.subsets["with time words"].n == 2 and first.subsets["without time words"].n == 1

    text = format_report(report)
    assert "R@1" in text and "MRR@10" in text and "with as-of dates" in text and "without time words" in text
    assert "miss  third" in text
    assert "not scored: nogold" in text
    data = report_dict(report)
    assert data["runs"][0]["recall@5"] == pytest.approx(0.6667, abs=1e-4)
    assert data["runs"][0]["missed"][0]["qid"] == "miss"
    json.dumps(data)


def test_evaluate_no_as_of(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [{"question": "first", "gold_article_ids": ["a1"], "date": "2022-01-07"}])
    fake = FakeSearcher({"first": [hit(1)]})
    report = evaluate(fake, path, use_as_of=False, k=5)
    assert [r.label for r in report.runs] == ["without as-of dates"]
    assert all(c[2] is None for c in fake.calls)
    assert list(report.runs[0].metrics.recall) == [1, 5]


def test_evaluate_compares_sorts_with_and_without_as_of(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [{"question": "first this week", "gold_article_ids": ["a1"], "date": "2022-01-07"}],
    )
    fake = FakeSearcher({"first this week": [hit(1)]})
    report = evaluate(fake, path, sorts=["blend", "relevance"])
    assert [(r.label, r.sort) for r in report.runs] == [
        ("with as-of dates", "blend"),
        ("without as-of dates", "blend"),
        ("with as-of dates", "relevance"),
        ("without as-of dates", "relevance"),
    ]
    # Evaluation needs no highlights: every search asks for none, with the sort of its run.
    assert [o["sort"] for o in fake.options] == ["blend", "blend", "relevance", "relevance"]
    assert all(o["annotate"] is False for o in fake.options)
    text = format_report(report)
    assert "with as-of dates, blend" in text and "without as-of dates, relevance" in text
    assert "asked as of now" in text
    assert [r["sort"] for r in report_dict(report)["runs"]] == ["blend", "blend", "relevance", "relevance"]


def test_evaluate_default_sort_is_the_searchers(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [{"question": "first", "gold_article_ids": ["a1"]}])
    fake = FakeSearcher({"first": [hit(1)]})
    report = evaluate(fake, path)
    assert [r.label for r in report.runs] == ["without as-of dates"]  # no dates in the file: no as-of run
    assert "sort" not in fake.options[0]


def test_answer_matches_normalises_and_needs_whole_words() -> None:
    from index.evaluate import answer_matches, normalise_answer

    assert normalise_answer("“Thor: Love and Thunder”") == "thor love and thunder"
    assert answer_matches("Tonga’s capital was covered in ash", ["Tonga"])
    assert answer_matches("Crowds in Málaga", ["malaga"])
    assert answer_matches("The deal is worth $44 billion.", ["$44 billion"])
    assert not answer_matches("Tongan officials said", ["Tonga"])
    assert not answer_matches(None, ["Tonga"]) and not answer_matches("Tonga", [""])


class AnsweringSearcher(FakeSearcher):
    """A FakeSearcher with the index's idf, so answers are composed as `newsbot ask` composes them."""

    def idf(self, terms: list[str]) -> dict[str, float]:
        return dict.fromkeys(terms, 2.0)


def test_answer_metrics_through_the_ask_path(tmp_path: Path) -> None:
    solis = "Renata Solis won the race for mayor of Harbor City on Tuesday, defeating Owen Marsh."
    answers = {
        "Who won the Harbor City mayor race?": [
            _texted(1, solis),
            _texted(2, "Harbor City's new mayor, Renata Solis, won the race with 58% of the vote."),
            _texted(3, "Solis won the mayoral race in Harbor City after a long campaign."),
        ],
        "Which storm closed the coastal highway?": [
            _texted(4, "A winter storm closed the coastal highway for two days, officials said."),
        ],
    }
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {
                "qid": "m",
                "question": "Who won the Harbor City mayor race?",
                "gold_article_ids": ["a1"],
                "answer": ["Renata Solis"],
                "date": "2022-01-07",
            },
            {
                "qid": "s",
                "question": "Which storm closed the coastal highway?",
                "gold_article_ids": ["a4"],
                "answer": ["Hurricane Ian"],
                "date": "2022-01-07",
            },
        ],
    )
    report = evaluate(AnsweringSearcher(answers), path)
    first = report.runs[0]
    assert first.as_of and first.metrics.answered == 2
    assert (first.metrics.quote, first.metrics.passages, first.metrics.short) == (0.5, 0.5, 0.5)
    assert [o.qid for o in first.answer_misses] == ["s"]
    data = report_dict(report)["runs"][0]
    assert (data["quote@1"], data["pass@3"], data["short@1"]) == (0.5, 0.5, 0.5)
    assert data["answer_misses"][0]["answers"] == ["Hurricane Ian"]
    text = format_report(report)
    assert "quote@1  pass@3  short@1" in text and "whole-word containment" in text
    assert "gold:  Hurricane Ian" in text and "winter storm closed" in text


def _texted(article_id: int, text: str) -> Hit:
    h = hit(article_id)
    h.text = text
    return h


def test_short_answer_matching() -> None:
    from index.evaluate import short_answer_matches

    assert short_answer_matches("Tony Awards", ["The Tony Awards"])
    assert short_answer_matches("Rafael Nadal's", ["Rafael Nadal"])
    assert not short_answer_matches("Nadal", ["Rafael Nadal"])
    assert not short_answer_matches(None, ["Tonga"])
