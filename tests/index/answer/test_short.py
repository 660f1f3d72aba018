"""The short answer: voted across passages, variants merged, and withheld when the vote is weak."""

from __future__ import annotations

import pytest

from index.answer.question import analyse
from index.answer.short import ShortAnswer, ShortParams, short_answer, vote

QUESTION = "Which country did the Velmont volcano eruption cover in ash?"


def idf_for(question: str) -> dict[str, float]:
    return {t: 4.0 for t in analyse(question).terms}


def leader_of(question: str, passages: list[str]) -> ShortAnswer:
    """The vote's leader for ``question`` over ``passages`` (there must be one)."""
    leader = vote(analyse(question), passages, idf_for(question))
    assert leader is not None
    return leader


def test_the_answer_most_passages_support_wins_and_cites_its_best_passage() -> None:
    passages = [
        "The Velmont volcano eruption covered Tonga in ash on Saturday.",
        "Ash from the Velmont eruption blanketed Tonga's main island, officials said.",
        "Fiji sent aid after the Velmont volcano eruption.",
        "The Velmont eruption was heard in Tonga and New Zealand; the volcano left ash everywhere.",
    ]
    answer = short_answer(analyse(QUESTION), passages, idf_for(QUESTION))
    assert answer is not None
    assert answer.text == "Tonga" and answer.kind == "place"
    assert answer.passages == 3  # "Tonga's" counted as "Tonga"
    assert answer.passage == 0
    assert passages[0][answer.span[0] : answer.span[1]] == "Tonga"


def test_a_weak_or_split_vote_gives_no_answer() -> None:
    q = analyse(QUESTION)
    split = [
        "The Velmont volcano eruption covered Tonga in ash.",
        "The Velmont volcano eruption covered Fiji in ash.",
    ]
    assert short_answer(q, split, idf_for(QUESTION)) is None
    single = ["The Velmont volcano eruption covered Tonga in ash."]
    assert short_answer(q, single, idf_for(QUESTION), params=ShortParams(min_support=1.5)) is None


def test_surname_votes_merge_into_the_full_name() -> None:
    question = "Who won the Harbor regatta?"
    passages = [
        "On Sunday, Dana Whitfield won the Harbor regatta.",
        "Whitfield won the Harbor regatta by two lengths.",
        "The Harbor regatta was won by Whitfield again.",
    ]
    answer = short_answer(analyse(question), passages, idf_for(question))
    assert answer is not None and answer.text == "Dana Whitfield"


def test_a_surname_weighs_as_its_person_where_a_group_is_asked() -> None:
    question = "The drone strike killed a wanted militant who led which group?"
    passages = [
        "The strike killed Omar Talvani, the leader of the Red Dawn Movement, officials said.",
        "Talvani, the wanted militant, was killed in the drone strike.",
        "The drone strike that killed Talvani was months in the planning.",
        "The Red Dawn Movement said its leader was killed in the drone strike.",
    ]
    # Alone, "Talvani" could be any name (it counted half, as a group's name might, and tied the vote); it is the
    # person's surname, who answers "which group" as little as the full name does.
    answer = short_answer(analyse(question), passages, idf_for(question))
    assert answer is not None and answer.text == "Red Dawn Movement"


def test_a_count_of_what_the_question_says_was_done_outvotes_another_count_of_the_same_unit() -> None:
    question = "How many people have been arrested during the Velmont protests?"
    passages = [
        "At least 215 people have been killed during the Velmont protests, rights groups say.",
        "More than 1,000 people have been arrested during the Velmont protests, state media said.",
        "The Velmont protests continued on Sunday.",
    ]
    # Both count people; only one counts the people arrested (alone, the higher passage's count nearly tied it).
    answer = short_answer(analyse(question), passages, idf_for(question))
    assert answer is not None and answer.text == "1,000 people"
    steps = "Walking how many steps per day cuts the Velmont risk?"
    assert leader_of(steps, ["Walking 4,000 steps a day cuts the Velmont risk."]).text == "4,000 steps"


def test_a_county_or_an_island_answers_which_city_as_seldom_as_a_state() -> None:
    question = "Which city hosted the Velmont games?"
    passages = [
        "The Velmont games were hosted by Aldo County this year.",
        "The Velmont games were hosted in Tidewater, near Aldo County.",
        "Aldo County hosted the Velmont games again.",
    ]
    assert leader_of(question, passages).text == "Tidewater"


