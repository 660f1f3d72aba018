"""Question analysis: the kind of answer a question wants, quiz phrasings included, and its content terms."""

from __future__ import annotations

import pytest

from index.answer.question import (
    DATE,
    MONEY,
    NAME,
    NUMBER,
    ORG,
    OTHER,
    PERCENT,
    PERSON,
    PLACE,
    THING,
    accepts,
    analyse,
)


@pytest.mark.parametrize(
    ("question", "kind", "detail"),
    [
        ("Who won the Westland mayoral race?", PERSON, "person"),
        ("The mayor resigned on Monday. Who replaced her?", PERSON, "person"),
        ("Which veteran actor opened the Harbor festival?", PERSON, "person"),
        ("This actor turned down the role twice.", PERSON, "person"),
        ("Which movie director won the Golden Kite?", PERSON, "person"),
        ("Which country music star will open the Velmont fair?", PERSON, "person"),  # the last noun is the head
        ("Which 23-year-old won the Velmont title?", PERSON, "person"),
        ("Which suffragist drafted the amendment?", PERSON, "person"),
        ("Which Supreme Court justice will retire?", PERSON, "person"),
        ("Which Republican megadonor did he meet in Velmont?", PERSON, "person"),
        ("Which goalkeeper saved three penalties?", PERSON, "person"),
        ("Which TV personality opened the Velmont fair?", PERSON, "person"),
        ("Which ex-president spoke at the Velmont rally?", PERSON, "person"),  # the noun after a prefix
        ("Which environmentalist won the Velmont prize?", PERSON, "person"),  # one who practises an "-ist"
        ("Which stadium will host the Velmont final?", PLACE, "place"),
        ("Which record label signed the Velmont band?", ORG, "company"),
        ("Which playlist topped the Velmont chart?", THING, THING),  # but a list is no person
        ("Which technician was arrested in Velmont?", PERSON, "person"),  # nor is an "-ian"
        ("Which Italian city hosted the Velmont games?", PLACE, "city"),
        ("Which GOP hopeful dropped out in Velmont?", PERSON, "person"),
        ("The Velmont board named who as its new chair?", PERSON, "person"),  # "who" inside the question
        ("What is the name of the astronaut who flew to Velmont?", PERSON, "person"),
        ("What is the name of the company that bought Velmont Rail?", ORG, "company"),
        ("Which cryptocurrency exchange filed for bankruptcy?", ORG, "company"),
        ("Which union called the Velmont strike?", ORG, "group"),
        ("Which team beat the champion?", ORG, "team"),  # the noun after the verb is not asked for
        ("Which union represents Velmont's actors?", ORG, "group"),  # a verb between the nouns
        ("Which city council member resigned?", PERSON, "person"),
        ("Which department will shed half its staff?", ORG, "group"),
        ("Which body of water was the grant meant to protect?", PLACE, "place"),
        ("The river was given a new name. What is it now called?", NAME, "name"),
        ("The prime minister of this country resigned after the protests.", PLACE, "country"),
        ("The volcano erupted near which group of islands?", PLACE, "islands"),
        ("In which state did the floods hit hardest?", PLACE, "state"),
        ("Which coastal city banned cars downtown?", PLACE, "city"),
        ("Which state's governor pardoned the painters?", PLACE, "state"),
        ("Where did the ferry sink?", PLACE, "place"),
        ("What company announced a 20-for-1 stock split?", ORG, "company"),
        ("Which team won the river cup?", ORG, "team"),
        ("Which rebel group claimed the attack?", ORG, "group"),
        ("Which show was renewed for a third season?", NAME, "title"),
        ("In which Velmont Heart Society journal was the study published?", NAME, "title"),
        ("How many people were evacuated?", NUMBER, "count"),
        ("How old was the oldest rower?", NUMBER, "age"),
        ("How much is the deal worth?", MONEY, "amount"),
        ("How much money did the town raise?", MONEY, "amount"),
        ("How much had Velmont's retirees saved on average?", MONEY, "amount"),
        ("How much revenue did the Velmont fair bring in?", MONEY, "amount"),
        ("What percentage of voters backed the plan?", PERCENT, "percent"),
        ("How much have bread prices risen this year?", NUMBER, "change"),
        ("How much rain fell on Velmont in two days?", NUMBER, "amount"),  # what fell is measured, not a change
        ("How much did rents rise in Velmont?", NUMBER, "change"),
        ("When will the bridge reopen?", DATE, "date"),
        ("On what date will the bridge reopen?", DATE, "day"),
        ("Around what date is the harbour festival expected to begin?", DATE, "day"),  # not the festival's name
        ("What is the largest city in the valley?", PLACE, "city"),
        ("In what month did the bridge reopen?", DATE, "date"),
        ("What year did the mill close?", DATE, "year"),
        ("What did the rover find on the moon?", THING, THING),
        ("The harbour board banned the export of what foodstuff?", THING, THING),
        ("Bridges fell as the storm hit. Why?", OTHER, OTHER),
        ("Coastal towns were hit by a storm this week. What was the name of the storm?", NAME, "name"),
        ("The republic may change its name to what?", NAME, "name"),
        ("The duke named his daughter what?", NAME, "name"),
        ("Who was named the new harbour master?", PERSON, "person"),
    ],
)
def test_kind(question: str, kind: str, detail: str) -> None:
    qa = analyse(question)
    assert (qa.kind, qa.detail) == (kind, detail)


