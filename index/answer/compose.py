"""Answers from hits: the quote and short answer, excerpts, confidence and citations, composed into one Answer."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from index.answer.choice import CHOICE, ChoiceParams, choice_articles, choose_passages
from index.answer.parts import QUOTE_PARAMS, AnswerParts, answer_parts
from index.answer.sentences import Sentence, choose_quote, read_passages, term_weights
from index.dates import age, as_of_day, published_day
from index.ingest.split import sentence_spans
from index.models import Answer, AnswerPassage, Citation, Excerpt, Hit, Query, Quote, Results
from index.search.highlight import highlight, query_terms
from index.search.query import EMPTY_MESSAGE
from index.search.timeparse import find_time_expressions, ranking_window
from index.tokenize import tokenize, tokenize_spans

log = logging.getLogger(__name__)

# Sentence scoring: BM25 over the passage's sentences (k1, b as rank-bm25's Okapi defaults), then small
# preferences. They only break near-ties: a sentence holding more of the question's rare words always wins.
_K1 = 1.5
_B = 0.75
_EARLY_BONUS = 0.05  # the first sentence gets this much extra, the last none: leads state the news
_NUMBER_BONUS = 0.15  # "how many ..." questions prefer sentences with a number in them
_SHORT_WORDS = 5  # sentences shorter than this ("Why?", a dateline) are rarely an answer
_SHORT_PENALTY = 0.7
_QUESTION_PENALTY = 0.8  # a sentence that is itself a question seldom answers one

_ASKS_NUMBER = re.compile(
    r"\b(how (many|much|long|old|far|big|large|often|tall|high)|what (percent(age)?|number|share|amount|year|age)"
    r"|which year|in what year|when)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(?i:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
    r"|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|percent)\b"
    # Month names only capitalised: "may" and "march" are also verbs.
    r"|\b(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)

# Confidence: below these the best hit is not shown as an answer (see assess()).
MIN_COVERAGE = 0.5  # share of the question's informative weight the best passage must hold
MIN_COVERAGE_SHORT = 0.99  # with one or two informative terms, all must match
_UNKNOWN_IDF = 10.0
ELLIPSIS = "…"


def annotate(hit: Hit, query: Query, idf: Mapping[str, float] | None = None) -> Hit:
    """Fill ``hit.highlights``, ``hit.matched_terms`` (``index.search.highlight``) and ``hit.best_sentence``.

    The best sentence is the passage's own (a search result's); an answer chooses its quote among all shown
    passages with :func:`compose`.

    Args:
        hit: a search hit; only ``text`` is read.
        query: the parsed query; its ``terms`` and ``title_terms`` are what is marked.
        idf: optional term weights (the index's idf); without them, terms rarer among the passage's
            sentences weigh more.

    Returns:
        The same hit, for chaining.
    """
    highlight(hit, query)
    if hit.matched_terms:
        hit.best_sentence, hit.sentence_score = _best_sentence(hit.text, query, idf, hit.words)
    else:
        hit.best_sentence, hit.sentence_score = None, 0.0
    return hit


def mark_best_sentences(hits: list[Hit], query: Query, idf: Mapping[str, float] | None = None) -> None:
    """Fill ``best_sentence`` (and ``sentence_score``) of search hits that have matches but no sentence yet.

    Search marks words only (``index.search.highlight``); ``newsbot search --json`` also gives each result's
    best sentence, chosen here.

    Args:
        hits: highlighted hits (their ``words`` are reused).
        query: the parsed query.
        idf: optional term weights; see :func:`annotate`.
    """
    for hit in hits:
        if hit.best_sentence is None and hit.matched_terms:
            hit.best_sentence, hit.sentence_score = _best_sentence(hit.text, query, idf, hit.words)


def best_sentence(
    text: str,
    query: Query,
    *,
    idf: Mapping[str, float] | None = None,
    runs: list[tuple[int, int, tuple[str, ...]]] | None = None,
) -> tuple[int, int] | None:
    """The span of the sentence of ``text`` that best answers the query, or None when none matches.

    Args:
        text: the passage.
        query: the parsed query.
        idf: optional term weights; see :func:`annotate`.
        runs: ``tokenize_spans(text)`` when the caller already has it.

    Returns:
        ``(start, end)`` offsets of one whole sentence of ``text`` (whitespace trimmed), or None.
    """
    return _best_sentence(text, query, idf, runs)[0]


def _best_sentence(
    text: str,
    query: Query,
    idf: Mapping[str, float] | None,
    runs: list[tuple[int, int, tuple[str, ...]]] | None,
) -> tuple[tuple[int, int] | None, float]:
    """:func:`best_sentence` and its score (0.0 with no sentence)."""
    wanted = query_terms(query)
    if not wanted:
        return None, 0.0
    sentences = sentence_spans(text)
    if not sentences:
        return None, 0.0
    if runs is None:
        runs = tokenize_spans(text)
    asks = _ASKS_NUMBER.search(query.raw)
    if asks:
        # "how many", "what year": the question's own words say what kind of answer, not what it is about.
        wanted = (wanted - set(tokenize(asks.group()))) or wanted
    # Count the wanted terms of each sentence (runs and sentences are both in text order) and its length.
    counts: list[dict[str, int]] = [{} for _ in sentences]
    lengths = [0] * len(sentences)
    si, last = 0, len(sentences) - 1
    for start, _end, terms in runs:
        while si < last and start >= sentences[si][1]:
            si += 1
        lengths[si] += len(terms)
        for t in terms:
            if t in wanted:
                c = counts[si]
                c[t] = c.get(t, 0) + 1
    weights = _weights(wanted, counts, idf)
    avg_len = max(1.0, sum(lengths) / len(lengths))
    best, best_score = None, 0.0
    n = len(sentences)
    for i, ((start, end), found) in enumerate(zip(sentences, counts, strict=True)):
        if not found:
            continue
        norm = _K1 * (1 - _B + _B * lengths[i] / avg_len)
        score = sum(weights[t] * tf * (_K1 + 1) / (tf + norm) for t, tf in found.items())
        sentence = text[start:end]
        score *= 1 + _EARLY_BONUS * (1 - i / n)
        if asks and _NUMBER.search(sentence):
            score *= 1 + _NUMBER_BONUS
        if lengths[i] < _SHORT_WORDS and len(sentence.split()) < _SHORT_WORDS:
            score *= _SHORT_PENALTY
        if sentence.rstrip("\"'”’)").endswith("?"):
            score *= _QUESTION_PENALTY
        if score > best_score:
            best, best_score = (start, end), score
    return best, best_score


def _weights(wanted: set[str], counts: list[dict[str, int]], idf: Mapping[str, float] | None) -> dict[str, float]:
    """Term weights: the index's idf when given, else an idf over the passage's sentences."""
    if idf is not None:
        # rank-bm25's Okapi idf can be 0 or floored tiny for very common terms; keep them a little above zero
        # so a sentence with them still beats one with nothing.
        return {t: max(float(idf.get(t, 0.0)), 0.01) for t in wanted}
    n = len(counts)
    df = {t: sum(1 for c in counts if t in c) for t in wanted}
    return {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in wanted}


# --- snippets ------------------------------------------------------------------------------------------------


def snippet_span(hit: Hit, width: int = 200) -> tuple[int, int, bool, bool]:
    """The window of ``hit.text`` a snippet shows: around the densest highlights, cut at word boundaries.

    Args:
        hit: an annotated hit (``highlights`` set; without them the window is the passage's start).
        width: the most characters of passage text to show.

    Returns:
        ``(start, end, cut_before, cut_after)``: offsets into ``hit.text`` and whether text was left out on
        each side (the snippet then shows an ellipsis there).
    """
    return _window(hit.text, hit.highlights, 0, len(hit.text), width)


def _window(text: str, spans: list[tuple[int, int]], lo: int, hi: int, width: int) -> tuple[int, int, bool, bool]:
    """The best ``width``-character window of ``text[lo:hi]`` (see :func:`snippet_span`)."""
    lo, hi = _trim(text, lo, hi)
    if hi - lo <= width:
        return lo, hi, False, False
    start = _densest_start([(s, e) for s, e in spans if s >= lo and e <= hi], lo, width)
    end = min(hi, start + width)
    if end == hi:
        start = max(lo, hi - width)
    # Move inwards to whitespace so no word is cut in half.
    if start > lo and not text[start - 1].isspace():
        m = _SPACE.search(text, start, end)
        if m:
            start = m.end()
    if end < hi and not text[end].isspace():
        k = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        if k > start:
            end = k
    start, end = _trim(text, start, end)
    return start, end, start > lo, end < hi


def _densest_start(inside: list[tuple[int, int]], lo: int, width: int) -> int:
    """Where a ``width``-character window holding the most of the spans ``inside`` starts (ties: the earliest)."""
    if not inside:
        return lo
    best_i, best_count, j = 0, 0, 0
    for i, (s, _e) in enumerate(inside):
        j = max(j, i)
        while j + 1 < len(inside) and inside[j + 1][1] - s <= width:
            j += 1
        if j - i + 1 > best_count:
            best_i, best_count = i, j - i + 1
    first, last = inside[best_i][0], inside[best_i + best_count - 1][1]
    if last - lo <= width:
        return lo
    # Some context before the first match, the rest after it.
    return max(lo, first - max(0, width - (last - first)) // 3)


_SPACE = re.compile(r"\s+")


def snippet(
    hit: Hit,
    width: int = 200,
    *,
    mark: Callable[[str], str] | None = None,
    escape: Callable[[str], str] | None = None,
) -> str:
    """A one-line excerpt of the passage around its matches, cut at words with "…" where text was left out.

    Args:
        hit: an annotated hit.
        width: the most characters of passage text to show (the ellipses and marks come on top).
        mark: wraps each matched word, e.g. ``lambda w: f"**{w}**"``; None leaves them unmarked.
        escape: applied to every piece of passage text before marking (a front end's own escaping).

    Returns:
        The snippet, whitespace collapsed to single spaces.
    """
    return excerpt(hit.text, hit.highlights, 0, len(hit.text), width, mark=mark, escape=escape)


def excerpt(
    text: str,
    spans: list[tuple[int, int]],
    lo: int,
    hi: int,
    width: int,
    *,
    mark: Callable[[str], str] | None = None,
    escape: Callable[[str], str] | None = None,
) -> str:
    """At most ``width`` characters of ``text[lo:hi]`` around its highlights, marked and escaped.

    Args:
        text: the passage.
        spans: highlight spans into ``text``.
        lo: where the region starts (a best sentence's start, or 0).
        hi: where it ends.
        width: the most characters of text to keep; longer regions are cut at words with "…".
        mark: wraps each highlighted piece.
        escape: applied to every piece of text before marking.

    Returns:
        The excerpt, whitespace collapsed to single spaces.
    """
    start, end, cut_before, cut_after = _window(text, spans, lo, hi, width)
    return _assemble(text, spans, start, end, cut_before, cut_after, mark, escape)


def _assemble(
    text: str,
    spans: list[tuple[int, int]],
    start: int,
    end: int,
    cut_before: bool,
    cut_after: bool,
    mark: Callable[[str], str] | None,
    escape: Callable[[str], str] | None,
) -> str:
    """``text[start:end]`` on one line, highlights marked, with an ellipsis on each side that was cut."""
    out: list[str] = [ELLIPSIS] if cut_before else []
    pos = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out.append(_plain(text[pos:s], escape))
        piece = _plain(text[s:e], escape)
        out.append(mark(piece) if mark else piece)
        pos = e
    out.append(_plain(text[pos:end], escape))
    if cut_after:
        out.append(ELLIPSIS)
    return "".join(out)


def _plain(s: str, escape: Callable[[str], str] | None) -> str:
    s = _SPACE.sub(" ", s)
    return escape(s) if escape and s else s


# --- confidence ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Assessment:
    """Whether results are good enough to show as an answer, and what to tell the user when not.

    ``message`` is None when confident; otherwise a short sentence for the user and ``suggestions`` the next
    steps (as short sentences), and ``closest`` the headlines of the nearest hits for "did you mean" lists.
    """

    confident: bool
    coverage: float  # share of the query's informative weight the best hit matches (0..1)
    message: str | None = None
    suggestions: list[str] = field(default_factory=list)
    closest: list[Hit] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # the query's words the best hit lacks, as typed


def assess(results: Results, idf: Mapping[str, float] | None = None) -> Assessment:
    """Decide whether the best hit answers the question well enough to be shown as the answer.

    The best hit must hold at least half of the question's informative weight (all of it when the question has
    one or two informative words); each distinct term weighs its idf when ``idf`` is given, else
    ``1 + log(len(term))`` so longer, rarer-looking words count a little more.

    Args:
        results: a search's results (hits annotated, or they are annotated here).
        idf: optional term weights from the index.

    Returns:
        The assessment; when not confident, a message and next steps for the user.
    """
    query = results.query
    if query.empty:
        return Assessment(False, 0.0, message=EMPTY_MESSAGE)
    if not results.hits:
        terms = list(dict.fromkeys(query.terms + query.title_terms))
        unknown = [t for t in terms if idf is None or not idf.get(t, 0.0) > 0]
        missing = _words_for(query.raw, unknown)
        suggestions = _suggestions(query, missing)
        if results.message and missing == []:
            suggestions = [s for s in suggestions if s != _GENERIC]
        return Assessment(
            False,
            0.0,
            message=results.message or "I couldn't find anything matching that in the archive.",
            suggestions=suggestions,
            missing=missing,
        )
    best = results.hits[0]
    if not best.matched_terms and best.text:
        annotate(best, query, idf)
    weights = _coverage_weights(query, idf)
    total = sum(weights.values()) or 1.0
    matched = set(best.matched_terms) | set(query.title_terms)  # title terms were matched in the headline
    # Passage text may lack a word the headline carries: count words found in the headline too.
    matched |= set(tokenize(best.title)) & set(weights)
    coverage = sum(w for t, w in weights.items() if t in matched) / total
    threshold = MIN_COVERAGE_SHORT if len(weights) <= 2 else MIN_COVERAGE
    if coverage + 1e-9 >= threshold:
        return Assessment(True, coverage)
    missing_terms = [t for t in weights if t not in matched]
    missing = _words_for(query.raw, missing_terms)
    # Only a word the archive has never seen may be misspelt ("August" is in it: no spelling to check).
    unseen = None if idf is None else _words_for(query.raw, [t for t in missing_terms if not idf.get(t)])
    return Assessment(
        False,
        coverage,
        message="I couldn't find a passage that answers that well.",
        suggestions=_suggestions(query, missing, unseen),
        closest=results.hits[:3],
        missing=missing,
    )


def is_confident(results: Results, idf: Mapping[str, float] | None = None) -> bool:
    """True when the best hit is good enough to show as the answer (see :func:`assess`)."""
    return assess(results, idf).confident


def _coverage_weights(query: Query, idf: Mapping[str, float] | None) -> dict[str, float]:
    """What each of the question's terms weighs in the confidence check.

    "much" of "how much" and "many" of "how many" ask, they say nothing of the topic: they weigh nothing. A term
    the index has never seen weighs as the rarest word can (a misspelt name is surely missing), unless it is an
    English word spelt right ("toward" in a small archive): then as much as the question's other words on average.
    """
    terms = dict.fromkeys(query.terms + query.title_terms)
    asking = set(tokenize(" ".join(m.group(1) for m in _HOW.finditer(query.raw)))) if query.raw else set()
    weights = {t: _term_weight(t, idf) for t in terms if t not in asking}
    weights = weights or {t: _term_weight(t, idf) for t in terms}  # "How many?" alone: the word is all there is
    unseen = [t for t, w in weights.items() if w == _UNKNOWN_IDF and idf is not None and not idf.get(t)]
    if not unseen:
        return weights
    # Imported here: the speller's module brings numpy, which the CLI's command registration must not load.
    from index.search.spelling import english_words

    spelt = [t for t in unseen if all(w.lower() in english_words() for w in _words_for(query.raw, [t]))]
    if spelt:
        known = [w for t, w in weights.items() if t not in unseen]
        usual = sum(known) / len(known) if known else 1.0
        weights.update((t, usual) for t in spelt)
    return weights


_HOW = re.compile(r"\bhow (much|many)\b", re.IGNORECASE)


def _term_weight(term: str, idf: Mapping[str, float] | None) -> float:
    if idf is None:
        return 1.0 + math.log(max(len(term), 1))
    value = float(idf.get(term, 0.0))
    # The index reports 0 for a term it has never seen (a misspelt name): as rare as can be, and surely missing.
    return value if value > 0 else _UNKNOWN_IDF


def _words_for(raw: str, terms: list[str]) -> list[str]:
    """The words as the user typed them whose terms are in ``terms`` (for "check the spelling of ...")."""
    found: list[str] = []
    wanted = set(terms)
    for start, end, run_terms in tokenize_spans(raw):
        if wanted.intersection(run_terms):
            word = raw[start:end]
            if word not in found:
                found.append(word)
    return found


def _suggestions(query: Query, missing: list[str], unseen: list[str] | None = None) -> list[str]:
    """What to try next: check the spelling of missing names (of those the archive has never seen, when
    ``unseen`` says which), use fewer or other words, drop the filters."""
    out: list[str] = []
    names = [w for w in missing if w[:1].isupper() and (unseen is None or w in unseen)]
    if names:
        out.append("Check the spelling of " + ", ".join(f"“{w}”" for w in names[:3]) + ".")
    if len(set(query.terms)) > 3:
        out.append("Try fewer words: the names and the key topic are usually enough.")
    elif others := [w for w in missing if w not in names]:
        out.append("Try other words for " + ", ".join(f"“{w}”" for w in others[:3]) + ".")
    if query.sources or query.after or query.before or query.phrases or query.title_terms:
        out.append("Try without the filters or quotes.")
    if not out:
        out.append(_GENERIC)
    return out


_GENERIC = "Try other words, or a name, place or topic from the story."


# --- dates and time windows ----------------------------------------------------------------------------------

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip
# Words that lead a time expression and read badly after "well before" ("well before in March").
_LEAD_WORDS = frozenset({"in", "on", "over", "during", "within", "at", "throughout", "from", "since", "until", "till"})


def time_note(results: Results, as_of: date | datetime | None = None) -> str | None:
    """What to say before the answer when its best evidence lies far outside the time the question asks about.

    A question with a time window ("this week") whose best hit is dated well outside it (more than a week, or
    more than the window's length up to a month) gets "The closest match is from March 2024, well before this
    week."; an undated best hit gets a sentence saying its date is unknown. Questions without time words, and
    hits inside or near the window, get None.

    Args:
        results: the search results (``query.window`` set by the time words, if any).
        as_of: the as-of moment (default ``results.as_of``); used to name the expression as the user wrote it.

    Returns:
        One sentence, or None.
    """
    window = results.query.window
    if window is None or not results.hits:
        return None
    as_of = as_of if as_of is not None else results.as_of
    top = results.hits[0]
    day = published_day(top.published)
    if day is None:
        return f"The closest match is undated, so it may not be from {_window_words(results.query.raw, window, as_of)}."
    start, end = window
    outside = (start - day).days if day < start else (day - end).days if day > end else 0
    length = (end - start).days + 1
    if outside <= max(7, min(length, 30)):
        return None
    side = "before" if day < start else "after"
    # The time words are read again only for a note that is shown: most answers have none, and reading them is
    # most of what this function costs.
    when = _window_words(results.query.raw, window, as_of)
    shown = f"{_MONTH_NAMES[day.month - 1]} {day.year}"
    if outside <= 60:  # weeks away: the exact day helps; months away, the month says enough
        shown = f"{day.day} {shown}"
    return f"The closest match is from {shown}, well {side} {when}."


def _window_words(raw: str, window: tuple[date, date], as_of: date | datetime | None) -> str:
    """The time words of the question that gave ``window`` ("this week"), else the window's dates."""
    if as_of is not None:
        today = as_of_day(as_of)  # the day the searcher resolved the window against
        for e in find_time_expressions(raw, today):
            if ranking_window(e.window, today) != window or e.kind in ("recent", "rolling", "since", "range"):
                continue
            words = e.text.split()
            if len(words) > 1 and words[0].lower() in _LEAD_WORDS:
                words = words[1:]
            return " ".join(words)
    start, end = window
    if start == end:
        return f"{start.day} {_MONTH_NAMES[start.month - 1]} {start.year}"
    return f"the dates you asked about ({start.isoformat()} to {end.isoformat()})"


# --- the answer ----------------------------------------------------------------------------------------------

PASSAGES = 3  # passages per answer page
# Hits an answer reads: the shown passages and a few more, whose agreement the short answer's vote counts
# (redundancy). Every front end searches this many (or more) so they all vote over the same passages.
VOTE_DEPTH = 5
# Characters of passage text an answer shows: the quote, and each passage's excerpt. One budget for every front
# end, so they all show the same words; the narrowest (a chat embed field of 1,024 characters with the citation)
# leaves room for this much text with its escapes and bold marks, and cuts further only for hostile text.
QUOTE_CHARS = 400
EXCERPT_CHARS = 500
_PREFER_SENTENCE = 0.6  # an excerpt ends at a sentence end when that keeps at least this share of what fits


def compose(
    results: Results,
    *,
    question: str | None = None,
    as_of: date | datetime | None = None,
    idf: Mapping[str, float] | None = None,
    passages: int = PASSAGES,
    assessment: Assessment | None = None,
    choice: ChoiceParams | None = CHOICE,
) -> Answer:
    """Compose the answer to a question from its search results: what every front end shows, decided once.

    The quote (one or two sentences of a shown passage, chosen for the kind of answer the question wants) and
    the short answer (voted over the first :data:`VOTE_DEPTH` hits, shown only when the vote is clear and a
    shown passage supports it) come from :func:`index.answer.parts.answer_parts`; each passage gets its excerpt
    (:func:`passage_excerpt`) and citation (:func:`cite`, ages from ``index.dates``), and when the best hit does
    not answer well (:func:`assess`) the answer says so with suggestions and the closest headlines instead.
    Later pages (``results.offset > 0``) were asked for explicitly, so they show their passages regardless (with
    a quote, but no short answer: the vote is the first page's).

    Args:
        results: the search results, best first, at least ``max(passages, VOTE_DEPTH)`` hits when there are
            that many (fewer vote otherwise); highlighted (``Searcher.search`` does it) or not.
        question: the question as asked (default: the query's text).
        as_of: the moment ages count from (default ``results.as_of``; None shows dates without ages).
        idf: the index's term weights (``Searcher.idf``) for the confidence check, the quote and the vote.
        passages: how many passages to show.
        assessment: the confidence verdict when the caller already has it.
        choice: how the first page picks each shown article's passage among its hit and the runner-ups the
            search attached (``Searcher.search(alternates=...)``; ``index.answer.choice``); None shows the hits
            as ranked. Without runner-ups the hits are shown as ranked either way.

    Returns:
        The answer.
    """
    as_of = as_of if as_of is not None else results.as_of
    verdict = assessment if assessment is not None else assess(results, idf)
    answer = Answer(
        question=question if question is not None else results.query.raw,
        as_of=as_of,
        confident=verdict.confident,
        notes=list(results.query.notes),
        corrections=list(results.corrections),
        coverage=verdict.coverage,
        total=results.total,
        offset=results.offset,
        took_ms=results.took_ms,
        generation=results.generation,
    )
    hits = results.hits[:passages]
    if not hits or (results.offset == 0 and not verdict.confident):
        return _no_match(answer, results, verdict)
    answer.message = results.message
    read = results.hits[: max(passages, VOTE_DEPTH)]
    parts = _parts(answer.question, read, len(hits), idf)
    for hit, anchor in zip(hits, parts.anchors, strict=False):
        hit.best_sentence = anchor  # a long passage's excerpt starts at its best sentence
    if results.offset == 0 and choice is not None:
        # The quote and the short answer are read from the search's own passages; the passage quoted stays shown.
        quoted = hits[parts.quote.passage] if parts.quote is not None and parts.quote.passage < len(hits) else None
        chosen = choose_passages(
            answer.question,
            read,
            results.query,
            idf or {},
            shown=len(hits),
            depth=len(read),
            keep=quoted,
            params=choice,
        )
        parts, hits = _renumber(parts, read, chosen), chosen
        parts = _backing_quote(parts, read, hits, idf or {})
    answer.quote = _quote(hits, parts)
    # The hits the parts read are already split into sentences (a runner-up shown instead is split here).
    split = {id(h): ss for h, ss in zip(read, parts.sentences, strict=False)}
    answer.passages = [
        AnswerPassage(h, cite(h, n, as_of), passage_excerpt(h, sentences=split.get(id(h))))
        for n, h in enumerate(hits, 1)
    ]
    if results.offset == 0:
        answer.time_note = time_note(results, as_of)
        _short(answer, parts, hits, len(hits))
    return answer


def _backing_quote(parts: AnswerParts, read: list[Hit], shown: list[Hit], idf: Mapping[str, float]) -> AnswerParts:
    """``parts`` with a quote that backs the short answer from a runner-up the choice shows (an article's lede
    that writes "$20 million"), when the search's own passages had none that does; else ``parts`` as they are."""
    short = parts.short
    extra = [(i, h) for i, h in enumerate(shown) if all(h is not r for r in read)]
    if short is None or not extra:
        return parts
    forms = [f.lower() for f in short.forms or (short.text,)]
    if parts.quote is not None and any(f in parts.quote.text.lower() for f in forms):
        return parts
    qa = parts.analysis
    texts = [h.text for _, h in extra]
    weights = term_weights(qa, idf, QUOTE_PARAMS.context_weight)
    sentences = read_passages(qa, texts, weights, words=[h.words for _, h in extra])
    lead = short.forms or (short.text,)
    quote = choose_quote(qa, texts, idf, params=QUOTE_PARAMS, read=sentences, leader=lead, require_leader=True)
    if quote is None:
        return parts
    return replace(parts, quote=replace(quote, passage=extra[quote.passage][0]))


def _renumber(parts: AnswerParts, read: list[Hit], shown: list[Hit]) -> AnswerParts:
    """``parts`` with the quote's and the short answer's passages numbered among the passages ``shown``
    (they were numbered among the hits ``read``); a short answer whose passage is not shown gets a number past
    them, so it is cited by a shown passage that writes it, or not given."""
    at = {id(h): i for i, h in enumerate(shown)}
    quote, short = parts.quote, parts.short
    if quote is not None:
        quote = replace(quote, passage=at.get(id(read[quote.passage]), len(shown)))
    if short is not None:
        short = replace(short, passage=at.get(id(read[short.passage]), len(read)))
    return replace(parts, quote=quote, short=short)


class _Searches(Protocol):
    """What :func:`ask` needs of a searcher (``index.search.searcher.Searcher`` fits)."""

    def search(self, query: str, k: int = 10, **options: Any) -> Results: ...

    def idf(self, terms: list[str]) -> Mapping[str, float]: ...


def ask(
    searcher: _Searches,
    question: str,
    *,
    as_of: date | datetime | None = None,
    passages: int = PASSAGES,
    choice: ChoiceParams | None = CHOICE,
    **options: Any,
) -> Answer:
    """Search for a question and compose its answer: the one path of `newsbot ask`, and of `newsbot eval`'s
    answer metrics.

    Args:
        searcher: the searcher.
        question: the question as asked.
        as_of: the as-of moment (None: now).
        passages: how many passages to show.
        choice: how each shown article's passage is picked (see :func:`compose`); only with the default
            "blend" sort: ``sort="relevance"`` shows plain BM25's best passages. None turns it off.
        **options: more ``Searcher.search`` options (``sort``, ``sources`` ...).

    Returns:
        The answer, composed from the first ``max(passages, VOTE_DEPTH)`` hits.
    """
    more = runner_up_options(options, passages, choice)
    if not more:
        choice = None
    options.update(more)
    results = searcher.search(question, k=max(passages, VOTE_DEPTH), as_of=as_of, **options)
    q = results.query
    idf = searcher.idf(q.terms + q.title_terms)
    return compose(results, question=question, idf=idf, passages=passages, choice=choice)


def runner_up_options(
    options: Mapping[str, Any], passages: int = PASSAGES, choice: ChoiceParams | None = CHOICE
) -> dict[str, int]:
    """The ``Searcher.search`` options that attach the runner-up passages :func:`compose`'s choice reads: none
    unless the sort is the default "blend" (``relevance`` and ``newest`` show each article's best BM25 passage, as
    ranked), and only for the articles whose passage may change.

    Args:
        options: the ``Searcher.search`` options the front end passes (only ``sort`` is read).
        passages: how many passages the answer shows.
        choice: the passage choice :func:`compose` will make; None for none.

    Returns:
        ``{"alternates": n, "alternates_for": hits}``, or ``{}``.
    """
    if choice is None or choice.alternates <= 0 or options.get("sort", "blend") != "blend":
        return {}
    return {"alternates": choice.alternates, "alternates_for": choice_articles(passages, choice)}


def _no_match(answer: Answer, results: Results, verdict: Assessment) -> Answer:
    """The "nothing answers well" answer: why, what to try, and the nearest headlines (not as answers)."""
    answer.message = verdict.message or results.message or "I found nothing that answers this well."
    answer.suggestions = list(verdict.suggestions)
    closest = verdict.closest or results.hits[:3]
    answer.closest = [cite(h, n, answer.as_of) for n, h in enumerate(closest, 1)]
    return answer


def _parts(question: str, read: list[Hit], shown: int, idf: Mapping[str, float] | None) -> AnswerParts:
    """:func:`index.answer.parts.answer_parts` of the hits (reusing their word runs when highlighted)."""
    texts = [h.text for h in read]
    titles = [h.title or "" for h in read]
    return answer_parts(question, texts, idf or {}, titles=titles, shown=shown, words=[h.words for h in read])


def _quote(hits: list[Hit], parts: AnswerParts) -> Quote | None:
    """The quote chosen by the answer's parts, as offsets into the shown passage it is from."""
    chosen = parts.quote
    if chosen is None or chosen.passage >= len(hits):
        return None
    hit = hits[chosen.passage]
    start, end = chosen.spans[0][0], chosen.spans[-1][1]
    # The quote's passage starts its excerpt at the quote, so the passage shown backs the words quoted.
    hit.best_sentence = (start, end)
    s, e, cut_before, cut_after = _window(hit.text, hit.highlights, start, end, QUOTE_CHARS)
    return Quote(chosen.passage, start, end, Excerpt(s, e, cut_before, cut_after), hit.text[start:end], chosen.spans)


def _short(answer: Answer, parts: AnswerParts, read: list[Hit], shown: int) -> None:
    """Fill the short answer and the shown passage that supports it, when the vote was clear.

    The vote's best supporting passage is cited when it is shown; otherwise the first shown passage (text or
    headline) that writes the answer in one of its forms. When no shown passage does, no short answer is
    given: it could not be cited.
    """
    short = parts.short
    if short is None:
        return
    cited: int | None = short.passage if short.passage < shown else None
    if cited is None:
        forms = [f.lower() for f in (short.forms or (short.text,))]
        cited = next((i for i, h in enumerate(read[:shown]) if _writes(h, forms)), None)
    if cited is None:
        return
    answer.short_answer = short.text
    answer.short_answer_passage = cited
    answer.short_answer_kind = short.kind


def _writes(hit: Hit, forms: list[str]) -> bool:
    """True when the hit's text or headline holds one of ``forms`` (lower case)."""
    text, title = hit.text.lower(), (hit.title or "").lower()
    return any(f in text or f in title for f in forms)


def cite(hit: Hit, number: int, as_of: date | datetime | None = None) -> Citation:
    """The citation of a hit: headline, outlet, UTC day, link, paragraphs, and its age at ``as_of``.

    Args:
        hit: the hit.
        number: the [n] it is shown under.
        as_of: the moment its age counts from; None gives no age.

    Returns:
        The citation; ``age`` is None without ``as_of`` or without a readable date.
    """
    day = published_day(hit.published)
    return Citation(
        number=number,
        title=hit.title or "",
        outlet=hit.outlet,
        day=day,
        url=hit.url,
        paragraph=hit.paragraph,
        paragraph_end=hit.paragraph_end,
        age=age(day, as_of) if day is not None and as_of is not None else None,
        published=hit.published,
        article_id=hit.article_id,
    )


def passage_excerpt(hit: Hit, width: int = EXCERPT_CHARS, *, sentences: Sequence[Sentence] | None = None) -> Excerpt:
    """The part of a passage an answer shows: all of it when short, else from the sentence that matters.

    A long passage starts at the sentence holding its best sentence (else its first match) and ends at a
    sentence end when that keeps most of what fits, else at a word; a single word longer than ``width`` is cut
    inside (there is nowhere else to cut).

    Args:
        hit: an annotated hit.
        width: the most characters of passage text to show.
        sentences: the passage's sentences when the caller has read them (``index.answer.sentences``), so it
            is not split again; None splits it here.

    Returns:
        The excerpt, whitespace trimmed at both ends.
    """
    text = hit.text
    lo, hi = _trim(text, 0, len(text))
    if hi - lo <= width:
        return Excerpt(lo, hi)
    anchor = hit.best_sentence or (hit.highlights[0] if hit.highlights else None)
    start = lo
    if anchor is not None and anchor[0] > lo:
        spans = sentence_spans(text) if sentences is None else [(s.start, s.end) for s in sentences]
        start = next((s for s, e in spans if s <= anchor[0] < e), anchor[0])
        start = _trim(text, max(start, lo), hi)[0]
    end = _cut_end(text, start, min(hi, start + width), hi)
    return Excerpt(start, end, start > lo, end < hi)


def _trim(text: str, lo: int, hi: int) -> tuple[int, int]:
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi


def _cut_end(text: str, start: int, limit: int, hi: int) -> int:
    """Where an excerpt from ``start`` ends at the latest ``limit``: a sentence end, else a word end."""
    if limit >= hi:
        return hi
    word = limit if text[limit].isspace() else max(text.rfind(" ", start, limit), text.rfind("\n", start, limit))
    if word <= start:
        return limit  # one enormous word
    word = _trim(text, start, word)[1]
    kept = word - start
    ends = [e for _s, e in sentence_spans(text[start:word]) if _PREFER_SENTENCE * kept <= e < kept]
    return start + ends[-1] if ends else word


def excerpt_text(
    text: str,
    spans: list[tuple[int, int]],
    shown: Excerpt,
    *,
    mark: Callable[[str], str] | None = None,
    escape: Callable[[str], str] | None = None,
) -> str:
    """An excerpt as one line of text: whitespace collapsed, matches marked, "…" where text was left out.

    Args:
        text: the passage.
        spans: highlight spans into ``text``.
        shown: the excerpt (or a quote's shown part).
        mark: wraps each highlighted piece; None leaves them unmarked.
        escape: applied to every piece of text before marking.

    Returns:
        The text.
    """
    return _assemble(text, spans, shown.start, shown.end, shown.cut_before, shown.cut_after, mark, escape)
