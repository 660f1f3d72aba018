"""Answers: matched-word spans, the answering sentence, snippets, confidence and the terminal rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from index.answer.compose import (
    ELLIPSIS,
    annotate,
    assess,
    best_sentence,
    cite,
    compose,
    is_confident,
    passage_excerpt,
    snippet,
    time_note,
)
from index.answer.question import analyse
from index.answer.sentences import read_passage
from index.cli.render import citation_line, render_answer
from index.dates import age, published_day
from index.models import Hit, Results
from index.search.query import EMPTY_MESSAGE, parse

PASSAGE = (
    "SEOUL, South Korea — The United States announced new sanctions on North Korea on Wednesday. "
    "Officials said the measures target 12 shipping companies. "
    "Kim Jong Un called the sanctions an act of war in a speech on state television. "
    "How will Pyongyang respond? Analysts expect more missile tests in the coming weeks.\n\n"
    "About 2,000 people attended a protest rally in Seoul on Thursday."
)


def make_hit(text: str = PASSAGE, **kw: object) -> Hit:
    fields: dict[str, object] = {
        "passage_id": 1,
        "article_id": 1,
        "source_id": "test-1",
        "title": "US hits North Korea with new sanctions",
        "outlet": "example.com",
        "published": "2022-01-12",
        "url": "https://example.com/2022/01/12/korea-sanctions",
        "paragraph": 3,
        "paragraph_end": 4,
        "text": text,
        "score": 7.5,
    }
    fields.update(kw)
    return Hit(**fields)  # type: ignore[arg-type]


def results_for(question: str, *hits: Hit) -> Results:
    q = parse(question)
    for h in hits:
        annotate(h, q)
    return Results(query=q, hits=list(hits), total=len(hits), took_ms=1.0)


def render(results: Results, **options: object) -> str:
    """The terminal rendering of the answer composed from ``results``."""
    bold = bool(options.pop("bold", False))
    return render_answer(compose(results, **options), bold=bold)  # type: ignore[arg-type]


def citation(hit: Hit, as_of: date | datetime | None = None) -> str:
    return citation_line(cite(hit, 1, as_of))


def spans_text(hit: Hit) -> list[str]:
    return [hit.text[s:e] for s, e in hit.highlights]


def test_annotate_marks_stemmed_matches() -> None:
    hit = annotate(make_hit(), parse("sanction Kim"))
    assert spans_text(hit) == ["sanctions", "Kim", "sanctions"]
    assert hit.matched_terms == ["sanction", "kim"]


def test_annotate_highlights_are_whole_words_and_in_order() -> None:
    hit = annotate(make_hit(), parse("rally attended people protests"))
    assert spans_text(hit) == ["people attended", "protest rally"]  # adjacent matches are one span
    starts = [s for s, _ in hit.highlights]
    assert starts == sorted(starts)
    for s, e in hit.highlights:
        assert (s == 0 or not hit.text[s - 1].isalnum()) and (e == len(hit.text) or not hit.text[e].isalnum())


def test_annotate_does_not_join_across_paragraphs() -> None:
    hit = annotate(make_hit("Talks on sanctions\n\nSanctions resumed."), parse("sanctions"))
    assert spans_text(hit) == ["sanctions", "Sanctions"]


def test_annotate_matches_title_terms_and_numbers() -> None:
    hit = annotate(make_hit(), parse("title:korea 2,000"))
    assert "Korea" in spans_text(hit)
    assert "2,000" in spans_text(hit)
    assert set(hit.matched_terms) == {"korea", "2000"}


def test_annotate_nothing_matches() -> None:
    hit = annotate(make_hit(), parse("volcano eruption"))
    assert hit.highlights == [] and hit.matched_terms == [] and hit.best_sentence is None


def test_best_sentence_is_a_whole_sentence_of_the_passage() -> None:
    hit = annotate(make_hit(), parse("What did Kim Jong Un call the sanctions?"))
    assert hit.best_sentence is not None
    s, e = hit.best_sentence
    assert hit.text[s:e] == "Kim Jong Un called the sanctions an act of war in a speech on state television."


def test_best_sentence_prefers_numbers_for_how_many() -> None:
    text = "Many people came to the rally in Seoul. Organisers said 2,000 people came to the rally."
    s, e = best_sentence(text, parse("how many people came to the rally"))  # type: ignore[misc]
    assert text[s:e] == "Organisers said 2,000 people came to the rally."
    s, e = best_sentence(text, parse("who came to the rally"))  # type: ignore[misc]
    assert text[s:e] == "Many people came to the rally in Seoul."  # otherwise the earlier one wins the tie


def test_best_sentence_rare_terms_outweigh_common_ones() -> None:
    text = "The president spoke. The president spoke again about the president. Tariffs were raised by the president."
    s, e = best_sentence(text, parse("president tariffs"))  # type: ignore[misc]
    assert text[s:e] == "Tariffs were raised by the president."
    # With the index's idf the common term counts for almost nothing.
    s, e = best_sentence(text, parse("president tariffs"), idf={"presid": 0.01, "tariff": 5.0})  # type: ignore[misc]
    assert text[s:e] == "Tariffs were raised by the president."


def test_best_sentence_avoids_questions_and_fragments() -> None:
    text = "Will Pyongyang respond? Pyongyang is expected to respond with missile tests."
    s, e = best_sentence(text, parse("Pyongyang respond"))  # type: ignore[misc]
    assert text[s:e].startswith("Pyongyang is expected")


def test_snippet_short_passage_is_whole() -> None:
    hit = annotate(make_hit("Kim spoke on Monday.\n\nHe said little."), parse("Kim"))
    assert snippet(hit, 200, mark=lambda w: f"<{w}>") == "<Kim> spoke on Monday. He said little."


def test_snippet_centres_the_densest_matches_and_cuts_at_words() -> None:
    hit = annotate(make_hit(), parse("rally Seoul Thursday protest"))
    text = snippet(hit, 80)
    assert text.startswith(ELLIPSIS)
    assert not text.endswith(ELLIPSIS)  # the matches are at the end of the passage
    body = text.strip(ELLIPSIS)
    assert len(body) <= 80
    assert " ".join(PASSAGE.split()).find(body) >= 0  # a contiguous piece of the passage
    assert "Thursday" in body and "rally" in body


def test_snippet_marks_and_escapes() -> None:
    hit = annotate(make_hit("A *bold* claim about sanctions."), parse("sanctions"))
    out = snippet(hit, mark=lambda w: f"**{w}**", escape=lambda s: s.replace("*", "\\*"))
    assert out == "A \\*bold\\* claim about **sanctions**."


def test_snippet_never_cuts_inside_a_word() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    hit = annotate(make_hit(words + " sanctions " + words), parse("sanctions"))
    out = snippet(hit, 100)
    assert out.startswith(ELLIPSIS) and out.endswith(ELLIPSIS)
    for w in out.strip(ELLIPSIS).split():
        assert w == "sanctions" or (w.startswith("word") and w[4:].isdigit() and int(w[4:]) < 200)
    assert "sanctions" in out


def test_assess_confident_when_the_best_hit_holds_the_key_words() -> None:
    r = results_for("Kim sanctions speech", make_hit())
    verdict = assess(r)
    assert verdict.confident and verdict.coverage == pytest.approx(1.0)
    assert is_confident(r)


def test_assess_not_confident_when_key_words_are_missing() -> None:
    r = results_for("Zelenskyy parliament speech ceasefire sanctions", make_hit())
    verdict = assess(r)
    assert not verdict.confident
    assert verdict.message
    assert "Zelenskyy" in verdict.missing
    assert any("spelling" in s and "Zelenskyy" in s for s in verdict.suggestions)
    assert verdict.closest and verdict.closest[0].title.startswith("US hits")


def test_assess_short_question_needs_every_word() -> None:
    assert not is_confident(results_for("Kim Zelenskyy", make_hit()))
    assert is_confident(results_for("Kim Jong", make_hit()))


def test_assess_counts_words_found_in_the_headline() -> None:
    hit = make_hit("The measures target 12 shipping companies.", title="North Korea sanctions widen")
    assert is_confident(results_for("North Korea shipping sanctions", hit))


def test_assess_uses_idf_weights_when_given() -> None:
    r = results_for("Kim said Thursday Zelenskyy", make_hit())
    # Zelenskyy is rare and missing: with idf it dominates the weight, so the hit is not an answer.
    assert not assess(r, idf={"kim": 2.0, "said": 0.1, "thursday": 0.5, "zelenskyy": 9.0}).confident


def test_assess_does_not_count_the_words_that_ask() -> None:
    r = results_for("How many shipping companies do the new sanctions target?", make_hit())
    idf = {"mani": 8.0, "ship": 2.0, "compani": 1.0, "new": 0.5, "sanction": 2.0, "target": 1.0}
    # "many" of "how many" asks; counted, it would leave the hit below half the question's weight.
    assert assess(r, idf=idf).confident


def test_assess_weighs_an_english_word_the_archive_lacks_as_an_ordinary_word() -> None:
    idf = {"kim": 2.0, "call": 1.0, "sanction": 2.0, "war": 1.0}
    # "toward" is in no passage (idf 0): spelt right, it weighs the average of the others, not a missing name's.
    assert assess(results_for("Kim called the sanctions war toward", make_hit()), idf=idf).confident
    # "Zelenskyy" is no English word: the index has never seen it, so it is surely missing and weighs most.
    assert not assess(results_for("Kim called the sanctions war Zelenskyy", make_hit()), idf=idf).confident


def test_assess_asks_to_check_the_spelling_only_of_names_the_archive_lacks() -> None:
    r = results_for("Kim called sanctions Harare Zelenskyy", make_hit())
    idf = {"kim": 1.0, "call": 1.0, "sanction": 1.0, "harar": 5.0, "zelenskyy": 0.0}
    verdict = assess(r, idf=idf)
    assert not verdict.confident and {"Harare", "Zelenskyy"} <= set(verdict.missing)
    spelling = [s for s in verdict.suggestions if "spelling" in s]
    assert spelling and "Zelenskyy" in spelling[0] and "Harare" not in spelling[0]  # the archive has Harare


def test_assess_empty_and_nothing_found() -> None:
    empty = assess(Results(parse("the of"), [], 0, 0.1))
    assert not empty.confident and empty.message == EMPTY_MESSAGE
    none = assess(Results(parse("volcano eruption"), [], 0, 0.1))
    assert not none.confident and "couldn't find" in (none.message or "")
    assert none.suggestions


def test_render_answer_quotes_the_best_sentence_and_cites_passages() -> None:
    other = make_hit(
        "Sanctions were first imposed on the Kim government in 2006.",
        passage_id=2,
        title="A history of sanctions",
        outlet=None,
        published=None,
        url=None,
        paragraph=1,
        paragraph_end=1,
    )
    out = render(results_for("What did Kim call the sanctions?", make_hit(), other))
    lines = out.splitlines()
    assert lines[0] == (
        "“**Kim** Jong Un **called** the **sanctions** an act of war in a speech on state television.” [1]"
    )
    assert "[1] US hits North Korea with new sanctions — example.com, 2022-01-12, paragraphs 3-4" in lines
    assert "    https://example.com/2022/01/12/korea-sanctions" in lines
    assert "[2] A history of sanctions — unknown outlet, undated, paragraph 1" in lines
    assert "\033[" not in out


def test_render_answer_ansi_bold_on_a_tty() -> None:
    out = render(results_for("Kim sanctions", make_hit()), bold=True)
    assert "\033[1mKim\033[0m" in out and "**" not in out


def test_render_answer_says_so_when_nothing_answers() -> None:
    out = render(results_for("Zelenskyy parliament ceasefire speech sanctions", make_hit()))
    assert out.startswith("I couldn't find")
    assert "Closest headlines:" in out and "US hits North Korea with new sanctions" in out
    assert "[1]" not in out  # weak passages are not shown as an answer


def test_render_answer_shows_query_notes() -> None:
    out = render(results_for("foo:bar Kim sanctions", make_hit(text=PASSAGE + " Foo bar.")))
    assert out.startswith("Note: 'foo:' is not a search operator")


def test_render_answer_at_most_three_passages() -> None:
    hits = [make_hit(passage_id=i, title=f"Story {i}") for i in range(5)]
    out = render(results_for("Kim sanctions", *hits))
    assert "[3] Story 2" in out and "[4]" not in out


def test_citation_single_paragraph() -> None:
    assert citation(make_hit(paragraph=2, paragraph_end=2)).endswith("paragraph 2")


def test_assess_term_unknown_to_the_index_weighs_most() -> None:
    # The searcher reports idf 0 for a term it has never seen, such as a misspelt name.
    r = results_for("Kim sanctions Zelensky", make_hit())
    assert not assess(r, idf={"kim": 3.0, "sanction": 3.0, "zelenski": 0.0}).confident
    assert assess(r, idf={"kim": 3.0, "sanction": 3.0, "zelenski": 0.05}).confident


# --- dates and time windows ----------------------------------------------------------------------------------


def dated_results(question: str, as_of: date | datetime, *hits: Hit) -> Results:
    q = parse(question, today=as_of.date() if isinstance(as_of, datetime) else as_of)
    for h in hits:
        annotate(h, q)
    return Results(query=q, hits=list(hits), total=len(hits), took_ms=1.0, as_of=as_of)


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2022-01-12", "same day"),
        ("2022-01-12T23:59:00+00:00", "same day"),
        ("2022-01-11", "1 day earlier"),
        ("2022-01-09", "3 days earlier"),
        ("2022-01-01", "1 week earlier"),
        ("2021-11-10", "2 months earlier"),
        ("2020-01-01", "2 years earlier"),
        ("2022-01-13", "after the question's date"),
        (None, "undated"),
        ("not a date", "undated"),
    ],
)
def test_age_at_the_as_of_moment(published: str | None, expected: str) -> None:
    assert age(published, datetime(2022, 1, 12, 18, 0, tzinfo=UTC)) == expected


def test_age_counts_by_the_utc_day() -> None:
    # 01:00 on 13 January in Tokyo is still 12 January in UTC.
    assert age("2022-01-12", datetime(2022, 1, 13, 1, 0, tzinfo=ZoneInfo("Asia/Tokyo"))) == "same day"
    assert published_day("2022-01-12T23:30:00-05:00") == date(2022, 1, 13)


def test_citation_with_as_of_shows_the_age() -> None:
    assert citation(make_hit(), date(2022, 1, 15)) == (
        "US hits North Korea with new sanctions — example.com, 2022-01-12 (3 days earlier), paragraphs 3-4"
    )
    assert "undated, paragraph 1" in citation(make_hit(published=None, paragraph_end=1, paragraph=1), date(2022, 1, 15))


def test_render_answer_says_first_when_the_best_evidence_is_far_from_the_window() -> None:
    r = dated_results("What did Kim call the sanctions this week?", date(2022, 6, 1), make_hit())
    lines = render(r).splitlines()
    assert lines[0] == "The closest match is from January 2022, well before this week."
    assert lines[2].startswith("“**Kim** Jong Un **called**")
    assert "example.com, 2022-01-12 (4 months earlier), paragraphs 3-4" in lines[4]


@pytest.mark.parametrize(
    ("question", "as_of", "published", "note"),
    [
        ("Kim sanctions this week", date(2022, 1, 14), "2022-01-12", None),  # inside the window
        ("Kim sanctions this week", date(2022, 1, 25), "2022-01-12", None),  # 7 days before it: near enough
        ("Kim sanctions this week", date(2022, 2, 3), "2022-01-12", "from 12 January 2022, well before this week"),
        ("Kim sanctions in March 2020", date(2022, 6, 1), "2022-01-12", "from January 2022, well after March 2020"),
        ("Kim sanctions yesterday", date(2022, 1, 25), "2022-01-12", "from 12 January 2022, well before yesterday"),
        ("Kim sanctions recently", date(2022, 6, 1), "2022-01-12", "well before the dates you asked about"),
        ("Kim sanctions this week", date(2022, 6, 1), None, "The closest match is undated, so it may not be from"),
        ("Kim sanctions", date(2022, 6, 1), "2020-01-12", None),  # no time words, no note
    ],
)
def test_time_note(question: str, as_of: date, published: str | None, note: str | None) -> None:
    r = dated_results(question, as_of, make_hit(published=published))
    got = time_note(r)
    if note is None:
        assert got is None
    else:
        assert got is not None and note in got


def test_time_note_without_as_of_names_the_window_by_its_dates() -> None:
    r = dated_results("Kim sanctions", date(2022, 6, 1), make_hit())
    r.query.window = (date(2022, 5, 26), date(2022, 6, 1))  # set by another front end's parser
    r.as_of = None
    assert time_note(r) == (
        "The closest match is from January 2022, well before the dates you asked about (2022-05-26 to 2022-06-01)."
    )


def test_quote_comes_from_a_lower_passage_when_its_sentence_answers_much_better() -> None:
    weak = make_hit(
        "Turnout was high. Voters in Harbor City picked a mayor on Tuesday in a race that drew record crowds.",
        passage_id=1,
    )
    strong = make_hit(
        "Council member Renata Solis won the race for mayor of Harbor City on Tuesday, defeating Owen Marsh.",
        passage_id=2,
        title="Solis elected mayor",
    )
    q = parse("Who won the Harbor City mayoral race?")
    idf = {"won": 3.0, "harbor": 1.5, "citi": 0.5, "mayor": 1.5, "race": 2.0}  # as Searcher.idf gives them
    for h in (weak, strong):
        annotate(h, q, idf)
    results = Results(query=q, hits=[weak, strong], total=2, took_ms=1.0)
    answer = compose(results, idf=idf)
    assert answer.quote is not None and answer.quote.passage == 1
    first = render(results, idf=idf).splitlines()[0]
    assert first.startswith("“Council member Renata Solis **won**") and first.endswith("” [2]")


def test_quote_stays_with_the_top_passage_when_sentences_are_alike() -> None:
    results = results_for("What did Kim call the sanctions?", make_hit(), make_hit(passage_id=2, title="Copy"))
    answer = compose(results)
    assert answer.quote is not None and answer.quote.passage == 0


def test_no_quote_when_no_sentence_shares_a_word() -> None:
    q = parse("Kim sanctions")
    results = Results(query=q, hits=[make_hit("Nothing here is about the topic at all.")], total=1, took_ms=1.0)
    results.offset = 3  # a later page shows its passages even when they do not answer
    answer = compose(results)
    assert answer.answered and answer.quote is None and answer.short_answer is None


# --- the composed answer -------------------------------------------------------------------------------------


def test_compose_holds_quote_passages_citations_and_ages() -> None:
    other = make_hit("Sanctions were first imposed on the Kim government in 2006.", passage_id=2, published=None)
    r = dated_results("What did Kim call the sanctions?", date(2022, 1, 15), make_hit(), other)
    answer = compose(r, idf=None)
    assert answer.answered and answer.confident and answer.question == "What did Kim call the sanctions?"
    assert answer.quote is not None and answer.quote.passage == 0
    assert answer.quote.text == "Kim Jong Un called the sanctions an act of war in a speech on state television."
    assert not answer.quote.shown.cut_before and not answer.quote.shown.cut_after
    first, second = (p.citation for p in answer.passages)
    assert (first.number, first.day, first.age) == (1, date(2022, 1, 12), "3 days earlier")
    assert (second.number, second.day, second.age) == (2, None, None)
    assert answer.total == 2 and answer.offset == 0 and answer.short_answer is None


def test_compose_no_match_lists_closest_headlines_not_passages() -> None:
    answer = compose(results_for("Zelenskyy parliament ceasefire speech sanctions", make_hit()))
    assert not answer.answered and not answer.confident and answer.quote is None
    assert answer.message and answer.suggestions
    assert [c.title for c in answer.closest] == ["US hits North Korea with new sanctions"]


def test_compose_later_pages_show_their_passages_without_a_time_note() -> None:
    r = dated_results("Zelenskyy parliament ceasefire speech sanctions this week", date(2022, 6, 1), make_hit())
    r.offset = 3
    answer = compose(r)
    assert answer.answered and not answer.confident and answer.time_note is None
    assert answer.passages[0].citation.number == 1


def test_passage_excerpt_whole_when_short() -> None:
    hit = annotate(make_hit("  Kim spoke on Monday.  "), parse("Kim"))
    part = passage_excerpt(hit, 100)
    assert (part.start, part.end, part.cut_before, part.cut_after) == (2, 22, False, False)


def test_passage_excerpt_starts_at_the_best_sentence_and_ends_at_a_sentence() -> None:
    hit = annotate(make_hit(), parse("What did Kim call the sanctions?"))
    part = passage_excerpt(hit, 150)
    shown = hit.text[part.start : part.end]
    assert shown.startswith("Kim Jong Un called") and part.cut_before and part.cut_after
    assert shown.endswith("?") or shown.endswith(".")  # "How will Pyongyang respond?" ends a sentence


def test_passage_excerpt_cuts_one_enormous_word() -> None:
    hit = make_hit("x" * 1000)
    part = passage_excerpt(hit, 100)
    assert (part.start, part.end, part.cut_after) == (0, 100, True)


# --- the short answer ----------------------------------------------------------------------------------------

MAYOR_IDF = {"won": 3.0, "harbor": 1.5, "citi": 0.5, "mayor": 1.5, "race": 2.0}


def mayor_hits() -> list[Hit]:
    texts = [
        "Renata Solis won the race for mayor of Harbor City on Tuesday, defeating Owen Marsh by 4,000 votes.",
        "Harbor City's new mayor, Renata Solis, won the race with 58% of the vote.",
        "Solis won the mayoral race in Harbor City after a long campaign.",
    ]
    return [make_hit(t, passage_id=i, title=f"Harbor City votes {i}") for i, t in enumerate(texts, 1)]


def mayor_results(hits: list[Hit]) -> Results:
    q = parse("Who won the Harbor City mayor race?")
    for h in hits:
        annotate(h, q, MAYOR_IDF)
    return Results(query=q, hits=hits, total=len(hits), took_ms=1.0)


def test_compose_gives_a_short_answer_when_the_passages_agree() -> None:
    answer = compose(mayor_results(mayor_hits()), idf=MAYOR_IDF)
    assert answer.short_answer == "Renata Solis" and answer.short_answer_kind == "person"
    assert answer.short_answer_passage == 0  # its best supporting passage, shown and cited as [1]
    assert answer.quote is not None and "Renata Solis" in answer.quote.text  # the quote backs it
    lines = render_answer(answer).splitlines()
    assert lines[0] == "**Renata Solis** [1]" and lines[1].startswith("“Renata Solis **won**")


def test_no_short_answer_it_cannot_cite() -> None:
    # Only the first passage is shown and it does not name the winner: the vote over the others may be clear,
    # but a short answer no shown passage supports is not given.
    hits = [make_hit("Voters in Harbor City picked a mayor on Tuesday in a race that drew record crowds.")]
    answer = compose(mayor_results(hits + mayor_hits()), idf=MAYOR_IDF, passages=1)
    assert answer.answered and answer.short_answer is None and answer.short_answer_passage is None


def test_no_short_answer_when_the_vote_is_split_or_the_answer_weak() -> None:
    hits = [
        make_hit("Renata Solis won the race for mayor of Harbor City, officials said.", passage_id=1),
        make_hit("Owen Marsh won the race for mayor of Harbor City, his campaign said.", passage_id=2),
    ]
    answer = compose(mayor_results(hits), idf=MAYOR_IDF)
    assert answer.answered and answer.quote is not None and answer.short_answer is None
    # Not confident: neither a short answer nor a quote.
    weak = compose(results_for("Zelenskyy parliament ceasefire speech sanctions", make_hit()))
    assert weak.short_answer is None and weak.quote is None


def test_no_short_answer_on_a_later_page() -> None:
    results = mayor_results(mayor_hits())
    results.offset = 3
    answer = compose(results, idf=MAYOR_IDF)
    assert answer.answered and answer.short_answer is None


def test_quote_is_one_or_two_whole_sentences_within_400_characters() -> None:
    text = (
        "Tonga is an archipelago of 169 islands in the South Pacific. "
        "The eruption left much of the country covered in volcanic ash, officials said on Monday."
    )
    results = results_for("The eruption left which group of islands covered in ash?", make_hit(text))
    quote = compose(results).quote
    assert quote is not None and 1 <= len(quote.spans) <= 2 and len(quote.text) <= 400
    assert quote.text == text[quote.spans[0][0] : quote.spans[-1][1]] and "Tonga" in quote.text


def test_passage_excerpt_from_sentences_already_read_is_the_same() -> None:
    hit = annotate(make_hit(), parse("What did Kim call the sanctions?"))
    qa = analyse("What did Kim call the sanctions?")
    read = read_passage(qa, hit.text, {t: 1.0 for t in qa.terms})
    assert passage_excerpt(hit, 150, sentences=read) == passage_excerpt(hit, 150)
