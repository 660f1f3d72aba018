"""Runner-up passages of each hit's article (``Searcher.search(alternates=n)``): from the pool, same hits and order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from helpers.searchdb import Doc, searcher_over

from index.search.searcher import Searcher

DOCS = [
    Doc(
        "Volcano erupts near Tonga",
        [
            "An undersea volcano erupted near Tonga on Saturday, sending ash over the islands.",
            "The eruption of the volcano was heard as far away as Alaska, scientists said.",
            "Officials said the volcano's ash covered crops and water supplies.",
            "Aid flights were delayed because of the ash.",
            "The football season starts next week.",
        ],
        published="2022-01-16",
    ),
    Doc(
        "Ash from volcano grounds flights",
        [
            "Flights were grounded as volcano ash drifted over the region.",
            "Airlines said the volcano had disrupted travel for days.",
        ],
        published="2022-01-17",
    ),
    Doc("Local bakery wins prize", ["A bakery won a prize for its bread."], published="2022-01-10"),
]


@pytest.fixture
def searcher(db_path: Path) -> Iterator[Searcher]:
    with searcher_over(db_path, DOCS) as s:
        yield s


def test_hits_and_order_do_not_change(searcher: Searcher) -> None:
    plain = searcher.search("volcano ash", k=5, as_of=date(2022, 2, 1))
    with_runners = searcher.search("volcano ash", k=5, as_of=date(2022, 2, 1), alternates=3)
    assert [h.passage_id for h in with_runners.hits] == [h.passage_id for h in plain.hits]
    assert [h.score for h in with_runners.hits] == [h.score for h in plain.hits]
    assert all(not h.alternates for h in plain.hits)


def test_runner_ups_are_the_same_article_best_first(searcher: Searcher) -> None:
    r = searcher.search("volcano ash", k=5, alternates=3)
    for hit in r.hits:
        assert len(hit.alternates) <= 3
        assert all(a.article_id == hit.article_id and a.passage_id != hit.passage_id for a in hit.alternates)
        assert [a.score for a in hit.alternates] == sorted((a.score for a in hit.alternates), reverse=True)
        assert all(a.score <= hit.score for a in hit.alternates)
    tonga = next(h for h in r.hits if h.title == "Volcano erupts near Tonga")
    # Only passages the query matches are in the pool: the football paragraph never is.
    assert len(tonga.alternates) == 3
    assert all("football" not in a.text for a in tonga.alternates)
    # Each runner-up is cited with its own paragraph.
    assert len({a.paragraph for a in tonga.alternates} | {tonga.paragraph}) == 4


def test_runner_ups_hold_the_quoted_phrase(searcher: Searcher) -> None:
    r = searcher.search('"volcano ash" flights', k=5, alternates=5)
    assert r.hits
    for hit in r.hits:
        for a in hit.alternates:
            assert "volcano ash" in a.text.lower() or "volcano ash" in (a.title or "").lower()


def test_no_runner_ups_without_per_article(searcher: Searcher) -> None:
    r = searcher.search("volcano ash", k=5, alternates=3, per_article=False)
    assert all(not h.alternates for h in r.hits)


def test_only_the_first_hits_get_runner_ups(searcher: Searcher) -> None:
    every = searcher.search("volcano ash", k=5, alternates=3)
    first = searcher.search("volcano ash", k=5, alternates=3, alternates_for=1)
    assert len(every.hits) == 2 and every.hits[1].alternates
    assert [a.passage_id for a in first.hits[0].alternates] == [a.passage_id for a in every.hits[0].alternates]
    assert not first.hits[1].alternates


def test_runner_ups_carry_the_fields_their_passage_has_as_a_hit(searcher: Searcher) -> None:
    # Runner-ups read only their passage's own fields and take the article's from their hit.
    r = searcher.search("volcano ash", k=5, alternates=3)
    as_hits = {h.passage_id: h for h in searcher.search("volcano ash", k=50, per_article=False).hits}
    fields = ("article_id", "source_id", "title", "outlet", "published", "url", "paragraph", "paragraph_end", "text")
    runner_ups = [a for hit in r.hits for a in hit.alternates]
    assert runner_ups
    for a in runner_ups:
        assert [getattr(a, f) for f in fields] == [getattr(as_hits[a.passage_id], f) for f in fields]


def test_runner_ups_of_a_grown_generation_are_a_rebuild_s(db_path: Path, tmp_path: Path) -> None:
    # Runner-ups are found by their article's run of passage numbers: a grown generation numbers its new
    # articles' passages after the old ones, and must give the runner-ups a full rebuild gives.
    import sqlite3

    from helpers.searchdb import make_store

    from index.search.build import rebuild
    from index.search.grow import update

    make_store(db_path, DOCS)
    rebuild(db_path, progress=False)
    more = [
        Doc(
            "Volcano ash reaches Fiji",
            ["Volcano ash from Tonga reached Fiji.", "Fiji closed schools as the ash fell.", "The ash cleared."],
            published="2022-01-18",
            source_id="fiji-1",
        )
    ]
    make_store(db_path, more)
    assert update(db_path) is not None
    twin = tmp_path / "twin.db"
    with sqlite3.connect(db_path) as src, sqlite3.connect(twin) as dst:
        src.backup(dst)
    rebuild(twin, progress=False)
    with Searcher.open(db_path) as grown, Searcher.open(twin) as full:
        a = grown.search("volcano ash", k=5, alternates=3, as_of=date(2022, 2, 1))
        b = full.search("volcano ash", k=5, alternates=3, as_of=date(2022, 2, 1))
    assert [h.passage_id for h in a.hits] == [h.passage_id for h in b.hits]
    assert [[x.passage_id for x in h.alternates] for h in a.hits] == [
        [x.passage_id for x in h.alternates] for h in b.hits
    ]
    assert any(h.title == "Volcano ash reaches Fiji" and h.alternates for h in a.hits)
