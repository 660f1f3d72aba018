"""The answer's parts for a question and its hits, in one call: the question's analysis, the quote, the short answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from index.answer.question import QuestionAnalysis, analyse
from index.answer.sentences import (
    Quote,
    QuoteParams,
    Runs,
    Sentence,
    choose_quote,
    read_passages,
    sentence_score,
    term_weights,
)
from index.answer.short import ShortAnswer, ShortParams, is_clear, vote

# The classes' defaults are the settings shipped: each setting's value most of the 5 folds chose in
# bench/answers.py's cross-validation on the dev questions (each fold chose on the other four). The lead-in
# context weight serves the quote and the vote (one reading of the passages): the quote's folds chose 0.5 five
# times, the vote's folds 0.5 four times and 1.0 once, so it is 0.5.
QUOTE_PARAMS = QuoteParams()
SHORT_PARAMS = ShortParams()


@dataclass(frozen=True, slots=True)
class AnswerParts:
    """What the answer shows above the passages.

    Attributes:
        analysis: the question's analysis (kind of answer wanted, terms).
        quote: the quoted sentence(s) and the passage they are from (``quote.passage`` indexes the shown
            passages), or None.
        short: the short answer and its supporting passage (``short.passage`` indexes the passages given), or
            None when the evidence does not agree well enough.
        anchors: for each shown passage, the span of its own best sentence (None when none shares a word with
            the question): where a long passage's excerpt starts.
        leader: the vote's leader, shown or not (what ``short`` is when the vote is clear).
        sentences: each given passage's sentences as read (their spans are ``sentence_spans`` of its text), so
            what shows the passage next does not split it again.
    """

    analysis: QuestionAnalysis
    quote: Quote | None
    short: ShortAnswer | None
    anchors: tuple[tuple[int, int] | None, ...] = ()
    leader: ShortAnswer | None = None
    sentences: tuple[list[Sentence], ...] = ()


def answer_parts(
    question: str,
    texts: Sequence[str],
    idf: Mapping[str, float],
    *,
    titles: Sequence[str] | None = None,
    shown: int = 3,
    quote_params: QuoteParams = QUOTE_PARAMS,
    short_params: ShortParams = SHORT_PARAMS,
    words: Sequence[Runs | None] | None = None,
) -> AnswerParts:
    """The quote (from the shown passages) and the short answer (voted over all given passages).

    Args:
        question: the question as asked (``Query.raw``).
        texts: the hits' passage texts, best first: the shown ones first, then a few more for the vote (5-10
            in all is plenty).
        idf: the index's idf for the question's terms (``Searcher.idf``); terms it lacks weigh like common words.
        titles: the hits' headlines, same order (optional; they add votes for the short answer).
        shown: how many of ``texts`` are shown, so may be quoted.
        quote_params: the quote's weights.
        short_params: the vote's thresholds.
        words: the passages' word runs when the caller has them (highlighted hits' ``words``), same order.

    Returns:
        The parts; ``quote`` and ``short`` may each be None.
    """
    qa = analyse(question)
    weights = term_weights(qa, idf, quote_params.context_weight)
    read = read_passages(qa, texts, weights, words=words, decay=short_params.rank_decay)
    leader = vote(qa, texts, idf, params=short_params, read=read, titles=titles)
    # The vote's leader steers the quote even when it is too weak to be shown on its own.
    lead = leader.forms if leader is not None else ()
    short = leader if leader is not None and is_clear(leader, short_params) else None
    quote = None
    if short is not None:
        # The quote backs the short answer shown above it when a shown passage can.
        quote = choose_quote(
            qa, texts[:shown], idf, params=quote_params, read=read[:shown], leader=lead, require_leader=True
        )
    if quote is None:
        quote = choose_quote(qa, texts[:shown], idf, params=quote_params, read=read[:shown], leader=lead)
    return AnswerParts(qa, quote, short, _anchors(read[:shown], texts, quote_params), leader, tuple(read))


def _anchors(
    read: Sequence[list[Sentence]], texts: Sequence[str], params: QuoteParams
) -> tuple[tuple[int, int] | None, ...]:
    """Each passage's best sentence on its own (no rank discount, no vote): where its excerpt starts."""
    out: list[tuple[int, int] | None] = []
    for sentences, text in zip(read, texts, strict=False):
        best, best_score = None, 0.0
        for s in sentences:
            score = sentence_score(s, text, params)
            if score > best_score:
                best, best_score = (s.start, s.end), score
        out.append(best)
    return tuple(out)
