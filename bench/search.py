"""Search benchmark: this engine against rank_bm25, bm25s, tantivy and SQLite FTS5 on the same passages and queries.

Synthetic corpora (seeded; Zipfian vocabulary shaped on the real news corpus's term frequencies, passage lengths
like the real passages) are written into a store database once and cached; the real corpus is used when ``--db``
points at an ingested store. Every engine is measured in its own subprocess, one after the other (one core), so
resident-memory deltas do not mix. Prints a markdown table. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.search.bm25 import BM25Params  # noqa: E402
from index.search.build import passage_token_lists, rebuild  # noqa: E402
from index.search.generations import index_dir  # noqa: E402
from index.store import connect, transaction  # noqa: E402

ENGINES = ("ours", "rank_bm25", "bm25s", "tantivy", "fts5")
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "newsbot-bench"

# Share of all tokens held by the term of each frequency rank, measured on the RealTime QA news articles after
# newsbot's tokenizer (stopwords out, stemmed). The synthetic vocabulary interpolates these in log-log space and
# continues the tail with a slope of -1.5, so common terms are common the way they are in news.
RANK_SHARE = [
    (1, 1.08e-2), (2, 5.6e-3), (5, 3.6e-3), (10, 2.9e-3), (30, 1.74e-3), (100, 1.08e-3), (300, 6.0e-4),
    (1000, 2.3e-4), (3000, 5.2e-5), (10000, 6.5e-6), (30000, 8.9e-7), (80000, 2.2e-7),
]  # fmt: skip
OUTLETS = ["cnn.com", "usatoday.com", "theweek.com", "bbc.co.uk", "npr.org", "apnews.com", "reuters.com", "ft.com"]
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70 syllables


# ------------------------------------------------------------------------------------------- synthetic corpora


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; mapped file pages that were touched count too)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def vocabulary_size(n_passages: int) -> int:
    """Heaps' law fitted on the real corpus: about 84k terms at 64k passages."""
    return max(5_000, int(84_000 * (n_passages / 64_000) ** 0.6))


def term_probabilities(v: int) -> np.ndarray:
    """Probability of each term rank 1..v (see RANK_SHARE)."""
    ranks = np.arange(1, v + 1, dtype=np.float64)
    xs = np.log([r for r, _ in RANK_SHARE])
    ys = np.log([s for _, s in RANK_SHARE])
    logp = np.interp(np.log(ranks), xs, ys)
    tail = ranks > RANK_SHARE[-1][0]
    logp[tail] = ys[-1] - 1.5 * (np.log(ranks[tail]) - xs[-1])
    p = np.exp(logp)
    return p / p.sum()


def word(rank: int) -> str:
    """A pronounceable, unique, tokenizer-stable word for a term rank."""
    out = []
    r = rank
    while True:
        out.append(_SYLLABLES[r % len(_SYLLABLES)])
        r //= len(_SYLLABLES)
        if r == 0:
            break
    return "".join(out) + "x"


