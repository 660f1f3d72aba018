"""Structural checks of a loaded generation's arrays: cheap numpy tests that catch damage a reader would misread."""

# Damaged postings rarely fail loudly: 0xFF over offsets.npy reads as offsets of -1, so every term looks empty and
# every query gets "Nothing matches". These checks cost O(terms + passages) plus a strided sample of the postings
# and run on every load; the manifest's checksums cover the rest (index.search.health).

from __future__ import annotations

import numpy as np

TERM_ARRAYS = ("idf", "term_max")  # one value per term
DOC_ARRAYS = ("doc_len", "doc_pid", "doc_article", "doc_day", "doc_ts", "doc_source")  # one value per passage
ARTICLE_ARRAYS = ("art_rowid", "art_story")  # one value per article
REQUIRED = (
    "vocab_offsets",
    "offsets",
    "docs",
    "scores",
    "title_offsets",
    "title_arts",
    "art_first",
    *TERM_ARRAYS,
    *DOC_ARRAYS,
    *ARTICLE_ARRAYS,
)
# Postings are checked on every SAMPLE_STRIDE-th entry: any run of 4 KB or more overwritten in docs.npy or scores.npy
# holds a sample. Measured at 376k passages (23M postings, warm cache): the whole check costs about 10 ms per open,
# mostly page faults of the fresh maps; reading every posting would add ~30 ms per open, which the checksum does once
# instead, in newsbot index and the bot's background check.
SAMPLE_STRIDE = 1024


def structure_problem(
    arrays: dict[str, np.ndarray], params: dict[str, object], vocab_bytes: int, n_sources: int, seg_vocab_bytes: int = 0
) -> str | None:
    """What is structurally wrong with a generation's arrays, or None when they hang together.

    Args:
        arrays: the generation's arrays by name (memory-mapped).
        params: its ``params.json``.
        vocab_bytes: the size of ``vocab.bin``.
        n_sources: entries in ``sources.json``.
        seg_vocab_bytes: the size of ``seg_vocab.bin`` (a grown generation's segment).

    Returns:
        None, or a short reason naming the file, such as ``"offsets.npy: not ascending"``.
    """
    missing = [name for name in REQUIRED if name not in arrays]
    if missing:
        return f"{missing[0]}.npy: missing"
    try:
        n_docs, n_arts = int(params["passages"]), int(params["articles"])  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError):
        return "params.json: no passage or article count"
    checks = (
        lambda: _lengths(arrays, n_docs, n_arts),
        lambda: _csr("vocab_offsets", arrays["vocab_offsets"], vocab_bytes),
        lambda: _csr("offsets", arrays["offsets"], len(arrays["docs"])),
        lambda: _csr("title_offsets", arrays["title_offsets"], len(arrays["title_arts"])),
        lambda: _csr("art_first", arrays["art_first"], n_docs),
        lambda: _within("doc_article", arrays["doc_article"], n_arts),
        lambda: _within("doc_source", arrays["doc_source"], n_sources),
        lambda: _within("title_arts", arrays["title_arts"], n_arts),
        lambda: _within("docs", arrays["docs"][::SAMPLE_STRIDE], n_docs),
        lambda: _finite("scores", arrays["scores"][::SAMPLE_STRIDE]),
        lambda: _finite("idf", arrays["idf"]),
    )
    for check in checks:
        problem = check()
        if problem:
            return problem
    if "segment" in params:
        return _segment_problem(arrays, params, n_docs, n_arts, seg_vocab_bytes)
    return None


SEGMENT_REQUIRED = (
    "seg_vocab_offsets",
    "seg_offsets",
    "seg_docs",
    "seg_tfs",
    "seg_scores",
    "seg_terms",
    "seg_title_offsets",
    "seg_title_arts",
    "cur_idf",
    "cur_df",
    "live",
    "dead_df",
    "tfs",
)


