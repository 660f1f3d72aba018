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
    _story_key,
    _write_bytes,
    article_fingerprint,
    built_info,
    parse_published,
    source_key,
)
from index.search.encode import Encoder, compact_tfs, score_postings
from index.search.generations import FORMAT_VERSION, current_generation, index_dir
from index.search.postings import IndexMissing, Postings, SearchError, _Vocabulary
from index.store import indexed_articles, indexed_passage_ids, passage_tokens_of, read_snapshot
from index.tokenize import TOKENIZER_VERSION, text_to_tokens

log = logging.getLogger(__name__)

# Past this share of the passages changed, a full rebuild costs about the same and leaves no numbering gaps.
REBUILD_SHARE = 0.25


@dataclass(slots=True)
class _Delta:
    """What changed in the store since a generation was built."""

    keep_art: np.ndarray  # bool per article of the generation: still current
    added: list[int]  # articles.id to add (new, or changed and removed above), ascending
    meta: dict[int, tuple[str, str | None, str | None, str | None]]  # id -> title tokens, published, outlet, url

    @property
    def empty(self) -> bool:
        return not self.added and bool(self.keep_art.all())


def update(db_path: str | os.PathLike[str], *, progress: bool = False) -> BuildInfo | None:
    """Bring the search index up to date with the store, growing the current generation when that is cheaper.

    Falls back to :func:`index.search.build.rebuild` when there is no usable generation to grow (none yet, damaged,
    outdated, written before term frequencies were kept) or when much of the archive changed. The BM25 settings are
    the current generation's.

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
                changed = len(delta.added) + int((~delta.keep_art).sum())
                if changed <= REBUILD_SHARE * max(base.n_articles, 1):
                    return _grow(db_path, conn, base, delta, started)
    # Outside the lock: rebuild takes it itself.
    return build.rebuild(db_path, progress=progress)


def _growable(db_path: Path) -> Postings | None:
    """The current generation if it can be grown (it keeps term frequencies and fingerprints), else None."""
    name = current_generation(db_path)
    if name is None:
        return None
    try:
        base = Postings.load(index_dir(db_path) / name)
    except SearchError as e:
        log.info("search index %s cannot be grown (%s): rebuilding", name, e)
        return None
    # The postings it keeps are copied into the new generation: only from files whose checksums still match.
    problem = generations.verify_files(index_dir(db_path) / name, checksums=True)
    if problem:
        log.info("search index %s cannot be grown (%s): rebuilding", name, problem)
        return None
    if "tfs" not in base.arrays or "art_fp" not in base.arrays:
        log.info("search index %s predates growing (no term frequencies): rebuilding", name)
        return None
    return base


def _diff(conn: Any, base: Postings) -> _Delta:
    """Compare the store with ``base``: articles gone or changed (their passages or what the index keeps of them)."""
    arr = base.arrays
    pairs = np.asarray(list(indexed_passage_ids(conn)), np.int64).reshape(-1, 2)
    # An article without passages is not in the index (as in a full build), so it is never "added" either.
    with_passages = set(pairs[:, 0].tolist())
    meta = {row[0]: tuple(row[1:]) for row in indexed_articles(conn) if row[0] in with_passages}
    art_rowid = np.asarray(arr["art_rowid"])
    # (article id, passage id) keys on both sides: an article whose set of passages differs has changed.
    now = (pairs[:, 0] << 32) | pairs[:, 1]
    then = (art_rowid[np.asarray(arr["doc_article"])] << 32) | np.asarray(arr["doc_pid"])
    changed = set((np.setxor1d(now, then) >> 32).tolist())
    fp = np.asarray(arr["art_fp"])
    keep = np.zeros(len(art_rowid), np.bool_)
    known = set()
    for i, aid in enumerate(art_rowid.tolist()):
        m = meta.get(aid)
        if m is not None and aid not in changed and article_fingerprint(*m) == fp[i]:
            keep[i] = True
            known.add(aid)
    added = sorted(aid for aid in meta if aid not in known)
    return _Delta(keep, added, meta)


def _grow(db_path: Path, conn: Any, base: Postings, delta: _Delta, started: float) -> BuildInfo:
    """Write the grown generation and switch to it (under the build lock)."""
    params = base.bm25
    enc = Encoder()
    pids: list[int] = []
    arts: list[int] = []
    titles = {a: delta.meta[a][0] or "" for a in delta.added}
    for pid, aid, _, text in _indexed_texts(passage_tokens_of(conn, delta.added), titles, params.title):
        enc.add_text(text)
        pids.append(pid)
        arts.append(aid)
    title_terms = {a: text_to_tokens(titles[a]) for a in delta.added}
    terms, add_offsets, add_docs, add_tfs, add_lens = enc.layout(t for tt in title_terms.values() for t in tt)
    merged = _merge(base, delta, terms, (add_offsets, add_docs, add_tfs, add_lens), pids, arts, title_terms)
    root = index_dir(db_path)
    generations.remove_stale(root)
    name = generations.next_generation(root)
    with generations.writing(root, name) as tmp:
        meta = _write(tmp, name, params, merged, base.generation)
        Postings.load(tmp)  # the structure every reader checks, checked before the manifest vouches for it
    generations.switch_current(root, name)
    generations.prune(root, name)
    info = built_info(root / name, meta, started)
    log.info(
        "grew search index %s -> %s: %d articles added, %d removed, %.2f s",
        base.generation,
        name,
        len(delta.added),
        int((~delta.keep_art).sum()),
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
    n = len(lens)
    df = np.diff(offsets)
    avgdl = int(lens.sum()) / n if n else 0.0
    idf = idf_for(base.bm25, df, n)
    scores, term_max = score_postings(base.bm25, idf, df, offsets, docs, tfs, lens, avgdl)
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
    arrays.update(_title_merge(base, delta, art_new, n_kept_arts, base_map, n_terms, title_terms, blob, vocab_offsets))
    passages, sources = _passage_merge(base, delta, alive, art_new, n_kept_arts, pids, arts)
    arrays.update(passages)
    return {"arrays": arrays, "blob": blob, "sources": sources, "avgdl": avgdl}


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
    src_ids = {tuple(s): i for i, s in enumerate(sources)}
    n_add = len(delta.added)
    a_day = np.empty(n_add, np.int32)
    a_ts = np.empty(n_add, np.int64)
    a_src = np.empty(n_add, np.int32)
    a_story = np.empty(n_add, np.int64)
    a_fp = np.empty(n_add, np.int64)
    number = {}
    for i, aid in enumerate(delta.added):
        title_tokens, published, outlet, url, content_hash = delta.meta[aid]
        a_day[i], a_ts[i] = parse_published(published)
        key = source_key(outlet, url)
        if key not in src_ids:
            src_ids[key] = len(sources)
            sources.append(list(key))
        a_src[i] = src_ids[key]
        a_story[i] = _story_key(title_tokens or "")
        a_fp[i] = article_fingerprint(title_tokens, published, outlet, url, content_hash)
        number[aid] = n_kept_arts + i
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


def _write(folder: Path, name: str, params: BM25Params, merged: dict[str, Any], grown_from: str) -> dict[str, Any]:
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
    }
    _write_bytes(folder / "params.json", json.dumps(meta, indent=2).encode("utf-8"))
    return meta