def test_focus_words_leave_the_terms_but_stay_known() -> None:
    qa = analyse("Which country banned plastic straws?")
    assert "countri" not in qa.terms  # the answer's sentence need not say "country"
    assert {"ban", "plastic", "straw"} <= set(qa.terms)
    assert "countri" in qa.known


def test_relative_who_is_not_a_person_question() -> None:
    assert analyse("Residents who fled the storm returned to what?").kind == THING


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("Which menu item did the Harbor Diner roll out this week?", ("menu", "item")),
        ("The harbour board banned the export of what foodstuff?", ("foodstuff",)),
        ("What is the organic compound in bread that makes you sleepy?", ("organic", "compound")),
        ("Which color did the ferry line paint its boats?", ("color",)),
        ("What ancient find was uncovered in the riverbed?", ("ancient", "find")),
        ("What did the rover find?", ()),
        ("A sea otter keeps stealing what?", ()),
    ],
)
def test_open_class_questions_and_their_focus(question: str, focus: tuple[str, ...]) -> None:
    qa = analyse(question)
    assert qa.kind == THING and qa.focus == focus
    # The focus stays among the terms: passages about a menu item often say "menu".
    assert set(analyse(question).known) >= set(qa.terms)
    if focus == ("menu", "item"):
        assert {"menu", "item"} <= set(qa.terms)


def test_accepts_weighs_the_wanted_kind_highest() -> None:
    wanted = accepts(analyse("Which country hosted the summit?"))
    assert wanted[PLACE] == 1.0 and wanted.get(NAME, 0) < 1.0 and PERSON not in wanted
    assert accepts(analyse("What did the rover find?")) == {THING: 1.0}
    assert accepts(analyse("Bridges fell as the storm hit. Why?")) == {}


def test_plural_questions_and_lead_in_context() -> None:
    assert analyse("Which two supermarkets plan to merge?").plural
    assert analyse("Which teams reached the final?").plural
    assert not analyse("Which team won the final?").plural
    qa = analyse("The Harbor bridge closed this week. How many drivers were stranded?")
    assert "bridg" in qa.context and "driver" not in qa.context
    assert analyse("How many drivers were stranded?").context == frozenset()


def test_a_country_named_by_its_adjective_is_known() -> None:
    qa = analyse("Hikers may camp again in which English national park?")
    assert {"england", "english"} <= qa.known and "england" not in qa.terms  # known, not searched for
    assert {"unit", "state", "us"} <= analyse("Which American city hosted the summit?").known
    assert "england" not in analyse("Which national park reopened?").known


def test_the_name_of_a_thing_asks_for_a_name_of_that_thing() -> None:
    qa = analyse("A storm hit the coast this week. What was the name of the new storm that hit Norland?")
    assert (qa.kind, qa.focus) == (NAME, ("name", "storm"))
    assert "storm" in qa.terms and "name" not in qa.terms  # the passages name it with its noun


def test_the_noun_after_did_is_who_acts_not_what_is_asked() -> None:
    assert analyse("What did the Harbor City council decide about the bridge?").kind == THING
    assert analyse("What will the Norland government do next?").kind != ORG
    assert analyse("What city did the council pick?").kind == PLACE == analyse("Which US state passed it?").kind


def test_the_asked_for_noun_comes_before_the_verb() -> None:
    qa = analyse("Crews began work this week. In what year did President Velma Ash move into the house?")
    assert qa.kind == DATE  # "President" after "did" is who acts, not what is asked