def test_a_span_of_time_written_with_a_figure_answers_how_many() -> None:
    question = "How many years in prison was the Velmont banker sentenced to?"
    passages = [
        "The Velmont banker was sentenced to 25 years in prison on Friday.",
        "A judge sentenced the Velmont banker to 25 years in prison.",
    ]
    answer = short_answer(analyse(question), passages, idf_for(question))
    assert answer is not None and answer.text == "25 years" and answer.kind == "number"


def test_an_acronym_votes_with_the_name_it_abbreviates() -> None:
    question = "Which body will issue new guidance on Velmont athletes?"
    passages = [
        "The Velmont Sports Council will issue new guidance on Velmont athletes, officials said.",
        "The Norland Athletics Federation will issue new guidance on Velmont athletes.",
        "The NAF will issue new guidance on Velmont athletes after the games.",
        "The NAF said new guidance on Velmont athletes is due.",
        "The Velmont Sports Council backed new guidance on Velmont athletes.",
    ]
    # Apart, the acronym's two passages and the name's one would lose to the council's two.
    answer = short_answer(analyse(question), passages, idf_for(question))
    assert answer is not None and answer.text == "Norland Athletics Federation"


def test_an_event_answers_no_which_team() -> None:
    question = "Which team won the opening match of the Velmont tournament?"
    passages = [
        "The Velmont Cup opened with a win for the Norland Rovers, who won the opening match 2-0.",
        "The Velmont Cup's opening match was a rout.",
        "The Velmont Cup began on Sunday; the Norland Rovers won the opening match.",
    ]
    assert leader_of(question, passages).text == "Norland Rovers"


def test_the_person_the_lead_in_describes_is_not_the_answer() -> None:
    question = "In a speech, Velmont's president claimed a sailor founded the city. Which explorer did he name?"
    passages = [
        "President Ada Voss claimed in a speech that the city was founded by Tom Reyes.",
        "President Ada Voss gave a speech this week about the city.",
        "In the speech, Voss claimed the city was founded by Reyes.",
    ]
    # The president is who speaks (the passages title her as the lead-in does); the explorer is who is asked for.
    assert leader_of(question, passages).text == "Tom Reyes"
    assert leader_of("Velmont's president gave a speech this week. Who was it?", passages).text == "Ada Voss"


def test_a_bracketed_abbreviation_votes_with_the_name_before_it() -> None:
    question = "Which union represents Velmont's actors?"
    passages = [
        "Talks between the Norland Performers Alliance (NPA-TV) and the studios ended; it represents Velmont's actors.",
        "The NPA-TV represents Velmont's actors in the talks.",
        "The NPA-TV said it represents Velmont's actors.",
        "The Tidewater Guild said it represents Velmont's actors too.",
        "The Tidewater Guild also represents Velmont's actors, it says.",
    ]
    # Apart, the abbreviation's two passages and the name's one would tie with the guild's two.
    assert leader_of(question, passages).text == "Norland Performers Alliance"


def test_a_name_of_no_known_kind_counts_three_quarters_for_an_organisation() -> None:
    question = "Which carmaker unveiled the Velmont concept car?"
    passages = [
        "Norlandia unveiled the Velmont concept car on Monday.",
        "The Velmont concept car from Norlandia can drive 600 miles.",
        "The Velmont concept car was shown in Tidewater.",
    ]
    analysis = analyse(question)
    leader = vote(analysis, passages, idf_for(question))
    assert leader is not None and leader.text == "Norlandia"
    # Its first passage's vote is three quarters of a named organisation's, not half ("from Norlandia" reads as
    # a place, whose weight stays).
    half = vote(analysis, passages, idf_for(question), params=ShortParams(org_name=0.5))
    assert half is not None and leader.support - half.support == pytest.approx(0.25 * 1.0)


def test_questions_of_unknown_kind_get_no_short_answer() -> None:
    question = "Why did the Velmont rover stop?"
    assert short_answer(analyse(question), ["The Velmont rover stopped on Carbon Ridge."], idf_for(question)) is None


OPEN = "What did the Velmont rover find on the crater floor?"
# Thresholds that show open-class answers only when two passages vote for the winner.
SHOWN = ShortParams(open_support=0.75, open_margin=1.6, open_passages=2, open_far=1.0)


def test_open_class_questions_vote_for_a_phrase_several_passages_repeat() -> None:
    passages = [
        "The Velmont rover found organic carbon on the crater floor, scientists said.",
        "Organic carbon turned up where the Velmont rover dug into the crater floor.",
        "The Velmont rover has driven 20 miles since landing; its wheels are worn.",
    ]
    answer = short_answer(analyse(OPEN), passages, idf_for(OPEN), params=SHOWN)
    assert answer is not None and answer.text.lower() == "organic carbon"
    assert answer.open_class and answer.passages == 2


