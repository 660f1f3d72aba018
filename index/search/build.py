"""Building a postings generation from the store's passage tokens, and switching the index to it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from index import store
from index.dates import published_moment
from index.search import generations
from index.search.bm25 import BM25Params
from index.search.encode import Encoder
from index.search.generations import index_dir
from index.search.postings import UNDATED_DAY, UNDATED_TS, IndexMissing, Postings
from index.store import count_indexed_passages, indexed_articles, indexed_passage_tokens, read_snapshot
from index.tokenize import text_to_tokens

log = logging.getLogger(__name__)

MIN_STORY_TITLE_TERMS = 4  # shorter headlines ("Opinion", "Live updates") say too little to fold stories on
PROGRESS_STEP = 20_000  # passages between progress bar updates


@dataclass(slots=True)
class BuildInfo:
    """What a rebuild produced."""

    generation: str
    path: Path
    passages: int
    articles: int
    terms: int
    postings: int
    seconds: float
    bytes: int
    params: dict[str, Any] = field(default_factory=dict)
    grown: bool = False  # written by growing the previous generation (a segment), not by a full build


def parse_published(value: str | None) -> tuple[int, int]:
    """An article's publication time as (UTC day ordinal, UTC epoch seconds); undated -> (-1, UNDATED_TS).

    A date without a time counts from the start of that day, so an as-of moment later that day includes it.
    """
    moment = published_moment(value)
    if moment is None:
        return UNDATED_DAY, int(UNDATED_TS)
    return moment.date().toordinal(), int(moment.timestamp())


def source_key(outlet: str | None, url: str | None) -> tuple[str | None, str | None]:
    """An article's (outlet, domain) in the case-folded forms source filters compare against."""
    domain = None
    if url:
        with contextlib.suppress(ValueError):
            domain = (urlsplit(url).hostname or "").lower() or None
        if domain and domain.startswith("www."):
            domain = domain[4:]
    return (outlet.strip().casefold() or None) if outlet else None, domain


