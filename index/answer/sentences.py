"""The quote: the sentence (or two) of the shown passages that best answers the question, not only shares its words."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from index.answer.candidates import Candidate, as_count, extract
from index.answer.question import DATE, NAME, NUMBER, ORG, PERSON, PLACE, QuestionAnalysis, accepts
from index.ingest.split import sentence_spans
from index.tokenize import tokenize_spans

MAX_QUOTE_CHARS = 400  # a quote is at most two sentences and this many characters
_UNKNOWN_WEIGHT = 1.0  # a question term the idf table lacks: weigh it like a common word
_SHORT_WORDS = 5
_SHORT_PENALTY = 0.7  # "Why?", a dateline: rarely an answer
_ANSWERED = 0.9  # a question quoted with the sentence after it (quizzes, Q&A pieces): nearly as good as a statement
_RESTATES = 0.8  # a sentence this much made of the question's words, holding this much of it, restates it
EXTRACT_LIMIT = 24  # sentences per question that get candidates at most (extraction is most of the cost)
_TEASER_PENALTY = 0.5  # "Watch the video ..." teasers and cut-off text
Runs = list[tuple[int, int, tuple[str, ...]]]  # a text's word runs, as index.tokenize.tokenize_spans gives them
_EXTRACT_SHARE = 0.15  # candidates are looked for in sentences whose vote would weigh this share of the best one's

# A sentence that starts like this leans on the one before it for what it is about ("The company said ...").
_LEANS = re.compile(
    r"^[\"“‘']?(?:It|Its|He|She|His|Her|They|Their|Them|This|That|These|Those|There|Both"
    r"|The (?:\w+ )?(?:company|firm|country|nation|group|team|club|agency|city|state|move|deal|decision|government"
    r"|president|organi[sz]ation|star|actor|actress|singer|player|league|network|platform|app|carmaker|automaker"
    r"|retailer|bank|airline|university|school|storm|virus|show|film|movie|island|islands|region|couple|pair"
    r"|official|officials|minister|leader|lawmaker|senator|governor|judge|court|bill|law|rule|plan|program"
    r"|programme|event|tournament|eruption|attack|quake|earthquake|fire|volcano))\b"
)
# The same without the anchor, for ``match(text, start, end)`` (``^`` would only match at the text's start).
_LEANS_AT = re.compile(_LEANS.pattern[1:])


@dataclass(frozen=True, slots=True)
class QuoteParams:
    """The quote's weights (chosen by cross-validation in bench/answers.py).

    Attributes:
        kind_bonus: how much more a sentence counts when it holds a candidate of the wanted kind that the
            question does not (times the candidate kind's fit, 0..1).
        rank_decay: each rank down the shown passages multiplies a sentence's score by this.
        proximity: how much more a sentence counts when the question's words in it stand close together.
        context_weight: the weight of terms only in the question's lead-in sentences, relative to the
            asking sentence's (see ``QuestionAnalysis.context``).
        leader_bonus: how much more a sentence counts when it holds the candidate the passages vote for most
            (``choose_quote``'s ``leader``): redundancy across passages is better evidence than one sentence.
        length_norm: how much a sentence longer than the shown passages' average is discounted (BM25's ``b``:
            long sentences hold more of the question's words by chance).
    """

    kind_bonus: float = 0.5
    rank_decay: float = 0.6
    proximity: float = 0.3
    context_weight: float = 0.5
    leader_bonus: float = 0.5
    length_norm: float = 0.0


class Sentence(NamedTuple):
    """One sentence of a passage, read against a question."""

    start: int
    end: int
    words: int
    overlap: float  # share of the question's term weight the sentence holds (0..1)
    closeness: float  # matched terms per word of the window that holds them (0..1)
    fit: float  # best fit (0..1) of a candidate of the wanted kind not in the question
    candidates: tuple[Candidate, ...]  # candidates of the wanted kinds, offsets into the passage
    leans: bool  # "It ...", "The company ...", "the ... show" asked for, a surname: needs the sentence before
    restates: bool = False  # nearly all its words are the question's: it repeats the question (a quiz's)


@dataclass(frozen=True, slots=True)
class Quote:
    """The quote chosen: one or two consecutive sentences of one passage.

    Attributes:
        text: the quoted text, as in the passage (at most ``MAX_QUOTE_CHARS`` characters).
        passage: the index of the passage among those given (0 = the first shown).
        spans: ``(start, end)`` offsets into that passage's text, one per sentence.
        score: how well it answers (comparable within one question only).
    """

    text: str
    passage: int
    spans: tuple[tuple[int, int], ...]
    score: float


def term_weights(analysis: QuestionAnalysis, idf: Mapping[str, float], context_weight: float = 1.0) -> dict[str, float]:
    """Each content term of the question and its weight: the index's idf (floored a little above 0), times
    ``context_weight`` for terms only in the question's lead-in sentences."""
    out = {}
    for t in analysis.terms:
        w = max(float(idf.get(t, _UNKNOWN_WEIGHT) or _UNKNOWN_WEIGHT), 0.01)
        out[t] = w * context_weight if t in analysis.context else w
    return out


def read_passages(
    analysis: QuestionAnalysis,
    texts: Sequence[str],
    weights: Mapping[str, float],
    *,
    limit: int = EXTRACT_LIMIT,
    words: Sequence[Runs | None] | None = None,
    least: float = 0.0,
    decay: float = 1.0,
) -> list[list[Sentence]]:
    """:func:`read_passage` for each passage, looking for candidates only where they may matter.

    Candidate extraction is most of the cost, so it runs only in the sentences whose vote would weigh at least
    0.15 of the best sentence's (the overlap, times ``decay`` for each passage down, as the vote weighs it), at
    most ``limit`` of them, most weight first (higher passages first among equals): weaker sentences can hardly
    be quoted, and their votes would be small.

    Args:
        analysis: the question's analysis.
        texts: the passages' texts, best first.
        weights: :func:`term_weights` of the question.
        limit: at most this many sentences get candidates.
        words: each passage's word runs (``tokenize_spans``) when the caller has them (a highlighted hit's
            ``words``), so the passages are not tokenized again; None for any not at hand.
        least: of those ``limit`` sentences, the ones with less overlap than this get no candidates either
            (the caller would not read them: a vote's floor); which sentences are chosen does not change.
        decay: what a sentence's overlap is multiplied by for each passage down, in choosing them (the
            vote's ``rank_decay``; 1 ranks by overlap alone).

    Returns:
        Each passage's sentences, in order.
    """
    runs = list(words or ()) + [None] * (len(texts) - len(words or ()))
    read = [read_passage(analysis, t, weights, floor=math.inf, runs=r) for t, r in zip(texts, runs, strict=False)]
    wanted = accepts(analysis)
    if not wanted:
        return read
    _definite_leans(analysis, texts, read)
    top = max((s.overlap for ss in read for s in ss), default=0.0)
    floor = top * _EXTRACT_SHARE
    ranked = sorted(
        (
            (s.overlap * decay**p, -p, -i)
            for p, ss in enumerate(read)
            for i, s in enumerate(ss)
            if s.overlap * decay**p >= floor
        ),
        reverse=True,
    )
    for _, p, i in ranked[:limit]:
        s, text = read[-p][-i], texts[-p]
        if s.overlap < least:
            continue
        cands = tuple(_shift(c, s.start) for c in _wanted(text[s.start : s.end], analysis, wanted, analysis.plural))
        fit = max((wanted[c.kind] for c in cands), default=0.0)
        leans = s.leans or (analysis.kind == PERSON and -i > 0 and _surname(cands, text, read[-p][-i - 1]))
        # Made directly: dataclasses.replace costs three times as much, for each of a dozen sentences.
        read[-p][-i] = Sentence(s.start, s.end, s.words, s.overlap, s.closeness, fit, cands, leans, s.restates)
    return read


def _definite_leans(analysis: QuestionAnalysis, texts: Sequence[str], read: list[list[Sentence]]) -> None:
    """Mark as leaning on the sentence before those that call the asked-for thing by its noun ("the wildly
    popular show", "the university"): such a sentence answers the question's words, the one before names it."""
    pattern = _definite(analysis.focus[0]) if analysis.kind in _NAMED and len(analysis.focus) == 1 else None
    if pattern is None:
        return
    for text, sentences in zip(texts, read, strict=False):
        # The noun is rare in a passage and "the" is everywhere: find the noun, then look behind it.
        for m in pattern.finditer(text):
            at = m.start()
            if (at and text[at - 1].isalnum()) or not _after_the(text[max(0, at - 60) : at]):
                continue
            for j, s in enumerate(sentences):
                if s.start <= at < s.end:
                    sentences[j] = s._replace(leans=True)
                    break


_NAMED = frozenset({PERSON, PLACE, ORG, NAME})


@lru_cache(maxsize=256)
def _definite(noun: str) -> re.Pattern[str] | None:
    """The asked-for noun and its plural, as a pattern (None for a focus that is no word)."""
    if not noun.isalpha():
        return None
    # No leading \b: a pattern that starts with its literal is searched for fast; the start is checked after.
    return re.compile(rf"{re.escape(noun.lower())}(?:s|es)?\b")


def _after_the(before: str) -> bool:
    """True when ``before`` ends with "the" and at most four words ("the wildly popular South Korean ")."""
    k = max(before.rfind("the "), before.rfind("The "))
    return k >= 0 and (k == 0 or not before[k - 1].isalnum()) and _WORDS.fullmatch(before, k + 4) is not None


_WORDS = re.compile(r"(?:[\w’'-]+ ){0,4}")


def _surname(cands: Sequence[Candidate], text: str, prev: Sentence) -> bool:
    """True when a one-word name among ``cands`` ("Spielberg") is the end of a longer name in the sentence
    before ("Steven Spielberg"): that sentence says who is meant."""
    before = text[prev.start : prev.end]
    for c in cands:
        one_word = " " not in c.text and c.text[:1].isupper() and c.text in before
        if one_word and re.search(rf"[A-Z][\w’'.-]* {re.escape(c.text)}\b", before):
            return True
    return False


def read_passage(
    analysis: QuestionAnalysis,
    text: str,
    weights: Mapping[str, float],
    *,
    floor: float = 0.0,
    runs: Runs | None = None,
) -> list[Sentence]:
    """Split a passage into sentences and read each against the question (terms, proximity, candidates).

    Args:
        analysis: the question's analysis.
        text: the passage text.
        weights: :func:`term_weights` of the question.
        floor: candidates are looked for only in sentences holding at least this share of the question's
            term weight (and some of it); ``math.inf`` skips them.
        runs: ``tokenize_spans(text)`` when the caller already has it.

    Returns:
        The passage's sentences in order.
    """
    spans = sentence_spans(text)
    if not spans:
        return []
    total = sum(weights.values()) or 1.0
    wanted = accepts(analysis) if floor != math.inf else None
    if runs is None:
        runs = tokenize_spans(text)
    out: list[Sentence] = []
    r, last = 0, len(runs)
    for start, end in spans:
        positions: list[tuple[int, str]] = []
        matched: dict[str, None] = {}  # in the order found (a set's order follows the hash seed: so would the sum)
        n = 0
        while r < last:
            run = runs[r]
            if run[0] >= end:
                break
            for term in run[2]:
                if term in weights:
                    positions.append((n, term))
                    matched[term] = None
                n += 1
            r += 1
        overlap = closeness = 0.0
        if matched:
            overlap = sum(weights[t] for t in matched) / total
            if len(matched) > 1:
                closeness = min(1.0, len(matched) / (positions[-1][0] - positions[0][0] + 1))
        cands: tuple[Candidate, ...] = ()
        fit = 0.0
        if wanted and matched and overlap >= floor:
            cands = tuple(_shift(c, start) for c in _wanted(text[start:end], analysis, wanted))
            fit = max((wanted[c.kind] for c in cands), default=0.0)
        leans = _LEANS_AT.match(text, start, end) is not None
        restates = n >= _SHORT_WORDS and len(positions) >= _RESTATES * n and overlap >= _RESTATES
        out.append(Sentence(start, end, n, overlap, closeness, fit, cands, leans, restates))
    return out


def _wanted(text: str, analysis: QuestionAnalysis, wanted: Mapping[str, float], pairs: bool = False) -> list[Candidate]:
    """The candidates of the wanted kinds in one sentence; for a count, spans of time written with a figure too
    ("sentenced to 25 years" answers "how many years", though "25 years" is a date's to "when")."""
    if NUMBER in wanted and DATE not in wanted:
        found = [as_count(c) for c in extract(text, analysis.known, pairs=pairs, kinds=(*wanted, DATE))]
    else:
        found = extract(text, analysis.known, pairs=pairs, kinds=wanted)
    return [c for c in found if c.kind in wanted]


def _shift(c: Candidate, by: int) -> Candidate:
    return Candidate(c.text, c.kind, c.start + by, c.end + by, c.key, c.near)


def sentence_score(
    s: Sentence, text: str, params: QuoteParams, fit: float | None = None, *, answered: bool = False
) -> float:
    """How well one sentence answers: idf overlap, raised by proximity and by a candidate of the wanted kind.

    A sentence that asks ("...?", often the quiz question itself, quoted) or restates the question without a
    candidate of the wanted kind does not answer it: it scores 0, unless ``answered`` (a question quoted with
    the sentence after it, as Q&A pieces and quizzes give their answers). A teaser cut off with an ellipsis
    scores low.
    """
    if s.overlap <= 0 or (s.restates and not answered and not (s.fit if fit is None else fit)):
        return 0.0
    score = s.overlap * (1 + params.proximity * s.closeness)
    score *= 1 + params.kind_bonus * (s.fit if fit is None else fit)
    if s.words < _SHORT_WORDS:
        score *= _SHORT_PENALTY
    sentence = text[s.start : s.end].rstrip("\"'”’)")
    if sentence.endswith("?") and not answered:
        return 0.0
    if sentence.endswith(("...", "…")):
        score *= _TEASER_PENALTY
    return score


def choose_quote(
    analysis: QuestionAnalysis,
    passages: Sequence[str],
    idf: Mapping[str, float],
    *,
    params: QuoteParams = QuoteParams(),  # frozen, so sharing the default is safe
    read: Sequence[list[Sentence]] | None = None,
    leader: Collection[str] = (),
    require_leader: bool = False,
) -> Quote | None:
    """Choose the quote among the sentences of the shown passages.

    Every sentence of every passage competes; its score (:func:`sentence_score`) is discounted by the passage's
    rank. A sentence that leans on the one before ("The company announced ...") is quoted with it when both fit
    in ``MAX_QUOTE_CHARS``; the pair then counts the candidates of both. Longer units are never quoted.

    Args:
        analysis: the question's analysis (:func:`index.answer.question.analyse`).
        passages: the shown passages' texts, best first.
        idf: the index's idf for the question's terms (terms it lacks weigh like a common word).
        params: the weights.
        read: :func:`read_passages` of the passages, when the caller already has it.
        leader: the ways the short answer's vote leader is written (``index.answer.short.vote``'s ``forms``),
            shown or not; units holding one count ``1 + params.leader_bonus`` times more.
        require_leader: only units holding the leader compete (when it is shown as the short answer, the quote
            should back it); None when no unit holds it.

    Returns:
        The quote, or None when no sentence shares a word with the question.
    """
    if read is None:
        read = read_passages(analysis, passages, term_weights(analysis, idf, params.context_weight))
    # Each form also without full stops: "U.S. Open" is the "US Open" another passage writes.
    forms = list({g for f in leader for g in (f.lower(), f.lower().replace(".", ""))})
    best: Quote | None = None
    lengths = [s.words for ss in read for s in ss]
    average = max(1.0, sum(lengths) / len(lengths)) if lengths else 1.0
    for p, text in enumerate(passages):
        decay = params.rank_decay**p
        for i in range(len(read[p])):
            score, spans = _unit(read[p], i, text, params)
            score *= decay / (1 + params.length_norm * (read[p][i].words / average - 1))
            if spans[-1][1] - spans[0][0] > MAX_QUOTE_CHARS or score <= 0:
                continue
            quoted = text[spans[0][0] : spans[-1][1]]
            low = quoted.lower() if forms else ""
            if forms and any(f in low for f in forms):
                score *= 1 + params.leader_bonus
            elif require_leader:
                continue
            if best is None or score > best.score:
                best = Quote(quoted, p, spans, score)
    return best


def _unit(
    sentences: list[Sentence], i: int, text: str, params: QuoteParams
) -> tuple[float, tuple[tuple[int, int], ...]]:
    """The score and spans of what sentence ``i`` would be quoted as: alone, with the one before it leans on,
    or (a question) with the answer after it; never with a multiple-choice option ("... a fish? A. Spider")."""
    s = sentences[i]
    score = sentence_score(s, text, params)
    spans: tuple[tuple[int, int], ...] = ((s.start, s.end),)
    if s.leans and i > 0 and s.end - sentences[i - 1].start <= MAX_QUOTE_CHARS:
        prev = sentences[i - 1]
        # Quoted together, the pair answers as well as its better half, and names what the other names.
        fit = max(s.fit, prev.fit)
        pair = max(sentence_score(s, text, params, fit), sentence_score(prev, text, params, fit))
        if pair >= score:
            return pair, ((prev.start, prev.end), (s.start, s.end))
    nxt = sentences[i + 1] if i + 1 < len(sentences) else None
    asks = text[s.start : s.end].rstrip("\"'”’)").endswith("?")
    if nxt is not None and asks and nxt.end - s.start <= MAX_QUOTE_CHARS and not _OPTION.match(text, nxt.start):
        pair = sentence_score(s, text, params, max(s.fit, nxt.fit), answered=True) * _ANSWERED
        if pair > score:
            return pair, ((s.start, s.end), (nxt.start, nxt.end))
    return score, spans


_OPTION = re.compile(r"[A-Da-d][.)]\s")  # "A. Spider": a quiz's option, not its answer
