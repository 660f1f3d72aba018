"""Which passage of each top article the answer shows (index.answer.choice), and how compose and ask use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from index.answer.choice import NEXT, SAME, ChoiceParams, choose_passages
from index.answer.compose import ask, compose
from index.models import Hit, Results
from index.search.highlight import highlight
from index.search.query import parse

QUESTION = "Which island nation was covered in ash after the volcano eruption?"


def hit(article: int, paragraph: int, score: float, text: str, **kw: Any) -> Hit:
    return Hit(
        passage_id=article * 100 + paragraph,
        article_id=article,
        source_id=f"doc-{article}",
        title=kw.pop("title", f"Story {article}"),
        outlet="Example News",
        published="2022-01-16",
        url=f"https://example.com/{article}",
        paragraph=paragraph,
        paragraph_end=paragraph,
        text=text,
        score=score,
        **kw,
    )


def results(*hits: Hit) -> Results:
    q = parse(QUESTION)
    for h in hits:
        highlight(h, q)
    return Results(query=q, hits=list(hits), total=len(hits), took_ms=1.0)


IDF = {"island": 3.0, "nation": 2.0, "cover": 1.5, "ash": 4.0, "volcano": 4.0, "erupt": 3.0}

BODY = "The volcano eruption covered the island nation in ash, officials said on Sunday."
LEDE = "Tonga was covered in ash after the volcano eruption, the island nation's officials said."


def articles() -> list[Hit]:
    first = hit(1, 6, 10.0, BODY)
    first.alternates = [hit(1, 1, 9.0, LEDE), hit(1, 9, 4.0, "Ash fell for hours after the volcano erupted.")]
    second = hit(2, 2, 8.0, "Ash from the volcano eruption reached the island nation of Tonga by night.")
    second.alternates = [hit(2, 4, 6.0, "Ash covered the island, residents said.")]
    third = hit(3, 1, 7.0, "Scientists said the volcano eruption was the largest in decades, covering islands in ash.")
    return [first, second, third, hit(4, 1, 5.0, "Tonga's ash cleanup began."), hit(5, 1, 4.0, "Ash and Tonga.")]


def test_without_runner_ups_the_hits_are_shown_as_ranked() -> None:
    hits = articles()
    for h in hits:
        h.alternates = []
    r = results(*hits)
    choice = choose_passages(QUESTION, r.hits, r.query, IDF, shown=3, depth=5, params=ChoiceParams(lede=1.0))
    assert choice == hits[:3]


def test_plain_bm25_keeps_each_article_best_passage() -> None:
    r = results(*articles())
    choice = choose_passages(QUESTION, r.hits, r.query, IDF, shown=3, depth=5, params=ChoiceParams())
    assert [h.passage_id for h in choice] == [h.passage_id for h in r.hits[:3]]


def test_a_close_lede_is_shown_with_its_own_paragraph() -> None:
    r = results(*articles())
    answer = compose(r, question=QUESTION, idf=IDF, choice=ChoiceParams(lede=0.2))
    assert [p.hit.article_id for p in answer.passages] == [1, 2, 3]  # the article order is the search's
    first = answer.passages[0]
    assert first.hit.text == LEDE and first.citation.paragraph == 1 and first.citation.paragraph_end == 1
    assert first.hit.highlights  # its matched words are marked like any hit's


def test_a_far_weaker_runner_up_is_not_shown() -> None:
    r = results(*articles())
    choice = choose_passages(QUESTION, r.hits, r.query, IDF, shown=3, depth=5, params=ChoiceParams(lede=0.05))
    assert choice[0].paragraph == 6  # 9 / 10 + 0.05 < 1


def test_the_vote_leader_pulls_the_passage_that_names_it() -> None:
    r = results(*articles())
    off = choose_passages(QUESTION, r.hits, r.query, IDF, shown=3, depth=5, params=ChoiceParams(leader=0.0))
    on = choose_passages(QUESTION, r.hits, r.query, IDF, shown=3, depth=5, params=ChoiceParams(leader=0.5))
    assert "Tonga" not in off[0].text
    assert on[0].text == LEDE  # Tonga, named by the other passages, leads the vote


def test_same_shows_the_first_article_runner_up_third() -> None:
    hits = articles()
    hits[0].also_in = [{"article_id": 9, "outlet": "Copy News"}]
    r = results(*hits)
    choice = choose_passages(QUESTION, r.hits, r.query, IDF, shown=3, depth=5, params=ChoiceParams(third=SAME))
    assert [h.article_id for h in choice] == [1, 2, 1]
    assert choice[2].paragraph == 1 and choice[2].also_in == hits[0].also_in
    nxt = choose_passages(QUESTION, r.hits, r.query, IDF, shown=3, depth=5, params=ChoiceParams(third=NEXT))
    assert [h.article_id for h in nxt] == [1, 2, 3]


def test_a_page_showing_an_article_twice_counts_the_articles_it_ranked() -> None:
    """The next page starts after the articles shown: article 3, pushed off this page by article 1's second
    passage, is the next page's first (Answer.ranked)."""
    r = results(*articles())
    same = compose(r, question=QUESTION, idf=IDF, choice=ChoiceParams(third=SAME))
    assert [p.hit.article_id for p in same.passages] == [1, 2, 1] and same.ranked == 2
    plain = compose(results(*articles()), question=QUESTION, idf=IDF, choice=None)
    assert [p.hit.article_id for p in plain.passages] == [1, 2, 3] and plain.ranked == 3


