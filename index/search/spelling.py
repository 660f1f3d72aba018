"""Typo tolerance from the index's own vocabulary: an unknown query term becomes the closest known one."""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from index.models import Correction, Hit, Query
from index.search.postings import Postings
from index.tokenize import fold, tokenize, tokenize_spans

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]+")  # terms made of letters only: numbers and codes are not misspelled words


@dataclass(frozen=True, slots=True)
class Spelling:
    """Settings of the correction (``Searcher.search(correct=False)`` turns it off).

    Attributes:
        min_df: known terms need at least this many passages to be offered: a term seen once is as likely
            to be a typo in an article as a word.
        min_length: shorter unknown terms are left alone (too many known terms lie one edit from them).
        two_edits_from: unknown terms this long or longer may be corrected by two edits, shorter ones by one.
        rare_df: a known term in at most this many passages is also corrected, to a term one edit away found
            ``rare_ratio`` times as often: a large archive holds its own typos ("Twiter", "goverment"), so a
            misspelt query word is often known, just rare. 0 corrects unknown terms only.
        rare_ratio: how many times more passages the correction of a rare known term must have.
        lexicon: leave alone a query word that an English word list knows (pyspellchecker's, shipped inside the
            package): an archive that lacks a word ("country" in a small one) must not turn it into a
            neighbour it holds ("County"). Names and typos are not in the list, so they are still corrected.
    """

    min_df: int = 1
    min_length: int = 4
    two_edits_from: int = 7
    rare_df: int = 20
    rare_ratio: float = 100.0
    lexicon: bool = True


DEFAULT_SPELLING = Spelling()


class Speller:
    """Finds the closest known term to an unknown one: a SymSpell-style index of the vocabulary's deletions.

    Every offered term and each of its one-letter deletions are hashed into one sorted array (built on first
    use, about a second for 190,000 terms); an unknown term's own deletions (one or two letters) are looked up
    in it, and the candidates found are checked with the true (Damerau) edit distance.
    """

    def __init__(self, st: Postings, settings: Spelling = DEFAULT_SPELLING) -> None:
        self._st = weakref.ref(st)  # the cache below must not keep a replaced generation's maps alive
        self.settings = settings
        started = time.perf_counter()
        df = st.term_dfs()
        keys: list[int] = []
        owners: list[int] = []
        for tid in np.flatnonzero(df >= settings.min_df).tolist():
            term = st.vocab.term(tid)
            if len(term) < settings.min_length - 1 or not _LETTERS.fullmatch(term):
                continue
            for variant in {term, *_deletes(term)}:
                keys.append(hash(variant))
                owners.append(tid)
        key_arr = np.asarray(keys, np.int64)
        order = np.argsort(key_arr, kind="stable")
        self._keys = key_arr[order]
        self._owners = np.asarray(owners, np.int32)[order]
        self._df = df
        log.info(
            "spelling index: %d keys for %d terms in %.0f ms",
            len(self._keys),
            len(set(owners)),
            (time.perf_counter() - started) * 1000,
        )

    @property
    def st(self) -> Postings:
        """The generation this speller was built for (alive while a search uses it)."""
        st = self._st()
        if st is None:
            raise RuntimeError("the index generation of this speller was unloaded")
        return st

    def suggest(self, term: str, context: list[str] | None = None) -> str | None:
        """The known term closest to ``term`` (fewest edits, a doubled letter counting half, then most passages).

        Terms of letters only, at least ``min_length`` long, that the index does not know, or knows from at most
        ``rare_df`` passages: then only a term one edit away with ``rare_ratio`` times the passages will do, and
        only if it goes with the ``context`` (the query's other known terms) at least as well as the rare term
        does (a rare name such as "Kwon" stays; "Twiter" becomes "twitter").
        """
        s = self.settings
        if len(term) < s.min_length or not _LETTERS.fullmatch(term):
            return None
        tid = self.st.term_id(term)
        known = self.st.df(tid) if tid >= 0 else 0
        if known > s.rare_df:
            return None
        limit = 1 if known or len(term) < s.two_edits_from else 2
        best: tuple[float, int, str, int] | None = None
        for cid in self._candidates(term, limit):
            cand = self.st.vocab.term(cid)
            dist = edit_distance(term, cand, limit)
            if dist > limit or cand == term or self._df[cid] < known * s.rare_ratio:
                continue
            # Doubling or undoubling a letter is the commonest slip ("botle", "Wiliams"): it wins a tie.
            key = (dist - 0.5 * (_squeeze(cand) == _squeeze(term)), -int(self._df[cid]), cand, cid)
            if best is None or key < best:
                best = key
        if best is None:
            return None
        if known and context and _support(self.st, tid, context) >= _support(self.st, best[3], context):
            return None
        return best[2]

    def _candidates(self, term: str, limit: int) -> set[int]:
        """Term ids sharing a deletion variant with ``term`` (a superset of those within ``limit`` edits)."""
        variants = {term, *_deletes(term)}
        if limit == 2:
            variants |= {d2 for d1 in list(variants) for d2 in _deletes(d1)}
        probe = np.fromiter((hash(v) for v in variants), np.int64, len(variants))
        lo = np.searchsorted(self._keys, probe, "left")
        hi = np.searchsorted(self._keys, probe, "right")
        return {int(t) for a, b in zip(lo.tolist(), hi.tolist(), strict=True) for t in self._owners[a:b]}


