"""Article bodies into passages: sentence-aware windows of about 100-150 words with a one-sentence overlap."""

from __future__ import annotations

import re
from typing import NamedTuple

import sentencex

from index.models import Article, Passage

# Bump whenever split_article() can return different passages for the same article: the store records it and a
# mismatch re-splits the stored bodies (no input file is read again).
SPLIT_VERSION = 1

MIN_WORDS = 100  # a window closes once it holds this many words...
MAX_WORDS = 150  # ...and never grows past this many (a single sentence longer than this is cut at words)
MAX_CHARS = 2_000  # a hard cap for text with few spaces (URLs, tables, binary junk a reader let through)
OVERLAP_MAX_WORDS = 40  # the closing sentence is repeated at the start of the next window only if this short

_LANGUAGE = "en"
# sentencex cuts a text over 10 KB (UTF-8) into chunks, and its pieces then leave gaps: at most this many
# characters are surely under that, so they are split from the pieces alone.
_SEGMENT_CHARS = 10 * 1024 // 4
_NONBLANK = re.compile(r"(?:(?!\n\n).)+", re.DOTALL)  # runs of text between blank lines


class _Sentence(NamedTuple):
    start: int  # offsets into the body, whitespace trimmed
    end: int
    paragraph: int  # 0-based
    words: int


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries in ``text``, whitespace trimmed, as ``(start, end)`` offsets.

    Abbreviations (Mr., U.S., Jan.), decimals and quotes are handled by sentencex's English rules; a blank
    line always ends a sentence.

    Args:
        text: any text, one paragraph or several.

    Returns:
        Non-empty, non-overlapping spans in order; ``[]`` for blank text.
    """
    spans: list[tuple[int, int]] = []
    append = spans.append
    if len(text) <= _SEGMENT_CHARS:
        # The pieces alone (no dict per sentence: a third cheaper). They are the boundaries' texts, in order and
        # without gaps, so their lengths give the offsets; the check keeps that true whatever sentencex does.
        pos = 0
        for piece in sentencex.segment(_LANGUAGE, text):
            size = len(piece)
            stripped = piece.lstrip()
            if stripped:
                start = pos + size - len(stripped)
                append((start, start + len(stripped.rstrip())))
            pos += size
        if pos == len(text):
            return spans
        spans.clear()
    for b in sentencex.get_sentence_boundaries(_LANGUAGE, text):
        piece: str = b["text"]
        stripped = piece.lstrip()
        if not stripped:
            continue
        start = b["start_index"] + len(piece) - len(stripped)
        append((start, start + len(stripped.rstrip())))
    return spans


def _cut(body: str, start: int, end: int, words: int, paragraph: int, out: list[_Sentence]) -> None:
    """Append ``body[start:end]`` as sentences, cutting one that is too long at word (else character) limits."""
    if words <= MAX_WORDS and end - start <= MAX_CHARS:
        out.append(_Sentence(start, end, paragraph, words))
        return
    # Equal pieces rather than full ones plus a stub, so no piece is a meaningless tail of two words.
    pieces = -(-words // MAX_WORDS)
    per_piece = -(-words // pieces)
    chunk = re.compile(rf"\S+(?:\s+\S+){{0,{per_piece - 1}}}")
    for m in chunk.finditer(body, start, end):
        s, e = m.span()
        while e - s > MAX_CHARS:
            # Few or no spaces: cut at the last space before the cap, else mid-token (the text is junk anyway).
            cap = s + MAX_CHARS
            space = body.rfind(" ", s + 1, cap)
            cut = space if space > s else cap
            piece_words = len(body[s:cut].split())
            out.append(_Sentence(s, cut, paragraph, piece_words))
            s = cut
            while s < e and body[s].isspace():
                s += 1
        if s < e:
            out.append(_Sentence(s, e, paragraph, len(body[s:e].split())))


def _sentences(article: Article) -> tuple[str, list[_Sentence]]:
    """The body and its sentences (long ones already cut), with body offsets and paragraph numbers."""
    body = article.body
    starts: list[int] = []  # where each paragraph starts in the body
    offset = 0
    for para in article.paragraphs:
        starts.append(offset)
        offset += len(para) + 2  # the "\n\n" that joins paragraphs in Article.body
    out: list[_Sentence] = []
    k = 0  # paragraph of the current sentence; sentences come in order, so it only moves forward
    last = len(starts) - 1
    # One call over the whole body: sentencex ends a sentence at every blank line, and per-call overhead
    # dominates when articles have dozens of short paragraphs.
    for s, e in sentence_spans(body):
        while k < last and starts[k + 1] <= s:
            k += 1
        if k < last and e > starts[k + 1]:
            # A span across a paragraph break (not expected from sentencex): cut it there.
            for piece_start, piece_end in _by_paragraph(body, s, e):
                while k < last and starts[k + 1] <= piece_start:
                    k += 1
                _cut(body, piece_start, piece_end, len(body[piece_start:piece_end].split()), k, out)
            continue
        _cut(body, s, e, len(body[s:e].split()), k, out)
    return body, out


def _by_paragraph(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """``body[start:end]`` cut at blank lines, each piece whitespace trimmed."""
    spans = []
    for m in _NONBLANK.finditer(body, start, end):
        s, e = m.span()
        text = body[s:e]
        lead = len(text) - len(text.lstrip())
        if text.strip():
            spans.append((s + lead, s + lead + len(text.strip())))
    return spans


def split_article(article: Article) -> list[Passage]:
    """Cut an article's body into overlapping, sentence-aligned passages.

    Windows grow sentence by sentence until they hold ``MIN_WORDS`` words, never past ``MAX_WORDS`` (only a
    single sentence longer than that is cut, at word boundaries); the last sentence of a window opens the next
    one when it is short. A body of at most ``MAX_WORDS`` words gives one passage, and a short remainder is
    folded into the last window rather than left as a stub.

    Args:
        article: the article as read; its ``body`` is what the offsets point into.

    Returns:
        Passages in order (``ordinal`` from 0) with ``body[char_start:char_end] == text`` and 1-based
        paragraph numbers; ``[]`` when the body is blank.
    """
    body, sents = _sentences(article)
    n = len(sents)
    if not n:
        return []
    # Words from sentence k to the end, to decide when the rest fits in the current window.
    rest = [0] * (n + 1)
    for k in range(n - 1, -1, -1):
        rest[k] = rest[k + 1] + sents[k].words

    passages: list[Passage] = []
    i = 0
    while i < n:
        j = _window_end(sents, rest, i)
        start, end = sents[i].start, sents[j - 1].end
        passages.append(
            Passage(
                ordinal=len(passages),
                text=body[start:end],
                paragraph=sents[i].paragraph + 1,
                paragraph_end=sents[j - 1].paragraph + 1,
                char_start=start,
                char_end=end,
            )
        )
        if j >= n:
            break
        i = j - 1 if _overlap(sents, i, j) else j
    return passages


def _window_end(sents: list[_Sentence], rest: list[int], i: int) -> int:
    """Where the window opening at sentence ``i`` ends (exclusive): ``MIN_WORDS`` reached, ``MAX_WORDS`` kept."""
    n = len(sents)
    j = i
    total = 0
    while j < n:
        sent = sents[j]
        if j > i and (total + sent.words > MAX_WORDS or sent.end - sents[i].start > MAX_CHARS):
            break
        total += sent.words
        j += 1
        if total >= MIN_WORDS:
            if total + rest[j] <= MAX_WORDS and sents[n - 1].end - sents[i].start <= MAX_CHARS:
                return n  # the remainder fits: take it rather than leave a stub for a window of its own
            break
    return j


def _overlap(sents: list[_Sentence], i: int, j: int) -> bool:
    """Whether the window ``[i, j)``'s closing sentence also opens the next window.

    Repeating it keeps a fact stated across the cut whole in one of the two passages, unless it would make a
    window of its own (the next sentence does not fit beside it).
    """
    last, following = sents[j - 1], sents[j]
    return (
        j - 1 > i
        and last.words <= OVERLAP_MAX_WORDS
        and last.words + following.words <= MAX_WORDS
        and following.end - last.start <= MAX_CHARS
    )