def test_compose_without_choice_shows_the_ranked_hits() -> None:
    r = results(*articles())
    answer = compose(r, question=QUESTION, idf=IDF, choice=None)
    assert [p.hit.passage_id for p in answer.passages] == [106, 202, 301]


class _Recorder:
    """A searcher that records the options ask passes and returns fixed hits."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}

    def search(self, query: str, k: int = 10, **options: Any) -> Results:
        self.options = options
        return results(*articles())

    def idf(self, terms: list[str]) -> Mapping[str, float]:
        return IDF


def test_ask_asks_for_runner_ups_only_with_the_blend() -> None:
    s = _Recorder()
    ask(s, QUESTION, choice=ChoiceParams(alternates=2))
    assert s.options["alternates"] == 2 and s.options["alternates_for"] == 3
    # The third passage shown is the first article's runner-up: only the first two articles' may change.
    ask(s, QUESTION, choice=ChoiceParams(alternates=2, third=SAME))
    assert s.options["alternates_for"] == 2
    ask(s, QUESTION, sort="relevance", choice=ChoiceParams(alternates=2))
    assert "alternates" not in s.options
    ask(s, QUESTION, choice=None)
    assert "alternates" not in s.options


def test_the_quoted_passage_stays_shown() -> None:
    r = results(*articles())
    kept = choose_passages(
        QUESTION, r.hits, r.query, IDF, shown=3, depth=5, keep=r.hits[0], params=ChoiceParams(lede=0.2)
    )
    assert kept[0] is r.hits[0]
    # Quoted from the third article: the third passage shown stays that article's, not the first one's runner-up.
    third = choose_passages(
        QUESTION, r.hits, r.query, IDF, shown=3, depth=5, keep=r.hits[2], params=ChoiceParams(third=SAME)
    )
    assert [h.article_id for h in third] == [1, 2, 3] and third[2] is r.hits[2]


def test_quote_and_short_answer_cite_the_passages_shown() -> None:
    r = results(*articles())
    answer = compose(r, question=QUESTION, idf=IDF, choice=ChoiceParams(lede=0.2, third=SAME))
    assert answer.quote is not None
    quoted = answer.passages[answer.quote.passage].hit
    assert answer.quote.text in quoted.text
    if answer.short_answer is not None:
        cited = answer.passages[answer.short_answer_passage].hit
        assert answer.short_answer.lower() in (cited.text + cited.title).lower()
