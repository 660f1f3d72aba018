"""Typo tolerance: an unknown (or rare, out-of-context) query word is searched as the closest known one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.searchdb import Doc, searcher_over

from index.search.query import parse
from index.search.searcher import Searcher
from index.search.spelling import Spelling, correct_query, edit_distance, speller

DOCS = [
    Doc("Zelensky visits Washington", ["President Zelensky met lawmakers in Washington on Wednesday."]),
    Doc("Zelensky speaks to Congress", ["Zelensky asked Congress for more air defence systems."]),
    Doc("Bottle deposit scheme", ["Shops will refund ten pence for every plastic bottle returned."]),
    Doc("Glass returns", ["A glass bottle can be returned too."]),
    Doc("Bowl of soup", ["A bowl of soup costs more this winter."]),
    Doc("Bowl final", ["The bowl final was played in the rain, and the bowl was full."]),
    Doc("Director honoured", ["Director Im Kwon-Taek won an honorary award at the Berlin festival."]),
    Doc("Election won", ["The party won the election; it won easily and won again later."]),
    Doc("Results won", ["They won the cup, then won the league."]),
    Doc("Portishead return", ["Portishead are writing a third album."]),
]


@pytest.fixture
def searcher(db_path: Path) -> Iterator[Searcher]:
    with searcher_over(db_path, DOCS) as s:
        yield s


def test_edit_distance_counts_a_transposition_once() -> None:
    assert edit_distance("zelenksi", "zelenski", 2) == 1
    assert edit_distance("botl", "bottl", 2) == 1
    assert edit_distance("abc", "abc", 1) == 0
    assert edit_distance("abcdef", "badcfe", 2) == 3  # beyond the limit: limit + 1
    assert edit_distance("kitten", "sitting", 3) == 3


def test_a_typo_is_corrected_and_reported(searcher: Searcher) -> None:
    results = searcher.search("Zelenksy Washington")
    assert [(c.word, c.term, c.corrected, c.shown) for c in results.corrections] == [
        ("Zelenksy", "zelenksi", "zelenski", "Zelensky")
    ]
    assert 'Searched for "Zelensky" instead of "Zelenksy".' in results.query.notes
    assert results.query.terms == ["zelenski", "washington"]
    same = searcher.search("Zelensky Washington")
    assert [h.passage_id for h in results.hits] == [h.passage_id for h in same.hits]


def test_off_searches_the_words_as_typed(searcher: Searcher) -> None:
    results = searcher.search("Zelenksy Washington", correct=False)
    assert results.corrections == [] and results.query.notes == []
    assert [h.title for h in results.hits] == ["Zelensky visits Washington"]  # found through "Washington" only
    searcher.spelling = None
    assert searcher.search("Zelenksy Washington").corrections == []


def test_a_doubled_letter_wins_the_tie(searcher: Searcher) -> None:
    # "botle" is one edit from both "bottle" and the more frequent "bowl": a dropped double letter is likelier.
    assert [c.shown for c in searcher.search("plastic botle").corrections] == ["bottle"]


def test_known_short_and_numeric_words_are_left_alone(searcher: Searcher) -> None:
    st = searcher.postings
    sp = speller(st)
    assert sp.suggest("washington") is None  # known
    assert sp.suggest("zel") is None  # too short to guess
    assert sp.suggest("2022") is None
    assert searcher.search("Washington soup").corrections == []


def test_a_word_spelt_right_is_not_corrected_to_one_the_archive_holds(searcher: Searcher) -> None:
    # "bowel" is English; this archive lacks it, and "bowl" is one edit away.
    assert searcher.search("soup bowel").corrections == []
    st = searcher.postings
    without = correct_query(st, parse("soup bowel"), Spelling(lexicon=False))[1]
    assert [c.corrected for c in without] == ["bowl"]
    assert [c.shown for c in searcher.search("soup bowll").corrections] == ["bowl"]  # a typo still is


def test_a_rare_name_that_fits_the_question_is_not_corrected(searcher: Searcher) -> None:
    # "kwon" is in one passage, one edit from the more frequent "won"; the question's other words go with "kwon".
    searcher.spelling = Spelling(rare_ratio=2)
    assert searcher.search("Kwon-Taek Berlin award").corrections == []
    # With nothing else in the question, the frequency ratio alone decides.
    _, fixes = correct_query(searcher.postings, parse("Kwon"), Spelling(rare_ratio=2))
    assert [c.corrected for c in fixes] == ["won"]
    # With the default ratio (100 times the passages) a rare word is not corrected in so small an archive.
    assert correct_query(searcher.postings, parse("Kwon"))[1] == []


def test_the_parsed_query_passed_in_is_not_changed(searcher: Searcher) -> None:
    q = parse("Zelenksy Washington")
    results = searcher.search(q)
    assert q.terms == ["zelenksi", "washington"] and q.notes == []
    assert results.query.terms == ["zelenski", "washington"]


def test_a_word_that_stems_far_from_its_stem_is_tried_as_typed(searcher: Searcher) -> None:
    # "Portishaed" stems to "portisha", two edits from "portishead"; as typed it is one transposition away.
    results = searcher.search("Portishaed")
    assert [(c.word, c.corrected, c.shown) for c in results.corrections] == [("Portishaed", "portishead", "Portishead")]
    assert [h.title for h in results.hits] == ["Portishead return"]
    # Known words are never replaced by the closest term to their unstemmed spelling.
    assert searcher.search("writing company album").corrections == []


def test_the_speller_goes_with_its_generation(searcher: Searcher) -> None:
    import gc
    import weakref

    from index.search.postings import Postings

    st = Postings.from_tokens([["zelenski", "visit"], ["zelenski", "speech"]])
    assert speller(st) is speller(st)  # built once per generation
    gone = weakref.ref(st)
    del st
    gc.collect()
    assert gone() is None  # a replaced generation is not kept alive by its speller