def test_the_sentence_that_asks_decides_before_the_lead_in() -> None:
    # A rule's word in the lead-in ("when", "magnitude", "rose") does not say what the last sentence asks for.
    assert analyse("The old bridge collapsed when a cargo ship hit it. Who was the ship's captain?").kind == PERSON
    qa = analyse("A 6.1-magnitude earthquake struck Norland. At least how many people were killed?")
    assert (qa.kind, qa.detail, qa.focus) == (NUMBER, "count", ("how", "many"))
    assert "magnitud" in qa.terms  # the lead-in's word is searched for, not taken for the asked-for noun
    assert analyse("Fuel prices rose again this week. How much does a gallon cost?").kind == MONEY
    # The lead-in still decides when the sentence that asks matches no rule.
    assert analyse("Officials said how much the repairs cost. The council approved what?").kind == MONEY
    assert analyse("What was the magnitude of the quake that struck Norland?").detail == "count"


def test_a_lead_in_relative_which_is_not_the_question() -> None:
    # "which city officials called ..." is a relative clause; the question is the sentence that asks.
    qa = analyse("The storm, which city officials called the worst in decades, flooded the port. How many homes?")
    assert (qa.kind, qa.detail) == (NUMBER, "count")
    assert analyse("The museum, which team members toured, reopened. Which artist is featured?").focus == ("artist",)
    assert analyse("The bill, which state lawmakers passed, is contested. What does it ban?").kind == THING
    assert analyse("This company bought a rival this week. What was the price?").kind == MONEY
    # An open-class noun in the sentence that asks wins over a quiz's "this country" before it ...
    qa = analyse("Officials in this country declared an emergency. Which disease is spreading?")
    assert (qa.kind, qa.focus) == (THING, ("disease",))
    # ... and a sentence that asks without naming anything leaves it to the quiz's "this ...".
    assert analyse("The leader of this country resigned this week. What is it?").detail == "country"


def test_more_nouns_that_say_what_is_asked() -> None:
    assert analyse("The new species of frog was named after whom?").kind == PERSON
    assert analyse("Which streaming service raised its prices this week?").detail == "company"
    assert analyse("Which scientist shared the prize?").kind == PERSON
    assert analyse("What is the death toll from the earthquake?").kind == NUMBER
    assert analyse("What is the population of the world expected to reach?").detail == "count"
    assert analyse("Residents who fled the fire returned. How many homes burned?").kind == NUMBER


def test_a_sort_of_thing_asks_for_the_thing() -> None:
    assert analyse("What type of animal escaped from the zoo?").focus == ("animal",)
    assert analyse("What kind of cancer was the king diagnosed with?").focus == ("cancer",)
    assert analyse("What menu item did the chain drop?").focus == ("menu", "item")


def test_money_asked_as_a_size_or_a_worth() -> None:
    assert analyse("The governor released his plan. How large is the budget it proposes?").kind == MONEY
    assert analyse("What were the rigged draws worth in total?").kind == MONEY
    assert analyse("How large was the crowd?").kind == NUMBER
    assert analyse("Which Education Department undersecretary told a court?").kind == PERSON
    assert analyse("At which Norland institution did he work before?").kind == ORG
    assert analyse("Which character did the comedian voice in the film?").kind == NAME


def test_commands_renames_and_participles() -> None:
    assert analyse("Name the country that hosted the 2022 World Cup.").detail == "country"
    assert analyse("Identify the company that bought the airline.").kind == ORG
    qa = analyse("What did the billionaire rename the platform to?")
    assert qa.kind == NAME and "renam" in qa.terms  # the verb stays a word to search for
    assert analyse("What nickname did fans give the new stadium?").kind == NAME
    assert analyse("What animal escaped from the Norland zoo?").focus == ("animal",)
    assert analyse("The iceberg broke away from which ice shelf?").kind == PLACE


def test_the_noun_after_of_and_more_money_words() -> None:
    assert analyse("What is the title of Prince Aldo's memoir?").kind == NAME  # not a prince
    assert analyse("Which group of islands was hit by the storm?").detail == "islands"
    assert analyse("What is the maximum fine under the new law?").kind == MONEY
    assert analyse("Which band announced a farewell tour this week?").kind == ORG


def test_an_age_asks_for_a_person_by_the_words_the_passages_call_them() -> None:
    qa = analyse("Which 23-year-old won the Velmont title?")
    assert qa.kind == PERSON and qa.focus == ("23-year-old",)  # "the 23-year-old Ada Voss" says she is the one