def _segment_problem(
    arrays: dict[str, np.ndarray], params: dict[str, object], n_docs: int, n_arts: int, seg_vocab_bytes: int
) -> str | None:
    """A grown generation's segment: its own CSR arrays, term map, current statistics and live mask (segment.py)."""
    missing = [name for name in SEGMENT_REQUIRED if name not in arrays]
    if missing:
        return f"{missing[0]}.npy: missing"
    try:
        info = params["segment"]
        n_base = int(info["base_passages"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return "params.json: malformed segment"
    n_seg_terms = len(arrays["seg_offsets"]) - 1
    n_terms = len(arrays["cur_idf"])
    expected = {
        "seg_vocab_offsets": n_seg_terms + 1,
        "seg_title_offsets": n_seg_terms + 1,
        "seg_terms": n_seg_terms,
        "seg_tfs": len(arrays["seg_docs"]),
        "seg_scores": len(arrays["seg_docs"]),
        "cur_df": n_terms,
        "live": n_docs,
        "dead_df": len(arrays["offsets"]) - 1,
    }
    for name, length in expected.items():
        arr = arrays[name]
        if arr.ndim != 1 or len(arr) != length:
            return f"{name}.npy: {len(arr) if arr.ndim == 1 else arr.shape} entries, expected {length}"
    checks = (
        lambda: _csr("seg_vocab_offsets", arrays["seg_vocab_offsets"], seg_vocab_bytes),
        lambda: _csr("seg_offsets", arrays["seg_offsets"], len(arrays["seg_docs"])),
        lambda: _csr("seg_title_offsets", arrays["seg_title_offsets"], len(arrays["seg_title_arts"])),
        lambda: _within("seg_terms", arrays["seg_terms"], n_terms),
        lambda: _within("seg_title_arts", arrays["seg_title_arts"], n_arts),
        lambda: _within("seg_docs", np.asarray(arrays["seg_docs"], np.int64) - n_base, n_docs - n_base),
        lambda: _finite("seg_scores", arrays["seg_scores"]),
        lambda: _finite("cur_idf", arrays["cur_idf"]),
    )
    for check in checks:
        problem = check()
        if problem:
            return problem
    return None


def _lengths(arrays: dict[str, np.ndarray], n_docs: int, n_arts: int) -> str | None:
    """Every array has the length its kind requires (terms + 1 offsets, one value per passage, ...)."""
    n_terms = len(arrays["offsets"]) - 1
    expected = {"vocab_offsets": n_terms + 1, "title_offsets": n_terms + 1, "scores": len(arrays["docs"])}
    expected.update(dict.fromkeys(TERM_ARRAYS, n_terms))
    expected.update(dict.fromkeys(DOC_ARRAYS, n_docs))
    expected.update(dict.fromkeys(ARTICLE_ARRAYS, n_arts))
    expected["art_first"] = n_arts + 1
    # Kept for growing the index (index.search.grow); generations written before them have neither.
    if "tfs" in arrays:
        expected["tfs"] = len(arrays["docs"])
    if "art_fp" in arrays:
        expected["art_fp"] = n_arts
    for name, length in expected.items():
        arr = arrays[name]
        if arr.ndim != 1 or len(arr) != length:
            return f"{name}.npy: {len(arr) if arr.ndim == 1 else arr.shape} entries, expected {length}"
    return None


def _csr(name: str, offsets: np.ndarray, end: int) -> str | None:
    """Offsets into another array: from 0, never decreasing, ending at that array's length."""
    if len(offsets) == 0 or int(offsets[0]) != 0 or int(offsets[-1]) != end:
        return f"{name}.npy: does not span its data (0..{end})"
    if len(offsets) > 1 and not bool((offsets[1:] >= offsets[:-1]).all()):
        return f"{name}.npy: not ascending"
    return None


def _within(name: str, values: np.ndarray, n: int) -> str | None:
    """Indexes into something of ``n`` entries."""
    if len(values) and (int(values.min()) < 0 or int(values.max()) >= n):
        return f"{name}.npy: values outside 0..{n - 1}"
    return None


def _finite(name: str, values: np.ndarray) -> str | None:
    if len(values) and not bool(np.isfinite(values).all()):
        return f"{name}.npy: values that are not numbers"
    return None
