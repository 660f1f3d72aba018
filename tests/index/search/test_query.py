"""The query language: words, phrases, exclusions, filters, and odd input read as words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from index.search import query as query_module
from index.search.build import source_key
from index.search.query import Draft, normalise_source, parse, parse_date
from index.tokenize import tokenize


def test_parse_free_text_gives_stemmed_terms() -> None:
    q = parse("What did Kim say about sanctions?")
    assert q.terms == ["kim", "say", "sanction"]
    assert not q.empty
    assert q.notes == []
    assert q.raw == "What did Kim say about sanctions?"


def test_parse_keeps_repeated_terms() -> None:
    assert parse("vote vote votes").terms == ["vote", "vote", "vote"]


def test_parse_phrase_words_are_terms_and_phrase_kept() -> None:
    q = parse('"climate  change" summit')
    assert q.phrases == ["climate change"]  # inner whitespace collapsed, words as written
    assert sorted(q.terms) == sorted(tokenize("summit climate change"))


@pytest.mark.parametrize("text", ["“climate change” summit", "„climate change“ summit", "«climate change» summit"])
def test_parse_curly_and_other_quotes_make_phrases(text: str) -> None:
    assert parse(text).phrases == ["climate change"]


def test_parse_exclusions() -> None:
    q = parse('oil -coal -"natural gas" -Coal')
    assert q.terms == ["oil"]
    assert q.exclude_terms == ["coal"]
    assert q.exclude_phrases == ["natural gas"]


def test_parse_excluded_compound_becomes_phrase_not_its_parts() -> None:
    # Excluding every part of "covid-19" would exclude every passage with the number 19 in it.
    q = parse("vaccine -covid-19")
    assert q.exclude_terms == []
    assert q.exclude_phrases == ["covid-19"]


def test_parse_negative_number_is_a_word() -> None:
    q = parse("temperatures of -40 degrees")
    assert "40" in q.terms
    assert q.exclude_terms == []


def test_parse_lone_dash_is_noted_and_ignored() -> None:
    q = parse("oil - gas")
    assert q.terms == ["oil", "gas"]
    assert q.exclude_terms == []
    assert any("dash" in n for n in q.notes)


def test_parse_prose_dashes_are_punctuation() -> None:
    q = parse("a Level 5 alert – the highest level — was issued")
    assert q.notes == [] and q.exclude_terms == []
    assert q.terms == ["level", "5", "alert", "highest", "level", "issu"]
    assert parse("France –Germany").exclude_terms == []


def test_parse_minus_sign_excludes() -> None:
    assert parse("oil \u2212coal").exclude_terms == ["coal"]


def test_parse_sources_repeatable_and_normalised() -> None:
    q = parse("election source:CNN.com source:https://www.usatoday.com/news/ source:cnn.com")
    assert q.sources == ["cnn.com", "usatoday.com"]
    assert q.terms == ["elect"]


def test_parse_site_is_an_alias_for_source() -> None:
    assert parse("election site:theweek.com").sources == ["theweek.com"]


def test_parse_quoted_source() -> None:
    assert parse('source:"USA Today" storm').sources == ["usa today"]


@pytest.mark.parametrize(
    ("text", "after", "before"),
    [
        ("x after:2022-01-05", date(2022, 1, 5), None),
        ("x after:2022-03", date(2022, 3, 1), None),
        ("x after:2021", date(2021, 1, 1), None),
        ("x before:2022-02-01", None, date(2022, 2, 1)),
        ("x before:2022/02", None, date(2022, 2, 1)),
        ("x AFTER:2020 before:2021-06-30", date(2020, 1, 1), date(2021, 6, 30)),
        ("x after:2020 after:2021-02", date(2021, 2, 1), None),  # the tighter bound wins
        ("x before:2022 before:2021-05", None, date(2021, 5, 1)),
    ],
)
def test_parse_date_filters(text: str, after: date | None, before: date | None) -> None:
    q = parse(text)
    assert (q.after, q.before) == (after, before)
    assert q.terms == ["x"] or q.terms == []  # "x" is one letter: the tokenizer drops it
    assert q.notes == []


def test_parse_contradictory_dates_are_noted() -> None:
    q = parse("budget after:2022-05-01 before:2022-01-01")
    assert q.after == date(2022, 5, 1) and q.before == date(2022, 1, 1)
    assert any("no article can match" in n for n in q.notes)


def test_parse_title_word_and_phrase() -> None:
    q = parse('title:Ukraine title:"White House" budget')
    assert q.title_terms == ["ukrain", "white", "hous"]
    assert q.title_phrases == ["White House"]
    assert q.terms == ["budget"]
    assert not parse("title:ukraine").empty


@pytest.mark.parametrize(
    ("text", "words", "note"),
    [
        ("foo:bar election", "foo bar election", "'foo:' is not a search operator"),
        ("after:notadate election", "notadate election", "is not a date"),
        ("before:2022-13-01 storm", "2022-13-01 storm", "is not a date"),
        ('storm "unclosed phrase', "storm unclosed phrase", "not closed"),
    ],
)
def test_parse_malformed_input_read_as_words_with_note(text: str, words: str, note: str) -> None:
    q = parse(text)
    assert sorted(q.terms) == sorted(tokenize(words))
    assert any(note in n for n in q.notes), q.notes
    assert q.after is None and q.before is None and q.phrases == []


def test_parse_urls_and_clock_times_are_plain_words_without_notes() -> None:
    q = parse("speech at 10:30 https://cnn.com/story")
    assert "10" in q.terms and "30" in q.terms
    assert q.notes == []


def test_parse_colon_followed_by_space_is_not_an_operator() -> None:
    q = parse("Biden said: inflation")
    assert q.notes == []
    assert "inflat" in q.terms


@pytest.mark.parametrize(
    "text", ["", "   ", "the of and", "what is it?", '"to be or not to be"', "-", "source:cnn.com"]
)
def test_parse_empty_queries(text: str) -> None:
    assert parse(text).empty


def test_parse_never_raises_on_odd_input() -> None:
    for text in ['""', '-""', "title:", "source:", ":::", '-"', "a:b:c", "“", "--x", "title:-", "after:"]:
        parse(text)


def test_parse_empty_quotes_noted() -> None:
    q = parse('"" storm')
    assert q.terms == ["storm"]
    assert any("Empty quotes" in n for n in q.notes)


def test_parse_steps_run_before_tokenizing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The time-aware step plugs in here: it sees the free text and today, and can remove words and set a window.
    seen: list[tuple[list[str], date | None]] = []

    def step(draft: Draft) -> None:
        seen.append((list(draft.free), draft.today))
        draft.free = [w for w in draft.free if w not in ("last", "week")]
        draft.query.window = (date(2022, 1, 3), date(2022, 1, 10))

    monkeypatch.setattr(query_module, "STEPS", [step])
    q = parse("storm damage last week", today=date(2022, 1, 12))
    assert seen == [(["storm", "damage", "last", "week"], date(2022, 1, 12))]
    assert q.terms == ["storm", "damag"]
    assert q.window == (date(2022, 1, 3), date(2022, 1, 10))


@pytest.mark.parametrize(
    ("text", "terms", "window"),
    [
        # Asked on Friday 7 January 2022: "this week" is the 7 days up to it, "last week" the ISO week before.
        ("Who resigned this week in Sudan?", ["resign", "sudan"], (date(2022, 1, 1), date(2022, 1, 7))),
        ("storm damage last week", ["storm", "damag"], (date(2021, 12, 27), date(2022, 1, 2))),
        ("what did the council decide yesterday", ["council", "decid"], (date(2022, 1, 6), date(2022, 1, 6))),
        # Calendar names stay scored: stories say "March 2020" too.
        (
            "student loans paused in March 2020",
            ["student", "loan", "paus", "march", "2020"],
            (date(2020, 3, 1), date(2020, 3, 31)),
        ),
        ("protests two weeks ago", ["protest"], (date(2021, 12, 21), date(2021, 12, 27))),
    ],
)
def test_parse_time_words_set_the_window_and_are_not_scored(
    text: str, terms: list[str], window: tuple[date, date]
) -> None:
    q = parse(text, today=date(2022, 1, 7))
    assert q.terms == terms
    assert q.window == window


def test_parse_time_words_leave_phrases_and_date_filters_alone() -> None:
    q = parse('"this week" in review after:2021-12-01 before:2022', today=date(2022, 1, 7))
    assert q.phrases == ["this week"] and q.window is None
    assert q.after == date(2021, 12, 1) and q.before == date(2022, 1, 1)  # hard filters, not a window


def test_parse_without_today_reads_time_words_against_today_utc() -> None:
    q = parse("floods yesterday")
    today = datetime.now(UTC).date()
    assert q.terms == ["flood"]
    assert q.window is not None and q.window[1] in (today - timedelta(days=1), today - timedelta(days=2))


def test_parse_only_time_words_is_empty() -> None:
    q = parse("this week", today=date(2022, 1, 7))
    assert q.empty and q.window == (date(2022, 1, 1), date(2022, 1, 7))


def test_parse_no_time_words_no_window() -> None:
    q = parse("Theresa May resigned", today=date(2022, 1, 7))  # a name, not the month
    assert q.window is None and "theresa" in q.terms


def test_normalise_source() -> None:
    assert normalise_source("HTTPS://www.CNN.com/2022/01/x") == "cnn.com"
    assert normalise_source("NPR") == "npr"
    assert normalise_source("  ") == ""
    # Case-folded like the stored outlets (source_key), so "STRASSE" finds an outlet written "Straße".
    assert normalise_source("Die Straße") == normalise_source("DIE STRASSE") == source_key("Die Straße", None)[0]


def test_parse_date_end_of_period() -> None:
    assert parse_date("2022", end=True) == date(2023, 1, 1)
    assert parse_date("2022-12", end=True) == date(2023, 1, 1)
    assert parse_date("2022-02-28", end=True) == date(2022, 3, 1)
    assert parse_date("2022-02-30") is None
    assert parse_date("22-02-01") is None