def test_a_weak_open_class_vote_shows_nothing() -> None:
    # One passage only: its phrases are as likely any of its nouns, so the leader is not shown.
    single = ["The Velmont rover found organic carbon on the crater floor, scientists said."]
    q = analyse(OPEN)
    leader = vote(q, single, idf_for(OPEN))
    assert leader is not None and leader.open_class
    assert short_answer(q, single, idf_for(OPEN), params=SHOWN) is None
    # Two passages that disagree: no clear margin.
    split = [
        "The Velmont rover found organic carbon on the crater floor.",
        "The Velmont rover found frozen water on the crater floor.",
    ]
    assert short_answer(q, split, idf_for(OPEN), params=SHOWN) is None
    # The open-class thresholds are their own: loosening the closed-class ones shows nothing more.
    loose = ShortParams(min_support=0.0, min_margin=1.0, open_support=0.75, open_margin=1.6, open_passages=2)
    assert short_answer(q, single, idf_for(OPEN), params=loose) is None


def test_vote_names_a_leader_even_when_too_weak_to_show() -> None:
    from index.answer.short import is_clear, vote

    q = analyse(QUESTION)
    single = ["The Velmont volcano eruption covered Tonga in ash."]
    leader = vote(q, single, idf_for(QUESTION))
    assert leader is not None and leader.text == "Tonga" and leader.passages == 1
    assert not is_clear(leader, ShortParams(min_support=1.5))
    assert is_clear(leader, ShortParams(min_support=0.5))


def test_headlines_vote_with_their_passage() -> None:
    question = "Which company unveiled the Velmont electric concept car?"
    passages = [
        "The company unveiled the Velmont electric concept car on Tuesday.",
        "The Velmont concept car is electric.",
    ]
    titles = ["Harlow Motors unveils the Velmont electric concept car", "Harlow Motors shows Velmont"]
    without = short_answer(analyse(question), passages, idf_for(question))
    assert without is None
    answer = short_answer(analyse(question), passages, idf_for(question), titles=titles)
    assert answer is not None and answer.text == "Harlow Motors" and answer.passage == 0


def test_spellings_of_one_country_vote_together_and_show_the_longest() -> None:
    question = "Which country did the Velmont storm hit?"
    passages = [
        "The Velmont storm hit the UK on Sunday.",
        "The Velmont storm hit Britain hard.",
        "The United Kingdom was hit by the Velmont storm, and so was France.",
    ]
    answer = short_answer(analyse(question), passages, idf_for(question))
    assert answer is not None and answer.text == "United Kingdom" and answer.passages == 3


def test_a_country_written_by_a_short_name_is_answered_by_its_full_name() -> None:
    question = "Which country did the Velmont storm hit?"
    passages = ["The Velmont storm hit Britain on Sunday.", "The Velmont storm left Britain flooded."]
    answer = short_answer(analyse(question), passages, idf_for(question))
    assert answer is not None and answer.text == "United Kingdom"
    assert "Britain" in answer.forms  # how a shown passage that backs it is found


def test_which_city_is_not_answered_by_the_country_around_it() -> None:
    question = "Rents hit a record high this month. Which city saw the biggest rise in rents?"
    q = analyse(question)
    passages = [
        "UK rents hit a record high this month; in the UK, the biggest rise in rents was in Norbridge.",
        "Rents in the UK rose again, a record high for a 17th month.",
    ]
    leader = vote(q, passages, idf_for(question))
    assert leader is not None and leader.text == "Norbridge"


def test_a_person_is_shown_by_the_full_name_the_passages_introduce() -> None:
    # The full name stands in a sentence sharing no word with the question, which does not vote: the surname
    # wins, and is shown by the full name.
    question = "Which film director set a new record at the Kite awards?"
    passages = [
        "Quillon set a new record at the Kite awards, the academy said.",
        "Quillon, whose record at the Kite awards now stands at 11, was glad.",
        "Mara Quillon grew up in Leeds.",
    ]
    leader = leader_of(question, passages)
    assert leader.text == "Mara Quillon"
    assert "Quillon" in leader.forms


def test_a_person_named_in_full_where_the_question_is_answered_wins_by_the_full_name() -> None:
    question = "Which film director set a new record at the Kite awards?"
    passages = [
        "Quillon set a new record at the Kite awards, the academy said.",
        "Quillon, whose record at the Kite awards now stands at 11, was glad.",
        "Director Mara Quillon has produced 11 films.",
    ]
    leader = leader_of(question, passages)
    assert leader.text == "Mara Quillon" and leader.passages == 2


