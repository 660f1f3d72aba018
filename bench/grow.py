"""Growth benchmark: 100 articles added through the normal pipeline, the index update timed, search latency before
and after, and the grown index's top-10 checked against a full rebuild's. See bench/README.md.

Works on a copy of ``--db`` (and its index) in ``--workdir``; the original is never written. Each run ingests 100
articles (a seeded sample of the BBC news set, ``../shared/data/bbc-news/articles.jsonl``, new source ids each run)
with ``pipeline.ingest``, then times what ``update_index`` does next: the index health check and ``grow.update``.
Between runs the added articles are deleted and ``CURRENT`` is pointed back at the plain base generation, so every
run grows the same base. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import store  # noqa: E402
from index.ingest import pipeline  # noqa: E402
from index.ingest.split import SPLIT_VERSION  # noqa: E402
from index.search import build, generations, grow, health  # noqa: E402
from index.search.generations import current_generation, index_dir  # noqa: E402
from index.search.searcher import Searcher  # noqa: E402
from index.tokenize import TOKENIZER_VERSION, tokenize  # noqa: E402

# In every added article's id: an earlier invocation's articles (kept by --remove) are never taken for these.
NONCE = time.time_ns()
# Beside the project (../shared), or beside the folder of worktrees it was checked out in.
BBC = next(
    (p for p in (r / "shared/data/bbc-news/articles.jsonl" for r in (ROOT.parent, ROOT.parent.parent)) if p.exists()),
    ROOT.parent / "shared/data/bbc-news/articles.jsonl",
)


def copy_store(db: Path, workdir: Path) -> tuple[Path, bool]:
    """A copy of the store and its index in ``workdir`` (made once; reused when present), and whether it is new."""
    dst = workdir / db.name
    fresh = not dst.exists()
    if fresh:
        workdir.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as src, sqlite3.connect(dst) as out:
            src.backup(out)
        if index_dir(db).is_dir():
            shutil.copytree(index_dir(db), index_dir(dst), ignore=shutil.ignore_patterns("build.lock", ".tmp-*"))
        conn = store.connect(dst)
        try:
            # bench/search.py's synthetic stores carry no splitter/tokenizer versions: the first ingest would take
            # them for an old splitter's and re-split every article from its (empty) body.
            with store.transaction(conn):
                versions = ((pipeline.META_SPLIT, SPLIT_VERSION), (pipeline.META_TOKENIZER, TOKENIZER_VERSION))
                for key, version in versions:
                    if store.get_meta(conn, key) is None:
                        store.set_meta(conn, key, str(version))
        finally:
            conn.close()
    return dst, fresh


def clean_leftovers(db: Path) -> None:
    """Delete the articles an earlier invocation left (a --remove run keeps its own): the same seeded samples
    would otherwise be stored as their duplicates, and nothing new indexed. The index then catches up."""
    conn = store.connect(db)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE source_id LIKE 'grow-bench-%'")]
        with store.transaction(conn):
            store.delete_articles(conn, ids)
    finally:
        conn.close()
    if ids and current_generation(db) is not None and grow.update(db) is not None:
        grow.merge(db)


def plain_base(db: Path, fresh: bool) -> str:
    """The name of a plain (not grown) generation in service, rebuilt for a fresh copy (an index written by an
    older newsbot may hold other article fingerprints, which would make every article look changed)."""
    name = current_generation(db)
    if fresh or name is None or not health.check(db).ok or _grown(db, name) or not _stamped(db, name):
        build.rebuild(db, progress=True)
        name = current_generation(db)
    assert name is not None
    return name


def _stamped(db: Path, name: str) -> bool:
    """Written by a newsbot that stamps generations (without a stamp a growth compares every article)."""
    return "stamp" in json.loads((index_dir(db) / name / "params.json").read_text(encoding="utf-8"))


def _grown(db: Path, name: str) -> bool:
    params = json.loads((index_dir(db) / name / "params.json").read_text(encoding="utf-8"))
    return "segment" in params


def sample_articles(n: int, seed: int, run: int) -> list[dict[str, Any]]:
    """``n`` BBC articles (seeded, different each run) with source ids no store holds yet."""
    opener = gzip.open if BBC.suffix == ".gz" else open
    with opener(BBC, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    rng = random.Random(seed * 1000 + run)
    picked = rng.sample(rows, n)
    out = []
    for k, row in enumerate(picked):
        out.append(
            {
                "id": f"grow-bench-{NONCE}-{seed}-{run}-{k}",
                "title": row["title"],
                "text": row["text"],
                "source": "BBC News",
                "date": f"2026-11-{1 + k % 28:02d}",
                "url": f"https://bbc.example/grow/{seed}/{run}/{k}",
            }
        )
    return out


def queries(db: Path, added: list[dict[str, Any]], n: int, seed: int) -> list[str]:
    """Headline words of stored articles (seeded), a quarter of them from the added ones."""
    rng = random.Random(seed)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        (top,) = conn.execute("SELECT max(id) FROM articles").fetchone()
        titles: list[str] = []
        while len(titles) < n - n // 4:
            row = conn.execute("SELECT title FROM articles WHERE id = ?", (rng.randint(1, top),)).fetchone()
            if row and row[0]:
                titles.append(row[0])
    titles += [a["title"] for a in rng.sample(added, min(n // 4, len(added)))]
    return [" ".join(t.split()[: rng.randint(2, 5)]) for t in titles]


def latency(db: Path, generations_: dict[str, str], qs: list[str], passes: int = 3) -> dict[str, dict[str, float]]:
    """p50/p99 of the whole ``search()`` (default settings) and of the postings scan (``Postings.match``) over
    ``qs`` on each generation, interleaved query by query so the machine's other load falls on both alike; after
    one warm-up pass."""
    opened = {label: Searcher.open(db, generation=name) for label, name in generations_.items()}
    times: dict[str, list[float]] = {f"{label}_{kind}": [] for label in opened for kind in ("search", "scan")}
    terms = [tokenize(q) for q in qs]
    try:
        for p in range(passes + 1):
            for q, tt in zip(qs, terms, strict=True):
                for label, s in opened.items():
                    t0 = time.perf_counter()
                    s.search(q, 10)
                    t1 = time.perf_counter()
                    s.postings.match(tt, depth=10)
                    t2 = time.perf_counter()
                    if p:
                        times[f"{label}_search"].append((t1 - t0) * 1000)
                        times[f"{label}_scan"].append((t2 - t1) * 1000)
    finally:
        for s in opened.values():
            s.close()
    out = {}
    for key, vals in times.items():
        vals.sort()
        out[key] = {"p50_ms": round(statistics.median(vals), 3), "p99_ms": round(vals[int(0.99 * (len(vals) - 1))], 2)}
    return out


def add_and_grow(db: Path, workdir: Path, seed: int, run: int, n: int) -> tuple[dict[str, float], list[Any]]:
    """Ingest ``n`` new articles and time the index update as update_index runs it."""
    added = sample_articles(n, seed, run)
    folder = workdir / f"add-{run}-{time.time_ns()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in added), encoding="utf-8")
    summary = pipeline.ingest([folder], db, progress=False, workers=0)
    t0 = time.perf_counter()
    ok = health.check(db).ok  # update_index checks every checksum first
    t1 = time.perf_counter()
    info = grow.update(db)
    t2 = time.perf_counter()
    assert ok and info is not None and "segment" in json.loads((info.path / "params.json").read_text())
    return {
        "stored_articles": summary.added,
        "health_s": round(t1 - t0, 3),
        "grow_s": round(t2 - t1, 3),
        "total_s": round(t2 - t0, 3),
    }, added


def undo(db: Path, base: str, run: int, seed: int) -> None:
    """Delete the run's articles and put the base generation back in service (the grown ones removed)."""
    conn = store.connect(db)
    try:
        pattern = (f"grow-bench-{NONCE}-{seed}-{run}-%",)
        ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE source_id LIKE ?", pattern)]
        with store.transaction(conn):
            store.delete_articles(conn, ids)
    finally:
        conn.close()
    root = index_dir(db)
    generations.switch_current(root, base)
    for path in generations.generation_folders(root):
        if path.name != base:
            shutil.rmtree(path)


