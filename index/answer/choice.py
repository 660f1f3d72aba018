"""Which passage of each top article an answer shows: the one that best answers, not only the best BM25 match."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from index.answer.parts import QUOTE_PARAMS, SHORT_PARAMS
from index.answer.question import analyse
from index.answer.sentences import Sentence, read_passages, term_weights
from index.answer.short import vote
from index.models import Hit, Query
from index.search.highlight import highlight

NEXT = "next"  # the third passage shown is the third article's
SAME = "same"  # the third passage shown is the first article's runner-up (the next article's when it has none)


@dataclass(frozen=True, slots=True)
class ChoiceParams:
    """How a passage of an article is scored against the others of the same article (chosen by bench/passages.py).

    Each passage scores ``bm25 * (its score / the article's best) + overlap * (the share of the question's term
    weight its best sentence holds) + fit * (the best fit of a candidate of the wanted kind) + leader * (holds
    the vote's leader) + lede * (starts at the article's first paragraph)``; the highest is shown.

    Attributes:
        alternates: runner-up passages per article considered (0 turns the choice off).
        third: :data:`NEXT` or :data:`SAME`: what the third shown passage is.
    """

    bm25: float = 1.0
    overlap: float = 0.0
    fit: float = 0.0
    leader: float = 0.0
    lede: float = 0.0
    alternates: int = 3
    third: str = NEXT


CHOICE = ChoiceParams(lede=0.2, alternates=2, third=SAME)  # what every fold of bench/passages.py chose


def choose_passages(
    question: str,
    hits: Sequence[Hit],
    query: Query,
    idf: Mapping[str, float],
    *,
    shown: int,
    depth: int,
    keep: Hit | None = None,
    params: ChoiceParams = CHOICE,
) -> list[Hit]:
    """For each shown article, the passage among its hit and ``hit.alternates`` that best answers the question.

    The article order is the search's; a chosen runner-up is cited with its own paragraphs and lists the same
    folded copies as its article's hit. With ``params.third == SAME`` the last shown passage is the first
    article's second best instead of the next article's.

    Args:
        question: the question as asked.
        hits: the search's hits, best first (``Searcher.search(alternates=...)``, highlighted).
        query: the parsed query (to mark a chosen runner-up's words).
        idf: the index's idf for the question's terms.
        shown: how many passages to show.
        depth: how many hits the short answer's vote reads (for the leader weight).
        keep: a hit that stays shown whatever the weights say (the one the quote is from).
        params: the weights.

    Returns:
        The passages to show, ``shown`` at most.
    """
    same = params.third == SAME and shown > 1 and all(h is not keep for h in hits[shown - 1 : shown])
    top = list(hits[: shown - 1 if same else shown])  # choice_articles(shown, params) when the quote allows
    if params.alternates <= 0 or not any(h.alternates for h in top):
        return list(hits[:shown])
    groups = [[h, *h.alternates[: params.alternates]] for h in top]
    sentences, forms = _evidence(question, groups, hits[len(top) : depth], query, idf, params)
    ranked = [sorted(g, key=lambda h: -_score(h, g[0], sentences.get(id(h), []), forms, params)) for g in groups]
    chosen = [_as_shown(g[0], g[0] if g[0] is keep else r[0], query) for g, r in zip(groups, ranked, strict=True)]
    if same and len(ranked[0]) > 1:
        chosen.append(_as_shown(groups[0][0], next(h for h in ranked[0] if h is not chosen[0]), query))
    chosen += hits[len(top) : len(top) + shown - len(chosen)]
    return chosen


def choice_articles(shown: int, params: ChoiceParams = CHOICE) -> int:
    """How many of the first articles may show another passage than their hit (which need runner-ups)."""
    return shown - 1 if params.third == SAME and shown > 1 else shown


def _evidence(
    question: str,
    groups: list[list[Hit]],
    after: Sequence[Hit],
    query: Query,
    idf: Mapping[str, float],
    params: ChoiceParams,
) -> tuple[dict[int, list[Sentence]], list[str]]:
    """Each candidate passage's sentences read against the question (by ``id``), and the vote leader's forms.

    Only read when a weight needs it: the passages' scores and paragraphs cost nothing to compare.
    """
    if not (params.overlap or params.fit or params.leader):
        return {}, []
    for group in groups:
        for h in group[1:]:
            if h.words is None:
                highlight(h, query)  # its word runs, reused by the reading below and the answer's
    flat = [h for g in groups for h in g] + list(after)
    qa = analyse(question)
    weights = term_weights(qa, idf, QUOTE_PARAMS.context_weight)
    read = read_passages(qa, [h.text for h in flat], weights, words=[h.words for h in flat])  # as the answer reads
    sentences = dict(zip((id(h) for h in flat), read, strict=True))
    forms: list[str] = []
    if params.leader:
        # The vote's leader over the search's own passages (the article's best ones, as the short answer reads).
        voters = [g[0] for g in groups] + list(after)
        leader = vote(qa, [h.text for h in voters], idf, params=SHORT_PARAMS, read=[sentences[id(h)] for h in voters])
        forms = [f.lower() for f in leader.forms] if leader is not None else []
    return sentences, forms


def _score(hit: Hit, best: Hit, read: list[Sentence], forms: list[str], p: ChoiceParams) -> float:
    """How well one passage of an article answers (see :class:`ChoiceParams`)."""
    score = p.bm25 * (hit.score / best.score if best.score > 0 else 1.0)
    if read:
        score += p.overlap * max(s.overlap for s in read) + p.fit * max(s.fit for s in read)
    if forms:
        text = hit.text.lower()
        score += p.leader * any(f in text for f in forms)
    if hit.paragraph == 1:
        score += p.lede
    return score


def _as_shown(host: Hit, hit: Hit, query: Query) -> Hit:
    """``hit`` ready to be shown for its article: a runner-up gets its words marked and lists the copies its
    article's hit folded in."""
    if hit is not host:
        if hit.words is None or not hit.highlights:
            highlight(hit, query)
        if not hit.also_in:
            hit.also_in = host.also_in
    return hit
