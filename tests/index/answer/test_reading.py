"""Reading passages against a question: which sentences get candidates, and the two ways of reading agree."""

from __future__ import annotations

from index.answer.question import analyse
from index.answer.sentences import read_passage, read_passages


def test_read_passages_gives_candidates_to_the_same_sentences_with_a_floor_except_those_below_it() -> None:
    qa = analyse("Which company bought the Velmont volcano observatory?")
    weights = {t: 4.0 for t in qa.terms}
    texts = [
        "Harlow Group bought the Velmont volcano observatory. Its staff stay.",
        "The observatory near Tonga watches the volcano.",
    ]
    plain = read_passages(qa, texts, weights)
    floored = read_passages(qa, texts, weights, least=0.6)
    for ss, fs in zip(plain, floored, strict=True):
        for s, f in zip(ss, fs, strict=True):
            assert (s.start, s.end, s.overlap) == (f.start, f.end, f.overlap)
            assert f.candidates == (s.candidates if s.overlap >= 0.6 else ())
    assert any(c.text == "Harlow Group" for c in floored[0][0].candidates)
    assert plain[1][0].candidates and not floored[1][0].candidates  # below the floor: not looked for


def test_read_passage_and_read_passages_read_sentences_alike() -> None:
    qa = analyse("How many people did the Velmont eruption displace?")
    weights = {t: 4.0 for t in qa.terms}
    text = "The Velmont eruption displaced 4,000 people. It also closed the airport for a week."
    one = read_passage(qa, text, weights)
    many = read_passages(qa, [text], weights)[0]
    assert [(s.start, s.end, s.words, s.overlap, s.closeness, s.leans) for s in one] == [
        (s.start, s.end, s.words, s.overlap, s.closeness, s.leans) for s in many
    ]
    assert one[0].candidates == many[0].candidates and one[1].leans


def test_sentences_are_read_for_candidates_by_the_weight_their_vote_would_carry() -> None:
    # The fifth passage's sentence holds a little more of the question than the first's, but the vote discounts
    # each passage down (decay): it is the first passage's sentence that is read when only one may be.
    qa = analyse("Which company bought the Velmont volcano observatory?")
    weights = {t: 4.0 for t in qa.terms}
    filler = "Nothing here."
    texts = [
        "Harlow Group bought the Velmont observatory.",
        filler,
        filler,
        filler,
        "Brisco Ltd bought the Velmont volcano observatory.",
    ]
    by_overlap = read_passages(qa, texts, weights, limit=1)
    by_vote = read_passages(qa, texts, weights, limit=1, decay=0.85)
    assert by_overlap[4][0].candidates and not by_overlap[0][0].candidates
    assert by_vote[0][0].candidates and not by_vote[4][0].candidates
