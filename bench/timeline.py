"""/timeline on a real archive: counting every matching article, the peaks' top stories, and drawing the chart.

Run from the project root on an indexed store (opened read-only; nothing is written):

    python bench/timeline.py --db /tmp/m/rtqa.db
    python bench/timeline.py --db /tmp/m/rtqa.db --repeat 10 --png /tmp/timeline.png

It prints one markdown row per query: matching articles, periods, and the time to count (index.search.timeline,
with the peaks' searches), to draw (index.chart, Agg, 800 x 300 PNG) and both, median and max over --repeat runs
after one warm-up. A separate row times a cold start in a fresh process (importing matplotlib included), as the
first /timeline after the bot starts pays it. Wall-clock on a shared machine: compare medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Broad words first: "said" is in most articles, so it charts nearly the whole archive.
QUERIES = ["said", "election", "covid", "joe biden", "ukraine", "tanner street bridge"]


def run(db: Path, queries: list[str], repeat: int, png: Path | None) -> int:
    """Time each query; prints the table."""
    from index.chart import draw_timeline
    from index.search.searcher import Searcher
    from index.search.timeline import timeline

    searcher = Searcher.open(db)
    print(f"archive: {searcher.article_count:,} articles, {searcher.passage_count:,} passages\n")
    print("| query | articles | periods | count ms (p50 / max) | draw ms (p50 / max) | total ms (p50 / max) | PNG kB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    for q in queries:
        line = timeline(searcher, q)
        chart = draw_timeline(line, q)  # warm-up (font cache, first figure)
        counts, draws = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            line = timeline(searcher, q)
            t1 = time.perf_counter()
            chart = draw_timeline(line, q)
            t2 = time.perf_counter()
            counts.append((t1 - t0) * 1000)
            draws.append((t2 - t1) * 1000)
        totals = [a + b for a, b in zip(counts, draws, strict=True)]
        worst = max(worst, max(totals))
        print(
            f"| {q} | {line.total:,} | {len(line.starts)} {line.unit}s | {statistics.median(counts):.0f} / "
            f"{max(counts):.0f} | {statistics.median(draws):.0f} / {max(draws):.0f} | "
            f"{statistics.median(totals):.0f} / {max(totals):.0f} | {len(chart) / 1024:.0f} |"
        )
        if png is not None and q == queries[0]:
            png.write_bytes(chart)
    print(f"\nworst total: {worst:.0f} ms ({'under' if worst < 1000 else 'OVER'} 1 s)")
    return 0 if worst < 1000 else 1


def cold(db: Path, query: str) -> float:
    """Seconds for a fresh process to open the index, count, import matplotlib and draw (one /timeline, cold)."""
    code = (
        "import time; t=time.perf_counter()\n"
        "from index.search.searcher import Searcher\nfrom index.search.timeline import timeline\n"
        "from index.chart import draw_timeline\n"
        f"s = Searcher.open({str(db)!r}); line = timeline(s, {query!r}); draw_timeline(line, {query!r})\n"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> int:
    """Parse the options and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="an indexed store (read only)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per query after a warm-up (default 5)")
    ap.add_argument("--query", action="append", help="a query to time (repeatable; default: a built-in set)")
    ap.add_argument("--png", type=Path, help="write the first query's chart here")
    args = ap.parse_args()
    status = run(args.db, args.query or QUERIES, args.repeat, args.png)
    first = (args.query or QUERIES)[0]
    print(
        f"cold start in a fresh process (open, count, import matplotlib, draw) for {first!r}: "
        f"{cold(args.db, first):.2f} s"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
