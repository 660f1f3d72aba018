"""Related articles and key words: an article's weighted terms as a query, itself and its copies left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.searchdb import Doc, make_store

from index.search.build import rebuild
from index.search.related import key_words, related, weighted_terms
from index.search.searcher import Searcher

BRIDGE = "The Tanner Street Bridge will close for repairs in May; engineers found cracks in its steel girders."
DOCS = [
    Doc("Tanner Street Bridge to close for repairs", [BRIDGE], published="2024-03-01"),  # 0: the article
    Doc("Tanner Street Bridge to close for repairs", [BRIDGE], published="2024-03-01", duplicate_of=0),  # stored copy
    Doc("Tanner Street Bridge to close for repairs", [BRIDGE + " Detours are posted."], published="2024-03-03"),
    Doc(
        "Bridge repairs cost rises to 9 million",
        ["Repairs to the Tanner Street Bridge girders will cost more."],
        published="2024-04-10",
    ),
    Doc(
        "Bridge reopens after girder repairs",
        ["The Tanner Street Bridge reopened after its girders were fixed."],
        published="2024-09-01",
    ),
    Doc("Library budget approved", ["The council approved a budget for the new library."], published="2024-03-02"),
    Doc("Storm closes highway", ["A storm closed the coastal highway for two days."], published="2024-03-05"),
]


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    path = tmp_path / "news.db"
    ids = make_store(path, DOCS)
    rebuild(path, progress=False)
    s = Searcher.open(path)
    s.ids = ids  # type: ignore[attr-defined]
    return s


def test_weighted_terms_prefer_rare_repeated_terms():
    idf = {"bridg": 2.0, "girder": 4.0, "citi": 0.1, "the": 0.0}
    terms = weighted_terms(["bridg", "bridg", "girder", "citi", "the"], lambda ts: {t: idf.get(t, 0.0) for t in ts})
    assert terms == ["girder", "bridg", "citi"]  # (1 + log tf) x idf; unknown or zero-idf terms left out


def test_key_words_are_the_words_as_written(searcher):
    words = key_words("Did you hear the Tanner Street Bridge is closing? Crazy!", searcher.idf, 3)
    assert len(words) == 3 and set(words) <= {"Tanner", "Street", "Bridge", "closing", "Crazy", "hear"}


def test_related_leaves_out_the_article_and_its_copies(searcher):
    ids = searcher.ids
    results = related(searcher, ids[0], 5)
    found = [h.article_id for h in results.hits]
    assert ids[0] not in found and ids[1] not in found  # itself and its stored duplicate
    assert ids[2] not in found  # the same headline two days later: a copy of the story
    assert found[:2] == [ids[3], ids[4]] or set(found[:2]) == {ids[3], ids[4]}
    assert ids[5] not in found[:2]


def test_related_as_of_leaves_out_later_articles(searcher):
    from datetime import date

    found = [h.article_id for h in related(searcher, searcher.ids[0], 5, as_of=date(2024, 5, 1)).hits]
    assert searcher.ids[4] not in found and searcher.ids[3] in found


def test_related_of_a_missing_article_is_none(searcher):
    assert related(searcher, 999_999, 5) is None
