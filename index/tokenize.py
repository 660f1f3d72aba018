"""The one tokenizer for passages and queries: fold, lowercase, split, drop stopwords, stem."""

from __future__ import annotations

import re
import unicodedata
from importlib import resources

import Stemmer

# Bump whenever tokenize() can return different tokens for the same text: the store records it and a
# mismatch forces the passages' tokens and the postings to be rebuilt.
TOKENIZER_VERSION = 1

STOPWORDS: frozenset[str] = frozenset(resources.files("index").joinpath("stopwords.txt").read_text().split())

# Runs of word characters joined by hyphens, apostrophes, dots or commas: one cheap regex pass over the text;
# the per-run rules below are cached, so each distinct run is analysed once. The quantifiers are possessive
# because giving back a word character can never let a joiner (never a word character) match: the same runs,
# without the backtracking bookkeeping (13% less time in the regex, on the passages answers read).
_RUN = re.compile(r"\w++(?:[-'.,\u2019\u2018\u02bc\u2010\u2011]\w++)*+")
_ABBR = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # U.S  U.K  e.g  (the final dot is not part of the run)
_NUM = re.compile(r"\d+(?:[.,]\d+)*[^\W\d_]*")  # 2,000  1.13bn  3rd  2022
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"})
_POINTS = re.compile(r"[.,]")
_stemmer = Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Compatibility-decompose (NFKD), strip accents and recompose: "Málaga" -> "Malaga". Case is kept."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _COMBINING.sub("", unicodedata.normalize("NFKD", text)))


def _word(raw: str, keep_caps: bool, out: list[str]) -> None:
    """Append the term for one word (no hyphens or dots), unless it is a stopword."""
    low = raw.lower()
    if low in STOPWORDS:
        # "US", "IT", "WHO" written in capitals in mixed-case text are names, not stopwords.
        if not (keep_caps and raw.isupper() and len(raw) > 1):
            return
    elif low.endswith("'s"):
        low = low[:-2]
    if "'" in low:
        low = low.replace("'", "")
    if not low or (len(low) == 1 and not low.isdigit()):
        return
    out.append(low if low.isdigit() or "_" in low else _stemmer.stemWord(low))


def _terms(run: str, keep_caps: bool) -> tuple[str, ...]:
    """The terms for one run of the text (uncached).

    Each test is guarded by what its pattern needs (a dot, a leading digit, a joiner), so a plain word skips
    them all: every word a process reads for the first time comes through here.
    """
    if not run.isascii():  # the apostrophes and hyphens the table maps, and the accents, are all non-ASCII
        run = fold(run).translate(_APOS)
    dotted = "." in run
    if dotted and _ABBR.fullmatch(run):
        return (run.replace(".", "").lower(),)
    if run[:1].isdigit() and _NUM.fullmatch(run):  # isdigit() holds for every character \d matches
        return (run.replace(",", "").lower(),)
    out: list[str] = []
    if not dotted and "," not in run and "-" not in run:
        _word(run, keep_caps, out)
        return tuple(out)
    for piece in _POINTS.split(run):
        if not piece:
            continue
        if "-" not in piece:
            _word(piece, keep_caps, out)
            continue
        parts = [p for p in piece.split("-") if p]
        for p in parts:
            if _NUM.fullmatch(p):
                out.append(p.lower())
            else:
                _word(p, keep_caps, out)
        # Keep codes such as COVID-19 or F-35 whole as well as in parts, so either form of a query finds them.
        if len(parts) > 1 and any(c.isdigit() for c in piece) and any(c.isalpha() for c in piece):
            out.append(piece.lower())
    return tuple(out)


# Run -> terms, one cache per capitals mode. News vocabulary is Zipfian, so a bounded cache serves almost every
# run; it is cleared when full rather than evicted piecemeal, which is cheaper and keeps memory bounded.
_CACHES: tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]] = ({}, {})
_CACHE_MAX = 500_000


def tokenize(text: str) -> list[str]:
    """Turn text into BM25 terms; the same function serves passages, headlines and queries.

    Accents are folded and case lowered; "U.S." and "US" give ``us`` while the word "us" is a stopword;
    numbers keep their digits ("2,000" -> ``2000``, "1.13bn"); "Kim's" gives ``kim``; "COVID-19" gives
    ``covid``, ``19`` and ``covid-19``; English stopwords are dropped and words are Snowball-stemmed.
    """
    if not text.isascii():
        # Composed form first so a decomposed accent does not split a word in the regex below.
        text = unicodedata.normalize("NFC", text)
    keep_caps = not text.isupper()
    cache = _CACHES[keep_caps]
    out: list[str] = []
    for run in _RUN.findall(text):
        terms = cache.get(run)
        if terms is None:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            terms = cache[run] = _terms(run, keep_caps)
        out.extend(terms)
    return out


def tokenize_spans(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """The terms of ``text`` run by run, with each run's offsets: ``(start, end, terms)`` for runs with terms.

    Concatenating the terms gives ``tokenize(text)`` for text already in NFC form (stored text is); answers use
    it to mark the words of a passage that match a query.
    """
    keep_caps = not text.isupper()
    cache = _CACHES[keep_caps]
    out: list[tuple[int, int, tuple[str, ...]]] = []
    for m in _RUN.finditer(text):
        # Subscripting, not .get(): nearly every run is cached, and a miss (an exception) pays for the stemming anyway.
        try:
            terms = cache[m[0]]
        except KeyError:
            run = m[0]
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            terms = cache[run] = _terms(run, keep_caps)
        if terms:
            out.append((m.start(), m.end(), terms))
    return out


def tokens_to_text(tokens: list[str]) -> str:
    """Serialise tokens for storage (tokens never contain whitespace)."""
    return " ".join(tokens)


def text_to_tokens(stored: str) -> list[str]:
    """Inverse of :func:`tokens_to_text`."""
    return stored.split()
