"""Terminal rendering: a composed Answer, or a ranked result list, as plain text (matches bold or **marked**)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from index.answer.compose import assess, cite, excerpt_text, snippet
from index.models import Answer, AnswerPassage, Citation, Excerpt, Hit, Results
from index.search.query import EMPTY_MESSAGE

_BOLD, _RESET = "\033[1m", "\033[0m"


def marker(bold: bool) -> Callable[[str], str]:
    """How matched words are marked: ANSI bold on a terminal, else ``**word**``."""

    def mark(word: str) -> str:
        return f"{_BOLD}{word}{_RESET}" if bold else f"**{word}**"

    return mark


def citation_line(c: Citation) -> str:
    """One line naming where a passage is from: headline — outlet, date (age), paragraph N."""
    when = c.day.isoformat() if c.day else "undated"
    if c.age is not None:
        when += f" ({c.age})"
    para = f"paragraph {c.paragraph}"
    if c.paragraph_end != c.paragraph:
        para = f"paragraphs {c.paragraph}-{c.paragraph_end}"
    return f"{c.title or 'Untitled'} — " + ", ".join([c.outlet or "unknown outlet", when, para])


def render_answer(answer: Answer, *, bold: bool = False) -> str:
    """The answer as the bot gives it, as plain text for a terminal.

    Query notes first; then, when nothing answered well, the message, suggestions and closest headlines;
    otherwise the time note, the short answer in bold (when the passages agree on one) with the number of the
    passage that supports it, the quote with the number of the passage it is from, and each passage with its
    citation, link, other outlets and excerpt.

    Args:
        answer: the composed answer.
        bold: mark matches with ANSI bold (a tty) instead of asterisks.

    Returns:
        The text, ending with a newline.
    """
    lines = [f"Note: {note}" for note in answer.notes]
    if not answer.answered:
        return "\n".join(lines + _no_match_lines(answer)) + "\n"
    if answer.time_note:
        lines.append(answer.time_note)
    if lines:
        lines.append("")
    mark = marker(bold)
    if answer.short_answer is not None and answer.short_answer_passage is not None:
        lines.append(f"{mark(' '.join(answer.short_answer.split()))} [{answer.short_answer_passage + 1}]")
    quote = answer.quote
    if quote is not None:
        hit = answer.passages[quote.passage].hit
        lines.append(f"“{excerpt_text(hit.text, hit.highlights, quote.shown, mark=mark)}” [{quote.passage + 1}]")
        lines.append("")
    for passage in answer.passages:
        lines.extend(_passage_lines(passage, mark))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _no_match_lines(answer: Answer) -> list[str]:
    lines = [answer.message or "I couldn't find that.", *answer.suggestions]
    if answer.closest:
        lines += ["", "Closest headlines:"]
        for c in answer.closest:
            when = c.day.isoformat() if c.day else "undated"
            lines.append(f"  - {c.title or 'Untitled'} ({c.outlet or 'unknown outlet'}, {when})")
    return lines


def _passage_lines(passage: AnswerPassage, mark: Callable[[str], str]) -> list[str]:
    c, hit = passage.citation, passage.hit
    lines = [f"[{c.number}] {citation_line(c)}"]
    if c.url:
        lines.append(f"    {c.url}")
    for also in hit.also_in[:3]:
        lines.append(f"    also in {also.get('outlet') or also.get('url') or 'another outlet'}")
    lines.append("    " + excerpt_text(hit.text, hit.highlights, passage.excerpt, mark=mark))
    return lines


def render_results(results: Results, *, bold: bool = False, as_of: date | datetime | None = None) -> str:
    """A ranked list for the terminal: headline, outlet, date, score, snippet and link per article."""
    mark = marker(bold)
    lines = [f"Note: {n}" for n in results.query.notes]
    if results.query.empty:
        return "\n".join([*lines, EMPTY_MESSAGE]) + "\n"
    if not results.hits:
        verdict = assess(results)
        lines.append(results.message or verdict.message or "Nothing matched.")
        lines.extend(verdict.suggestions)
        return "\n".join(lines) + "\n"
    as_of = as_of if as_of is not None else results.as_of
    shown = f"{results.offset + 1}-{results.offset + len(results.hits)}"
    lines.append(f"{shown} of {results.total} matching ({results.took_ms:.1f} ms)")
    lines.append("")
    for n, hit in enumerate(results.hits, results.offset + 1):
        lines.append(f"{n:>2}. {citation_line(cite(hit, n, as_of))}  [score {hit.score:.2f}]")
        lines.append("    " + snippet(hit, 240, mark=mark))
        if hit.url:
            lines.append(f"    {hit.url}")
        if hit.also_in:
            where = ", ".join(str(a.get("outlet") or a.get("url") or "?") for a in hit.also_in[:3])
            lines.append(f"    also ran in: {where}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def batch_hit(hit: Hit) -> dict[str, Any]:
    """A hit as one item of a --batch output line."""
    return {
        "article_id": hit.source_id,
        "url": hit.url,
        "title": hit.title,
        "source": hit.outlet,
        "date": hit.published,
        "passage": hit.text,
        "score": round(hit.score, 6),
    }


def hit_dict(hit: Hit) -> dict[str, Any]:
    """A hit with everything a front end needs: citation, passage, offsets of matches and best sentence."""
    return {
        **batch_hit(hit),
        "paragraph": hit.paragraph,
        "paragraph_end": hit.paragraph_end,
        "snippet": snippet(hit),
        "highlights": [list(s) for s in hit.highlights],
        "best_sentence": list(hit.best_sentence) if hit.best_sentence else None,
        "matched_terms": hit.matched_terms,
        "also_in": hit.also_in,
    }


def answer_dict(answer: Answer) -> dict[str, Any]:
    """`newsbot ask --json`: the Answer as JSON-ready data (the keys scripts used before, plus the rest).

    Args:
        answer: the composed answer.

    Returns:
        A dict for ``json.dumps``.
    """
    quote = answer.quote
    return {
        "question": answer.question,
        "as_of": answer.as_of.isoformat() if answer.as_of is not None else None,
        "took_ms": round(answer.took_ms, 3),
        "total": answer.total,
        "offset": answer.offset,
        "generation": answer.generation,
        "confident": answer.confident,
        "message": answer.message,
        "suggestions": answer.suggestions,
        "notes": answer.notes,
        "corrections": [{"word": c.word, "searched": c.shown} for c in answer.corrections],
        "time_note": answer.time_note,
        "short_answer": answer.short_answer,
        "short_answer_citation": (answer.short_answer_passage + 1 if answer.short_answer_passage is not None else None),
        "short_answer_kind": answer.short_answer_kind,
        "answer": quote.text if quote else None,
        "answer_citation": quote.passage + 1 if quote else None,
        "answer_span": [quote.start, quote.end] if quote else None,
        "answer_spans": [list(s) for s in quote.spans] if quote else None,
        "answer_shown": _excerpt_dict(quote.shown) if quote else None,
        "passages": [_passage_dict(p) for p in answer.passages],
        "closest": [{"title": c.title, "source": c.outlet, "date": c.published} for c in answer.closest],
    }


def _passage_dict(passage: AnswerPassage) -> dict[str, Any]:
    c, hit = passage.citation, passage.hit
    return {
        **hit_dict(hit),
        "citation": c.number,
        "day": c.day.isoformat() if c.day else None,
        "age": c.age,
        "snippet": excerpt_text(hit.text, hit.highlights, passage.excerpt),
        "excerpt": _excerpt_dict(passage.excerpt),
    }


def _excerpt_dict(shown: Excerpt) -> dict[str, Any]:
    return {"start": shown.start, "end": shown.end, "cut_before": shown.cut_before, "cut_after": shown.cut_after}
