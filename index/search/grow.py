"""Growing the index: a new generation from the current one plus the articles added, changed or removed since."""

# A full rebuild reads and tokenizes every stored passage again (about 12 s at 376k passages, 52 s at 1M). Here only
# the articles that changed are read from the store; the current generation's postings (passage numbers and term
# frequencies) are merged with theirs in a few vectorised numpy passes, and every score is computed again from the
# new collection's N, avgdl and df, with the same functions as a full build: the result is exactly the generation
# a full rebuild would write, up to the numbering of passages (removed ones are dropped, new ones appended).

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index import store
from index.search import build, generations
from index.search.bm25 import BM25Params, idf_for
from index.search.build import (
    BuildInfo,
    _indexed_texts,
    _save,
    _write_bytes,
    article_facts,
    article_fingerprint,
    built_info,
    change_stamp,
)
from index.search.encode import Encoder, score_postings, scored_arrays
from index.search.generations import FORMAT_VERSION, current_generation, index_dir
from index.search.postings import IndexMissing, Postings, SearchError, _Vocabulary
from index.store import indexed_article_stamps, indexed_articles_of, passage_tokens_of, read_snapshot
from index.tokenize import TOKENIZER_VERSION, text_to_tokens

log = logging.getLogger(__name__)

# Past this share of the passages changed, a full rebuild costs about the same and leaves no numbering gaps.
REBUILD_SHARE = 0.25
# A grown generation's base arrays: hard-linked from the generation it grew from, never rewritten or re-read.
BASE_FILES = (
    "vocab.bin",
    "vocab_offsets.npy",
    "offsets.npy",
    "docs.npy",
    "tfs.npy",
    "scores.npy",
    "term_max.npy",
    "idf.npy",
    "title_offsets.npy",
    "title_arts.npy",
)
# Of those, the ones a growth never reads in full (their checksums are carried, not recomputed).
LINKED = frozenset({"docs.npy", "tfs.npy", "scores.npy", "title_arts.npy"})


@dataclass(slots=True)
class _Delta:
    """What changed in the store since a generation was built."""

    keep_art: np.ndarray  # bool per article of the generation: still current
    added: list[int]  # articles.id to add (new, or changed and removed above), ascending
    meta: dict[int, tuple[str, str | None, str | None, str | None]]  # id -> title tokens, published, outlet, url
    was_live: np.ndarray | None = None  # bool per article: in the generation's index (None: all of them)
    stamp: str | None = None  # the store was read at or after this (see change_stamp): the next diff's "since"

    @property
    def removed(self) -> int:
        """Articles of the generation that go (gone from the store, or changed and re-added)."""
        gone = ~self.keep_art if self.was_live is None else self.was_live & ~self.keep_art
        return int(gone.sum())

    @property
    def empty(self) -> bool:
        return not self.added and self.removed == 0


@dataclass(slots=True)
class _Added:
    """The added articles' passages, encoded over their own sorted vocabulary (see :meth:`Encoder.layout`)."""

    terms: list[str]
    postings: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # offsets, docs, tfs, passage lengths
    pids: list[int]
    arts: list[int]
    title_terms: dict[int, list[str]]


def update(db_path: str | os.PathLike[str], *, progress: bool = False) -> BuildInfo | None:
    """Bring the search index up to date with the store, growing the current generation when that is cheaper.

    A growth writes a generation that hard-links the current one's base arrays and rewrites only its small segment
    (see :func:`_grow_segment`); :func:`merge` later folds the segment into a full-quality generation, off the
    request path. Falls back to :func:`index.search.build.rebuild` when there is no usable generation to grow (none
    yet, damaged, outdated, written before term frequencies were kept) or when much of the archive changed. The BM25
    settings are the current generation's.

    Args:
        db_path: the SQLite database.
        progress: show a progress bar if a full rebuild is needed.

    Returns:
        What was built, or None when the index already matched the store.

    Raises:
        IndexMissing: there is no database at ``db_path``.
    """
    db_path = store.locate(db_path)
    if not store.exists(db_path):
        raise IndexMissing(f"no database at {db_path}: ingest some articles first with `newsbot index PATH`")
    root = index_dir(db_path)
    started = time.perf_counter()
    with generations.build_lock(root) if root.is_dir() else contextlib.nullcontext():
        base = _growable(db_path)
        if base is not None:
            with read_snapshot(db_path) as conn:
                delta = _diff(conn, base)
                if delta.empty:
                    return None
                if len(delta.added) + delta.removed <= REBUILD_SHARE * max(base.live_articles, 1):
                    return _grow_segment(db_path, conn, base, delta, started)
    # Outside the lock: rebuild takes it itself.
    return build.rebuild(db_path, progress=progress)


