"""What one question costs end to end, as ``newsbot ask`` pays it: search with annotation, idf, compose.

Each question is searched as of its date (``--no-as-of``: as of now) with ``Searcher.search`` (annotated hits,
the default) for the hits ``ask`` asks for, then composed with ``index.answer.compose.compose`` (confidence,
citations, excerpts, the quote and the short answer). Every question is asked once to warm up, then timed
``--repeat`` times; the report gives p50, p90, p99 and max per question, and each part's share. For
reference it also times the same search without highlights (``annotate=False``, as ``search --batch`` runs it),
which the question does not pay on top; and each question's least CPU time over the passes (steadier than wall
time on a loaded machine).

Those figures are for questions asked again. ``--first-time`` measures what a new question costs a process that
has answered others (as a bot's worker has): the process warms up on every other question, three passes, then
asks each of the rest once. A new question's passages hold words the process has not read yet, and reading a
word the first time (tokenizing, stemming, classifying a name) costs more than looking it up again.

    python bench/ask_cost.py --db /tmp/m/rtqa.db
    python bench/ask_cost.py --db /tmp/m/rtqa.db --first-time
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.answer.compose import PASSAGES, compose, runner_up_options
from index.search.query import parse_date

ASK_K = 5  # hits `newsbot ask` searches for (3 shown, 2 more for the confidence check and the vote)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="/tmp/m/rtqa.db")
    ap.add_argument("--questions", default="/work/shared/data/realtimeqa/dev_questions.jsonl")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the questions (default 3)")
    ap.add_argument("--no-as-of", action="store_true", help="ask as of now, not as of each question's date")
    ap.add_argument("--first-time", action="store_true", help="time new questions on a warmed process (above)")
    args = ap.parse_args()

    from index.search.searcher import Searcher
    from index.search.spelling import prepare
    from index.search.timeparse import warm_up

    with open(args.questions, encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    warm_up()
    if args.first_time:
        return first_time(args.db, questions, args.no_as_of)
    with Searcher.open(args.db) as searcher:
        prepare(searcher)
        totals: list[float] = []
        searches: list[float] = []
        composes: list[float] = []
        plain: list[float] = []
        # Per question, the least CPU time of the thread over the passes: on a machine others load, wall times
        # wander with the scheduler, this much less (two versions compared by it, in turns).
        cpu = [math.inf] * len(questions)
        for rep in range(args.repeat + 1):
            for i, rec in enumerate(questions):
                day = None if args.no_as_of else parse_date(str(rec["date"])[:10].replace("/", "-"))
                t = time.perf_counter()
                searcher.search(rec["question"], k=ASK_K, as_of=day, annotate=False)
                bare = (time.perf_counter() - t) * 1000
                t0, c0 = time.perf_counter(), time.thread_time()
                results = searcher.search(rec["question"], k=ASK_K, as_of=day, **runner_up_options({}))
                t1 = time.perf_counter()
                q = results.query
                idf = searcher.idf(q.terms + q.title_terms)
                compose(results, question=rec["question"], idf=idf, passages=PASSAGES)
                t2, c2 = time.perf_counter(), time.thread_time()
                if rep:  # the first pass warms caches and is not counted
                    cpu[i] = min(cpu[i], (c2 - c0) * 1000)
                    searches.append((t1 - t0) * 1000)
                    composes.append((t2 - t1) * 1000)
                    totals.append((t2 - t0) * 1000)
                    plain.append(bare)
    print(f"{len(questions)} questions x {args.repeat}, as of {'now' if args.no_as_of else 'their dates'}")
    rows = (
        ("search (annotated)", searches),
        ("idf + compose", composes),
        ("whole question", totals),
        ("ref: search, no marks", plain),
        ("whole, CPU, least/q", cpu),
    )
    for name, values in rows:
        print(
            f"  {name:22} p50 {_pct(values, 0.5):7.3f} ms  p90 {_pct(values, 0.9):7.3f}  p99 {_pct(values, 0.99):7.3f}"
            f"  max {max(values):7.3f}  mean {statistics.mean(values):7.3f}"
        )
    return 0


def first_time(db: str, questions: list[dict], no_as_of: bool) -> int:
    """Warm up on every other question (three passes), then time each of the others once: new questions."""
    from index.search.searcher import Searcher
    from index.search.spelling import prepare

    def one(rec: dict) -> float:
        day = None if no_as_of else parse_date(str(rec["date"])[:10].replace("/", "-"))
        c0 = time.thread_time()
        results = searcher.search(rec["question"], k=ASK_K, as_of=day, **runner_up_options({}))
        q = results.query
        compose(results, question=rec["question"], idf=searcher.idf(q.terms + q.title_terms), passages=PASSAGES)
        return (time.thread_time() - c0) * 1000

    seen, new = questions[::2], questions[1::2]
    with Searcher.open(db) as searcher:
        prepare(searcher)
        for _ in range(3):
            for rec in seen:
                one(rec)
        first = [one(rec) for rec in new]
        again = [one(rec) for rec in new]
    print(f"{len(new)} new questions after {len(seen)} others x 3, as of {'now' if no_as_of else 'their dates'}")
    for name, values in (("first time, CPU", first), ("asked again, CPU", again)):
        print(
            f"  {name:22} p50 {_pct(values, 0.5):7.3f} ms  p90 {_pct(values, 0.9):7.3f}  p99 {_pct(values, 0.99):7.3f}"
            f"  max {max(values):7.3f}  mean {statistics.mean(values):7.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
