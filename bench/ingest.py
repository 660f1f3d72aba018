"""Ingest throughput: `newsbot index` on the real data sets, timed, with the peak memory of its process tree.

Each scenario runs the real command in a subprocess on a fresh database and samples the resident memory of the
command and its worker processes (summed) every 100 ms. The machine is shared: the load average is printed
before and after each run; run it a few times, on a quiet machine if you can, and read the spread.

Run from the project root (the data sits beside it in ../shared/data):

    python bench/ingest.py                      # all scenarios
    python bench/ingest.py bbc split            # some of them
    python bench/ingest.py rtqa --postings      # also time the search-postings rebuild
    python bench/ingest.py --json bench/results/ingest.json

Scenarios:
    bbc      2,225 BBC text files: first run, then an immediate repeat (must take < 1/10 of the first)
    rtqa     26,499-record RealTime QA JSONL.gz (must take < 120 s and < 2 GB); --postings adds the rebuild
    hostile  a folder of binary, empty, undecodable, 50 MB and broken files among good ones (exit status 1)
    split    passage splitting alone over the RealTime QA bodies, one core (words and MB per second)
    refresh  the BBC store redone from stored text after a splitter, then a tokenizer, version change
             (one process, no files read)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
BBC = DATA / "bbc-news" / "txt"
RTQA = DATA / "realtimeqa" / "articles.jsonl.gz"


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, pages = int(fields[1]), int(fields[21])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def run_command(argv: list[str]) -> dict[str, Any]:
    """Run a command, timing it and sampling its process tree's memory; returns wall, peak RSS, exit, output."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    return {
        "argv": argv,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak / 1e6, 1),
        "exit": proc.returncode,
        "stdout": out,
        "stderr": err[-2000:],
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def newsbot(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(result["stdout"])
    except ValueError:
        return {}


def _db_facts(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        articles, dups = conn.execute("SELECT count(*), count(duplicate_of) FROM articles").fetchone()
        groups = conn.execute("SELECT count(DISTINCT duplicate_of) FROM articles").fetchone()[0]
        passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())
    return {
        "articles": articles,
        "duplicates": dups,
        "groups": groups,
        "passages": passages,
        "db_mb": round(size / 1e6),
    }


def bench_bbc(work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    db = work / "bbc.db"
    first = run_command(newsbot("index", str(BBC), "--db", str(db), "--json", *args.extra))
    second = run_command(newsbot("index", str(BBC), "--db", str(db), "--json", *args.extra))
    s1, s2 = _summary(first), _summary(second)
    facts = _db_facts(db)
    ratio = second["wall_s"] / first["wall_s"] if first["wall_s"] else 0
    return [
        {
            "scenario": "bbc first run",
            "wall_s": first["wall_s"],
            "peak_rss_mb": first["peak_rss_mb"],
            "exit": first["exit"],
            "files": s1.get("files_seen"),
            "added": s1.get("added"),
            "duplicates": f"{s1.get('duplicates')} in {s1.get('duplicate_groups')} groups",
            "passages": facts["passages"],
            "db_mb": facts["db_mb"],
            "load": f"{first['load_before']}->{first['load_after']}",
        },
        {
            "scenario": "bbc repeat run",
            "wall_s": second["wall_s"],
            "peak_rss_mb": second["peak_rss_mb"],
            "exit": second["exit"],
            "files": s2.get("files_seen"),
            "unchanged": s2.get("unchanged"),
            "changed": (s2.get("added", 0) or 0) + (s2.get("updated", 0) or 0) + (s2.get("removed", 0) or 0),
            "repeat/first": round(ratio, 3),
            "load": f"{second['load_before']}->{second['load_after']}",
        },
    ]


def bench_rtqa(work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    db = work / "rtqa.db"
    flags = [] if args.postings else ["--no-postings"]
    result = run_command(newsbot("index", str(RTQA), "--db", str(db), "--json", *flags, *args.extra))
    s = _summary(result)
    facts = _db_facts(db)
    row = {
        "scenario": "rtqa" + (" + postings" if args.postings else " (--no-postings)"),
        "wall_s": result["wall_s"],
        "peak_rss_mb": result["peak_rss_mb"],
        "exit": result["exit"],
        "articles": facts["articles"],
        "articles_per_s": round(facts["articles"] / result["wall_s"]) if result["wall_s"] else None,
        "skipped": s.get("skipped"),
        "duplicates": f"{facts['duplicates']} in {facts['groups']} groups",
        "passages": facts["passages"],
        "db_mb": facts["db_mb"],
        "load": f"{result['load_before']}->{result['load_after']}",
    }
    if args.postings and s.get("search_index"):
        row["postings_s"] = s["search_index"].get("seconds")
    return [row]


def bench_hostile(work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    sys.path.insert(0, str(ROOT / "tests" / "index"))
    from test_pipeline import hostile_folder, write_text

    folder = work / "hostile"
    hostile_folder(folder)
    db = work / "hostile.db"
    bad = run_command(newsbot("index", str(folder), "--db", str(db), "--json", "--no-postings"))
    s = _summary(bad)
    write_text(folder / "later.txt", 999)
    good = run_command(newsbot("index", str(folder), "--db", str(db), "--json", "--no-postings"))
    s2 = _summary(good)
    return [
        {
            "scenario": "hostile folder",
            "wall_s": bad["wall_s"],
            "exit": bad["exit"],
            "files": s.get("files_seen"),
            "added": s.get("added"),
            "failed": s.get("failed"),
            "skipped": s.get("skipped"),
            "problem files": len({p["path"] for p in s.get("problems", [])}),
        },
        {
            "scenario": "hostile, later good run",
            "wall_s": good["wall_s"],
            "exit": good["exit"],
            "added": s2.get("added"),
            "unchanged": s2.get("unchanged"),
            "articles now": _db_facts(db)["articles"],
        },
    ]


def bench_split(work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    from index.ingest.split import split_article
    from index.models import Article

    articles = []
    with gzip.open(RTQA, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            paragraphs = [p.strip() for p in (rec.get("text") or "").split("\n") if p.strip()]
            if paragraphs:
                articles.append(Article(source_id=rec["id"], title=rec.get("title") or "", paragraphs=paragraphs))
    chars = sum(len(a.body) for a in articles)
    words = sum(len(a.body.split()) for a in articles)
    started = time.process_time()
    passages = sum(len(split_article(a)) for a in articles)
    cpu = time.process_time() - started
    return [
        {
            "scenario": "split only (1 core)",
            "cpu_s": round(cpu, 2),
            "articles": len(articles),
            "passages": passages,
            "MB_per_s": round(chars / 1e6 / cpu, 1),
            "words_per_s": round(words / cpu),
            "load": round(os.getloadavg()[0], 2),
        }
    ]


def bench_refresh(work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    from index.ingest import pipeline

    db = work / "refresh.db"
    if not db.exists():
        run_command(newsbot("index", str(BBC), "--db", str(db), "--json", "--no-postings", *args.extra))
    rows = []
    for what, key, count in (
        ("re-split", pipeline.META_SPLIT, "resplit"),
        ("re-tokenize", pipeline.META_TOKENIZER, "retokenized"),
    ):
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("UPDATE meta SET value = '0' WHERE key = ?", (key,))
        conn.close()
        result = run_command(newsbot("index", str(BBC), "--db", str(db), "--json", "--no-postings"))
        rows.append(
            {
                "scenario": f"bbc {what} after a version change",
                "wall_s": result["wall_s"],
                "exit": result["exit"],
                count: _summary(result).get(count),
                "load": f"{result['load_before']}->{result['load_after']}",
            }
        )
    return rows


SCENARIOS = {
    "bbc": bench_bbc,
    "rtqa": bench_rtqa,
    "hostile": bench_hostile,
    "split": bench_split,
    "refresh": bench_refresh,
}


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        lines.append("| " + " | ".join(f"{k}: {v}" for k, v in row.items()) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"{', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--postings", action="store_true", help="rtqa: include the search-postings rebuild")
    parser.add_argument("--workers", type=int, help="passed to `newsbot index --workers`")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder (default: a temp folder)")
    args = parser.parse_args()
    args.extra = ["--workers", str(args.workers)] if args.workers is not None else []
    if not DATA.is_dir():
        print(f"the real-news data is not at {DATA}; nothing to measure", file=sys.stderr)
        return 1
    names = args.scenarios or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}; choose from {', '.join(SCENARIOS)}")
    print(f"# ingest bench, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start\n")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name in names:
            got = SCENARIOS[name](work, args)
            print(markdown(got), flush=True)
            rows.extend(got)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