def compare_with_rebuild(db: Path, workdir: Path, qs: list[str]) -> dict[str, Any]:
    """Top-10 (relevance) of the grown index against a full rebuild of the same store: scores and passages."""
    twin = workdir / "twin.db"
    for p in (twin, Path(f"{twin}-wal"), Path(f"{twin}-shm")):
        p.unlink(missing_ok=True)
    shutil.rmtree(index_dir(twin), ignore_errors=True)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as src, sqlite3.connect(twin) as out:
        src.backup(out)
    build.rebuild(twin, progress=True)
    same = 0
    worst = 0.0
    with Searcher.open(db) as a, Searcher.open(twin) as b:
        for q in qs:
            ha = a.search(q, 10, sort="relevance", annotate=False, correct=False).hits
            hb = b.search(q, 10, sort="relevance", annotate=False, correct=False).hits
            sa, sb = [h.score for h in ha], [h.score for h in hb]
            if len(sa) == len(sb):
                worst = max([worst] + [abs(x - y) / max(abs(y), 1e-9) for x, y in zip(sa, sb, strict=True)])
            last = sb[-1] if sb else 0.0
            above_a = {h.passage_id for h in ha if h.score > last * (1 + 1e-5)}
            above_b = {h.passage_id for h in hb if h.score > last * (1 + 1e-5)}
            same += len(sa) == len(sb) and above_a == above_b
    shutil.rmtree(index_dir(twin), ignore_errors=True)
    twin.unlink()
    return {"queries": len(qs), "same_top10": same, "max_rel_score_diff": worst}