_SPELLERS: weakref.WeakKeyDictionary[Postings, dict[Spelling, Speller]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def speller(st: Postings, settings: Spelling = DEFAULT_SPELLING) -> Speller:
    """The speller of a loaded generation (built once, on first use; dropped with the generation)."""
    with _LOCK:
        by_settings = _SPELLERS.setdefault(st, {})
        got = by_settings.get(settings)
        if got is None:
            got = by_settings[settings] = Speller(st, settings)
        return got


def prepare(searcher: Any) -> None:
    """Build a searcher's speller now (about half a second at 376k passages), not inside the first question
    with a rare word: for processes that serve many questions (the bot's workers, batch runs, evaluation)."""
    # Front ends pass whatever searcher they were given: one without a speller (a stand-in) needs nothing built.
    settings = getattr(searcher, "spelling", None)
    if settings is not None:
        speller(searcher.postings, settings)
        if settings.lexicon:
            english_words()  # 0.15-0.2 s to load


def correct_query(st: Postings, q: Query, settings: Spelling = DEFAULT_SPELLING) -> tuple[Query, list[Correction]]:
    """Replace the query's unknown BM25 terms by their closest known terms.

    Phrases, exclusions and ``title:`` terms are left as written: they say exactly what must (not) occur.

    Args:
        st: the postings (their vocabulary decides what is known).
        q: the parsed query (not modified).
        settings: the correction's parameters.

    Returns:
        The query to search (a copy when something changed) and the corrections made, in query order.
    """
    if not any(st.term_id(t) < 0 or st.df(st.term_id(t)) <= settings.rare_df for t in q.terms):
        return q, []
    sp = speller(st, settings)
    words = _surface_words(q.raw)
    fixes: dict[str, str] = {}
    for t in dict.fromkeys(q.terms):
        typed = fold(words.get(t, t)).casefold()
        context = [o for o in q.terms if o != t]
        got = sp.suggest(t, context)
        if got is None and typed != t and st.term_id(t) < 0:
            # Stemming a misspelt word can cut it further from its stem ("Portishaed" -> "portisha", two edits
            # from "portishead"); the word as typed may be one edit away.
            got = sp.suggest(typed, context)
        # A word spelt right is kept: the archive just does not hold it (often). The list is read only here, when
        # a correction is at stake, so a one-off question without one never loads it.
        if got is not None and not (settings.lexicon and typed in english_words()):
            fixes[t] = got
    if not fixes:
        return q, []
    corrections = [Correction(words.get(t, t), t, c, c) for t, c in fixes.items()]
    return replace(q, terms=[fixes.get(t, t) for t in q.terms], notes=list(q.notes)), corrections


@functools.cache
def english_words() -> Mapping[str, int]:
    """Correctly spelt English words, lower case (pyspellchecker's word list, loaded once per process)."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1).word_frequency.dictionary


def name_corrections(corrections: list[Correction], hits: list[Hit]) -> None:
    """Show each correction as a word the hits use (the index holds stems: "zelenski" reads as "Zelensky")."""
    for c in corrections:
        seen: dict[str, int] = {}
        for hit in hits:
            for start, end, terms in tokenize_spans(hit.title + "\n" + hit.text):
                if c.corrected in terms:
                    word = (hit.title + "\n" + hit.text)[start:end]
                    seen[word] = seen.get(word, 0) + 1
        if seen:
            c.shown = max(seen.items(), key=lambda kv: (kv[1], kv[0].islower()))[0]


def note(corrections: list[Correction]) -> str:
    """The sentence a front end shows: 'Searched for "Zelensky" instead of "Zelenksy".'"""
    parts = [f'"{c.shown}" instead of "{c.word}"' for c in corrections]
    return "Searched for " + ", ".join(parts) + "."


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (adjacent transpositions count once), or ``limit + 1`` beyond ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _support(st: Postings, tid: int, context: list[str], sample: int = 2000) -> float:
    """How many of the context terms a passage holding term ``tid`` holds on average (over a sample of them)."""
    docs = st.postings(tid)[0]
    if len(docs) > sample:
        docs = docs[:: len(docs) // sample + 1]
    if not len(docs):
        return 0.0
    held = np.zeros(len(docs), np.int32)
    for cid in {st.term_id(t) for t in context} - {-1, tid}:
        post = st.postings(cid)[0]
        if len(post):
            pos = np.minimum(np.searchsorted(post, docs), len(post) - 1)
            held += post[pos] == docs
    return float(held.mean())


def _squeeze(term: str) -> str:
    """The term with runs of one letter written once ("bottl" -> "botl")."""
    return re.sub(r"(.)\1+", r"\1", term)


def _deletes(term: str) -> list[str]:
    return [term[:i] + term[i + 1 :] for i in range(len(term))]


def _surface_words(raw: str) -> dict[str, str]:
    """Each term of the raw query text mapped to the word the user typed for it (the first such word)."""
    out: dict[str, str] = {}
    for m in _WORD.finditer(raw):
        word = m.group().strip("'’.-")
        for t in tokenize(word):
            out.setdefault(t, word)
    return out
