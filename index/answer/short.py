"""The short answer: candidates of the wanted kind voted across the top passages, shown only when the vote is clear."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from index.answer.candidates import (
    CANONICAL,
    NOT_CITY_ENDS,
    Candidate,
    full_name,
    is_event,
    on_the_calendar,
    place_type,
    title_before,
)
from index.answer.question import DATE, NAME, NUMBER, ORG, PERSON, PLACE, THING, QuestionAnalysis, accepts
from index.answer.sentences import Sentence, read_passages, term_weights
from index.tokenize import tokenize

_TITLE_LIMIT = 3  # headlines that get candidates


@dataclass(frozen=True, slots=True)
class ShortParams:
    """The vote's settings (chosen by cross-validation in bench/answers.py).

    Attributes:
        min_support: the least total vote weight the winner needs (each passage gives a candidate at most 1).
        min_margin: the winner's weight must be at least this many times the runner-up's.
        rank_decay: each rank down multiplies a passage's votes by this.
        min_overlap: sentences holding less than this share of the question's term weight do not vote.
        open_support: ``min_support`` for open-class questions (``THING``: "which menu item"), whose
            candidates are many and common words, so their votes spread differently; ``inf`` never shows
            them (their leader then only steers the quote).
        open_margin: ``min_margin`` for open-class questions.
        open_passages: an open-class winner must be voted for by at least this many passages (redundancy:
            one passage's phrase is as likely any of its nouns).
        open_far: an open-class phrase far from every question word in its sentence votes this much
            (``Candidate.near``).
        org_name: what a name of no known kind ("Toyota", "Mercedes": a lone capitalised word may be a
            surname, a product or a firm) weighs for a question that asks for an organisation.
    """

    min_support: float = 0.5
    min_margin: float = 1.3
    rank_decay: float = 0.85
    min_overlap: float = 0.15
    open_support: float = 1.5
    open_margin: float = 1.6
    open_passages: int = 1
    open_far: float = 0.5
    org_name: float = 0.75


@dataclass(frozen=True, slots=True)
class ShortAnswer:
    """The winner of the vote.

    Attributes:
        text: the answer as written in its best supporting passage ("Rafael Nadal", "$44 billion").
        kind: its kind (person, place, money, ...).
        passage: the index of its best supporting passage (for the citation).
        span: its ``(start, end)`` offsets in that passage's text.
        support: its total vote weight.
        passages: how many passages voted for it.
        margin: its weight over the runner-up's (``inf`` without a runner-up).
        forms: every way the passages wrote it ("UK", "Britain", "United Kingdom"), for finding it in text.
        open_class: voted for an open-class question (its own thresholds decide whether it is shown).
    """

    text: str
    kind: str
    passage: int
    span: tuple[int, int]
    support: float
    passages: int
    margin: float
    forms: tuple[str, ...] = ()
    open_class: bool = False


@dataclass(slots=True)
class _Tally:
    weight: float = 0.0
    passages: int = 0
    best: tuple[float, int, Candidate] | None = None  # (vote, passage, candidate) of its strongest vote
    forms: set[str] = field(default_factory=set)  # how the candidate was written ("UK", "United Kingdom")


def short_answer(
    analysis: QuestionAnalysis,
    passages: Sequence[str],
    idf: Mapping[str, float],
    *,
    params: ShortParams = ShortParams(),  # frozen, so sharing the default is safe
    read: Sequence[list[Sentence]] | None = None,
    titles: Sequence[str] | None = None,
) -> ShortAnswer | None:
    """Vote for a short answer across passages (redundancy, as in AskMSR), or None when the vote is weak.

    The vote is :func:`vote`'s; the winner is shown only with at least ``params.min_support`` weight and
    ``params.min_margin`` times the runner-up's.

    Each passage votes once per candidate (its strongest mention): the candidate kind's fit to the question,
    times how much of the question its sentence holds (relative to the best sentence of all passages), times
    the passage's rank discount. Variants merge: "Tonga's" counts as "Tonga", and "Nadal" as "Rafael Nadal" when
    both appear. Questions whose answer kind is unknown ("what did the rover find?") get None.

    Args:
        analysis: the question's analysis.
        passages: the top passages' texts, best first (5-10 of them).
        idf: the index's idf for the question's terms.
        params: the vote's thresholds.
        read: :func:`index.answer.sentences.read_passages` of the passages, when the caller already has it.
        titles: the passages' headlines, in the same order: a headline's candidates vote with its passage
            (headlines often name what the story is about, "Mercedes unveils ...").

    Returns:
        The winner with its best supporting passage, or None.
    """
    winner = vote(analysis, passages, idf, params=params, read=read, titles=titles)
    return winner if winner is not None and is_clear(winner, params) else None


def is_clear(winner: ShortAnswer, params: ShortParams) -> bool:
    """True when the vote's winner has the support and the margin to be shown (show none rather than a wrong one)."""
    if winner.open_class:
        return (
            winner.support >= params.open_support
            and winner.margin >= params.open_margin
            and winner.passages >= params.open_passages
        )
    return winner.support >= params.min_support and winner.margin >= params.min_margin


def vote(
    analysis: QuestionAnalysis,
    passages: Sequence[str],
    idf: Mapping[str, float],
    *,
    params: ShortParams = ShortParams(),  # frozen, so sharing the default is safe
    read: Sequence[list[Sentence]] | None = None,
    titles: Sequence[str] | None = None,
) -> ShortAnswer | None:
    """The vote's leader, however weak (see :func:`short_answer` for the vote and the arguments).

    Returns:
        The leading candidate with its support and margin, or None when no candidate got a vote.
    """
    wanted = accepts(analysis)
    if not wanted or not passages:
        return None
    weights = term_weights(analysis, idf)
    read = list(read) if read is not None else read_passages(analysis, passages, weights, decay=params.rank_decay)
    top = max((s.overlap for ss in read for s in ss), default=0.0)
    if top <= 0:
        return None
    own = [len(ss) for ss in read]
    if titles and analysis.kind != THING:
        # A headline sentence below the floor below does not vote: its candidates are not looked for.
        least = params.min_overlap * top
        heads = read_passages(analysis, [t or "" for t in titles], weights, limit=_TITLE_LIMIT, least=least)
        read = [ss + hs for ss, hs in zip(read, heads, strict=False)]
    tallies, described = _tally(analysis, read, passages, titles, own, top, params)
    merged = _merge(tallies)
    for key in described & merged.keys():
        # "Russia's president claimed ... Which Bolshevik leader did he say ...?": the president is who speaks.
        merged[key].weight *= _DESCRIBED
    return _as_shown(_decide(merged, passages), analysis, passages)


def _tally(
    analysis: QuestionAnalysis,
    read: Sequence[list[Sentence]],
    passages: Sequence[str],
    titles: Sequence[str] | None,
    own: Sequence[int],
    top: float,
    params: ShortParams,
) -> tuple[dict[str, _Tally], set[str]]:
    """Each candidate's votes (each passage votes once per candidate, its strongest mention), and the people
    the passages title as the question's lead-in calls someone else (:func:`_described`)."""
    wanted = accepts(analysis)
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    asked = _asked(analysis)
    surnames = _surnames(read) if NAME in wanted else frozenset()
    named = analysis.kind in (PERSON, PLACE, ORG)
    described: set[str] = set()
    aliases: dict[str, str] = {}
    for p, sentences in enumerate(read):
        votes: dict[str, tuple[float, Candidate]] = {}
        for i, s in enumerate(sentences):
            if s.overlap < params.min_overlap * top:
                continue
            # A headline's sentences come after the passage's, their offsets into the headline.
            text = passages[p] if i < own[p] else (titles or ())[p]
            aliases.update(_bracketed(s.candidates, text))
            for c in s.candidates:
                # A surname is its person: it weighs as a person does, nothing where no person answers.
                kind = PERSON if c.kind == NAME and c.key in surnames else c.kind
                if kind not in wanted or (kind == NAME and named and is_event(c.key)):
                    continue  # "the Women's World Cup" is no team, place or person
                if c.kind == PERSON and asked and analysis.context and _described(c, text, analysis, asked):
                    described.add(c.key)
                fit = _fit(c, analysis, params, text, asked)
                weight = params.org_name if kind == NAME and analysis.kind == ORG else wanted[kind]
                vote = weight * fit * (s.overlap / top) * params.rank_decay**p
                if c.key not in votes or vote > votes[c.key][0]:
                    votes[c.key] = (vote, c)
        for key, (vote, c) in votes.items():
            t = tallies[key]
            t.weight += vote
            t.passages += 1
            t.forms.add(c.text)
            if t.best is None or vote > t.best[0]:
                t.best = (vote, p, c)
    for short, name in aliases.items():
        # "the Screen Actors Guild (SAG-AFTRA)": the bracketed name is the one before it, and votes with it.
        if short in tallies and name in tallies and short != name:
            t, into = tallies.pop(short), tallies[name]
            into.weight += t.weight
            into.passages = max(into.passages, t.passages)
    return tallies, described


def _bracketed(cands: Sequence[Candidate], text: str) -> dict[str, str]:
    """Abbreviations a sentence gives in brackets after a name ("Screen Actors Guild (SAG-AFTRA)", "The Writers
    Guild (WGA)"): bracketed key -> the name's key."""
    out = {}
    for a, b in itertools.pairwise(cands):
        if b.start == a.end + 2 and text[a.end : b.start] == " (" and text[b.end : b.end + 1] == ")":
            # Only what abbreviates it ("SAG-AFTRA" starts with S, A, G): "... and Television Producers
            # (AMPTP)" brackets a longer name's abbreviation after the part of it that was read as a name.
            initials = "".join(w[0] for w in a.key.split() if w not in _CONNECTORS)
            if b.text.upper().startswith(initials.upper()):
                out[b.key] = a.key
    return out


def _as_shown(winner: ShortAnswer | None, analysis: QuestionAnalysis, passages: Sequence[str]) -> ShortAnswer | None:
    """The winner as it is shown: an open-class one marked so, a person by the full name the passages give."""
    if winner is not None and analysis.kind == THING:
        winner = replace(winner, open_class=True)
    if winner is not None and analysis.kind == PERSON and " " not in winner.text:
        # "Spielberg" where the passages introduce him as "Steven Spielberg": show the name they introduce.
        longer = full_name(winner.text, passages)
        if longer:
            winner = replace(winner, text=longer, forms=(longer, *winner.forms))
    return winner


_DESCRIBED = 0.5


def _described(c: Candidate, text: str, analysis: QuestionAnalysis, asked: frozenset[str]) -> bool:
    """True when the passage titles a person as the question's lead-in calls someone ("President Vladimir Putin"
    for "Russia's president claimed ..."), and the title is not what is asked: the lead-in's person, not the
    answer."""
    title = title_before(text, c.start)
    if title is None:
        return False
    terms = set(tokenize(title))
    return not terms.isdisjoint(analysis.context) and terms.isdisjoint(asked)


def _surnames(read: Sequence[list[Sentence]]) -> frozenset[str]:
    """The keys of the last words of the people the passages name ("zawahiri", "al zawahiri" for "Ayman
    al-Zawahiri"): news names a person in full once, then by surname, which alone reads as any name."""
    out: set[str] = set()
    for sentences in read:
        for s in sentences:
            for c in s.candidates:
                if c.kind == PERSON:
                    words = c.key.split()
                    out.update(" ".join(words[i:]) for i in range(1, len(words)))
    return frozenset(out)


# How much a listed place of each type answers a question after a finer kind of place: "which city" is seldom
# answered by a country or a state (a story's "UK" or "Texas" outvoting the city it names once), "which state"
# seldom by a country. Places the gazetteer does not list keep their weight.
_PLACE_FIT: dict[str, dict[str, float]] = {
    "city": {"country": 0.3, "state": 0.3, "both": 0.3},
    "state": {"country": 0.3},
    "country": {"state": 0.5},
}


_YEAR = re.compile(r"\b(?:1[6-9]|20)\d{2}\b")
_RELATIVE_DAY = 0.3  # a relative date ("next week") asked for a date: as little as a wrong type of place weighs


def _fit(
    c: Candidate, analysis: QuestionAnalysis, params: ShortParams, text: str = "", asked: frozenset[str] = frozenset()
) -> float:
    """How well a candidate fits what is asked, beyond its kind: the place's type, a count's unit, nearness.
    ``text`` is what the candidate's offsets are into; ``asked``, the terms of the noun the question asks for
    (:func:`_asked`)."""
    if c.kind == NUMBER and _counts_what_is_asked(c, analysis):
        # "How many people ...": "1,000 people" counts what is asked, "215 killed" may not; "1,000 people have been
        # arrested" counts what the question says was done to them, "215 people have been killed" may not.
        return 3.0 if _does_what_is_asked(c, text, analysis) else 2.0
    if asked and c.kind in _NAMED and _says_what_is_asked(c, text, asked):
        return 2.0  # "Which university ...": "Columbia University" says it is one, as a count says its unit
    if not c.near:
        return params.open_far  # an open-class phrase away from every word of the question
    if analysis.detail == "day" and c.kind == DATE and not on_the_calendar(c.text):
        return _RELATIVE_DAY  # "On what date ...?" is not answered by "this week": it depends on when it was written
    if analysis.detail == "year" and c.kind == DATE and not _YEAR.search(c.text):
        return _RELATIVE_DAY  # "In what year ...?" is not answered by "July" or "last month"
    return _place_fit(analysis.detail, c)


def _place_fit(detail: str, c: Candidate) -> float:
    """The weight of a place candidate for the kind of place asked for (1 when nothing says otherwise)."""
    fit = _PLACE_FIT.get(detail)
    if not fit:
        return 1.0
    kind = place_type(c.key)
    if kind is None and detail == "city" and c.key.rsplit(" ", 1)[-1] in NOT_CITY_ENDS and " " in c.key:
        return fit["state"]
    return fit.get(kind, 1.0) if kind else 1.0


def _asked(analysis: QuestionAnalysis) -> frozenset[str]:
    """The terms of the noun a question asks for ("university" of "which university"); none for open-class
    questions, whose candidates are phrases, not names."""
    return frozenset(tokenize(" ".join(analysis.focus))) if analysis.kind != THING else frozenset()


def _says_what_is_asked(c: Candidate, text: str, asked: frozenset[str]) -> bool:
    """True when a name holds the noun asked for ("Columbia University" for "which university"), or that noun
    stands just before it, calling it one ("the social media app TikTok", "the state of Texas")."""
    if _holds(c.text, c.key, asked):
        return True
    m = _LAST_WORD.search(text, max(0, c.start - _BEFORE), c.start)
    return m is not None and _is_asked_word(m.group(1), asked)


@lru_cache(maxsize=65536)
def _is_asked_word(word: str, asked: frozenset[str]) -> bool:
    return not asked.isdisjoint(tokenize(word))


@lru_cache(maxsize=65536)
def _holds(text: str, key: str, asked: frozenset[str]) -> bool:
    """True when a name's words hold one of ``asked``; never for the countries and states the gazetteer lists,
    whose names say nothing of the kind ("United States" for "which state")."""
    return place_type(key) is None and not asked.isdisjoint(tokenize(text))


_BEFORE = 24  # characters before a name searched for the noun that calls it
_LAST_WORD = re.compile(r"\b([A-Za-z]+)\s+(?:of\s+)?$")
_NAMED = frozenset({PERSON, PLACE, ORG, NAME})


def _counts_what_is_asked(c: Candidate, analysis: QuestionAnalysis) -> bool:
    """True when a number's unit word is one of the asking sentence's terms ("1,000 people" for "how many
    people"; not "7.0 earthquake" for "An earthquake struck. How many people were killed?")."""
    words = c.text.split()
    return len(words) > 1 and any(t in analysis.said and t not in analysis.context for t in tokenize(words[-1]))


_AFTER = 30  # characters after a count's unit searched for what the question says was done to them
_HOW_MANY = re.compile(r"\bhow\s+many\s+(.*)", re.IGNORECASE | re.DOTALL)


def _does_what_is_asked(c: Candidate, text: str, analysis: QuestionAnalysis) -> bool:
    """True when the word the question puts after its unit ("arrested" in "how many people have been arrested")
    stands just after the count's unit as well: "1,000 people have been arrested", not "215 people have been
    killed"."""
    unit = tokenize(c.text.split()[-1])
    done = _done_to(analysis.text, unit[-1]) if unit else None
    return done is not None and done in tokenize(text[c.end : c.end + _AFTER])


@lru_cache(maxsize=4096)
def _done_to(question: str, unit: str) -> str | None:
    """The first term after ``unit`` in what follows the question's "how many", else None."""
    m = _HOW_MANY.search(question)
    # "per" is a preposition to this (the stopword list keeps it as a term): "steps per day" says how often.
    terms = [t for t in tokenize(m.group(1)) if t != "per"] if m else []
    return terms[terms.index(unit) + 1] if unit in terms[:-1] else None


def _merge(tallies: dict[str, _Tally]) -> dict[str, _Tally]:
    """Fold a key that is the first or last words of a longer key ("nadal" -> "rafael nadal") into it."""
    keys = sorted(tallies, key=lambda k: -len(k.split()))
    merged: dict[str, _Tally] = {}
    # Longer keys by their first and last word, with their order in ``merged`` (open-class questions have
    # a hundred keys or more: comparing each with every other would be most of the vote's cost).
    ends: dict[str, list[tuple[int, str, list[str]]]] = defaultdict(list)
    for key in keys:
        words = key.split()
        n = len(words)
        into = None
        found = ends.get(words[0], []) + (ends.get(" " + words[-1], []) if n else [])
        for _, longer, lw in sorted(found):
            inside = len(lw) > n and (lw[:n] == words or lw[-n:] == words)
            if inside and (into is None or merged[longer].weight > merged[into].weight):
                into = longer
        if into is None:
            merged[key] = tallies[key]
            entry = (len(merged), key, words)
            ends[words[0]].append(entry)
            ends[" " + words[-1]].append(entry)
            continue
        t, src = merged[into], tallies[key]
        t.weight += src.weight
        t.passages = max(t.passages, src.passages)
    return _fold_acronyms(merged)


def _fold_acronyms(tallies: dict[str, _Tally]) -> dict[str, _Tally]:
    """Fold an acronym into the one name the passages spell it out as ("IOC" -> "International Olympic
    Committee", "EPA" -> "Environmental Protection Agency"): one organisation, not two splitting its vote."""
    short = {k for k, t in tallies.items() if 2 <= len(k) <= 6 and " " not in k and any(f.isupper() for f in t.forms)}
    if not short:
        return tallies  # most votes: an open-class question's hundred phrases are lower case
    spelt: dict[str, list[str]] = defaultdict(list)
    for key in tallies:
        if " " in key:
            words = [w for w in key.split() if w not in _CONNECTORS]
            initials = "".join(w[0] for w in words)
            if len(words) >= 2 and initials in short:
                spelt[initials].append(key)
    for key, into in spelt.items():
        if len(into) == 1:  # one name spelt so: an acronym two names share says neither
            t, long = tallies.pop(key), tallies[into[0]]
            long.weight += t.weight
            long.passages = max(long.passages, t.passages)
    return tallies


_CONNECTORS = frozenset(["of", "and", "for", "the", "&", "on", "in"])


def _decide(tallies: dict[str, _Tally], passages: Sequence[str]) -> ShortAnswer | None:
    if not tallies:
        return None
    ranked = sorted(tallies.items(), key=lambda kv: -kv[1].weight)
    key, win = ranked[0]
    runner = ranked[1][1].weight if len(ranked) > 1 else 0.0
    margin = win.weight / runner if runner > 0 else float("inf")
    if win.best is None:
        return None
    _, p, c = win.best
    # A country's full name, else the longest of the ways one key was written: the most explicit ("United
    # Kingdom" over "UK").
    text = CANONICAL.get(key) or (max(win.forms, key=len) if c.key == key and win.forms else _surface(key, c, passages))
    forms = tuple(sorted(win.forms | {text}, key=len, reverse=True))
    return ShortAnswer(text, c.kind, p, (c.start, c.end), win.weight, win.passages, margin, forms)


def _surface(key: str, c: Candidate, passages: Sequence[str]) -> str:
    """The answer as written: the candidate's text, or the longer merged form when the winner is a longer key."""
    if c.key == key:
        return c.text
    counts = Counter[str]()
    low = key.lower()
    for text in passages:
        i = text.lower().find(low)
        if i >= 0:
            counts[text[i : i + len(key)]] += 1
    return counts.most_common(1)[0][0] if counts else c.text
