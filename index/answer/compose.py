"""Answers from hits: matched words, the sentence that answers, snippets, confidence, and a terminal rendering."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from index.dates import age, as_of_day, published_day
from index.ingest.split import sentence_spans
from index.models import Hit, Query, Results
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
_BOLD, _RESET = "\033[1m", "\033[0m"


def annotate(hit: Hit, query: Query, idf: Mapping[str, float] | None = None) -> Hit:
    """Fill ``hit.highlights``, ``hit.matched_terms`` and ``hit.best_sentence`` for the query (in place).

    Args:
        hit: a search hit; only ``text`` is read.
        query: the parsed query; its ``terms`` and ``title_terms`` are what is marked.
        idf: optional term weights (the index's idf); without them, terms rarer among the passage's
            sentences weigh more.

    Returns:
        The same hit, for chaining.
    """
    wanted = _query_terms(query)
    runs = tokenize_spans(hit.text)
    spans: list[tuple[int, int]] = []
    matched: set[str] = set()
    for start, end, terms in runs:
        hits = wanted.intersection(terms)
        if hits:
            matched.update(hits)
            spans.append((start, end))
    hit.highlights = _merge(hit.text, spans)
    hit.matched_terms = [t for t in dict.fromkeys(query.terms + query.title_terms) if t in matched]
    hit.best_sentence, hit.sentence_score = _best_sentence(hit.text, query, idf, runs) if matched else (None, 0.0)
    return hit


# The quote may come from a lower-ranked passage when its best sentence answers clearly better; each rank down
# costs this factor, so the top passage keeps the quote unless another's sentence is markedly stronger.
QUOTE_RANK_DECAY = 0.8


def quote_index(hits: list[Hit]) -> int | None:
    """Which of the shown hits to quote: the best sentence among them, with a preference for higher ranks.

    Args:
        hits: annotated hits, best first.

    Returns:
        The index into ``hits`` of the hit whose ``best_sentence`` is quoted, or None when none has one.
    """
    best, best_score = None, 0.0
    for i, hit in enumerate(hits):
        if hit.best_sentence is None:
            continue
        score = hit.sentence_score * QUOTE_RANK_DECAY**i
        if best is None or score > best_score:
            best, best_score = i, score
    return best


def _query_terms(query: Query) -> set[str]:
    return set(query.terms) | set(query.title_terms)


def _merge(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join highlights separated only by spaces, so a matched phrase is marked as one run."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and text[out[-1][1] : start].strip(" ") == "" and "\n" not in text[out[-1][1] : start]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


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
    wanted = _query_terms(query)
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
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    if hi - lo <= width:
        return lo, hi, False, False
    inside = [(s, e) for s, e in spans if s >= lo and e <= hi]
    start = lo
    if inside:
        # The window of `width` characters holding the most highlights (ties: the earliest).
        best_i, best_count, j = 0, 0, 0
        for i, (s, _e) in enumerate(inside):
            j = max(j, i)
            while j + 1 < len(inside) and inside[j + 1][1] - s <= width:
                j += 1
            if j - i + 1 > best_count:
                best_i, best_count = i, j - i + 1
        first, last = inside[best_i][0], inside[best_i + best_count - 1][1]
        if last - lo > width:
            # Some context before the first match, the rest after it.
            start = max(lo, first - max(0, width - (last - first)) // 3)
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
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end, start > lo, end < hi


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
    weights = {t: _term_weight(t, idf) for t in dict.fromkeys(query.terms + query.title_terms)}
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
    return Assessment(
        False,
        coverage,
        message="I couldn't find a passage that answers that well.",
        suggestions=_suggestions(query, missing),
        closest=results.hits[:3],
        missing=missing,
    )


def is_confident(results: Results, idf: Mapping[str, float] | None = None) -> bool:
    """True when the best hit is good enough to show as the answer (see :func:`assess`)."""
    return assess(results, idf).confident


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


def _suggestions(query: Query, missing: list[str]) -> list[str]:
    out: list[str] = []
    names = [w for w in missing if w[:1].isupper()]
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


# --- terminal rendering --------------------------------------------------------------------------------------


def citation(hit: Hit, as_of: date | datetime | None = None) -> str:
    """One line naming where a passage is from: headline — outlet, date (age at ``as_of``), paragraph N."""
    when = _date(hit.published)
    if as_of is not None and published_day(hit.published) is not None:
        when += f" ({age(hit.published, as_of)})"
    parts = [hit.outlet or "unknown outlet", when]
    para = (
        f"paragraph {hit.paragraph}"
        if hit.paragraph_end == hit.paragraph
        else (f"paragraphs {hit.paragraph}-{hit.paragraph_end}")
    )
    parts.append(para)
    return f"{hit.title or 'Untitled'} — " + ", ".join(parts)


def _date(published: str | None) -> str:
    day = published_day(published)
    return day.isoformat() if day else "undated"


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
    when = _window_words(results.query.raw, window, as_of)
    top = results.hits[0]
    day = published_day(top.published)
    if day is None:
        return f"The closest match is undated, so it may not be from {when}."
    start, end = window
    outside = (start - day).days if day < start else (day - end).days if day > end else 0
    length = (end - start).days + 1
    if outside <= max(7, min(length, 30)):
        return None
    side = "before" if day < start else "after"
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


def render_answer(
    results: Results,
    *,
    bold: bool = False,
    passages: int = 3,
    width: int = 320,
    idf: Mapping[str, float] | None = None,
    as_of: date | datetime | None = None,
) -> str:
    """The answer as the bot gives it, as plain text for a terminal.

    The best sentence is quoted first, then the top passages with numbered citations (headline, outlet, date
    and its age at the as-of moment, paragraph, URL). When the question names a time ("this week") and the best
    evidence is far from it, a sentence says so before the quote. Matched words are marked in ANSI bold when
    ``bold`` (a tty), else as ``**word**``. When nothing matches well enough, it says so and suggests a next step
    instead of showing weak passages.

    Args:
        results: the search results (hits annotated).
        bold: mark matches with ANSI bold instead of asterisks.
        passages: how many passages to show.
        width: the most characters of each passage to show.
        idf: the index's term weights, for the confidence check (see :func:`assess`).
        as_of: the moment ages count from (default ``results.as_of``; None shows dates without ages).

    Returns:
        The text, ending with a newline.
    """

    def mark(word: str) -> str:
        return f"{_BOLD}{word}{_RESET}" if bold else f"**{word}**"

    as_of = as_of if as_of is not None else results.as_of

    lines: list[str] = []
    for note in results.query.notes:
        lines.append(f"Note: {note}")
    verdict = assess(results, idf)
    if not verdict.confident:
        lines.append(verdict.message or "I couldn't find that.")
        lines.extend(verdict.suggestions)
        if verdict.closest:
            lines.append("")
            lines.append("Closest headlines:")
            for hit in verdict.closest:
                outlet = hit.outlet or "unknown outlet"
                lines.append(f"  - {hit.title or 'Untitled'} ({outlet}, {_date(hit.published)})")
        return "\n".join(lines) + "\n"
    note = time_note(results, as_of)
    if note:
        lines.append(note)
    if lines:
        lines.append("")
    shown = results.hits[:passages]
    q = quote_index(shown)
    if q is not None:
        quoted = shown[q]
        s, e = quoted.best_sentence  # type: ignore[misc]  # quote_index only picks hits that have one
        quote = excerpt(quoted.text, quoted.highlights, s, e, width, mark=mark)
        lines.append(f"“{quote}” [{q + 1}]")
        lines.append("")
    for n, hit in enumerate(shown, 1):
        lines.append(f"[{n}] {citation(hit, as_of)}")
        if hit.url:
            lines.append(f"    {hit.url}")
        for also in hit.also_in[:3]:
            lines.append(f"    also in {also.get('outlet') or also.get('url') or 'another outlet'}")
        lines.append("    " + snippet(hit, width, mark=mark))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