def merge_due(db_path: str | os.PathLike[str]) -> bool:
    """True when the generation in service is grown and :func:`merge` should fold its segment in (see
    :func:`index.search.generations.merge_due`)."""
    return generations.merge_due(db_path)


def merge(db_path: str | os.PathLike[str]) -> BuildInfo | None:
    """Fold a grown generation's segment into a full-quality one (every posting scored again, nothing dead).

    O(postings), like a growth before segments (about 4 s at 376k passages, 9 s at 1M): run it off the request path.
    Articles stored since the last growth are taken in too.

    Returns:
        What was built, or None when the generation in service has no segment (or cannot be read: the next update
        rebuilds it).
    """
    db_path = Path(db_path)
    root = index_dir(db_path)
    if not root.is_dir():
        return None
    started = time.perf_counter()
    with generations.build_lock(root):
        gen = _growable(db_path, every_checksum=True)
        if gen is None or gen.segment is None:
            return None
        base = _base_view(gen)
        with read_snapshot(db_path) as conn:
            return _grow(db_path, conn, base, _diff(conn, base), started)


def _growable(db_path: Path, *, every_checksum: bool = False) -> Postings | None:
    """The current generation if it can be grown (it keeps term frequencies and fingerprints), else None.

    ``every_checksum``: also read the base arrays a growth only links (a merge reads them all).
    """
    name = current_generation(db_path)
    if name is None:
        return None
    folder = index_dir(db_path) / name
    try:
        base = Postings.load(folder)
    except SearchError as e:
        log.info("search index %s cannot be grown (%s): rebuilding", name, e)
        return None
    # What is read to write the next generation must still match its checksums; the base arrays that are only
    # hard-linked (never read) keep their manifest entries, so damage in them is still caught by the next check.
    problem = generations.verify_files(folder, checksums=True, skip=() if every_checksum else LINKED)
    if problem:
        log.info("search index %s cannot be grown (%s): rebuilding", name, problem)
        return None
    if "tfs" not in base.arrays or "art_fp" not in base.arrays:
        log.info("search index %s predates growing (no term frequencies): rebuilding", name)
        return None
    return base


def _diff(conn: Any, base: Postings) -> _Delta:
    """Compare the store with ``base``: articles gone, new, or changed (their passages or what the index keeps).

    Every write of an article sets its ``updated_at``, so only articles written since ``base`` read the store (its
    ``stamp``, taken with a margin) or not in it are compared in full (fingerprint and passage ids); the rest is one
    pass over ids. A generation without a stamp (written by an older newsbot) has every article compared.
    """
    stamp = change_stamp()  # before anything is read: what is written later is at or past it
    arr = base.arrays
    art_rowid = np.asarray(arr["art_rowid"])  # a dead article's id is -1: never found
    rows = indexed_article_stamps(conn)
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    since = base.params.get("stamp")
    touched = ~np.isin(ids, art_rowid)
    if since is None:
        touched[:] = True
    elif len(rows):
        touched |= np.asarray([r[1] or "" for r in rows]) >= since
    keep = np.isin(art_rowid, ids[~touched])
    by_id = np.argsort(art_rowid)
    sorted_ids = art_rowid[by_id]
    fp, first, pids = np.asarray(arr["art_fp"]), np.asarray(arr["art_first"]), arr["doc_pid"]
    added, meta = [], {}
    for row in indexed_articles_of(conn, ids[touched].tolist()):
        aid, m, sums = row[0], tuple(row[1:6]), tuple(row[6:9])
        at = int(np.searchsorted(sorted_ids, aid))
        if at < len(sorted_ids) and sorted_ids[at] == aid:
            i = int(by_id[at])
            mine = np.asarray(pids[first[i] : first[i + 1]], np.int64)
            if article_fingerprint(*m) == fp[i] and sums == (len(mine), int(mine.sum()), int((mine * mine).sum())):
                keep[i] = True  # written again, unchanged
                continue
        added.append(aid)
        meta[aid] = m
    was_live = None if base.segment is None else np.asarray(base.segment.art_live, np.bool_)
    return _Delta(keep, added, meta, was_live, stamp)