def test_a_figure_in_a_sentence_with_less_of_the_question_still_votes() -> None:
    # Ten sentences hold more of the question's words than the one with the figure: every sentence whose vote
    # would weigh enough is read for candidates, not only the best eight.
    question = "How many reservists will the Dunmore army call up for the mobilization?"
    filler = "The Dunmore army mobilization will call up reservists, officials said of the mobilization plan."
    passages = [" ".join([filler] * 10) + " The defense minister said 300,000 reservists.", filler]
    leader = leader_of(question, passages)
    assert leader.text == "300,000 reservists"


def test_a_name_that_holds_the_asked_for_noun_says_it_is_one() -> None:
    question = "Which university admitted sending inaccurate data to the rankings?"
    q = analyse(question)
    # Both names are organisations in one sentence: only the one that says "university" answers.
    passages = ["Harlow University admitted it sent inaccurate data to Velmont Media Group for its rankings."]
    leader = vote(q, passages, idf_for(question))
    assert leader is not None and leader.text == "Harlow University" and leader.margin >= 2.0
    # A country's name says nothing of the kind: "United States" is no answer to "which state".
    state = analyse("Which state has the most cases of the flu?")
    found = vote(state, ["The United States has the most cases of the flu, and Norland State too."], idf_for("flu"))
    assert found is not None and found.text == "Norland State"


def test_the_name_of_a_storm_is_a_name_that_says_storm() -> None:
    question = "A storm hit Norland this week. What was the name of the storm?"
    passages = ["Tropical Storm Velma hit Norland as a Category 1 storm this week."]
    leader = leader_of(question, passages)
    assert leader.text == "Tropical Storm Velma" and leader.margin >= 2.0


def test_a_name_the_asked_for_noun_calls_one_says_it_is_one() -> None:
    question = "Which social media app did the Norland senate ban on state phones?"
    # Both are names in one sentence; only "the video app Chirpy" is called an app.
    passages = ["The Norland senate banned the video app Chirpy on state phones, Velmontia said."]
    leader = leader_of(question, passages)
    assert leader.text == "Chirpy" and leader.margin >= 2.0


def test_a_capitalised_title_calls_the_person_what_is_asked() -> None:
    question = "Which Norland defense secretary met the alliance's secretary-general on Monday?"
    # Both are people in one sentence; only "Defense Secretary Ada Voss" is called a secretary.
    passages = ["Alliance Secretary-General Tom Reyes met Norland Defense Secretary Ada Voss on Monday."]
    leader = leader_of(question, passages)
    assert leader.text == "Ada Voss" and leader.margin >= 2.0


def test_what_year_is_not_answered_by_a_month() -> None:
    question = "Crews began work on the Norland palace. In what year did King Aldo first move into it?"
    passages = ["Work began in July on the palace, which King Aldo first moved into in 1817, archivists said."]
    leader = leader_of(question, passages)
    assert leader.text == "1817" and leader.margin >= 2.0


def test_a_country_the_question_only_implies_is_no_count_s_unit() -> None:
    # "American" makes the United States known (no answer), but "50 states" does not count what is asked.
    question = "How many American governors signed the pact?"
    q = analyse(question)
    assert {"unit", "state"} <= q.known and "state" not in q.said
    passages = ["Leaders of 50 states met, and the pact was signed by 21 governors, Norland officials said."]
    leader = vote(q, passages, idf_for(question))
    assert leader is not None and leader.text == "21 governors" and leader.margin >= 2.0


def test_a_count_s_unit_counts_what_the_asking_sentence_names() -> None:
    question = "A strong earthquake struck Norland. How many people were killed?"
    passages = ["The magnitude 7.0 earthquake struck Norland and killed 1,297 people, officials said."]
    leader = vote(analyse(question), passages, idf_for(question))
    # "earthquake" is the lead-in's word: "7.0 earthquake" does not count what is asked, "1,297 people" does.
    assert leader is not None and leader.text == "1,297 people"


def test_a_question_after_a_date_is_answered_by_the_calendar_not_by_this_week() -> None:
    question = "Around what date is the Harbor festival expected to begin?"
    passages = [
        "The Harbor festival is expected to begin this week, organisers said.",
        "Organisers expect the Harbor festival to begin this week.",
        "The Harbor festival is expected to begin on March 1, weather permitting.",
    ]
    answer = short_answer(analyse(question), passages, idf_for(question))
    assert answer is not None and answer.text == "March 1"
    # "When" asks for any time: "this week" may answer it.
    when = "When is the Harbor festival expected to begin?"
    assert vote(analyse(when), passages, idf_for(when)).text == "this week"