def synthetic_db(n_passages: int, seed: int, workdir: Path) -> Path:
    """A store database with ``n_passages`` synthetic passages (cached in ``workdir``)."""
    path = workdir / f"synthetic-{n_passages}-s{seed}.db"
    if path.exists():
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        p.unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    v = vocabulary_size(n_passages)
    words = [word(i) for i in range(v)]
    cdf = np.cumsum(term_probabilities(v))
    # Passage lengths as the real ones after tokenizing (~70 terms, most 55-85), plus short article endings.
    lens = np.clip(rng.normal(71, 11, n_passages), 20, 140).astype(np.int64)
    short = rng.random(n_passages) < 0.15
    lens[short] = rng.integers(5, 50, short.sum())
    started = time.perf_counter()
    conn = connect(tmp)
    conn.execute("PRAGMA synchronous = OFF")
    per_article = rng.integers(1, 10, n_passages)  # passages per article, consumed as we go
    day0 = 735_600  # 2015-01-01 as a date ordinal
    i = 0
    art = 0
    chunk = 200_000
    with transaction(conn):
        while i < n_passages:
            j = min(n_passages, i + chunk)
            ids = np.searchsorted(cdf, rng.random(int(lens[i:j].sum())))
            ids = np.minimum(ids, v - 1)
            pos = 0
            rows = []
            while i < j:
                m = int(min(per_article[art], j - i))
                title_ids = np.minimum(np.searchsorted(cdf, rng.random(int(rng.integers(4, 10)))), v - 1)
                title = " ".join(words[t] for t in title_ids.tolist())
                day = day0 + int(rng.integers(0, 3650))
                published = f"{_ordinal_iso(day)}"
                outlet = OUTLETS[int(rng.integers(0, len(OUTLETS)))]
                aid = _insert_article(conn, art, title, outlet, published)
                for o in range(m):
                    n_tok = int(lens[i])
                    text = " ".join(words[t] for t in ids[pos : pos + n_tok].tolist())
                    pos += n_tok
                    rows.append((aid, o, o + 1, o + 1, 0, len(text), text, text))
                    i += 1
                art += 1
            conn.executemany(
                """INSERT INTO passages(article_id, ordinal, paragraph, paragraph_end, char_start, char_end, text,
                       tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                rows,
            )
            print(f"  synthetic corpus: {i:,}/{n_passages:,} passages", file=sys.stderr, flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.replace(tmp, path)
    print(f"  wrote {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def _insert_article(conn: sqlite3.Connection, art: int, title: str, outlet: str, published: str) -> int:
    """Store synthetic article number ``art`` (its title is already its tokens); returns its row id."""
    (aid,) = conn.execute(
        """INSERT INTO articles(source_id, origin_path, reader, title, body, outlet, published, url,
               content_hash, title_tokens, added_at, updated_at)
           VALUES (?, 'synthetic', 'synthetic', ?, '', ?, ?, ?, ?, ?, '', '') RETURNING id""",
        (f"syn-{art}", title, outlet, published, f"https://{outlet}/a/{art}", f"h{art}", title),
    ).fetchone()
    return aid


def _ordinal_iso(day: int) -> str:
    from datetime import date

    return date.fromordinal(day).isoformat()


def make_queries(db: Path, n: int, seed: int) -> list[list[str]]:
    """Queries of 1-10 terms drawn from random passages (as a question shares words with its answer), with
    some unknown terms and repeats mixed in, seeded."""
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    (max_id,) = conn.execute("SELECT max(id) FROM passages").fetchone()
    out: list[list[str]] = []
    while len(out) < n:
        row = conn.execute("SELECT tokens FROM passages WHERE id >= ? LIMIT 1", (rng.randint(1, max_id),)).fetchone()
        terms = list(dict.fromkeys(row[0].split())) if row else []
        if not terms:
            continue
        q = rng.sample(terms, min(len(terms), rng.randint(1, 10)))
        if rng.random() < 0.1:
            q.append("zzqunknownx")
        if rng.random() < 0.1:
            q.append(q[0])
        out.append(q)
    conn.close()
    return out


# --------------------------------------------------------------------------------------------------- workers


def _latencies(fn: Any, queries: list[list[str]]) -> tuple[list[float], list[list[int]]]:
    times: list[float] = []
    tops: list[list[int]] = []
    gc.disable()
    for q in queries:
        t = time.perf_counter()
        top = fn(q)
        times.append((time.perf_counter() - t) * 1000)
        tops.append([int(x) for x in top])
    gc.enable()
    return times, tops


def worker(
    engine: str, db: Path, queries_file: Path, k: int, max_queries: int | None, compare_file: Path | None = None
) -> dict[str, Any]:
    """Measure one engine; returns a JSON-able dict."""
    queries = json.loads(queries_file.read_text())
    if max_queries:
        queries = queries[:max_queries]
    res: dict[str, Any] = {"engine": engine, "queries": len(queries)}
    if engine == "ours-build":
        return _ours_build(db, res)
    if engine == "ours":
        return _ours(db, queries, k, res)
    peer = _PEERS.get(engine)
    if peer is None:
        raise SystemExit(f"unknown engine {engine}")
    corpus = passage_token_lists(db, BM25Params())
    gc.collect()
    # Built after the collection, so the RSS baseline and build clock start with the corpus already in memory.
    return peer(_PeerRun(corpus, queries, k, res, compare_file))


def _ours_build(db: Path, res: dict[str, Any]) -> dict[str, Any]:
    t = time.perf_counter()
    info = rebuild(db, progress=False)
    res["build_s"] = time.perf_counter() - t
    res["size_bytes"] = info.bytes
    return res


def _ours(db: Path, queries: list[list[str]], k: int, res: dict[str, Any]) -> dict[str, Any]:
    from index.search.searcher import Searcher

    rss0 = rss_bytes()
    t = time.perf_counter()
    searcher = Searcher.open(db)
    res["open_s"] = time.perf_counter() - t
    res["rss_open"] = rss_bytes() - rss0
    times, tops = _latencies(lambda q: searcher.top_passages(q, k)[0], queries)
    res["rss"] = rss_bytes() - rss0
    res["times"] = times
    res["tops"] = tops
    # The whole API as the bot calls it: query parsing, filters, rows from SQLite, folding, annotation.
    texts = [" ".join(q) for q in queries]
    full = []
    for text in texts:
        t = time.perf_counter()
        searcher.search(text, k)
        full.append((time.perf_counter() - t) * 1000)
    res["search_times"] = full
    res["rss_search"] = rss_bytes() - rss0
    return res


@dataclass
class _PeerRun:
    """One peer engine's run over the same token lists: its build clock and memory baseline start at creation."""

    corpus: list[list[str]]
    queries: list[list[str]]
    k: int
    res: dict[str, Any]
    compare_file: Path | None
    rss0: int = field(default_factory=rss_bytes)
    started: float = field(default_factory=time.perf_counter)

    def built(self) -> None:
        self.res["build_s"] = time.perf_counter() - self.started

    def measured(self, times: list[float], tops: list[list[int]]) -> dict[str, Any]:
        self.res.update(times=times, tops=tops, rss=rss_bytes() - self.rss0)
        return self.res


def _rank_bm25(run: _PeerRun) -> dict[str, Any]:
    from rank_bm25 import BM25Okapi

    bm = BM25Okapi(run.corpus)
    run.built()
    k = run.k
    times, tops = [], []
    compare = json.loads(run.compare_file.read_text()) if run.compare_file else None
    same = 0
    for q in run.queries:
        t0 = time.perf_counter()
        s = bm.get_scores(q)
        part = np.argpartition(-s, k)[:k] if len(s) > k else np.arange(len(s))
        top = part[np.argsort(-s[part], kind="stable")]
        times.append((time.perf_counter() - t0) * 1000)
        tops.append(top.tolist())
        if compare is not None:
            same += same_scores(s, compare[len(tops) - 1], top)
    res = run.measured(times, tops)
    if compare is not None:
        res["same_top"] = same
    return res


def _bm25s(run: _PeerRun) -> dict[str, Any]:
    import bm25s

    bm = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    bm.index(run.corpus, show_progress=False)
    run.built()
    vocab = bm.vocab_dict
    k = run.k

    def top(q: list[str]) -> list[int]:
        ids = [vocab[w] for w in q if w in vocab]
        if not ids:
            return []
        scores = bm.get_scores(ids)
        part = np.argpartition(-scores, k)[:k]
        return part[np.argsort(-scores[part], kind="stable")].tolist()

    return run.measured(*_latencies(top, run.queries))


def _tantivy(run: _PeerRun) -> dict[str, Any]:
    import tantivy

    folder = Path(tempfile.mkdtemp(prefix="bench-tantivy-"))
    try:
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
        sb.add_unsigned_field("n", stored=True, indexed=False)
        schema = sb.build()
        index = tantivy.Index(schema, path=str(folder))
        writer = index.writer(heap_size=256_000_000, num_threads=1)
        for i, toks in enumerate(run.corpus):
            writer.add_document(tantivy.Document(body=" ".join(toks), n=i))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        run.built()
        run.res["size_bytes"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        searcher = index.searcher()

        def top(q: list[str]) -> list[int]:
            sub = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", w)) for w in q]
            hits = searcher.search(tantivy.Query.boolean_query(sub), run.k).hits
            return [_tantivy_n(searcher, addr) for _, addr in hits]

        return run.measured(*_latencies(top, run.queries))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _fts5(run: _PeerRun) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-fts5-"))
    try:
        conn = sqlite3.connect(folder / "fts.db")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        # Tokens are already newsbot's terms: split on spaces only, keep '-', '.', digits.
        conn.execute("CREATE VIRTUAL TABLE f USING fts5(body, tokenize = \"unicode61 tokenchars '-.''_'\")")
        conn.executemany(
            "INSERT INTO f(rowid, body) VALUES (?, ?)", ((i, " ".join(t)) for i, t in enumerate(run.corpus))
        )
        conn.commit()
        conn.execute("INSERT INTO f(f) VALUES ('optimize')")
        conn.commit()
        run.built()
        run.res["size_bytes"] = (folder / "fts.db").stat().st_size

        def top(q: list[str]) -> list[int]:
            expr = " OR ".join('"' + w.replace('"', '""') + '"' for w in q)
            rows = conn.execute("SELECT rowid FROM f WHERE f MATCH ? ORDER BY rank LIMIT ?", (expr, run.k))
            return [r[0] for r in rows]

        res = run.measured(*_latencies(top, run.queries))
        conn.close()
        return res
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_PEERS = {"rank_bm25": _rank_bm25, "bm25s": _bm25s, "tantivy": _tantivy, "fts5": _fts5}


def _tantivy_n(searcher: Any, addr: Any) -> int:
    return int(searcher.doc(addr)["n"][0])


# ------------------------------------------------------------------------------------------------------ driver


def run_worker(
    engine: str, db: Path, qfile: Path, k: int, max_queries: int | None, compare: Path | None = None
) -> dict[str, Any] | None:
    cmd = [sys.executable, __file__, "--worker", engine, "--db", str(db), "--queries-file", str(qfile), "--k", str(k)]
    if compare:
        cmd += ["--compare-file", str(compare)]
    if max_queries:
        cmd += ["--max-queries", str(max_queries)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"  {engine} ...", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"  {engine} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pct(times: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(times), p)) if times else math.nan


def same_scores(ref: np.ndarray, ours: list[int], ref_top: np.ndarray) -> bool:
    """Identical top-k, ties aside: under the reference scores, our passages score exactly as its top-k do.

    rank_bm25 fills a top-k with score-0 passages when fewer match; we return only matching passages, so
    the missing places count as zeros.
    """
    got = sorted((float(ref[d]) for d in ours), reverse=True)
    want = sorted((float(x) for x in ref[ref_top]), reverse=True)
    got += [0.0] * (len(want) - len(got))
    if len(got) != len(want):
        return False
    return all(math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9) for a, b in zip(got, want, strict=True))


def bench_corpus(label: str, db: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    n_passages = sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT count(*) FROM passages").fetchone()[0]
    print(f"{label}: {n_passages:,} passages ({db})", file=sys.stderr, flush=True)
    queries = make_queries(db, args.queries, args.seed)
    qfile = args.workdir / f"queries-{label}.json"
    qfile.write_text(json.dumps(queries))
    rows: list[dict[str, Any]] = []
    built = run_worker("ours-build", db, qfile, args.k, None)
    ours = run_worker("ours", db, qfile, args.k, None)
    if ours and built:
        ours.update(build_s=built["build_s"], size_bytes=built["size_bytes"])
    results = {"ours": ours}
    tops_file = args.workdir / f"tops-ours-{label}.json"
    tops_file.write_text(json.dumps(ours["tops"] if ours else []))
    for engine in args.engines:
        if engine == "ours":
            continue
        limit = None
        if engine == "rank_bm25":
            if n_passages > args.rank_bm25_max_passages:
                print(f"  rank_bm25 skipped above {args.rank_bm25_max_passages:,} passages", file=sys.stderr)
                continue
            limit = args.rank_bm25_queries if n_passages > 200_000 else None
        results[engine] = run_worker(engine, db, qfile, args.k, limit, tops_file if ours else None)
    ref = results.get("rank_bm25")
    for engine, r in results.items():
        if not r:
            continue
        row = {
            "corpus": label,
            "passages": n_passages,
            "engine": engine,
            "queries": r["queries"],
            "build_s": r.get("build_s"),
            "size_mb": r["size_bytes"] / 1e6 if r.get("size_bytes") else None,
            "rss_mb": r["rss"] / 1e6 if r.get("rss") is not None else None,
            "open_ms": r["open_s"] * 1000 if r.get("open_s") is not None else None,
            "p50": pct(r["times"], 50),
            "p95": pct(r["times"], 95),
            "p99": pct(r["times"], 99),
            "mean": statistics.fmean(r["times"]),
        }
        if engine == "ours":
            row["search_p50"] = pct(r["search_times"], 50)
            row["search_p99"] = pct(r["search_times"], 99)
        if ref and engine == "ours":
            m = ref["queries"]
            row["same_top"] = f"{ref['same_top']}/{m}"
            row["speedup"] = statistics.fmean(ref["times"]) / statistics.fmean(r["times"][:m])
        rows.append(row)
    return rows


def fmt(x: Any, spec: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(x, spec)


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| corpus | passages | engine | queries | build s | size MB | RSS MB | open ms | p50 ms | p95 ms | p99 ms "
        "| mean ms | search() p50/p99 ms | top-10 = rank_bm25 | speed-up vs rank_bm25 |"
    )
    out = [head, "|" + "---|" * 15]
    for r in rows:
        sp = f"{fmt(r.get('search_p50'), '.2f')} / {fmt(r.get('search_p99'), '.2f')}" if "search_p50" in r else "-"
        out.append(
            f"| {r['corpus']} | {r['passages']:,} | {r['engine']} | {r['queries']} | {fmt(r['build_s'], '.1f')} "
            f"| {fmt(r['size_mb'], '.0f')} | {fmt(r['rss_mb'], '.0f')} | {fmt(r['open_ms'], '.0f')} "
            f"| {fmt(r['p50'], '.3f')} | {fmt(r['p95'], '.3f')} | {fmt(r['p99'], '.3f')} | {fmt(r['mean'], '.3f')} "
            f"| {sp} | {r.get('same_top', '-')} | {fmt(r.get('speedup'), '.0f')}{'x' if r.get('speedup') else ''} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="synthetic sizes, comma-separated ('' for none)")
    p.add_argument("--db", type=Path, help="also benchmark this ingested store (the real corpus)")
    p.add_argument("--queries", type=int, default=500, help="queries per corpus (default 500)")
    p.add_argument("--rank-bm25-queries", type=int, default=30, help="rank_bm25 queries above 200k passages")
    p.add_argument("--rank-bm25-max-passages", type=int, default=1_000_000, help="skip rank_bm25 above this size")
    p.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated subset of {','.join(ENGINES)}")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where synthetic stores are cached")
    p.add_argument("--json", type=Path, help="also write the rows as JSON here")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--max-queries", type=int, help=argparse.SUPPRESS)
    p.add_argument("--compare-file", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.db, args.queries_file, args.k, args.max_queries, args.compare_file)))
        return 0
    args.engines = [e for e in args.engines.split(",") if e]
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        db = synthetic_db(size, args.seed, args.workdir)
        rows += bench_corpus(f"synthetic-{size // 1000}k", db, args)
        print(table(rows), file=sys.stderr)
    if args.db:
        if not (index_dir(args.db)).exists():
            print(f"  note: {args.db} has no index yet; this run builds one", file=sys.stderr)
        rows += bench_corpus("real", args.db, args)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