def _read_added(conn: Any, delta: _Delta, params: BM25Params) -> _Added:
    """The added articles' passages from the store, encoded (headline joined per the title mode)."""
    enc = Encoder()
    pids: list[int] = []
    arts: list[int] = []
    titles = {a: delta.meta[a][0] or "" for a in delta.added}
    for pid, aid, _, text in _indexed_texts(passage_tokens_of(conn, delta.added), titles, params.title):
        enc.add_text(text)
        pids.append(pid)
        arts.append(aid)
    title_terms = {a: text_to_tokens(titles[a]) for a in delta.added}
    terms, offsets, docs, tfs, lens = enc.layout(t for tt in title_terms.values() for t in tt)
    return _Added(terms, (offsets, docs, tfs, lens), pids, arts, title_terms)


def _grow(db_path: Path, conn: Any, base: Postings, delta: _Delta, started: float) -> BuildInfo:
    """Write a full-quality generation, ``base`` merged with what changed, and switch to it (under the build lock)."""
    params = base.bm25
    add = _read_added(conn, delta, params)
    merged = _merge(base, delta, add.terms, add.postings, add.pids, add.arts, add.title_terms)
    root = index_dir(db_path)
    generations.remove_stale(root)
    name = generations.next_generation(root)
    with generations.writing(root, name) as tmp:
        meta = _write(tmp, name, params, merged, base.generation, delta.stamp)
        Postings.load(tmp)  # the structure every reader checks, checked before the manifest vouches for it
    generations.switch_current(root, name)
    generations.prune(root, name)
    info = built_info(root / name, meta, started)
    log.info(
        "merged search index %s -> %s: %d articles added, %d removed, %.2f s",
        base.generation,
        name,
        len(delta.added),
        delta.removed,
        info.seconds,
    )
    return info


def _merge(
    base: Postings,
    delta: _Delta,
    terms: list[str],
    add: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    pids: list[int],
    arts: list[int],
    title_terms: dict[int, list[str]],
) -> dict[str, Any]:
    """The grown generation's arrays, vocabulary and sources."""
    add_offsets, add_docs, add_tfs, add_lens = add
    arr = base.arrays
    blob, vocab_offsets, base_map, add_map = _merge_vocabulary(base, terms)
    n_terms = len(vocab_offsets) - 1
    # Passages and articles of the base that stay, renumbered; the added ones follow them.
    alive = delta.keep_art[np.asarray(arr["doc_article"])]
    doc_new = np.cumsum(alive, dtype=np.int64) - 1
    n_kept_docs = int(alive.sum())
    art_new = np.cumsum(delta.keep_art, dtype=np.int64) - 1
    n_kept_arts = int(delta.keep_art.sum())

    base_docs, base_tfs = np.asarray(arr["docs"]), np.asarray(arr["tfs"])
    keep_post = None
    if n_kept_docs < base.n_passages:  # passages removed: drop their postings and renumber the rest
        keep_post = alive[base_docs]
        base_docs = doc_new[base_docs[keep_post]].astype(np.int32)
        base_tfs = base_tfs[keep_post]
    offsets, (docs, tfs) = _merge_csr(
        n_terms,
        (np.asarray(arr["offsets"]), base_map, keep_post),
        [base_docs, base_tfs],
        (add_offsets, add_map),
        [(add_docs + n_kept_docs).astype(np.int32), add_tfs],
    )
    lens = np.concatenate([np.asarray(arr["doc_len"])[alive], add_lens]).astype(np.int32)
    arrays, avgdl = scored_arrays(base.bm25, vocab_offsets, offsets, docs, tfs, lens)
    arrays.update(_title_merge(base, delta, art_new, n_kept_arts, base_map, n_terms, title_terms, blob, vocab_offsets))
    passages, sources = _passage_merge(base, delta, alive, art_new, n_kept_arts, pids, arts)
    arrays.update(passages)
    return {"arrays": arrays, "blob": blob, "sources": sources, "avgdl": avgdl, "maps": (base_map, add_map)}