def removals_and_merge(db: Path, workdir: Path, args: argparse.Namespace, base: str) -> dict[str, Any]:
    """One more growth that also removes ``--remove`` stored articles (changed articles are removed and re-added,
    so this is the cost of changes), its latency and exactness, then ``grow.merge``. Leaves the copy changed."""
    rng = random.Random(args.seed)
    conn = store.connect(db)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE duplicate_of IS NULL")]
        with store.transaction(conn):
            store.delete_articles(conn, rng.sample(ids, args.remove))
    finally:
        conn.close()
    timing, added = add_and_grow(db, workdir, args.seed, args.runs, args.articles)
    grown = current_generation(db)
    assert grown is not None
    qs = queries(db, added, args.queries, args.seed)
    out: dict[str, Any] = {"removed": args.remove, **timing}
    out["latency"] = latency(db, {"before": base, "after": grown}, qs)
    if not args.no_check:
        out["top10_vs_rebuild"] = compare_with_rebuild(db, workdir, qs[:100])
    t = time.perf_counter()
    merged = grow.merge(db)
    out["merge_s"] = round(time.perf_counter() - t, 2)
    assert merged is not None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, required=True, help="an ingested store (copied, never written)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-bench" / "grow")
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-check", action="store_true", help="skip the comparison with a full rebuild")
    ap.add_argument("--remove", type=int, default=0, help="then a growth also removing this many articles, a merge")
    args = ap.parse_args()
    db, fresh = copy_store(args.db, args.workdir / args.db.stem)
    clean_leftovers(db)
    base = plain_base(db, fresh)
    runs, lat, check = [], [], None
    for run in range(args.runs):
        qs = queries(db, sample_articles(args.articles, args.seed, run), args.queries, args.seed + run)
        timing, _ = add_and_grow(db, args.workdir, args.seed, run, args.articles)
        runs.append(timing)
        grown = current_generation(db)
        assert grown is not None
        lat.append(latency(db, {"before": base, "after": grown}, qs))
        if run == args.runs - 1 and not args.no_check:
            check = compare_with_rebuild(db, args.workdir, qs[: min(100, len(qs))])
        undo(db, base, run, args.seed)
        print(f"run {run}: {timing} {json.dumps(lat[-1])}", file=sys.stderr, flush=True)

    def summary(key: str, rows: list[dict[str, Any]]) -> dict[str, float]:
        vals = sorted(r[key] for r in rows)
        return {"min": vals[0], "median": statistics.median(vals)}

    out = {
        "db": str(args.db),
        "base": json.loads((index_dir(db) / base / "params.json").read_text())["passages"],
        "articles_added": args.articles,
        "runs": runs,
        "update_s": summary("total_s", runs),
        "grow_s": summary("grow_s", runs),
        "latency": {key: {k: summary(k, [r[key] for r in lat]) for k in ("p50_ms", "p99_ms")} for key in lat[0]},
        "top10_vs_rebuild": check,
    }
    if args.remove:
        out["with_removals"] = removals_and_merge(db, args.workdir, args, base)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
