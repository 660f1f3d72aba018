"""The quote: kind-aware sentence choice across passages, the lean-on-the-previous-sentence rule and the limits."""

from __future__ import annotations

from index.answer.question import analyse
from index.answer.sentences import MAX_QUOTE_CHARS, QuoteParams, choose_quote

IDF = {"eruption": 5.0, "island": 4.0, "ash": 5.0, "cover": 2.0, "volcano": 5.0, "deal": 3.0, "worth": 3.0}


def test_prefers_the_sentence_with_an_answer_of_the_wanted_kind() -> None:
    qa = analyse("How much is the Brightwater deal worth?")
    idf = {t: 4.0 for t in qa.terms}
    passage = (
        "Brightwater deal: what it is worth to you and why it matters. "
        "Brightwater agreed to the deal, worth $44 billion, on Monday."
    )
    quote = choose_quote(qa, [passage], idf)
    assert quote is not None and "$44 billion" in quote.text


def test_quotes_the_previous_sentence_when_the_best_one_leans_on_it() -> None:
    qa = analyse("The volcano eruption covered which group of islands in ash?")
    idf = {t: 4.0 for t in qa.terms}
    passage = (
        "A volcano erupted near Tonga on Saturday. "
        "The eruption left the islands covered in ash and cut the undersea cable. "
        "Aid flights were delayed."
    )
    quote = choose_quote(qa, [passage], idf)
    assert quote is not None
    assert quote.text.startswith("A volcano erupted near Tonga") and "covered in ash" in quote.text
    assert len(quote.spans) == 2
    assert passage[quote.spans[0][0] : quote.spans[-1][1]] == quote.text


def test_at_most_two_sentences_and_the_character_limit() -> None:
    qa = analyse("Which company bought the mill?")
    idf = {t: 4.0 for t in qa.terms}
    long_lead = "Harlow Group said it bought the mill " + "after years of talks " * 25 + "."
    passage = long_lead + " It bought the mill for $3 million."
    quote = choose_quote(qa, [passage], idf)
    assert quote is not None
    assert len(quote.text) <= MAX_QUOTE_CHARS and len(quote.spans) <= 2
    assert quote.text == "It bought the mill for $3 million."


def test_lower_passages_can_win_but_pay_a_rank_discount() -> None:
    qa = analyse("How many people were evacuated from Port Ellis?")
    idf = {t: 4.0 for t in qa.terms}
    first = "People in Port Ellis were evacuated, officials said."
    second = "About 2,300 people were evacuated from Port Ellis overnight."
    quote = choose_quote(qa, [first, second], idf, params=QuoteParams(kind_bonus=1.0, rank_decay=0.8))
    assert quote is not None and quote.passage == 1
    harsh = choose_quote(qa, [first, second], idf, params=QuoteParams(kind_bonus=0.0, rank_decay=0.1))
    assert harsh is not None and harsh.passage == 0


def test_no_overlap_no_quote() -> None:
    qa = analyse("Who won the regatta?")
    assert choose_quote(qa, ["Nothing about it here."], {t: 4.0 for t in qa.terms}) is None


def test_a_question_in_the_passage_is_quoted_with_its_answer() -> None:
    qa = analyse("Harbor Zoo stopped selling what this week?")
    idf = {t: 4.0 for t in qa.terms}
    passage = "Quiz of the week. Harbor Zoo stopped selling what this week? Paper maps of the park."
    quote = choose_quote(qa, [passage], idf)
    assert quote is not None
    assert quote.text == "Harbor Zoo stopped selling what this week? Paper maps of the park."


def test_teasers_cut_off_with_an_ellipsis_lose_to_a_statement() -> None:
    qa = analyse("Who won the Harbor City election?")
    idf = {t: 4.0 for t in qa.terms}
    passage = "WATCH Harbor City election won by ... Dana Whitfield won the Harbor City election on Tuesday."
    quote = choose_quote(qa, [passage], idf)
    assert quote is not None and quote.text.startswith("Dana Whitfield")


def test_the_vote_leader_steers_the_quote() -> None:
    qa = analyse("Which country did the Velmont storm hit?")
    idf = {t: 4.0 for t in qa.terms}
    passage = "The Velmont storm hit Fiji, one report said. The Velmont storm hit Tonga hardest."
    plain = choose_quote(qa, [passage], idf, params=QuoteParams(leader_bonus=0.0))
    steered = choose_quote(qa, [passage], idf, params=QuoteParams(leader_bonus=1.0), leader=("Tonga",))
    assert plain is not None and steered is not None
    assert "Tonga" in steered.text


def test_answer_parts_is_one_call() -> None:
    from index.answer.parts import answer_parts

    question = "Which country did the Velmont volcano eruption cover in ash?"
    texts = [
        "The Velmont volcano eruption covered Tonga in ash on Saturday.",
        "Ash from the Velmont eruption blanketed Tonga's main island.",
        "The Velmont volcano eruption was heard in Tonga and Fiji.",
    ]
    idf = {t: 4.0 for t in analyse(question).terms}
    parts = answer_parts(question, texts, idf, titles=["Velmont erupts", "Ash falls", "Heard far away"], shown=2)
    assert parts.analysis.kind == "place"
    assert parts.quote is not None and parts.quote.passage < 2 and "Tonga" in parts.quote.text
    assert parts.short is not None and parts.short.text == "Tonga"


def test_a_shown_short_answer_is_backed_by_the_quote_when_a_passage_can() -> None:
    qa = analyse("Which country did the Velmont storm hit?")
    idf = {t: 4.0 for t in qa.terms}
    passages = ["The Velmont storm hit hard, officials said on Sunday.", "Tonga was hit by the storm."]
    backed = choose_quote(qa, passages, idf, leader=("Tonga",), require_leader=True)
    assert backed is not None and backed.passage == 1
    assert choose_quote(qa, passages[:1], idf, leader=("Tonga",), require_leader=True) is None


def test_a_sentence_that_asks_or_restates_the_question_is_never_quoted() -> None:
    qa = analyse("Which insect can the Velmont court consider a fish?")
    idf = {t: 4.0 for t in qa.terms}
    quiz = "Which insect can the Velmont court consider a fish? A. Spider"
    assert choose_quote(qa, [quiz], idf) is None  # the question, and an option after it, answer nothing
    restated = "The Velmont court can consider an insect a fish. Bumblebees can be protected as fish, it ruled."
    quote = choose_quote(qa, [restated], idf)
    assert quote is not None and quote.text.startswith("Bumblebees")