def _merge_vocabulary(base: Postings, terms: list[str]) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray]:
    """The union of the base's sorted vocabulary and ``terms`` (sorted): blob, offsets, and both id maps."""
    n_base = len(base.vocab)
    at = [base.vocab.position(t) for t in terms]
    new_terms = [t for t, (_, there) in zip(terms, at, strict=True) if not there]
    ins = np.asarray([pos for pos, there in at if not there], np.int64)  # ascending, as terms are sorted
    # A base term moves up by the number of new terms inserted at or before its position.
    base_map = np.arange(n_base, dtype=np.int64) + np.searchsorted(ins, np.arange(n_base), side="right")
    new_ids = ins + np.arange(len(ins), dtype=np.int64)
    add_map = np.empty(len(terms), np.int64)
    k = 0
    for i, (pos, there) in enumerate(at):
        if there:
            add_map[i] = base_map[pos]
        else:
            add_map[i] = new_ids[k]
            k += 1
    base_offs = np.asarray(base.vocab.offsets)
    encoded = [t.encode("utf-8") for t in new_terms]
    pieces: list[bytes] = []
    last = 0
    for pos, e in zip(ins.tolist(), encoded, strict=True):
        cut = int(base_offs[pos])
        pieces.append(bytes(base.vocab.blob[last:cut]))
        pieces.append(e)
        last = cut
    pieces.append(bytes(base.vocab.blob[last : int(base_offs[-1])]))
    lengths = np.insert(np.diff(base_offs), ins, [len(e) for e in encoded]) if len(ins) else np.diff(base_offs)
    vocab_offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=vocab_offsets[1:])
    return b"".join(pieces), vocab_offsets, base_map, add_map