def _story_key(title_tokens: str) -> int:
    terms = title_tokens.split()
    if len(terms) < MIN_STORY_TITLE_TERMS:
        return 0
    digest = hashlib.blake2b(" ".join(terms).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1


def article_fingerprint(
    title_tokens: str, published: str | None, outlet: str | None, url: str | None, content_hash: str | None = None
) -> int:
    """A hash of what the index keeps of an article besides its passages: a change means it must be re-added.

    Args:
        title_tokens: the headline's tokens as stored.
        published: the stored publication date.
        outlet: the stored outlet.
        url: the stored link.
        content_hash: the stored body's hash: an edited body is re-added even when its passages keep their ids
            (SQLite can hand an article's deleted passage ids out again).

    Returns:
        A signed 64-bit hash.
    """
    text = "\x1f".join((title_tokens or "", published or "", outlet or "", url or "", content_hash or ""))
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


# A store write computes its updated_at a moment before it commits: a diff that reads the store treats every article
# written since this long before it started as possibly changed.
STAMP_MARGIN = timedelta(minutes=15)


def change_stamp() -> str:
    """The ``stamp`` of a generation about to read the store: articles whose ``updated_at`` is at or past it may have
    changed since (``updated_at`` format: ISO 8601 UTC, seconds)."""
    return (datetime.now(UTC) - STAMP_MARGIN).isoformat(timespec="seconds")


def rebuild(db_path: str | os.PathLike[str], *, progress: bool = True, params: BM25Params | None = None) -> BuildInfo:
    """Build a new postings generation from the store's passages and switch the index to it atomically.

    Reads the stored tokens (no input file is read again); duplicates have no passages and are left out.
    The new generation is written beside the one in service and ``CURRENT`` is switched only once it is
    complete, so a crash leaves the old one serving. Its structure is checked and a manifest of its files' sizes and
    checksums written before the switch; the previous generation is kept if intact, older ones are removed.

    Args:
        db_path: the SQLite database.
        progress: show a progress bar on stderr while reading passages.
        params: BM25 variant and parameters (default: BM25Okapi with rank-bm25's defaults, headline in
            every passage).

    Returns:
        What was built.

    Raises:
        IndexMissing: there is no database at ``db_path``.
    """
    db_path = store.locate(db_path)
    params = params or BM25Params()
    if not store.exists(db_path):
        raise IndexMissing(f"no database at {db_path}: ingest some articles first with `newsbot index PATH`")
    root = index_dir(db_path)
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with generations.build_lock(root):
        generations.remove_stale(root)
        name = generations.next_generation(root)
        with generations.writing(root, name) as tmp:
            meta = _build_into(db_path, tmp, name, params, progress)
            # What readers will check at every open, checked once before the manifest vouches for these files.
            Postings.load(tmp)
        generations.switch_current(root, name)
        generations.prune(root, name)
    info = built_info(root / name, meta, started)
    log.info("built search index %s: %d passages, %d terms in %.1f s", name, info.passages, info.terms, info.seconds)
    return info


def built_info(folder: Path, meta: dict[str, Any], started: float) -> BuildInfo:
    """What a generation written to ``folder`` holds, from its ``params.json`` contents, timed from ``started``."""
    live = meta.get("segment") or {}  # a grown generation counts its removed passages' numbers too
    return BuildInfo(
        generation=folder.name,
        path=folder,
        passages=live.get("live_passages", meta["passages"]),
        articles=live.get("live_articles", meta["articles"]),
        terms=meta["terms"],
        postings=meta["postings"],
        seconds=time.perf_counter() - started,
        bytes=sum(p.stat().st_size for p in folder.iterdir()),
        params=meta["bm25"],
        grown=bool(live),
    )


def _indexed_texts(
    rows: Iterable[tuple[int, int, str]], titles: dict[int, str], mode: str
) -> Iterator[tuple[int, int, bool, str]]:
    """(passage id, article id, first of its article, indexed token text) with the headline joined per ``mode``."""
    last_article = None
    title = ""
    for pid, aid, tokens in rows:
        first = aid != last_article
        if first:
            last_article = aid
            title = titles[aid] if mode != "none" else ""
            yield pid, aid, True, f"{title} {tokens}" if title else tokens
            if mode == "first":
                title = ""
        else:
            yield pid, aid, False, f"{title} {tokens}" if title else tokens


def passage_token_lists(db_path: str | os.PathLike[str], params: BM25Params | None = None) -> list[list[str]]:
    """The token list of every indexed passage, in index order, exactly as :func:`rebuild` scores them.

    For building reference scorers (rank-bm25 and the benchmark's peers) on the same input.

    Args:
        db_path: the SQLite database.
        params: the title mode to apply (default: the default parameters).

    Returns:
        One list of terms per passage.
    """
    params = params or BM25Params()
    interned: dict[str, str] = {}
    out = []
    with read_snapshot(db_path) as conn:
        titles = {rowid: title_tokens for rowid, title_tokens, *_ in indexed_articles(conn)}
        for _, _, _, text in _indexed_texts(indexed_passage_tokens(conn), titles, params.title):
            out.append([interned.setdefault(t, t) for t in text.split()])
    return out


@dataclass(slots=True)
class _Read:
    """One pass over a snapshot of the store: the passages, encoded, and their articles, in index order."""

    enc: Encoder = field(default_factory=Encoder)
    pids: array = field(default_factory=lambda: array("q"))  # passage number -> passages.id
    doc_art: array = field(default_factory=lambda: array("i"))  # passage number -> article number
    art_rows: list[int] = field(default_factory=list)  # article number -> articles.id
    art_first: array = field(default_factory=lambda: array("i"))  # article number -> its first passage number
    # articles.id -> (title tokens, published, outlet, url)
    articles: dict[int, tuple[str, str | None, str | None, str | None]] = field(default_factory=dict)


def _build_into(db_path: Path, folder: Path, name: str, params: BM25Params, progress: bool) -> dict[str, Any]:
    """Write generation ``name`` into ``folder`` from the store; returns its ``params.json``."""
    stamp = change_stamp()
    read = _read_store(db_path, params, progress)
    titles = [text_to_tokens(read.articles[a][0]) for a in read.art_rows]
    core = read.enc.finish(params, (t for tt in titles for t in tt))
    arrays = dict(core.arrays)
    arrays.update(_title_arrays(read.enc, titles, len(core.arrays["vocab_offsets"]) - 1))
    article_arrays, sources = _article_arrays(read)
    arrays.update(article_arrays)
    meta = core.meta(params, name, len(read.pids), len(read.art_rows))
    meta["stamp"] = stamp
    for key, arr in arrays.items():
        _save(folder / f"{key}.npy", arr)
    _write_bytes(folder / "vocab.bin", core.blob)
    _write_bytes(folder / "sources.json", json.dumps(sources).encode("utf-8"))
    # params.json last: a folder without it is incomplete (the rename happens only after it is written anyway).
    _write_bytes(folder / "params.json", json.dumps(meta, indent=2).encode("utf-8"))
    return meta


def _read_store(db_path: Path, params: BM25Params, progress: bool) -> _Read:
    """Encode every indexed passage, headline joined per ``params.title``, from one snapshot of the store."""
    read = _Read()
    # One read transaction: articles and passages come from the same snapshot even if an ingest is running.
    with read_snapshot(db_path) as conn:
        n_expected = count_indexed_passages(conn)
        for rowid, title_tokens, published, outlet, url, content_hash in indexed_articles(conn):
            read.articles[rowid] = (title_tokens or "", published, outlet, url, content_hash)
        titles = {a: v[0] for a, v in read.articles.items()}
        bar = _progress_bar(n_expected) if progress else None
        rows = _indexed_texts(indexed_passage_tokens(conn), titles, params.title)
        for i, (pid, aid, first, text) in enumerate(rows):
            if first:
                read.art_first.append(len(read.pids))
                read.art_rows.append(aid)
            read.enc.add_text(text)
            read.pids.append(pid)
            read.doc_art.append(len(read.art_rows) - 1)
            if bar is not None and i % PROGRESS_STEP == PROGRESS_STEP - 1:
                bar.update(PROGRESS_STEP)
        if bar is not None:
            bar.close()
    read.art_first.append(len(read.pids))
    return read


def _progress_bar(total: int) -> Any:
    # Imported only when shown: tqdm is not needed to build quietly (tests, the bot).
    from tqdm import tqdm

    return tqdm(total=total, unit="passage", desc="postings", leave=False)


def _title_arrays(enc: Encoder, titles: list[list[str]], n_terms: int) -> dict[str, np.ndarray]:
    """Headline postings (article numbers per term): they serve title: filters whatever the title mode."""
    rank = enc.rank
    t_terms: list[int] = []
    t_arts: list[int] = []
    for i, tt in enumerate(titles):
        for t in set(tt):
            t_terms.append(int(rank[enc.term_id(t)]))
            t_arts.append(i)
    t_term_arr = np.asarray(t_terms, np.int64)
    t_art_arr = np.asarray(t_arts, np.int32)
    order = np.lexsort((t_art_arr, t_term_arr))
    title_offsets = np.zeros(n_terms + 1, np.int64)
    np.cumsum(np.bincount(t_term_arr, minlength=n_terms), out=title_offsets[1:])
    return {"title_offsets": title_offsets, "title_arts": t_art_arr[order]}


def article_facts(
    metas: Sequence[tuple[str | None, str | None, str | None, str | None, str | None]],
    sources: list[list[str | None]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-article arrays from ``(title_tokens, published, outlet, url, content_hash)`` rows: publication day and
    time, source number, story key and fingerprint. A source not yet in ``sources`` is appended to it."""
    n = len(metas)
    day, ts = np.empty(n, np.int32), np.empty(n, np.int64)
    src, story, fp = np.empty(n, np.int32), np.empty(n, np.int64), np.empty(n, np.int64)
    src_ids = {tuple(s): i for i, s in enumerate(sources)}
    for i, (title_tokens, published, outlet, url, content_hash) in enumerate(metas):
        day[i], ts[i] = parse_published(published)
        key = source_key(outlet, url)
        if key not in src_ids:
            src_ids[key] = len(sources)
            sources.append(list(key))
        src[i] = src_ids[key]
        story[i] = _story_key(title_tokens or "")
        fp[i] = article_fingerprint(title_tokens, published, outlet, url, content_hash)
    return day, ts, src, story, fp


def _article_arrays(read: _Read) -> tuple[dict[str, np.ndarray], list[list[str | None]]]:
    """Per-article facts spread to passages (so filters are one gather per candidate), and the source list."""
    sources: list[list[str | None]] = []
    art_day, art_ts, art_src, art_story, art_fp = article_facts([read.articles[a] for a in read.art_rows], sources)
    doc_article = np.frombuffer(read.doc_art, dtype=np.int32).copy()
    arrays = {
        "doc_pid": np.frombuffer(read.pids, dtype=np.int64).copy(),
        "doc_article": doc_article,
        "doc_day": art_day[doc_article],
        "doc_ts": art_ts[doc_article],
        "doc_source": art_src[doc_article],
        "art_rowid": np.asarray(read.art_rows, np.int64),
        "art_first": np.frombuffer(read.art_first, dtype=np.int32).copy(),
        "art_story": art_story,
        "art_fp": art_fp,
    }
    return arrays, sources


def _save(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
