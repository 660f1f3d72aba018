"""Where a query matched a hit: highlight spans and matched terms (what any front end marks), no sentence choice."""

from __future__ import annotations

from index.models import Hit, Query
from index.tokenize import tokenize_spans


def query_terms(query: Query) -> set[str]:
    """The terms a hit's text is marked for: the query's free terms and its ``title:`` terms."""
    return set(query.terms) | set(query.title_terms)


def highlight(hit: Hit, query: Query) -> Hit:
    """Fill ``hit.highlights``, ``hit.matched_terms`` and ``hit.words`` for the query (in place).

    ``hit.words`` keeps the passage's word runs (``tokenize_spans``), so what reads the passage next (the
    answer's sentence choice) does not tokenize it again.

    Args:
        hit: a search hit; only ``text`` is read.
        query: the parsed query; its ``terms`` and ``title_terms`` are what is marked.

    Returns:
        The same hit, for chaining.
    """
    wanted = query_terms(query)
    runs = hit.words if hit.words is not None else tokenize_spans(hit.text)
    spans: list[tuple[int, int]] = []
    matched: set[str] = set()
    for start, end, terms in runs:
        # Most runs are one word: a membership test, not a set built per word (this runs for every word shown).
        if len(terms) == 1:
            if terms[0] not in wanted:
                continue
            matched.add(terms[0])
        elif wanted.isdisjoint(terms):
            continue
        else:
            matched.update(wanted.intersection(terms))
        spans.append((start, end))
    hit.words = runs
    hit.highlights = merge_spans(hit.text, spans)
    hit.matched_terms = [t for t in dict.fromkeys(query.terms + query.title_terms) if t in matched]
    return hit


def merge_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join highlights separated only by spaces, so a matched phrase is marked as one run (never across lines)."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        # Only spaces between them (a gap holding a line break is never all spaces).
        if out and not text[out[-1][1] : start].strip(" "):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out