def _merge_csr(
    n_terms: int,
    base: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    base_values: list[np.ndarray],
    add: tuple[np.ndarray, np.ndarray],
    add_values: list[np.ndarray],
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Two term -> values CSR structures merged over the union vocabulary: per term, the base's kept values, then
    the added ones.

    ``base`` is (offsets, term id map, keep mask over its values or None for all); ``base_values`` are its values
    already filtered by the mask. ``add`` is (offsets, term id map). Both maps keep order, so the base's values stay
    in order and the added ones are inserted at the end of their term's block: one ``np.insert`` pass per array.
    """
    b_offsets, b_map, b_keep = base
    a_offsets, a_map = add
    if b_keep is None:
        kept = np.diff(b_offsets)
    else:
        running = np.zeros(len(b_keep) + 1, np.int64)
        np.cumsum(b_keep, out=running[1:])
        kept = running[b_offsets[1:]] - running[b_offsets[:-1]]
    b_count = np.zeros(n_terms, np.int64)
    b_count[b_map] = kept
    a_count = np.zeros(n_terms, np.int64)
    a_count[a_map] = np.diff(a_offsets)
    offsets = np.zeros(n_terms + 1, np.int64)
    np.cumsum(b_count + a_count, out=offsets[1:])
    at = np.cumsum(b_count)[np.repeat(a_map, np.diff(a_offsets))]  # the end of each added value's term block
    out = []
    for bv, av in zip(base_values, add_values, strict=True):
        dtype = np.result_type(bv.dtype, av.dtype)  # np.insert would cast the added values to the base's type
        out.append(np.insert(np.asarray(bv).astype(dtype, copy=False), at, av.astype(dtype, copy=False)))
    return offsets, out


def _title_merge(
    base: Postings,
    delta: _Delta,
    art_new: np.ndarray,
    n_kept_arts: int,
    base_map: np.ndarray,
    n_terms: int,
    title_terms: dict[int, list[str]],
    blob: bytes,
    vocab_offsets: np.ndarray,
) -> dict[str, np.ndarray]:
    """Headline postings (term -> article numbers) of the kept articles and the added ones."""
    arr = base.arrays
    t_arts = np.asarray(arr["title_arts"])
    keep = delta.keep_art[t_arts]
    lookup = _Lookup(blob, vocab_offsets)
    pairs = sorted(
        (lookup.id(t), n_kept_arts + i) for i, a in enumerate(delta.added) for t in set(title_terms.get(a, []))
    )
    a_terms = np.asarray([p[0] for p in pairs], np.int64)
    a_arts = np.asarray([p[1] for p in pairs], np.int32)
    a_offsets = np.zeros(n_terms + 1, np.int64)
    np.cumsum(np.bincount(a_terms, minlength=n_terms), out=a_offsets[1:])
    offsets, (arts,) = _merge_csr(
        n_terms,
        (np.asarray(arr["title_offsets"]), base_map, keep),
        [art_new[t_arts[keep]].astype(np.int32)],
        (a_offsets, np.arange(n_terms, dtype=np.int64)),
        [a_arts],
    )
    return {"title_offsets": offsets, "title_arts": arts.astype(np.int32)}


class _Lookup:
    """Term ids in a vocabulary blob being written (not yet a loaded generation)."""

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        self._vocab = _Vocabulary(blob, offsets)

    def id(self, term: str) -> int:
        found = self._vocab.lookup(term)
        if found < 0:
            raise AssertionError(f"headline term {term!r} missing from the merged vocabulary")
        return found


def _passage_merge(
    base: Postings,
    delta: _Delta,
    alive: np.ndarray,
    art_new: np.ndarray,
    n_kept_arts: int,
    pids: list[int],
    arts: list[int],
) -> tuple[dict[str, np.ndarray], list[list[str | None]]]:
    """Per-passage and per-article arrays: the kept ones renumbered, the added ones after them; the source list."""
    arr = base.arrays
    sources = [list(s) for s in base.sources]
    n_add = len(delta.added)
    a_day, a_ts, a_src, a_story, a_fp = article_facts([delta.meta[aid] for aid in delta.added], sources)
    number = {aid: n_kept_arts + i for i, aid in enumerate(delta.added)}
    new_art = np.asarray([number[a] for a in arts], np.int32)  # of each added passage
    doc_article = np.concatenate([art_new[np.asarray(arr["doc_article"])[alive]].astype(np.int32), new_art])
    n_arts = n_kept_arts + n_add
    art_first = np.zeros(n_arts + 1, np.int32)
    np.cumsum(np.bincount(doc_article, minlength=n_arts), out=art_first[1:])
    keep = delta.keep_art

    def both(name: str, mask: np.ndarray, added: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(arr[name])[mask], added])

    out = {
        "doc_pid": both("doc_pid", alive, np.asarray(pids, np.int64)),
        "doc_article": doc_article,
        "doc_day": both("doc_day", alive, a_day[new_art - n_kept_arts]),
        "doc_ts": both("doc_ts", alive, a_ts[new_art - n_kept_arts]),
        "doc_source": both("doc_source", alive, a_src[new_art - n_kept_arts]),
        "art_rowid": both("art_rowid", keep, np.asarray(delta.added, np.int64)),
        "art_first": art_first,
        "art_story": both("art_story", keep, a_story),
        "art_fp": both("art_fp", keep, a_fp),
    }
    return out, sources


def _write(
    folder: Path, name: str, params: BM25Params, merged: dict[str, Any], grown_from: str, stamp: str | None
) -> dict[str, Any]:
    """Write a grown generation's files; returns its ``params.json``."""
    arrays = merged["arrays"]
    for key, a in arrays.items():
        _save(folder / f"{key}.npy", a)
    _write_bytes(folder / "vocab.bin", merged["blob"])
    _write_bytes(folder / "sources.json", json.dumps(merged["sources"]).encode("utf-8"))
    meta = {
        "format": FORMAT_VERSION,
        "generation": name,
        "bm25": asdict(params),
        "tokenizer_version": TOKENIZER_VERSION,
        "passages": len(arrays["doc_len"]),
        "articles": len(arrays["art_rowid"]),
        "terms": len(arrays["vocab_offsets"]) - 1,
        "postings": int(arrays["offsets"][-1]),
        "avgdl": merged["avgdl"],
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "grown_from": grown_from,
        "stamp": stamp,
    }
    _write_bytes(folder / "params.json", json.dumps(meta, indent=2).encode("utf-8"))
    return meta


# -- growing by a segment


@dataclass(slots=True)
class _Base:
    """The base part of a generation being grown: its counts and the statistics its stored scores were computed with."""

    generation: str  # the generation whose arrays the base files are (hard links carry them on)
    passages: int
    articles: int
    terms: int
    avgdl: float


def _base_of(gen: Postings) -> _Base:
    seg = gen.params.get("segment")
    if seg is None:
        return _Base(gen.generation, gen.n_passages, gen.n_articles, len(gen.offsets) - 1, float(gen.params["avgdl"]))
    return _Base(
        seg["base_generation"], seg["base_passages"], seg["base_articles"], seg["base_terms"], seg["base_avgdl"]
    )


def _base_view(gen: Postings) -> Postings:
    """A grown generation's base as a plain generation: its own arrays, and the first passages and articles."""
    b = _base_of(gen)
    arrays = {k: gen.arrays[k] for k in (f.removesuffix(".npy") for f in BASE_FILES if f.endswith(".npy"))}
    for k in ("doc_len", "doc_pid", "doc_article", "doc_day", "doc_ts", "doc_source"):
        arrays[k] = gen.arrays[k][: b.passages]
    for k in ("art_rowid", "art_story", "art_fp"):
        arrays[k] = gen.arrays[k][: b.articles]
    arrays["art_first"] = gen.arrays["art_first"][: b.articles + 1]
    params = {k: v for k, v in gen.params.items() if k != "segment"}
    params.update(passages=b.passages, articles=b.articles, avgdl=b.avgdl)
    return Postings(arrays, params, gen.base_vocab, gen.sources, gen.path)


def _segment_view(gen: Postings, b: _Base) -> Postings:
    """A grown generation's segment as a small plain generation of its own (numbered from 0), empty when none."""
    arr = gen.arrays
    if gen.segment is None:
        zi, zl = np.zeros(0, np.int32), np.zeros(0, np.int64)
        arrays = {"vocab_offsets": np.zeros(1, np.int64), "offsets": np.zeros(1, np.int64), "docs": zi, "tfs": zi}
        arrays.update(doc_len=zi, doc_pid=zl, doc_article=zi, doc_day=zi, doc_ts=zl, doc_source=zi)
        arrays.update(art_rowid=zl, art_story=zl, art_fp=zl, art_first=np.zeros(1, np.int32))
        arrays.update(title_offsets=np.zeros(1, np.int64), title_arts=zi)
        blob: Any = b""
    else:
        n0, a0 = b.passages, b.articles
        arrays = {"vocab_offsets": arr["seg_vocab_offsets"], "offsets": arr["seg_offsets"], "tfs": arr["seg_tfs"]}
        arrays["docs"] = np.asarray(arr["seg_docs"]) - n0
        for k in ("doc_len", "doc_pid", "doc_day", "doc_ts", "doc_source"):
            arrays[k] = arr[k][n0:]
        arrays["doc_article"] = np.asarray(arr["doc_article"][n0:]) - a0
        for k in ("art_rowid", "art_story", "art_fp"):
            arrays[k] = arr[k][a0:]
        arrays["art_first"] = np.asarray(arr["art_first"][a0:]) - n0
        arrays["title_offsets"] = arr["seg_title_offsets"]
        arrays["title_arts"] = np.asarray(arr["seg_title_arts"]) - a0
        blob = gen.vocab.seg.blob  # type: ignore[union-attr]
    n = len(arrays["doc_len"])
    arrays.update(scores=np.zeros(len(arrays["docs"]), np.float32), term_max=np.zeros(len(arrays["offsets"]) - 1))
    arrays["idf"] = arrays["term_max"]
    params = {"bm25": asdict(gen.bm25), "passages": n, "articles": len(arrays["art_rowid"]), "generation": "segment"}
    return Postings(arrays, params, _Vocabulary(blob, arrays["vocab_offsets"]), gen.sources)


def _grow_segment(db_path: Path, conn: Any, gen: Postings, delta: _Delta, started: float) -> BuildInfo:
    """Write a grown generation: ``gen``'s base linked, its segment rewritten with what changed; switch to it."""
    b = _base_of(gen)
    add = _read_added(conn, delta, gen.bm25)
    view = _segment_view(gen, b)
    seg_delta = _Delta(delta.keep_art[b.articles :], delta.added, delta.meta)
    merged = _merge(view, seg_delta, add.terms, add.postings, add.pids, add.arts, add.title_terms)
    arrays, meta = _segment_arrays(gen, b, delta, merged, add.terms)
    root = index_dir(db_path)
    generations.remove_stale(root)
    name = generations.next_generation(root)
    meta.update(generation=name, grown_from=gen.generation, stamp=delta.stamp)
    carry: dict[str, tuple[int, dict[str, Any]]] = {}
    with generations.writing(root, name, carry) as tmp:
        assert gen.path is not None
        carry.update(generations.link_files(gen.path, tmp, BASE_FILES))
        for key, a in arrays.items():
            _save(tmp / f"{key}.npy", a)
        _write_bytes(tmp / "seg_vocab.bin", merged["blob"])
        _write_bytes(tmp / "sources.json", json.dumps(merged["sources"]).encode("utf-8"))
        _write_bytes(tmp / "params.json", json.dumps(meta, indent=2).encode("utf-8"))
        Postings.load(tmp)  # the structure every reader checks, checked before the manifest vouches for it
    generations.switch_current(root, name)
    log.info(
        "grew search index %s -> %s: %d articles added, %d removed, segment %d passages, %.2f s",
        gen.generation,
        name,
        len(delta.added),
        delta.removed,
        meta["segment"]["segment_passages"],
        time.perf_counter() - started,
    )
    generations.prune(root, name)
    return built_info(root / name, meta, started)


def _segment_terms(gen: Postings, b: _Base, merged: dict[str, Any], add_terms: list[str]) -> np.ndarray:
    """Each term of the new segment's vocabulary -> its id over base + segment (base terms keep theirs)."""
    base_map, add_map = merged["maps"]
    n_seg = len(merged["arrays"]["vocab_offsets"]) - 1
    base_id = np.full(n_seg, -1, np.int64)
    if gen.segment is not None:  # terms the old segment had: their base ids are known
        old = np.asarray(gen.arrays["seg_terms"], np.int64)
        base_id[base_map] = np.where(old < b.terms, old, -1)
    base_id[add_map] = [gen.base_vocab.lookup(t) for t in add_terms]  # a bisection each: the added articles' terms
    new = base_id < 0
    base_id[new] = b.terms + np.arange(int(new.sum()), dtype=np.int64)
    return base_id


def _base_live(gen: Postings, b: _Base, delta: _Delta) -> tuple[np.ndarray, np.ndarray]:
    """The base passages still live, and per base term how many of its postings are dead (one pass when new ones
    died: the dead postings found by a gather over every base posting, their terms by bisection in the offsets)."""
    doc_article = np.asarray(gen.arrays["doc_article"][: b.passages])
    prev = np.ones(b.passages, np.bool_) if gen.segment is None else np.asarray(gen.segment.live[: b.passages])
    live = prev & delta.keep_art[: b.articles][doc_article]
    if gen.segment is not None and bool((live == prev).all()):
        return live, np.asarray(gen.arrays["dead_df"])
    if bool(live.all()):
        return live, np.zeros(b.terms, np.int64)
    dead_at = np.flatnonzero(~live[gen.docs])
    terms = np.searchsorted(gen.offsets, dead_at, side="right") - 1
    return live, np.bincount(terms, minlength=b.terms).astype(np.int64)


def _segment_arrays(
    gen: Postings, b: _Base, delta: _Delta, merged: dict[str, Any], add_terms: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A grown generation's own arrays (all but the linked base ones) and its ``params.json``."""
    seg = merged["arrays"]
    n0, a0 = b.passages, b.articles
    seg_terms = _segment_terms(gen, b, merged, add_terms)
    live, dead_df = _base_live(gen, b, delta)
    n_terms = b.terms + int((seg_terms >= b.terms).sum())
    seg_df = np.diff(seg["offsets"])
    cur_df = np.zeros(n_terms, np.int64)
    cur_df[: b.terms] = np.diff(np.asarray(gen.offsets, np.int64)) - dead_df
    cur_df[seg_terms] += seg_df
    doc_len = np.concatenate([np.asarray(gen.doc_len[:n0]), seg["doc_len"]]).astype(np.int32)
    n_seg = len(seg["doc_len"])
    n_live = int(live.sum()) + n_seg
    avgdl = (int(doc_len[:n0][live].sum()) + int(seg["doc_len"].sum())) / n_live if n_live else 0.0
    idf = idf_for(gen.bm25, cur_df, n_live)
    scores, _ = score_postings(
        gen.bm25, idf[seg_terms], seg_df, seg["offsets"], seg["docs"], seg["tfs"], seg["doc_len"], avgdl
    )
    rowid = np.asarray(gen.arrays["art_rowid"][:a0]).copy()
    art_live = delta.keep_art[:a0] & (np.ones(a0, np.bool_) if delta.was_live is None else delta.was_live[:a0])
    rowid[~art_live] = -1  # a dead article is no article: lookups by id find only its live version
    arrays = {
        "seg_vocab_offsets": seg["vocab_offsets"],
        "seg_offsets": seg["offsets"],
        "seg_docs": (seg["docs"] + n0).astype(np.int32),
        "seg_tfs": seg["tfs"],
        "seg_scores": scores,
        "seg_terms": seg_terms,
        "seg_title_offsets": seg["title_offsets"],
        "seg_title_arts": (seg["title_arts"] + a0).astype(np.int32),
        "cur_idf": idf,
        "cur_df": cur_df,
        "dead_df": dead_df,
        "live": np.concatenate([live, np.ones(n_seg, np.bool_)]),
        "doc_len": doc_len,
        "doc_article": np.concatenate([gen.arrays["doc_article"][:n0], seg["doc_article"] + a0]).astype(np.int32),
        "art_rowid": np.concatenate([rowid, seg["art_rowid"]]).astype(np.int64),
        "art_first": np.concatenate([gen.arrays["art_first"][:a0], seg["art_first"] + n0]).astype(np.int32),
    }
    for k in ("doc_pid", "doc_day", "doc_ts", "doc_source"):
        arrays[k] = np.concatenate([gen.arrays[k][:n0], seg[k]])
    for k in ("art_story", "art_fp"):
        arrays[k] = np.concatenate([gen.arrays[k][:a0], seg[k]])
    return arrays, _segment_meta(gen, b, arrays, n_live, avgdl)


def _segment_meta(gen: Postings, b: _Base, arrays: dict[str, np.ndarray], n_live: int, avgdl: float) -> dict[str, Any]:
    """A grown generation's ``params.json`` (its name is filled in when it is written)."""
    n_seg = len(arrays["doc_len"]) - b.passages
    n_art = len(arrays["art_rowid"])
    live_articles = int((arrays["art_rowid"] >= 0).sum())
    return {
        "format": FORMAT_VERSION,
        "generation": "",
        "bm25": asdict(gen.bm25),
        "tokenizer_version": TOKENIZER_VERSION,
        "passages": len(arrays["doc_len"]),
        "articles": n_art,
        "terms": len(arrays["cur_idf"]),
        "postings": int(arrays["cur_df"].sum()),
        "avgdl": avgdl,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "segment": {
            "base_generation": b.generation,
            "base_passages": b.passages,
            "base_articles": b.articles,
            "base_terms": b.terms,
            "base_avgdl": b.avgdl,
            "segment_passages": n_seg,
            "segment_articles": n_art - b.articles,
            "live_passages": n_live,
            "live_articles": live_articles,
            "dead_passages": len(arrays["doc_len"]) - n_live,
        },
    }
