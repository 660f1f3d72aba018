"""Same questions, two stores: the top 10 of each question from a SQLite archive and from a PostgreSQL one, compared."""

# Usage: python bench/pg_compare.py QUESTIONS.jsonl --sqlite /tmp/m2/rtqa.db --pg postgresql://…/rtqa
# Each question is searched as `newsbot eval` searches it (as of its date, default sort, 10 hits) on both stores;
# hits are compared by what they cite (article source id, paragraphs, passage text) and score, since row ids may
# differ between two stores filled separately. Prints a markdown summary and the questions that differ; exit 1 when
# any does.

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.evaluate import load_questions  # noqa: E402
from index.search.searcher import Searcher  # noqa: E402


def _key(hit: Any) -> tuple[Any, ...]:
    return (hit.source_id, hit.paragraph, hit.paragraph_end, hit.text, hit.title, hit.outlet, hit.published, hit.url)


def _differences(a: list[Any], b: list[Any], tolerance: float) -> list[str]:
    found = []
    if len(a) != len(b):
        found.append(f"{len(a)} hits vs {len(b)}")
    for rank, (x, y) in enumerate(zip(a, b, strict=False), 1):
        if _key(x) != _key(y):
            found.append(f"#{rank}: {x.source_id} ¶{x.paragraph} vs {y.source_id} ¶{y.paragraph}")
        elif not math.isclose(x.score, y.score, rel_tol=tolerance, abs_tol=tolerance):
            found.append(f"#{rank}: score {x.score!r} vs {y.score!r}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("questions")
    parser.add_argument("--sqlite", required=True, help="the SQLite archive (its index beside it)")
    parser.add_argument("--pg", required=True, help="postgresql://… of the same archive (its index in data/index/…)")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--tolerance", type=float, default=0.0, help="allowed score difference (default: exact)")
    args = parser.parse_args(argv)

    questions = load_questions(args.questions)
    differing: list[tuple[str, list[str]]] = []
    seconds = {"sqlite": 0.0, "postgresql": 0.0}
    hits_compared = 0
    with Searcher.open(args.sqlite) as lite, Searcher.open(args.pg) as pg:
        for q in questions:
            lists = {}
            for name, searcher in (("sqlite", lite), ("postgresql", pg)):
                started = time.perf_counter()
                lists[name] = searcher.search(q.question, k=args.k, as_of=q.as_of, annotate=False).hits
                seconds[name] += time.perf_counter() - started
            hits_compared += len(lists["sqlite"])
            diff = _differences(lists["sqlite"], lists["postgresql"], args.tolerance)
            if diff:
                differing.append((q.qid, diff))

    n = len(questions)
    print("| store | questions | hits compared | same top 10 and scores | mean search ms |")
    print("|---|---|---|---|---|")
    for name in ("sqlite", "postgresql"):
        print(f"| {name} | {n} | {hits_compared} | {n - len(differing)}/{n} | {1000 * seconds[name] / max(n, 1):.2f} |")
    for qid, diff in differing:
        print(f"- {qid}: " + "; ".join(diff[:3]))
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
