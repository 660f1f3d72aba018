"""Passages' token text -> a sorted vocabulary and per-term postings (CSR) with precomputed BM25 scores."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

import numpy as np

from index.search.bm25 import BM25Params, idf_for, term_scores
from index.search.generations import FORMAT_VERSION
from index.tokenize import TOKENIZER_VERSION

# Postings are scored this many at a time, bounding the float64 temporaries of a large build.
SCORE_STEP = 1 << 23


@dataclass(slots=True)
class Encoded:
    """What :meth:`Encoder.finish` produces: the term arrays of a generation and the vocabulary blob.

    ``arrays`` holds vocab_offsets, offsets, docs, tfs, scores, term_max, idf and doc_len (see docs/search.md).
    """

    arrays: dict[str, np.ndarray]
    blob: bytes
    avgdl: float
    n_postings: int

    def meta(self, params: BM25Params, generation: str, passages: int, articles: int) -> dict[str, Any]:
        """The generation's ``params.json``: format, BM25 settings, tokenizer version and counts.

        Args:
            params: the BM25 variant and parameters the scores were computed with.
            generation: the generation's name ("memory" for an in-memory index).
            passages: passages in the index.
            articles: articles in the index.

        Returns:
            The JSON-ready dict.
        """
        return {
            "format": FORMAT_VERSION,
            "generation": generation,
            "bm25": asdict(params),
            "tokenizer_version": TOKENIZER_VERSION,
            "passages": passages,
            "articles": articles,
            "terms": len(self.arrays["vocab_offsets"]) - 1,
            "postings": self.n_postings,
            "avgdl": self.avgdl,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }


class Encoder:
    """Turns passages' token text into (term, passage, tf) triples, a chunk of passages at a time.

    Each chunk is split in one call and mapped to term ids with one C-level dict lookup per token; the
    chunk's (term, passage) pairs are counted with one sort, so no per-token Python object outlives a chunk.
    """

    CHUNK = 32_768
    _SEP = "\x00"  # never a token (tokens are word characters), it marks where a passage ends

    def __init__(self) -> None:
        self.ids: defaultdict[str, int] = defaultdict(count().__next__)
        self.ids[self._SEP]  # id 0
        self._pending: list[str] = []
        self._lens: list[np.ndarray] = []
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n = 0
        self.rank = np.zeros(0, np.int64)

    def add(self, toks: Sequence[str]) -> None:
        """Add the next passage as a token list."""
        self.add_text(" ".join(toks))

    def add_text(self, stored: str) -> None:
        """Add the next passage as its space-separated token text (as the store keeps it)."""
        self._pending.append(stored)
        if len(self._pending) >= self.CHUNK:
            self._flush()

    def term_id(self, term: str) -> int:
        """The insertion id of ``term`` (registered if new); ``rank`` maps it to the sorted vocabulary."""
        return self.ids[term]

    def _flush(self) -> None:
        texts, self._pending = self._pending, []
        if not texts:
            return
        sep = self._SEP
        words = f"{sep} {f' {sep} '.join(texts)} {sep}".split()
        tok = np.fromiter(operator.itemgetter(*words)(self.ids), np.int32, len(words))
        del words
        marks = np.flatnonzero(tok == 0)
        lens = (np.diff(marks) - 1).astype(np.int32)
        tok = tok[tok != 0]
        base = self.n
        self.n += len(texts)
        self._lens.append(lens)
        # (term << 32 | passage): one sort groups the chunk's tokens by term, then passage; runs are the tf.
        key = tok.astype(np.int64) << 32
        key |= np.repeat(np.arange(base, base + len(texts), dtype=np.int64), lens)
        del tok
        key.sort()
        if not len(key):
            return
        new = np.empty(len(key), np.bool_)
        new[0] = True
        np.not_equal(key[1:], key[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        tf = np.diff(starts, append=len(key)).astype(np.int32)
        pairs = key[starts]
        self._chunks.append(((pairs >> 32).astype(np.int32), (pairs & 0xFFFFFFFF).astype(np.int32), tf))

    def finish(self, params: BM25Params, extra_terms: Iterable[str] = ()) -> Encoded:
        """Sort the vocabulary, lay the postings out by term and precompute their scores.

        Args:
            params: the BM25 variant and parameters to score with.
            extra_terms: terms to put in the vocabulary even if no passage holds them (headline-only terms,
                so title: filters can find them).

        Returns:
            The term arrays and vocabulary.
        """
        self._flush()
        for t in extra_terms:
            self.ids[t]
        blob, vocab_offsets = self._vocabulary()
        lens = np.concatenate(self._lens) if self._lens else np.zeros(0, np.int32)
        _, offsets, docs, tfs = self._layout(len(vocab_offsets) - 1)
        arrays, avgdl = scored_arrays(params, vocab_offsets, offsets, docs, tfs, lens)
        return Encoded(arrays, blob, avgdl, int(offsets[-1]))

    def layout(
        self, extra_terms: Iterable[str] = ()
    ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The passages added so far as unscored postings over their own sorted vocabulary (for growing an index).

        Args:
            extra_terms: terms to put in the vocabulary even if no passage holds them (headline-only terms).

        Returns:
            (sorted terms, offsets, docs, tfs, passage lengths): term i's postings are
            ``docs[offsets[i]:offsets[i + 1]]`` with their term frequencies in ``tfs``.
        """
        self._flush()
        for t in extra_terms:
            self.ids[t]
        _, vocab_offsets = self._vocabulary()
        terms = sorted(list(self.ids)[1:])
        _, offsets, docs, tfs = self._layout(len(vocab_offsets) - 1)
        lens = np.concatenate(self._lens) if self._lens else np.zeros(0, np.int32)
        return terms, offsets, docs, tfs, lens

    def _vocabulary(self) -> tuple[bytes, np.ndarray]:
        """The sorted vocabulary as one UTF-8 blob and its offsets; sets ``rank`` (insertion id -> sorted id)."""
        terms = list(self.ids)[1:]  # without the separator
        n_terms = len(terms)
        order = sorted(range(n_terms), key=terms.__getitem__)
        # rank[insertion id] = position in the sorted vocabulary (insertion id 0 is the separator).
        rank = np.empty(n_terms + 1, np.int64)
        rank[0] = -1
        rank[np.asarray(order, np.int64) + 1] = np.arange(n_terms, dtype=np.int64)
        encoded = [terms[i].encode("utf-8") for i in order]
        blob = b"".join(encoded)
        vocab_offsets = np.zeros(n_terms + 1, np.int64)
        np.cumsum([len(e) for e in encoded], out=vocab_offsets[1:])
        self.rank = rank
        return blob, vocab_offsets

    def _layout(self, n_terms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(df, offsets, docs, tfs): the chunks' triples laid out by sorted term id, passages ascending."""
        rank = self.rank
        df = np.zeros(n_terms, np.int64)
        for term, _, _ in self._chunks:
            df += np.bincount(rank[term], minlength=n_terms)
        offsets = np.zeros(n_terms + 1, np.int64)
        np.cumsum(df, out=offsets[1:])
        n_postings = int(offsets[-1])
        docs = np.empty(n_postings, np.int32)
        tfs = np.empty(n_postings, np.int32)
        # Counting sort: chunks come in passage order and are grouped by term inside, so writing each term's
        # group at that term's cursor keeps every term's postings in passage order.
        cursor = offsets[:-1].copy()
        while self._chunks:
            term, doc, tf = self._chunks.pop(0)  # popped so each chunk's memory is freed as it is placed
            r = rank[term]
            new = np.empty(len(term), np.bool_)
            new[:1] = True
            np.not_equal(term[1:], term[:-1], out=new[1:])
            starts = np.flatnonzero(new)
            counts = np.diff(starts, append=len(term))
            within = np.arange(len(term)) - np.repeat(starts, counts)
            pos = cursor[r] + within
            docs[pos] = doc
            tfs[pos] = tf
            cursor[r[starts]] += counts
        return df, offsets, docs, tfs


def compact_tfs(tfs: np.ndarray) -> np.ndarray:
    """Term frequencies in the smallest unsigned type that holds them: kept so scores can be recomputed exactly
    when the collection's statistics change (an index that grows), at a quarter of the scores' size as a rule."""
    top = int(tfs.max()) if len(tfs) else 0
    return tfs.astype(np.min_scalar_type(max(top, 255)), copy=False)


def score_postings(
    params: BM25Params,
    idf: np.ndarray,
    df: np.ndarray,
    offsets: np.ndarray,
    docs: np.ndarray,
    tfs: np.ndarray,
    lens: np.ndarray,
    avgdl: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each posting's BM25 contribution and each term's largest one, from the collection's statistics.

    Args:
        params: the BM25 variant and parameters.
        idf: each term's idf.
        df: each term's document frequency.
        offsets: the CSR offsets (term i's postings are ``offsets[i]:offsets[i + 1]``).
        docs: each posting's passage number.
        tfs: each posting's term frequency.
        lens: each passage's length in tokens.
        avgdl: the mean passage length.

    Returns:
        (scores as float32 aligned with ``docs``, each term's largest score).
    """
    n_postings = len(docs)
    n_terms = len(df)
    scores = np.empty(n_postings, np.float32)
    term_max = np.zeros(n_terms, np.float32)
    if n_postings:
        dl = lens.astype(np.float64)
        term_of = np.repeat(np.arange(n_terms, dtype=np.int32), df)
        for a in range(0, n_postings, SCORE_STEP):
            b = min(n_postings, a + SCORE_STEP)
            d = docs[a:b]
            scores[a:b] = term_scores(params, idf[term_of[a:b]], tfs[a:b], dl[d], avgdl)
        del term_of
        present = np.flatnonzero(df > 0)
        term_max[present] = np.maximum.reduceat(scores, offsets[:-1][present])
    return scores, term_max


def scored_arrays(
    params: BM25Params,
    vocab_offsets: np.ndarray,
    offsets: np.ndarray,
    docs: np.ndarray,
    tfs: np.ndarray,
    lens: np.ndarray,
) -> tuple[dict[str, np.ndarray], float]:
    """A generation's postings arrays, every posting scored from the collection's own N, avgdl and df; and avgdl.

    The one place a full build and a merge of a grown index turn term frequencies into stored scores.
    """
    n = len(lens)
    df = np.diff(offsets)
    avgdl = int(lens.sum()) / n if n else 0.0
    idf = idf_for(params, df, n)
    scores, term_max = score_postings(params, idf, df, offsets, docs, tfs, lens, avgdl)
    arrays = {
        "vocab_offsets": vocab_offsets,
        "offsets": offsets,
        "docs": docs,
        "tfs": compact_tfs(tfs),
        "scores": scores,
        "term_max": term_max,
        "idf": idf,
        "doc_len": lens,
    }
    return arrays, avgdl
